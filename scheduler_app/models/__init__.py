"""SQLAlchemy 2.0 typed models, named as in the glossary (shared/GLOSSARY.md)."""
from scheduler_app.models.alliance_meeting import (
    AllianceMeeting,
    CandidateDate,
    DelegateLink,
    InvitationReply,
    MeetingInvitation,
    PollAnswer,
    PollResponse,
    PollVote,
)
from scheduler_app.models.audit import AuditEntry, DueItem, JobRun, MailState, OutgoingMail
from scheduler_app.models.career_day import (
    Allocation,
    AllocationSlot,
    AllocationState,
    Assignment,
    CareerDay,
    Exclusion,
    LateChange,
    Offer,
    Preference,
    Publication,
    Round,
    SchoolClass,
    Slot,
    Student,
)
from scheduler_app.models.feed import CalendarFeed, FeedKind
from scheduler_app.models.employer_event import EmployerEvent, EmployerEventKind, EventRegistration, RegistrationStatus
from scheduler_app.models.organisation import (
    AgencyPartner,
    Alliance,
    AllianceDelegate,
    AllianceMember,
    Invitation,
    Membership,
    Organisation,
    OrganisationKind,
    Role,
    User,
)
from scheduler_app.models.programme import Programme, Room, Venue

__all__ = [
    "AgencyPartner", "Alliance", "AllianceDelegate", "AllianceMeeting", "AllianceMember", "Allocation", "AllocationSlot",
    "AllocationState", "Assignment", "AuditEntry", "CalendarFeed", "CandidateDate", "CareerDay", "DelegateLink", "DueItem", "JobRun", "MailState",
    "EmployerEvent", "EmployerEventKind", "EventRegistration", "Exclusion", "FeedKind", "Invitation", "InvitationReply", "LateChange",
    "Membership", "MeetingInvitation", "Offer", "Organisation", "OrganisationKind", "OutgoingMail", "PollAnswer",
    "PollResponse", "PollVote",
    "Preference", "Programme", "Publication", "RegistrationStatus", "Role", "Room", "Round", "SchoolClass", "Slot", "Student",
    "User", "Venue",
]
