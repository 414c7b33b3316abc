"""Alliances (Fachkräftebündnisse), their member organisations and the members' delegates.

An alliance is run by one coordinating agency; only that agency's coordinators manage it (anything
else answers 404, see :func:`may_manage`). Members are organisations of any kind. A member found by
name is linked as it is:

- an organisation the actor's agencies already work with becomes a partner of the alliance's agency
  too (:func:`scope.add_partner`);
- a new organisation is registered on the way (:func:`organisations.create_organisation`) as a
  partner of the alliance's agency;
- an organisation that only *other* agencies work with (a chamber or job centre in several
  alliances) becomes a member WITHOUT a partnership: the alliance lists it and its delegates, but
  its contacts, invitations and students stay out of reach (otherwise naming a school in an alliance
  would open its data; see :mod:`scheduler_app.domain.scope`).

Delegates are people, not accounts: name, e-mail and function. They act through personal links
(:mod:`scheduler_app.domain.delegate_links`). A delegate added while a poll is open receives the
poll; one added after the date was fixed receives the invitation (:func:`meetings.welcome_delegate`).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select

from scheduler_app.domain import audit, delegate_links
from scheduler_app.domain.errors import N_, DomainError, NotAllowed
from scheduler_app.domain.organisations import create_organisation, find_by_name
from scheduler_app.domain.rosters import FileRowsError, RowProblem, read_rows
from scheduler_app.domain.scope import add_partner, agency_ids, works_with
from scheduler_app.extensions import db
from scheduler_app.models import (
    Alliance,
    AllianceDelegate,
    AllianceMember,
    Organisation,
    OrganisationKind,
    User,
)

NAME_MAX_LENGTH = 200
REGION_MAX_LENGTH = 200
FUNCTION_MAX_LENGTH = 200
EMAIL_MAX_LENGTH = 254
MAX_IMPORT_ROWS = 300
MEMBER_KINDS = tuple(OrganisationKind)
# ISO 3166-2:DE codes (without "DE-") as the ``holidays`` package names Germany's subdivisions
FEDERAL_STATES = {
    "BW": "Baden-Württemberg", "BY": "Bayern", "BE": "Berlin", "BB": "Brandenburg", "HB": "Bremen", "HH": "Hamburg",
    "HE": "Hessen", "MV": "Mecklenburg-Vorpommern", "NI": "Niedersachsen", "NW": "Nordrhein-Westfalen",
    "RP": "Rheinland-Pfalz", "SL": "Saarland", "SN": "Sachsen", "ST": "Sachsen-Anhalt", "SH": "Schleswig-Holstein",
    "TH": "Thüringen",
}
IMPORT_HEADERS = {
    "organisation": {"organisation", "organization", "mitglied", "bündnispartner", "name der organisation"},
    "kind": {"art", "kind", "typ"},
    "name": {"delegierte", "delegierter", "delegierte/r", "name", "ansprechperson", "delegate", "person"},
    "email": {"e-mail", "email", "e-mail-adresse", "mail"},
    "function": {"funktion", "function", "position", "rolle"},
    "required": {"pflichtmitglied", "pflicht", "required", "erforderlich"},
}
OPTIONAL_IMPORT_COLUMNS = {"function", "required"}
IMPORT_KINDS = {
    **dict.fromkeys(("agentur", "agency", "jobcenter", "agentur für arbeit", "wirtschaftsförderung",
                     "koordinierungsstelle", "kommune", "verwaltung"), OrganisationKind.agency),
    **dict.fromkeys(("kammer", "chamber", "ihk", "handwerkskammer", "hwk", "kreishandwerkerschaft", "innung",
                     "verband"), OrganisationKind.chamber),
    **dict.fromkeys(("bildungsträger", "träger", "training provider", "training_provider"), OrganisationKind.training_provider),
    **dict.fromkeys(("unternehmen", "company", "betrieb", "firma"), OrganisationKind.company),
    **dict.fromkeys(("schule", "school"), OrganisationKind.school),
}
YES_WORDS = {"ja", "j", "x", "yes", "y", "1", "true", "wahr"}
NO_WORDS = {"", "nein", "n", "no", "0", "false", "falsch"}


def _tidy(text: str | None) -> str:
    return " ".join((text or "").split())


def may_manage(actor, alliance: Alliance | None) -> bool:
    """Only coordinators of the alliance's coordinating agency manage it."""
    return alliance is not None and alliance.coordinating_agency_id in agency_ids(actor)


def _check_manages(actor, alliance: Alliance) -> None:
    if not may_manage(actor, alliance):
        raise NotAllowed("Only coordinators of the coordinating agency may manage this alliance.")


def alliances_of(actor) -> list[Alliance]:
    """The alliances the actor's agencies coordinate, by name."""
    agencies = agency_ids(actor)
    if not agencies:
        return []
    return list(db.session.scalars(select(Alliance).where(Alliance.coordinating_agency_id.in_(agencies))
                                   .order_by(func.lower(Alliance.name), Alliance.id)))


def create_alliance(actor: User, agency: Organisation, name: str, region: str | None, federal_state: str | None,
                    now: datetime) -> Alliance:
    """A new alliance coordinated by ``agency`` (one of the actor's). Names are unique, ignoring case."""
    if agency.id not in agency_ids(actor):
        raise NotAllowed("Only coordinators of this agency may create alliances for it.")
    name, region = _tidy(name), _tidy(region) or None
    if not name:
        raise DomainError("Please enter a name.", field="name")
    if len(name) > NAME_MAX_LENGTH:
        raise DomainError("The name may have at most %(n)d characters.", field="name", n=NAME_MAX_LENGTH)
    if region is not None and len(region) > REGION_MAX_LENGTH:
        raise DomainError("The region may have at most %(n)d characters.", field="region", n=REGION_MAX_LENGTH)
    if federal_state and federal_state not in FEDERAL_STATES:
        raise DomainError("Please choose a federal state from the list.", field="federal_state")
    if db.session.scalar(select(Alliance.id).where(func.lower(Alliance.name) == name.lower())) is not None:
        raise DomainError("An alliance with this name already exists. Please choose another name.", field="name")
    alliance = Alliance(name=name, region=region, federal_state=federal_state or None, coordinating_agency_id=agency.id,
                        created_at=now)
    db.session.add(alliance)
    db.session.flush()
    audit.record(actor, "alliance.create", alliance, now, name=name)
    return alliance


def _member_organisation(actor: User, alliance: Alliance, kind: OrganisationKind | None, name: str, city: str | None,
                         now: datetime) -> Organisation:
    """The organisation named ``name`` of ``kind``, registered on the way if it does not exist yet."""
    if kind not in MEMBER_KINDS:
        raise DomainError("Please choose the kind of organisation.", field="kind")
    existing = find_by_name(kind, name)
    if existing is not None:
        return existing
    return create_organisation(actor, kind, name, city, now, agency_id=alliance.coordinating_agency_id, kinds=MEMBER_KINDS)


def _join(actor: User, alliance: Alliance, organisation: Organisation, required: bool, now: datetime) -> AllianceMember:
    if any(member.organisation_id == organisation.id for member in alliance.members):
        raise DomainError("“%(name)s” is already a member of this alliance.", field="name", name=organisation.name)
    if works_with(actor, organisation):  # never turns another agency's partner into ours
        add_partner(alliance.coordinating_agency_id, organisation.id, now)
    member = AllianceMember(organisation=organisation, required=required, joined_on=now)
    alliance.members.append(member)
    db.session.flush()
    audit.record(actor, "alliance.member_add", member, now, organisation_id=organisation.id, required=required)
    return member


def add_member(actor: User, alliance: Alliance, now: datetime, *, organisation: Organisation | None = None,
               kind: OrganisationKind | None = None, name: str | None = None, city: str | None = None,
               required: bool = False) -> AllianceMember:
    """Add an organisation as member: one the actor's agencies work with (``organisation``), or one
    named by ``kind`` and ``name`` (linked if it exists, registered otherwise; see the module docstring)."""
    _check_manages(actor, alliance)
    if organisation is not None:
        if not works_with(actor, organisation):
            raise NotAllowed("Only organisations your agency works with can be chosen from the list.")
    else:
        if not _tidy(name):
            raise DomainError("Please choose an organisation or enter the name of a new one.", field="name")
        organisation = _member_organisation(actor, alliance, kind, name, city, now)
    return _join(actor, alliance, organisation, required, now)


def set_required(actor: User, member: AllianceMember, required: bool, now: datetime) -> None:
    _check_manages(actor, member.alliance)
    member.required = required
    db.session.flush()
    audit.record(actor, "alliance.member_required", member, now, required=required)


def remove_member(actor: User, member: AllianceMember, now: datetime) -> None:
    """Remove a member and its delegates (their links stop working). Past answers, invitations and
    attendance keep the organisation, so the history stays readable."""
    alliance = member.alliance
    _check_manages(actor, alliance)
    audit.record(actor, "alliance.member_remove", member, now, organisation_id=member.organisation_id)
    alliance.members.remove(member)
    db.session.flush()


def clean_email(email: str | None, field: str = "email") -> str:
    """The address in lower case, or a DomainError for ``field``."""
    email = (email or "").strip()
    if not email:
        raise DomainError("Please enter an e-mail address.", field=field)
    try:
        email = validate_email(email, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise DomainError("“%(value)s” is not a valid e-mail address.", field=field, value=email) from None
    if len(email) > EMAIL_MAX_LENGTH:
        raise DomainError("Please enter a valid e-mail address.", field=field)
    return email


def clean_person_name(name: str | None, field: str = "name") -> str:
    name = _tidy(name)
    if not name:
        raise DomainError("Please enter a name.", field=field)
    if len(name) > NAME_MAX_LENGTH:
        raise DomainError("The name may have at most %(n)d characters.", field=field, n=NAME_MAX_LENGTH)
    return name


def _new_delegate(member: AllianceMember, name: str | None, email: str | None, function: str | None,
                  now: datetime) -> AllianceDelegate:
    name, email, function = clean_person_name(name), clean_email(email), _tidy(function) or None
    if function is not None and len(function) > FUNCTION_MAX_LENGTH:
        raise DomainError("The function may have at most %(n)d characters.", field="function", n=FUNCTION_MAX_LENGTH)
    if any(delegate.email == email for delegate in member.delegates):
        raise DomainError("%(email)s is already a delegate of this organisation.", field="email", email=email)
    delegate = AllianceDelegate(name=name, email=email, function=function, created_at=now)
    member.delegates.append(delegate)
    db.session.flush()
    return delegate


def add_delegate(actor: User, member: AllianceMember, name: str | None, email: str | None, function: str | None,
                 now: datetime, base_url: str) -> AllianceDelegate:
    """Add a delegate to a member organisation. If a poll is open or a meeting's date is fixed, the
    delegate receives the poll or the invitation at once (with a personal link)."""
    from scheduler_app.domain.meetings import welcome_delegate  # meetings builds on this module

    _check_manages(actor, member.alliance)
    delegate = _new_delegate(member, name, email, function, now)
    welcome_delegate(delegate, now, base_url)
    audit.record(actor, "alliance.delegate_add", delegate, now, member_id=member.id)
    return delegate


def remove_delegate(actor: User, delegate: AllianceDelegate, now: datetime) -> None:
    """Remove a delegate: every link of theirs stops working; their past answers keep their name."""
    member = delegate.member
    _check_manages(actor, member.alliance)
    audit.record(actor, "alliance.delegate_remove", delegate, now, member_id=member.id)
    member.delegates.remove(delegate)
    db.session.flush()


def show_link(actor: User, delegate: AllianceDelegate, now: datetime) -> str:
    """A new personal link for the delegate, shown once to the coordinator (to pass it on by phone,
    as with contacts' invitations); the delegate's other links keep working."""
    _check_manages(actor, delegate.member.alliance)
    token = delegate_links.issue(now, delegate=delegate)
    audit.record(actor, "alliance.delegate_link", delegate, now)
    return token


def withdraw_links(actor: User, delegate: AllianceDelegate, now: datetime) -> int:
    """Withdraw every link of the delegate (a mail went to the wrong person); the next mail brings a new one."""
    _check_manages(actor, delegate.member.alliance)
    count = delegate_links.revoke_all(delegate, now)
    audit.record(actor, "alliance.delegate_links_withdraw", delegate, now, count=count)
    return count


# --- importing members and delegates from a list -----------------------------------------------------

@dataclass(frozen=True)
class MemberRow:
    row: int
    organisation: str
    kind: OrganisationKind
    name: str
    email: str
    function: str | None
    required: bool


def _columns(header: list[str]) -> dict[str, int | None]:
    lowered = [cell.strip().lower() for cell in header]
    return {key: next((index for index, cell in enumerate(lowered) if cell in names), None)
            for key, names in IMPORT_HEADERS.items()}


def read_member_list(filename: str, data: bytes) -> list[MemberRow]:
    """The rows of a member list: Organisation, Art, Delegierte/r, E-Mail, and optionally Funktion and
    Pflichtmitglied (ja/nein). One row per delegate; an organisation with two delegates has two rows.
    Every row is checked; all bad rows are reported together."""
    rows = read_rows(filename, data, MAX_IMPORT_ROWS)
    columns = _columns(rows[0][1])
    if any(columns[key] is None for key in IMPORT_HEADERS if key not in OPTIONAL_IMPORT_COLUMNS):
        raise DomainError("The file needs the columns 'Organisation', 'Art', 'Delegierte/r' and 'E-Mail'.", field="file")
    rows = rows[1:]
    if not rows:
        raise DomainError("The file is empty.", field="file")
    if len(rows) > MAX_IMPORT_ROWS:
        raise DomainError("The file has more than %(n)d rows.", field="file", n=MAX_IMPORT_ROWS)
    parsed, problems, seen = [], [], set()
    for number, row in rows:
        cells = {key: (row[index] if index is not None and index < len(row) else "") for key, index in columns.items()}
        kind = IMPORT_KINDS.get(cells["kind"].strip().lower())
        required = cells["required"].strip().lower()
        try:
            if not cells["organisation"] or len(cells["organisation"]) > NAME_MAX_LENGTH:
                raise DomainError(N_("Please enter the organisation's name (at most 200 characters)."))
            if kind is None:
                raise DomainError(N_("The kind must be Agentur, Kammer, Bildungsträger, Unternehmen or Schule, not '%(value)s'."),
                                  value=cells["kind"])
            if required not in YES_WORDS | NO_WORDS:
                raise DomainError(N_("'Pflichtmitglied' must be 'ja' or 'nein', not '%(value)s'."), value=cells["required"])
            name, email = clean_person_name(cells["name"]), clean_email(cells["email"])
            if len(cells["function"]) > FUNCTION_MAX_LENGTH:
                raise DomainError("The function may have at most %(n)d characters.", n=FUNCTION_MAX_LENGTH)
            key = (kind, cells["organisation"].lower(), email)
            if key in seen:
                raise DomainError(N_("%(email)s appears twice for the same organisation."), email=email)
        except DomainError as error:
            problems.append(RowProblem(number, error.message, error.params))
            continue
        seen.add(key)
        parsed.append(MemberRow(number, cells["organisation"], kind, name, email, cells["function"] or None,
                                required in YES_WORDS))
    if problems:
        raise FileRowsError(problems)
    return parsed


@dataclass
class ImportResult:
    members: int = 0
    delegates: int = 0


def import_members(actor: User, alliance: Alliance, rows: list[MemberRow], now: datetime, base_url: str) -> ImportResult:
    """Add the listed organisations as members (existing members keep their place; a "ja" makes them
    required) and their delegates. All rows or none: every refused row is reported and nothing is kept."""
    from scheduler_app.domain.meetings import welcome_delegate

    _check_manages(actor, alliance)
    result, problems = ImportResult(), []
    with db.session.begin_nested():  # a savepoint: rolled back when any row fails
        members = {member.organisation_id: member for member in alliance.members}
        for row in rows:
            try:
                organisation = _member_organisation(actor, alliance, row.kind, row.organisation, None, now)
                member = members.get(organisation.id)
                if member is None:
                    member = members[organisation.id] = _join(actor, alliance, organisation, False, now)
                    result.members += 1
                member.required = member.required or row.required
                delegate = _new_delegate(member, row.name, row.email, row.function, now)
                welcome_delegate(delegate, now, base_url)
                result.delegates += 1
            except NotAllowed:
                raise
            except DomainError as error:
                problems.append(RowProblem(row.row, error.message, error.params))
        if problems:
            raise FileRowsError(problems)
    audit.record(actor, "alliance.import", alliance, now, members=result.members, delegates=result.delegates)
    return result


# --- attendance over time ---------------------------------------------------------------------------

ATTENDED, ABSENT, NOT_RECORDED, NOT_INVITED = "attended", "absent", "not_recorded", "not_invited"


@dataclass
class AttendanceRow:
    organisation: Organisation
    required: bool
    cells: list[str] = field(default_factory=list)  # one per held meeting, oldest first

    @property
    def attended(self) -> int:
        return self.cells.count(ATTENDED)

    @property
    def invited(self) -> int:
        return sum(1 for cell in self.cells if cell != NOT_INVITED)


def attendance(alliance: Alliance, held_meetings: list) -> list[AttendanceRow]:
    """Per current member (by name): for each held meeting, whether someone of the organisation
    (a delegate or a substitute) attended, was absent, was not recorded, or was not invited."""
    status: dict[tuple[int, int], str] = {}
    by_meeting_org: dict[tuple[int, int], list] = defaultdict(list)
    for meeting in held_meetings:
        for invitation in meeting.invitations:
            by_meeting_org[(meeting.id, invitation.organisation_id)].append(invitation.attended)
    for key, marks in by_meeting_org.items():
        status[key] = ATTENDED if any(marks) else (NOT_RECORDED if all(mark is None for mark in marks) else ABSENT)
    rows = []
    for member in sorted(alliance.members, key=lambda m: (m.organisation.name.casefold(), m.id)):
        rows.append(AttendanceRow(member.organisation, member.required,
                                  [status.get((meeting.id, member.organisation_id), NOT_INVITED) for meeting in held_meetings]))
    return rows
