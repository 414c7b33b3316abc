"""Leases (scheduler_app/domain/leases.py), shown on allocations: claimed once, renewed and released
by the holder only, expired only when they ran out, the next free row picked past held ones."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from scheduler_app.domain import leases
from scheduler_app.domain.leases import LeaseTerms, process_identity
from scheduler_app.models import Allocation, AllocationState
from tests import factories

NOW = datetime(2027, 2, 1, 12, 0)
A = LeaseTerms(owner="host-a:1:aaaaaa", duration=timedelta(seconds=60), heartbeat=timedelta(seconds=10))
B = LeaseTerms(owner="host-b:2:bbbbbb", duration=timedelta(seconds=60), heartbeat=timedelta(seconds=10))
QUEUED = Allocation.state == AllocationState.queued


@pytest.fixture
def allocations(db_session):
    """Three queued allocations of one day, oldest first."""
    career_day = factories.make_career_day(rounds=1)
    rows = [Allocation(career_day=career_day, state=AllocationState.queued) for _ in range(3)]
    db_session.add_all(rows)
    db_session.flush()
    return [row.id for row in rows]


def _holder(db_session, ident):
    return db_session.execute(select(Allocation.claimed_by, Allocation.lease_until, Allocation.heartbeat_at)
                              .where(Allocation.id == ident)).one()


def test_a_row_is_claimed_once_while_the_lease_lives_and_again_after_it_ran_out(db_session, allocations):
    first = allocations[0]
    assert leases.claim(Allocation, first, A, NOW)
    assert not leases.claim(Allocation, first, B, NOW + timedelta(seconds=59))
    assert _holder(db_session, first) == (A.owner, NOW + A.duration, NOW)
    assert leases.claim(Allocation, first, B, NOW + timedelta(seconds=60))
    assert _holder(db_session, first)[0] == B.owner


def test_only_the_holder_renews_or_releases(db_session, allocations):
    first = allocations[0]
    leases.claim(Allocation, first, A, NOW)
    assert not leases.renew(Allocation, first, B, NOW + timedelta(seconds=30))
    assert not leases.release(Allocation, first, B.owner, values=dict(phase="stolen"))
    assert leases.renew(Allocation, first, A, NOW + timedelta(seconds=30))
    assert _holder(db_session, first) == (A.owner, NOW + timedelta(seconds=90), NOW + timedelta(seconds=30))
    assert leases.release(Allocation, first, A.owner, values=dict(phase="done"))
    assert _holder(db_session, first)[:2] == (None, None)
    assert db_session.scalar(select(Allocation.phase).where(Allocation.id == first)) == "done"


def test_claim_next_takes_the_first_free_row_past_held_ones(allocations):
    assert leases.claim_next(Allocation, A, NOW, where=[QUEUED], order_by=[Allocation.id]) == allocations[0]
    assert leases.claim_next(Allocation, B, NOW, where=[QUEUED], order_by=[Allocation.id]) == allocations[1]
    assert leases.claim_next(Allocation, B, NOW, where=[QUEUED, Allocation.id == allocations[0]]) is None


def test_expire_ends_only_leases_that_ran_out_among_the_rows_selected(db_session, allocations):
    first, second, third = allocations
    leases.claim(Allocation, first, A, NOW - timedelta(seconds=61))
    leases.claim(Allocation, second, B, NOW)
    assert leases.expire(Allocation, NOW, where=[Allocation.id.in_([first, second])], values=dict(phase="abandoned")) == 1
    assert _holder(db_session, first)[:2] == (None, None)
    assert _holder(db_session, second)[0] == B.owner
    assert db_session.scalar(select(Allocation.phase).where(Allocation.id == third)) is None  # not selected


def test_a_lease_lasts_at_least_two_heartbeats_and_the_process_identity_is_stable():
    with pytest.raises(ValueError, match="two heartbeats"):
        LeaseTerms(owner="x", duration=timedelta(seconds=15), heartbeat=timedelta(seconds=10))
    identity = process_identity()
    assert identity == process_identity() and identity.count(":") == 2
