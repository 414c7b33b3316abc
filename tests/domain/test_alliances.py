"""Alliances, members and delegates: who may manage them, organisations found or registered on the
way, delegates without accounts, and the member list import (all rows or none)."""
from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select

from scheduler_app.domain import alliances, delegate_links
from scheduler_app.domain.delegate_links import LinkUnknown
from scheduler_app.domain.errors import DomainError, NotAllowed
from scheduler_app.domain.rosters import FileRowsError
from scheduler_app.domain.scope import works_with
from scheduler_app.models import AllianceDelegate, AllianceMember, DelegateLink, Organisation, OrganisationKind
from tests.factories import (
    agency_of,
    make_alliance,
    make_coordinator,
    make_delegate,
    make_member,
    make_organisation,
)

NOW = datetime(2027, 1, 10, 9, 0)
BASE_URL = "https://bo.example.org"


def _alliance():
    coordinator = make_coordinator()
    return coordinator, make_alliance(agency_of(coordinator), name="Fachkräftebündnis Nord", federal_state="NI")


def test_a_coordinator_creates_an_alliance_for_their_agency_only(db_session):
    coordinator = make_coordinator()
    alliance = alliances.create_alliance(coordinator, agency_of(coordinator), "  Fachkräftebündnis   Nord ", "Landkreis",
                                         "NI", NOW)
    assert (alliance.name, alliance.federal_state) == ("Fachkräftebündnis Nord", "NI")
    assert alliances.alliances_of(coordinator) == [alliance]

    with pytest.raises(DomainError) as caught:
        alliances.create_alliance(coordinator, agency_of(coordinator), "fachkräftebündnis nord", None, None, NOW)
    assert caught.value.field == "name"
    with pytest.raises(DomainError) as caught:
        alliances.create_alliance(coordinator, agency_of(coordinator), "Anderes", None, "XX", NOW)
    assert caught.value.field == "federal_state"
    with pytest.raises(NotAllowed):
        alliances.create_alliance(make_coordinator(), agency_of(coordinator), "Fremd", None, None, NOW)


def test_only_the_coordinating_agencys_coordinators_manage_an_alliance(db_session):
    coordinator, alliance = _alliance()
    other = make_coordinator()
    assert alliances.may_manage(coordinator, alliance) and not alliances.may_manage(other, alliance)
    with pytest.raises(NotAllowed):
        alliances.add_member(other, alliance, NOW, kind=OrganisationKind.chamber, name="IHK")
    assert alliances.alliances_of(other) == []


def test_a_new_member_is_registered_on_the_way_as_a_partner_of_the_alliances_agency(db_session):
    coordinator, alliance = _alliance()

    member = alliances.add_member(coordinator, alliance, NOW, kind=OrganisationKind.chamber, name="IHK Nord", required=True)

    assert member.organisation.kind is OrganisationKind.chamber and member.required
    assert works_with(coordinator, member.organisation)


def test_an_organisation_only_another_agency_works_with_becomes_a_member_without_its_contacts(db_session):
    """A job centre or chamber sits in several alliances: it is linked by name, but the alliance's
    agency does not start working with it, so its contacts and pupils stay out of reach."""
    coordinator, alliance = _alliance()
    elsewhere = make_organisation(OrganisationKind.school, name="Gymnasium Süd", partner_of=make_coordinator().memberships[0].organisation)

    member = alliances.add_member(coordinator, alliance, NOW, kind=OrganisationKind.school, name="gymnasium süd")

    assert member.organisation == elsewhere
    assert not works_with(coordinator, elsewhere)


def test_an_organisation_the_agency_works_with_is_chosen_from_the_list_and_never_twice(db_session):
    coordinator, alliance = _alliance()
    company = make_organisation(OrganisationKind.company, name="Stadtwerke", partner_of=agency_of(coordinator))
    alliances.add_member(coordinator, alliance, NOW, organisation=company)

    with pytest.raises(DomainError) as caught:
        alliances.add_member(coordinator, alliance, NOW, kind=OrganisationKind.company, name="Stadtwerke")
    assert caught.value.field == "name" and "already a member" in caught.value.message
    with pytest.raises(NotAllowed):  # a forged id of an organisation the agency does not work with
        alliances.add_member(coordinator, alliance, NOW, organisation=make_organisation(OrganisationKind.company))


def test_a_delegate_is_a_person_without_account_and_an_email_appears_once_per_organisation(db_session):
    coordinator, alliance = _alliance()
    member = make_member(alliance, delegates=0)

    delegate = alliances.add_delegate(coordinator, member, "Dana Meyer", " Dana.Meyer@Example.org ", "Geschäftsführerin",
                                      NOW, BASE_URL)

    assert (delegate.email, delegate.function) == ("dana.meyer@example.org", "Geschäftsführerin")
    with pytest.raises(DomainError) as caught:
        alliances.add_delegate(coordinator, member, "Dana", "DANA.MEYER@example.org", None, NOW, BASE_URL)
    assert caught.value.field == "email"
    with pytest.raises(DomainError) as caught:
        alliances.add_delegate(coordinator, member, "Ohne Adresse", "kein-at-zeichen", None, NOW, BASE_URL)
    assert caught.value.field == "email"
    assert len(member.delegates) == 1


def test_removing_a_delegate_or_withdrawing_links_makes_the_links_unknown(db_session):
    coordinator, alliance = _alliance()
    member = make_member(alliance, delegates=0)
    delegate = make_delegate(member)
    first = alliances.show_link(coordinator, delegate, NOW)
    assert delegate_links.open_link(first).delegate == delegate

    assert alliances.withdraw_links(coordinator, delegate, NOW) == 1
    with pytest.raises(LinkUnknown):
        delegate_links.open_link(first)
    second = alliances.show_link(coordinator, delegate, NOW)
    assert delegate_links.open_link(second).organisation == member.organisation

    alliances.remove_delegate(coordinator, delegate, NOW)
    with pytest.raises(LinkUnknown):
        delegate_links.open_link(second)
    assert db_session.scalar(select(func.count(DelegateLink.id))) == 0


def test_links_store_only_hashes_and_unknown_or_overlong_tokens_are_refused(db_session):
    _coordinator, alliance = _alliance()
    token = delegate_links.issue(NOW, delegate=make_delegate(make_member(alliance, delegates=0)))
    assert len(token) >= 43
    assert db_session.scalar(select(DelegateLink.token_hash)) != token
    for wrong in ("", token[:-1], "x" * 500):
        with pytest.raises(LinkUnknown):
            delegate_links.open_link(wrong)


def test_removing_a_member_removes_its_delegates(db_session):
    coordinator, alliance = _alliance()
    member = make_member(alliance, delegates=2)
    alliances.remove_member(coordinator, member, NOW)
    assert db_session.scalar(select(func.count(AllianceDelegate.id))) == 0
    assert db_session.scalar(select(func.count(AllianceMember.id))) == 0


MEMBER_LIST = (
    "Organisation;Art;Delegierte/r;E-Mail;Funktion;Pflichtmitglied\r\n"
    "IHK Nord;Kammer;Dana Meyer;dana@ihk.example;Ausbildungsberaterin;ja\r\n"
    "IHK Nord;Kammer;Olaf Brinkmann;olaf@ihk.example;;\r\n"
    "Stadtwerke;Unternehmen;Eva Schulte;eva@stadtwerke.example;Personal;nein\r\n"
)


def test_a_member_list_adds_members_and_their_delegates(db_session):
    coordinator, alliance = _alliance()
    make_organisation(OrganisationKind.company, name="Stadtwerke", partner_of=agency_of(coordinator))

    rows = alliances.read_member_list("mitglieder.csv", MEMBER_LIST.encode("cp1252"))
    result = alliances.import_members(coordinator, alliance, rows, NOW, BASE_URL)

    assert (result.members, result.delegates) == (2, 3)
    members = {member.organisation.name: member for member in alliance.members}
    assert members["IHK Nord"].required and not members["Stadtwerke"].required
    assert [d.name for d in members["IHK Nord"].delegates] == ["Dana Meyer", "Olaf Brinkmann"]
    assert members["IHK Nord"].organisation.kind is OrganisationKind.chamber


def test_a_member_list_with_bad_rows_reports_all_of_them_with_row_numbers(db_session):
    data = ("Organisation;Art;Delegierte/r;E-Mail;Pflichtmitglied\n"
            "IHK Nord;Kammer;Dana;dana@ihk.example;ja\n"
            ";Kammer;Ohne Organisation;x@ihk.example;\n"
            "Firma;Zirkus;Clown;clown@example.org;\n"
            "Firma;Unternehmen;Ohne Adresse;keine-adresse;\n"
            "IHK Nord;Kammer;Dana doppelt;DANA@ihk.example;\n"
            "Firma;Unternehmen;Vielleicht;v@example.org;vielleicht\n")
    with pytest.raises(FileRowsError) as caught:
        alliances.read_member_list("liste.csv", data.encode())
    assert [problem.row for problem in caught.value.problems] == [3, 4, 5, 6, 7]


def test_a_member_list_whose_rows_the_domain_refuses_keeps_nothing(db_session):
    coordinator, alliance = _alliance()
    member = make_member(alliance, organisation=make_organisation(OrganisationKind.chamber, name="IHK Nord"), delegates=0)
    make_delegate(member, email="olaf@ihk.example")
    organisations_before = db_session.scalar(select(func.count(Organisation.id)))

    rows = alliances.read_member_list("mitglieder.csv", MEMBER_LIST.encode())
    with pytest.raises(FileRowsError) as caught:
        alliances.import_members(coordinator, alliance, rows, NOW, BASE_URL)

    assert [problem.row for problem in caught.value.problems] == [3]  # olaf@ihk.example is a delegate already
    assert db_session.scalar(select(func.count(Organisation.id))) == organisations_before
    assert [m.organisation.name for m in alliance.members] == ["IHK Nord"] and len(member.delegates) == 1


def test_a_member_list_without_the_needed_columns_is_refused(db_session):
    with pytest.raises(DomainError) as caught:
        alliances.read_member_list("liste.csv", "Name;Mail\nA;a@example.org\n".encode())
    assert caught.value.field == "file"
    with pytest.raises(DomainError):
        alliances.read_member_list("liste.pdf", b"%PDF-1.4")


def test_attendance_per_organisation_over_held_meetings(db_session):
    from scheduler_app.models import InvitationReply, MeetingInvitation
    from tests.factories import make_alliance_meeting

    _coordinator, alliance = _alliance()
    faithful, drifting = make_member(alliance), make_member(alliance)
    meetings = []
    for index, (first, second) in enumerate(((True, True), (True, False), (True, None))):
        meeting = make_alliance_meeting(alliance, candidates=[datetime(2026, 3 + index, 3, 14)], chosen=0)
        for member, attended in ((faithful, first), (drifting, second)):
            meeting.invitations.append(MeetingInvitation(organisation=member.organisation, name="X", email="x@example.org",
                                                         reply=InvitationReply.accepted, attended=attended))
        meetings.append(meeting)
    db_session.flush()

    rows = {row.organisation: row for row in alliances.attendance(alliance, meetings)}

    assert rows[faithful.organisation].cells == ["attended"] * 3 and rows[faithful.organisation].attended == 3
    assert rows[drifting.organisation].cells == ["attended", "absent", "not_recorded"]
    newcomer = make_member(alliance)
    assert {row.organisation: row.cells for row in alliances.attendance(alliance, meetings)}[newcomer.organisation] == ["not_invited"] * 3
