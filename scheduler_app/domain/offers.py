"""Offers: a company books slots (one per chosen round) on a career day, changes them or withdraws.

Companies may do so until the booking deadline; the day's coordinators at any time. Every slot of
an offer has the same seats and minimum size. Once a room is assigned, the seats may not exceed
what the room holds.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from scheduler_app.domain import audit
from scheduler_app.domain.career_days import Deadline, check_deadline, is_contact_or_coordinator, take_part
from scheduler_app.domain.errors import DomainError, NotAllowed
from scheduler_app.extensions import db
from scheduler_app.models import Assignment, CareerDay, Exclusion, Offer, Organisation, OrganisationKind, Preference, Slot, User

TITLE_MAX_LENGTH = 200
DESCRIPTION_MAX_LENGTH = 5000
FIELD_MAX_LENGTH = 120
ROOM_WISH_MAX_LENGTH = 200
MAX_SEATS = 500
LOWEST_GRADE, HIGHEST_GRADE = 1, 13


def _optional_text(value: str | None, field: str, limit: int) -> str | None:
    value = (value or "").strip() or None
    if value is not None and len(value) > limit:
        raise DomainError("This field may have at most %(n)d characters.", field=field, n=limit)
    return value


def _clean(career_day: CareerDay, *, title, description, occupational_field, round_positions, seats, min_size,
           min_grade, max_grade, room_wish) -> dict:
    """Check the offer's fields; returns them cleaned."""
    title = " ".join((title or "").split())
    if not title:
        raise DomainError("Please enter a title.", field="title")
    if len(title) > TITLE_MAX_LENGTH:
        raise DomainError("This field may have at most %(n)d characters.", field="title", n=TITLE_MAX_LENGTH)
    positions = sorted(set(round_positions or []))
    if not positions:
        raise DomainError("Please choose at least one round.", field="round_positions")
    known = {r.position for r in career_day.rounds}
    unknown = [p for p in positions if p not in known]
    if unknown:
        raise DomainError("This day has no round %(n)d.", field="round_positions", n=unknown[0])
    if not 1 <= seats <= MAX_SEATS:
        raise DomainError("Please enter between 1 and %(n)d seats.", field="seats", n=MAX_SEATS)
    if not 0 <= min_size <= seats:
        raise DomainError("The minimum size must be between 0 and the number of seats.", field="min_size")
    for field, grade in (("min_grade", min_grade), ("max_grade", max_grade)):
        if grade is not None and not LOWEST_GRADE <= grade <= HIGHEST_GRADE:
            raise DomainError("Grades range from %(low)d to %(high)d.", field=field, low=LOWEST_GRADE, high=HIGHEST_GRADE)
    if min_grade is not None and max_grade is not None and min_grade > max_grade:
        raise DomainError("The lowest grade may not be above the highest grade.", field="max_grade")
    return dict(
        title=title,
        description=_optional_text(description, "description", DESCRIPTION_MAX_LENGTH),
        occupational_field=_optional_text(occupational_field, "occupational_field", FIELD_MAX_LENGTH),
        positions=positions, seats=seats, min_size=min_size, min_grade=min_grade, max_grade=max_grade,
        room_wish=_optional_text(room_wish, "room_wish", ROOM_WISH_MAX_LENGTH),
    )


def _check_title_free(career_day: CareerDay, company: Organisation, title: str, offer: Offer | None = None) -> None:
    """One title per company and day, which also turns a form submitted twice into a message."""
    query = select(Offer.id).where(Offer.career_day_id == career_day.id, Offer.company_id == company.id,
                                   func.lower(Offer.title) == title.lower())
    if offer is not None:
        query = query.where(Offer.id != offer.id)
    if db.session.scalar(query) is not None:
        raise DomainError("Your company already offers something with this title on this day.", field="title")


def _check_allowed(actor, career_day: CareerDay, company: Organisation) -> None:
    if company.kind is not OrganisationKind.company or not is_contact_or_coordinator(actor, company, career_day):
        raise NotAllowed("Only contacts of this company may do this.")


def book_offer(actor: User, career_day: CareerDay, company: Organisation, *, title: str, description: str | None,
               occupational_field: str | None, round_positions: list[int], seats: int, min_size: int,
               min_grade: int | None, max_grade: int | None, room_wish: str | None, now: datetime) -> Offer:
    """Book an offer with one slot of ``seats`` seats in each chosen round."""
    _check_allowed(actor, career_day, company)
    check_deadline(actor, career_day, Deadline.booking, now)
    fields = _clean(career_day, title=title, description=description, occupational_field=occupational_field,
                    round_positions=round_positions, seats=seats, min_size=min_size, min_grade=min_grade,
                    max_grade=max_grade, room_wish=room_wish)
    _check_title_free(career_day, company, fields["title"])
    rounds = {r.position: r for r in career_day.rounds}
    offer = Offer(
        career_day=career_day, company=company, title=fields["title"], description=fields["description"],
        occupational_field=fields["occupational_field"], min_grade=min_grade, max_grade=max_grade,
        room_wish=fields["room_wish"], created_at=now, updated_at=now,
        slots=[Slot(round=rounds[p], capacity=seats, min_size=min_size) for p in fields["positions"]],
    )
    db.session.add(offer)
    db.session.flush()
    take_part(career_day, company, now)
    audit.record(actor, "offer.book", offer, now, title=offer.title, rounds=fields["positions"], seats=seats)
    return offer


def _assigned_slot_positions(slots: list[Slot]) -> list[int]:
    """Rounds of ``slots`` in which students are already assigned (in any allocation)."""
    if not slots:
        return []
    ids = set(db.session.scalars(select(Assignment.slot_id).where(Assignment.slot_id.in_([s.id for s in slots]))))
    return sorted(s.round.position for s in slots if s.id in ids)


def update_offer(actor: User, offer: Offer, *, title: str, description: str | None, occupational_field: str | None,
                 round_positions: list[int], seats: int, min_size: int, min_grade: int | None, max_grade: int | None,
                 room_wish: str | None, now: datetime) -> Offer:
    """Change an offer: its text, rounds (slots added or removed) and seats (every slot alike).

    A round with students already assigned cannot be removed; with a room assigned, the seats may
    not exceed its capacity.
    """
    career_day = offer.career_day
    _check_allowed(actor, career_day, offer.company)
    check_deadline(actor, career_day, Deadline.booking, now)
    fields = _clean(career_day, title=title, description=description, occupational_field=occupational_field,
                    round_positions=round_positions, seats=seats, min_size=min_size, min_grade=min_grade,
                    max_grade=max_grade, room_wish=room_wish)
    _check_title_free(career_day, offer.company, fields["title"], offer)
    if offer.room is not None and seats > offer.room.capacity:
        raise DomainError("The room %(room)s holds only %(n)d people.", field="seats", room=offer.room.name,
                          n=offer.room.capacity)
    dropped = [s for s in offer.slots if s.round.position not in fields["positions"]]
    assigned = _assigned_slot_positions(dropped)
    if assigned:
        raise DomainError("Students are already assigned to round %(n)d of this offer.", field="round_positions",
                          n=assigned[0])
    for slot in dropped:
        offer.slots.remove(slot)
    kept = {s.round.position: s for s in offer.slots}
    rounds = {r.position: r for r in career_day.rounds}
    for position in fields["positions"]:
        if position in kept:
            kept[position].capacity, kept[position].min_size = seats, min_size
        else:
            offer.slots.append(Slot(round=rounds[position], capacity=seats, min_size=min_size))
    offer.title, offer.description = fields["title"], fields["description"]
    offer.occupational_field, offer.room_wish = fields["occupational_field"], fields["room_wish"]
    offer.min_grade, offer.max_grade, offer.updated_at = min_grade, max_grade, now
    db.session.flush()
    audit.record(actor, "offer.update", offer, now, title=offer.title, rounds=fields["positions"], seats=seats)
    return offer


def withdraw_offer(actor: User, offer: Offer, now: datetime) -> None:
    """Delete an offer and its slots. Students who had ranked it must rank again (their
    ``wishes_submitted_at`` is cleared); an offer with assigned students cannot be withdrawn."""
    career_day = offer.career_day
    _check_allowed(actor, career_day, offer.company)
    check_deadline(actor, career_day, Deadline.booking, now)
    if _assigned_slot_positions(list(offer.slots)):
        raise DomainError("Students are already assigned to this offer, so it cannot be withdrawn.")
    # Deleted through the ORM rather than left to ON DELETE CASCADE, which SQLite does not apply by default.
    wishes = list(db.session.scalars(select(Preference).where(Preference.offer_id == offer.id)))
    exclusions = list(db.session.scalars(select(Exclusion).where(Exclusion.offer_id == offer.id)))
    affected = {wish.student for wish in wishes}
    for student in affected:
        student.wishes_submitted_at = None
    audit.record(actor, "offer.withdraw", offer, now, title=offer.title, students_to_rank_again=len(affected))
    for row in (*wishes, *exclusions, offer):
        db.session.delete(row)
    db.session.flush()
    for student in affected:
        db.session.expire(student, ["preferences", "exclusions"])
