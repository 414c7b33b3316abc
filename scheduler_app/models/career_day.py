"""Career days: rounds, offers and slots; classes, students and their wishes; allocations.

Capacity rules the database itself enforces (so that no code path can overbook):
- a slot's ``min_size <= capacity``;
- a career day's ``registered_students <= max_students`` (seat count changed by conditional UPDATE);
- per allocation, a slot's ``assigned <= capacity`` (:class:`AllocationSlot`, conditional UPDATE);
- a student holds at most one assignment per round and never the same offer twice in one allocation
  (unique constraints on :class:`Assignment`).
"""
from __future__ import annotations

import enum
from datetime import date as date_type  # the name `date` is CareerDay's column
from datetime import datetime, time

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, String, Text, Time, UniqueConstraint, false, func
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from scheduler_app.extensions import db
from scheduler_app.models_base import Leased, normalise_name, utc_now
from scheduler_app.models.organisation import Organisation, User, enum_column
from scheduler_app.models.programme import Programme, Room, Venue


class CareerDay(db.Model):
    """One Berufsorientierungstag / Ausbildungsbörse / Azubi-Speed-Dating."""

    __tablename__ = "career_day"

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    date: Mapped[date_type] = mapped_column(Date)
    venue_id: Mapped[int | None] = mapped_column(ForeignKey("venue.id", ondelete="SET NULL"))
    booking_deadline: Mapped[datetime | None]  # companies book slots until then
    registration_deadline: Mapped[datetime | None]  # schools register classes until then
    wishes_deadline: Mapped[datetime | None]  # students rank their wishes until then
    wishes_count: Mapped[int] = mapped_column(default=5)  # how many offers a student ranks
    slots_per_student: Mapped[int] = mapped_column(default=3)
    max_students: Mapped[int | None]  # venue limit over all classes; NULL = no limit
    registered_students: Mapped[int] = mapped_column(default=0)
    published_allocation_id: Mapped[int | None] = mapped_column(
        ForeignKey("allocation.id", ondelete="SET NULL", use_alter=True, name="fk_career_day_published_allocation")
    )
    published_at: Mapped[datetime | None]
    retention_until: Mapped[date_type | None] = mapped_column(Date)  # students' data is deleted after this day
    personal_data_deleted_at: Mapped[datetime | None]  # when the job process deleted it (retention)
    # what reports need once the students are gone: per offer, per school, the rank histogram
    retained_figures: Mapped[dict | None] = mapped_column(JSON)
    # reminders go out this many days before each deadline ("7,2"); the job process sends each once
    reminder_days: Mapped[str] = mapped_column(String(40), default="7,2", server_default="7,2")
    # the job process starts the allocation at the wishes deadline and mails the coordinators the result
    auto_allocate: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Raised whenever the day's date, times or places change (and at every publication): calendar
    # clients update an event only when its SEQUENCE rises.
    calendar_sequence: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)

    programme: Mapped[Programme] = relationship(back_populates="career_days")
    venue: Mapped[Venue | None] = relationship()
    rounds: Mapped[list[Round]] = relationship(back_populates="career_day", cascade="all, delete-orphan", order_by="Round.position")
    offers: Mapped[list[Offer]] = relationship(back_populates="career_day", cascade="all, delete-orphan", order_by="Offer.id")
    classes: Mapped[list[SchoolClass]] = relationship(back_populates="career_day", cascade="all, delete-orphan", order_by="SchoolClass.id")
    allocations: Mapped[list[Allocation]] = relationship(
        back_populates="career_day", cascade="all, delete-orphan", foreign_keys="Allocation.career_day_id", order_by="Allocation.id"
    )
    published_allocation: Mapped[Allocation | None] = relationship(foreign_keys=[published_allocation_id], post_update=True)

    __table_args__ = (
        CheckConstraint("registered_students >= 0", name="registered_non_negative"),
        CheckConstraint("max_students IS NULL OR registered_students <= max_students", name="registered_within_max"),
        CheckConstraint("wishes_count BETWEEN 1 AND 20", name="wishes_count_range"),
        CheckConstraint("slots_per_student BETWEEN 1 AND 20", name="slots_per_student_range"),
    )


class Round(db.Model):
    """An ordered time window of a career day, e.g. 08:30–09:15."""

    __tablename__ = "round"

    id: Mapped[int] = mapped_column(primary_key=True)
    career_day_id: Mapped[int] = mapped_column(ForeignKey("career_day.id", ondelete="CASCADE"))
    position: Mapped[int]  # 1, 2, … in time order
    starts_at: Mapped[time] = mapped_column(Time)
    ends_at: Mapped[time] = mapped_column(Time)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now, server_default=func.now())  # feeds: LAST-MODIFIED

    career_day: Mapped[CareerDay] = relationship(back_populates="rounds")

    __table_args__ = (
        UniqueConstraint("career_day_id", "position"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("position >= 1", name="position_positive"),
    )


class Offer(db.Model):
    """What a student chooses: a company's presentation, workshop, table or an occupational field."""

    __tablename__ = "offer"

    id: Mapped[int] = mapped_column(primary_key=True)
    career_day_id: Mapped[int] = mapped_column(ForeignKey("career_day.id", ondelete="CASCADE"))
    company_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    occupational_field: Mapped[str | None] = mapped_column(String(120))
    min_grade: Mapped[int | None]
    max_grade: Mapped[int | None]
    room_wish: Mapped[str | None] = mapped_column(String(200))
    room_id: Mapped[int | None] = mapped_column(ForeignKey("room.id", ondelete="SET NULL"))
    max_total: Mapped[int | None]
    # set when the company withdraws the offer after publication (a late change): the offer stays for
    # the published versions, but its slots leave every later plan
    withdrawn_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)

    career_day: Mapped[CareerDay] = relationship(back_populates="offers")
    company: Mapped[Organisation] = relationship()
    room: Mapped[Room | None] = relationship()
    slots: Mapped[list[Slot]] = relationship(back_populates="offer", cascade="all, delete-orphan")

    __table_args__ = (
        CheckConstraint("min_grade IS NULL OR max_grade IS NULL OR min_grade <= max_grade", name="grade_range"),
        CheckConstraint("max_total IS NULL OR max_total >= 0", name="max_total_non_negative"),
    )

    def open_to_grade(self, grade: int) -> bool:
        return (self.min_grade is None or grade >= self.min_grade) and (self.max_grade is None or grade <= self.max_grade)


class Slot(db.Model):
    """One offer held in one round, with seats and optionally a minimum size."""

    __tablename__ = "slot"

    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offer.id", ondelete="CASCADE"))
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"))
    capacity: Mapped[int]
    min_size: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now, server_default=func.now())  # feeds: LAST-MODIFIED

    offer: Mapped[Offer] = relationship(back_populates="slots")
    round: Mapped[Round] = relationship()

    __table_args__ = (
        UniqueConstraint("offer_id", "round_id"),
        CheckConstraint("capacity >= 0", name="capacity_non_negative"),
        CheckConstraint("min_size >= 0 AND min_size <= capacity", name="min_size_within_capacity"),
    )


class SchoolClass(db.Model):
    """A class a school registers for a career day, with its presence window (first/last round)."""

    __tablename__ = "school_class"

    id: Mapped[int] = mapped_column(primary_key=True)
    career_day_id: Mapped[int] = mapped_column(ForeignKey("career_day.id", ondelete="CASCADE"))
    school_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(60))
    name_key: Mapped[str] = mapped_column(String(180))  # set with the name (casefold may triple it): unique per school and day
    grade: Mapped[int]
    headcount: Mapped[int]
    first_round: Mapped[int | None]  # position of the first round the class attends; NULL = from the start
    last_round: Mapped[int | None]  # position of the last round; NULL = until the end
    class_code: Mapped[str] = mapped_column(String(16), unique=True)
    teacher_name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now, server_default=func.now())  # feeds: LAST-MODIFIED

    career_day: Mapped[CareerDay] = relationship(back_populates="classes")
    school: Mapped[Organisation] = relationship()
    students: Mapped[list[Student]] = relationship(back_populates="school_class", cascade="all, delete-orphan", order_by="Student.display_name")

    __table_args__ = (
        UniqueConstraint("career_day_id", "school_id", "name_key"),
        CheckConstraint("grade BETWEEN 1 AND 13", name="grade_range"),
        CheckConstraint("headcount >= 0 AND headcount <= 60", name="headcount_range"),
        CheckConstraint("first_round IS NULL OR last_round IS NULL OR first_round <= last_round", name="presence_window"),
    )

    @validates("name")
    def _set_name_key(self, _key, name: str) -> str:
        self.name_key = normalise_name(name)
        return name

    def present_in(self, position: int) -> bool:
        return (self.first_round is None or position >= self.first_round) and (self.last_round is None or position <= self.last_round)

    @property
    def attending(self) -> list[Student]:
        """The students who will come: all but those marked absent by a late change."""
        return [student for student in self.students if student.absent_at is None]


class Student(db.Model):
    """A student: personal data of a minor, so pseudonymous by default (a display name is enough)."""

    __tablename__ = "student"

    id: Mapped[int] = mapped_column(primary_key=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("school_class.id", ondelete="CASCADE"))
    display_name: Mapped[str] = mapped_column(String(60))
    personal_code: Mapped[str] = mapped_column(String(16))  # printed on the class sheet; with the class code it opens the wishes page
    # Bumped when the student signs out: a session cookie saved before then stops working.
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    wishes_submitted_at: Mapped[datetime | None]
    # set when the coordinator marks the student absent after publication (a late change): the student
    # stays in the published versions, but gets no programme in any later plan
    absent_at: Mapped[datetime | None]

    school_class: Mapped[SchoolClass] = relationship(back_populates="students")
    preferences: Mapped[list[Preference]] = relationship(back_populates="student", cascade="all, delete-orphan", order_by="Preference.rank")
    exclusions: Mapped[list[Exclusion]] = relationship(back_populates="student", cascade="all, delete-orphan")

    __table_args__ = (
        UniqueConstraint("class_id", "display_name"),
        UniqueConstraint("class_id", "personal_code"),
    )


class Preference(db.Model):
    """A student's ranked wish (rank 1 = Erstwunsch)."""

    __tablename__ = "preference"

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id", ondelete="CASCADE"))
    offer_id: Mapped[int] = mapped_column(ForeignKey("offer.id", ondelete="CASCADE"))
    rank: Mapped[int]

    student: Mapped[Student] = relationship(back_populates="preferences")
    offer: Mapped[Offer] = relationship()

    __table_args__ = (
        UniqueConstraint("student_id", "offer_id"),
        UniqueConstraint("student_id", "rank"),
        CheckConstraint("rank >= 1", name="rank_positive"),
    )


class Exclusion(db.Model):
    """An offer a student must never attend (set by the teacher or coordinator)."""

    __tablename__ = "exclusion"

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id", ondelete="CASCADE"))
    offer_id: Mapped[int] = mapped_column(ForeignKey("offer.id", ondelete="CASCADE"))

    student: Mapped[Student] = relationship(back_populates="exclusions")
    offer: Mapped[Offer] = relationship()

    __table_args__ = (UniqueConstraint("student_id", "offer_id"),)


class AllocationState(str, enum.Enum):
    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"


class Allocation(Leased, db.Model):
    """One run of the allocation engine (a Zuteilung), with its assignments. While it runs, the job
    process running it holds its lease (``claimed_by``, ``lease_until``, ``heartbeat_at``)."""

    __tablename__ = "allocation"

    id: Mapped[int] = mapped_column(primary_key=True)
    career_day_id: Mapped[int] = mapped_column(ForeignKey("career_day.id", ondelete="CASCADE"))
    state: Mapped[AllocationState] = mapped_column(enum_column(AllocationState, "allocation_state"), default=AllocationState.queued)
    solver_status: Mapped[str | None] = mapped_column(String(16))  # optimal / feasible / infeasible / invalid
    objective: Mapped[int | None]
    bound: Mapped[int | None]
    progress: Mapped[float] = mapped_column(default=0.0)
    phase: Mapped[str | None] = mapped_column(String(60))
    metrics: Mapped[dict | None] = mapped_column(JSON)
    problems: Mapped[list | None] = mapped_column(JSON)
    # The engine's reasons for each student who got fewer slots than wanted ({"P12": [Reason.to_dict(), …]}),
    # computed once when the result is saved and refreshed for the student a manual change concerns.
    explanations: Mapped[dict | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    based_on_id: Mapped[int | None] = mapped_column(ForeignKey("allocation.id", ondelete="SET NULL"))  # re-solve with minimal changes
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    finished_at: Mapped[datetime | None]

    career_day: Mapped[CareerDay] = relationship(back_populates="allocations", foreign_keys=[career_day_id])
    created_by: Mapped[User | None] = relationship()
    assignments: Mapped[list[Assignment]] = relationship(back_populates="allocation", cascade="all, delete-orphan")
    slot_loads: Mapped[list[AllocationSlot]] = relationship(back_populates="allocation", cascade="all, delete-orphan")

    __table_args__ = (CheckConstraint("progress >= 0 AND progress <= 1", name="progress_range"),)


class AllocationSlot(db.Model):
    """A slot's seats within one allocation: ``assigned`` changes only by conditional UPDATE."""

    __tablename__ = "allocation_slot"

    id: Mapped[int] = mapped_column(primary_key=True)
    allocation_id: Mapped[int] = mapped_column(ForeignKey("allocation.id", ondelete="CASCADE"))
    slot_id: Mapped[int] = mapped_column(ForeignKey("slot.id", ondelete="CASCADE"))
    capacity: Mapped[int]
    assigned: Mapped[int] = mapped_column(default=0)

    allocation: Mapped[Allocation] = relationship(back_populates="slot_loads")
    slot: Mapped[Slot] = relationship()

    __table_args__ = (
        UniqueConstraint("allocation_id", "slot_id"),
        CheckConstraint("assigned >= 0 AND assigned <= capacity", name="assigned_within_capacity"),
    )


class Assignment(db.Model):
    """A student attends a slot, in one allocation. ``locked``: set by hand; the solver must keep it."""

    __tablename__ = "assignment"

    id: Mapped[int] = mapped_column(primary_key=True)
    allocation_id: Mapped[int] = mapped_column(ForeignKey("allocation.id", ondelete="CASCADE"))
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id", ondelete="CASCADE"))
    slot_id: Mapped[int] = mapped_column(ForeignKey("slot.id", ondelete="CASCADE"))
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"))  # = slot.round_id
    offer_id: Mapped[int] = mapped_column(ForeignKey("offer.id", ondelete="CASCADE"))  # = slot.offer_id
    locked: Mapped[bool] = mapped_column(default=False)

    allocation: Mapped[Allocation] = relationship(back_populates="assignments")
    student: Mapped[Student] = relationship()
    slot: Mapped[Slot] = relationship()

    __table_args__ = (
        UniqueConstraint("allocation_id", "student_id", "round_id"),
        UniqueConstraint("allocation_id", "student_id", "offer_id"),
    )


class Publication(db.Model):
    """One published version of a career day's plan (version 1, 2, …): a snapshot of everything the
    printed sheets show (rounds, offers, rooms, classes, students' display names, assignments), so
    route sheets, door lists, class lists, exports and feeds stay as published whatever changes later.

    Holds students' display names and class: personal data of minors, deleted with the day's
    students by the retention job (``snapshot`` is emptied; the row keeps the version and date)."""

    __tablename__ = "publication"

    id: Mapped[int] = mapped_column(primary_key=True)
    career_day_id: Mapped[int] = mapped_column(ForeignKey("career_day.id", ondelete="CASCADE"))
    allocation_id: Mapped[int | None] = mapped_column(ForeignKey("allocation.id", ondelete="SET NULL"))
    version: Mapped[int]
    published_at: Mapped[datetime]
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    snapshot: Mapped[dict] = mapped_column(JSON)

    career_day: Mapped[CareerDay] = relationship()
    allocation: Mapped[Allocation | None] = relationship()

    __table_args__ = (
        UniqueConstraint("career_day_id", "version"),
        CheckConstraint("version >= 1", name="version_positive"),
    )


class LateChange(db.Model):
    """A change the coordinator accepted after the day's plan was published (a late change): a class
    registered late, students added or marked absent, an offer withdrawn, a student's wishes corrected.

    Pending until a new version is published; then ``publication_id`` names the version that includes
    it. ``details`` holds what the day's page shows (names of classes, students, offers): students'
    display names are personal data, emptied by the retention job with the students."""

    __tablename__ = "late_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    career_day_id: Mapped[int] = mapped_column(ForeignKey("career_day.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))  # one of scheduler_app.domain.late_changes.KINDS
    details: Mapped[dict] = mapped_column(JSON)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    publication_id: Mapped[int | None] = mapped_column(ForeignKey("publication.id", ondelete="CASCADE"))  # NULL: pending

    actor: Mapped[User | None] = relationship()
    publication: Mapped[Publication | None] = relationship()
