"""Companies book offers (one slot per round), change them until the booking deadline, withdraw them."""
from datetime import datetime

import pytest
from sqlalchemy import func, select

from scheduler_app.domain.errors import DomainError, NotAllowed
from scheduler_app.domain.offers import book_offer, update_offer, withdraw_offer
from scheduler_app.models import AuditEntry, Offer, OrganisationKind, Preference, Role, Room, Slot, Venue
from scheduler_app.extensions import db
from tests import factories as f

NOW = datetime(2027, 1, 10, 9, 0)
AFTER_BOOKING = datetime(2027, 2, 21, 9, 0)


def fields(**overrides) -> dict:
    values = dict(title="Mechatroniker/in", description="Wir zeigen unsere Werkstatt.", occupational_field="Technik",
                  round_positions=[1, 3], seats=12, min_size=4, min_grade=8, max_grade=10, room_wish="Nähe Eingang",
                  now=NOW)
    values.update(overrides)
    return values


@pytest.fixture
def setup(db_session):
    day = f.make_career_day(booking_deadline=datetime(2027, 2, 20, 18, 0))
    company = f.make_organisation(OrganisationKind.company, partner_of=day.programme.agency)
    return day, company, f.make_company_contact(company)


def test_booking_creates_one_slot_per_chosen_round_with_the_seats(setup):
    day, company, contact = setup
    offer = book_offer(contact, day, company, **fields())
    assert sorted((s.round.position, s.capacity, s.min_size) for s in offer.slots) == [(1, 12, 4), (3, 12, 4)]
    assert (offer.title, offer.min_grade, offer.max_grade, offer.room_wish) == ("Mechatroniker/in", 8, 10, "Nähe Eingang")
    assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.object_id == offer.id)) == "offer.book"


def test_contact_of_another_company_may_not_book(setup):
    day, company, _ = setup
    with pytest.raises(NotAllowed):
        book_offer(f.make_company_contact(), day, company, **fields())
    with pytest.raises(NotAllowed):
        book_offer(f.make_school_contact(), day, company, **fields())
    assert db.session.scalar(select(func.count(Offer.id))) == 0


def test_booking_after_the_deadline_is_refused_and_writes_nothing(setup):
    day, company, contact = setup
    with pytest.raises(DomainError, match="booking offers has passed"):
        book_offer(contact, day, company, **fields(now=AFTER_BOOKING))
    assert db.session.scalar(select(func.count(Offer.id))) == 0
    assert db.session.scalar(select(func.count(AuditEntry.id))) == 0


def test_a_coordinator_may_still_book_for_a_company_after_the_deadline(setup):
    day, company, _ = setup
    coordinator = f.make_user(day.programme.agency, Role.coordinator)
    assert book_offer(coordinator, day, company, **fields(now=AFTER_BOOKING)).company is company


@pytest.mark.parametrize("overrides, field", [
    ({"title": " "}, "title"),
    ({"title": "x" * 201}, "title"),
    ({"round_positions": []}, "round_positions"),
    ({"round_positions": [4]}, "round_positions"),
    ({"seats": 0}, "seats"),
    ({"seats": 501}, "seats"),
    ({"min_size": 13}, "min_size"),
    ({"min_grade": 11, "max_grade": 9}, "max_grade"),
    ({"min_grade": 0}, "min_grade"),
    ({"description": "x" * 5001}, "description"),
])
def test_bad_offer_fields_are_refused_at_their_field(setup, overrides, field):
    day, company, contact = setup
    with pytest.raises(DomainError) as error:
        book_offer(contact, day, company, **fields(**overrides))
    assert error.value.field == field
    assert db.session.scalar(select(func.count(Slot.id))) == 0


def test_the_same_form_submitted_twice_books_only_once(setup):
    day, company, contact = setup
    book_offer(contact, day, company, **fields())
    with pytest.raises(DomainError, match="already offers") as error:
        book_offer(contact, day, company, **fields(title=" mechatroniker/IN "))
    assert error.value.field == "title"
    assert db.session.scalar(select(func.count(Offer.id))) == 1


def test_update_moves_slots_to_other_rounds_and_changes_seats_everywhere(setup):
    day, company, contact = setup
    offer = book_offer(contact, day, company, **fields())
    kept_slot_id = next(s.id for s in offer.slots if s.round.position == 3)
    update_offer(contact, offer, **fields(round_positions=[2, 3], seats=15, min_size=0))
    assert sorted((s.round.position, s.capacity, s.min_size) for s in offer.slots) == [(2, 15, 0), (3, 15, 0)]
    assert kept_slot_id in {s.id for s in offer.slots}
    assert db.session.scalar(select(func.count(Slot.id))) == 2


def test_update_after_the_deadline_changes_nothing(setup):
    day, company, contact = setup
    offer = book_offer(contact, day, company, **fields())
    with pytest.raises(DomainError, match="booking offers has passed"):
        update_offer(contact, offer, **fields(seats=20, now=AFTER_BOOKING))
    assert {s.capacity for s in offer.slots} == {12}


def test_more_seats_than_the_assigned_room_holds_is_an_error_at_seats(setup):
    day, company, contact = setup
    offer = book_offer(contact, day, company, **fields())
    offer.room = Room(venue=Venue(name="BBS Osnabrück"), name="A 101", capacity=16)
    db.session.flush()
    update_offer(contact, offer, **fields(seats=16))
    with pytest.raises(DomainError, match="A 101 holds only 16") as error:
        update_offer(contact, offer, **fields(seats=17))
    assert error.value.field == "seats"
    assert {s.capacity for s in offer.slots} == {16}


def test_withdrawing_an_offer_removes_its_slots_and_students_must_rank_again(setup):
    day, company, contact = setup
    offer = book_offer(contact, day, company, **fields(min_grade=None, max_grade=None))
    other = f.make_offer(day)
    school_class = f.make_school_class(day, students=1)
    student = school_class.students[0]
    student.preferences.extend([Preference(offer=offer, rank=1), Preference(offer=other, rank=2)])
    student.wishes_submitted_at = NOW
    db.session.flush()

    withdraw_offer(contact, offer, NOW)

    assert db.session.get(Offer, offer.id) is None
    assert db.session.scalar(select(func.count(Slot.id)).where(Slot.offer_id == offer.id)) == 0
    assert [p.offer_id for p in student.preferences] == [other.id]
    assert student.wishes_submitted_at is None


def test_another_company_may_not_withdraw_an_offer(setup):
    day, company, contact = setup
    offer = book_offer(contact, day, company, **fields())
    with pytest.raises(NotAllowed):
        withdraw_offer(f.make_company_contact(), offer, NOW)
    assert db.session.get(Offer, offer.id) is offer
