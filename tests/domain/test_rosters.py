"""Reading uploaded rosters and contact lists (CSV from German Excel, XLSX), and importing contacts."""
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from scheduler_app.domain.errors import DomainError, NotAllowed
from scheduler_app.domain.rosters import FileRowsError, import_contact_list, read_contact_list, read_roster
from scheduler_app.domain.organisations import REGISTERED_ELSEWHERE
from scheduler_app.domain.scope import works_with
from scheduler_app.extensions import db
from scheduler_app.models import Invitation, Organisation, OrganisationKind, OutgoingMail
from tests import factories as f
from tests.hostile_files import workbook as xlsx

NOW = datetime(2027, 1, 10, 9, 0)


def test_csv_from_german_excel_in_cp1252_with_semicolons():
    data = "Nr;Anzeigename;Bemerkung\r\n1;Jürgen S.;\r\n2;Özlem K.;Rollstuhl\r\n\r\n3;Anna-Lena Weiß;\r\n".encode("cp1252")
    assert read_roster("Klasse 9a.CSV", data) == ["Jürgen S.", "Özlem K.", "Anna-Lena Weiß"]


def test_csv_in_utf8_with_bom_and_commas():
    data = "\ufeffdisplay_name,grade\nJürgen S.,9\nÖzlem K.,9\n".encode("utf-8")
    assert read_roster("roster.csv", data) == ["Jürgen S.", "Özlem K."]


def test_a_single_column_without_header_is_a_list_of_names():
    assert read_roster("namen.csv", "Jürgen S.\nÖzlem K.\n".encode()) == ["Jürgen S.", "Özlem K."]


def test_xlsx_first_sheet_with_a_name_column():
    data = xlsx([["Klasse", "NAME"], ["9a", "Jürgen S."], ["9a", None], ["9a", 42], [None, None], ["9a", "Özlem K."]])
    assert read_roster("klasse.xlsx", data) == ["Jürgen S.", "42", "Özlem K."]


def test_wrong_columns_ask_for_a_name_column():
    with pytest.raises(DomainError, match="needs a column 'Name'") as error:
        read_roster("liste.csv", b"Vorname;Nachname\nAnna;Schmidt\n")
    assert error.value.field == "file"
    with pytest.raises(DomainError, match="needs a column 'Name'"):
        read_roster("liste.xlsx", xlsx([["Vorname", "Nachname"], ["Anna", "Schmidt"]]))


@pytest.mark.parametrize("filename, data, message", [
    ("liste.pdf", b"%PDF-1.4", "Please upload a .csv or .xlsx file"),
    ("liste", b"Name\nAnna\n", "Please upload a .csv or .xlsx file"),
    ("liste.xlsx", b"Name;Anna", "could not be read as an Excel workbook"),
    ("liste.csv", b"", "The file is empty"),
    ("liste.csv", b"\r\n;;\r\n", "The file is empty"),
    ("liste.csv", b"Name\n\n", "contains no names"),
    ("liste.csv", b"x" * (1024 * 1024 + 1), "larger than 1 MB"),
])
def test_wrong_format_empty_or_oversized_files_are_refused(filename, data, message):
    with pytest.raises(DomainError, match=message):
        read_roster(filename, data)


def test_more_than_60_names_are_refused():
    data = "\n".join(["Name", *(f"Schüler {n}" for n in range(61))]).encode()
    with pytest.raises(DomainError, match="more than 60 names"):
        read_roster("liste.csv", data)
    assert len(read_roster("liste.csv", data.rsplit(b"\n", 1)[0])) == 60


def test_an_xlsx_with_more_than_60_names_is_refused():
    with pytest.raises(DomainError, match="more than 60 names"):
        read_roster("liste.xlsx", xlsx([["Name"], *([f"Schüler {n}"] for n in range(200))]))


def test_names_longer_than_60_characters_are_reported_with_their_rows():
    data = "\n".join(["Name", "Anna", "x" * 61, "Ben", "y" * 70]).encode()
    with pytest.raises(FileRowsError) as error:
        read_roster("liste.csv", data)
    assert [problem.row for problem in error.value.problems] == [3, 5]


CONTACTS = (
    "Organisation;Art;Ansprechperson;E-Mail\n"
    "Gymnasium Carolinum;Schule;Frau Becker;Becker@Carolinum.de\n"
    "Hellweg Logistik GmbH;Unternehmen;Herr Yilmaz;yilmaz@hellweg.example\n"
)


def test_contact_list_rows_are_read_with_kind_and_normalised_email():
    rows = read_contact_list("kontakte.csv", CONTACTS.encode("cp1252"))
    assert [(r.row, r.organisation_name, r.kind, r.contact_name, r.email) for r in rows] == [
        (2, "Gymnasium Carolinum", OrganisationKind.school, "Frau Becker", "becker@carolinum.de"),
        (3, "Hellweg Logistik GmbH", OrganisationKind.company, "Herr Yilmaz", "yilmaz@hellweg.example"),
    ]


def test_contact_list_in_english_as_xlsx():
    data = xlsx([["E-mail", "Name", "Kind", "Organisation"], ["a@school.example", "Ms A", "school", "Oak School"]])
    (row,) = read_contact_list("contacts.xlsx", data)
    assert (row.organisation_name, row.kind, row.email) == ("Oak School", OrganisationKind.school, "a@school.example")


def test_every_bad_contact_row_is_reported_at_once():
    data = (CONTACTS + "Stadtwerke;Behörde;Herr Ko;ko@stadtwerke.example\n"
            "Realschule Nord;Schule;Frau Lind;keine-adresse\n"
            ";Schule;Frau Ohne;ohne@example.org\n"
            "Hellweg Logistik GmbH;Unternehmen;Frau Yilmaz;YILMAZ@hellweg.example\n").encode()
    with pytest.raises(FileRowsError) as error:
        read_contact_list("kontakte.csv", data)
    assert [(p.row, p.params) for p in error.value.problems] == [
        (4, {"value": "Behörde"}), (5, {"value": "keine-adresse"}), (6, {}), (7, {"value": "yilmaz@hellweg.example"})]
    assert error.value.params == {"count": 4}


def test_a_contact_list_without_the_columns_is_refused():
    with pytest.raises(DomainError, match="needs the columns"):
        read_contact_list("kontakte.csv", b"Organisation;E-Mail\nSchule;a@b.de\n")


def test_import_creates_missing_organisations_and_invites_each_contact(db_session):
    coordinator = f.make_coordinator()
    agency = f.agency_of(coordinator)
    existing = f.make_organisation(OrganisationKind.company, name="Hellweg Logistik GmbH", partner_of=agency)
    rows = read_contact_list("kontakte.csv", CONTACTS.encode())
    invited = import_contact_list(coordinator, agency.id, rows, NOW, "https://bo.example", timedelta(days=14))
    assert [(inv.organisation.name, inv.email) for inv, _ in invited] == [
        ("Gymnasium Carolinum", "becker@carolinum.de"), ("Hellweg Logistik GmbH", "yilmaz@hellweg.example")]
    assert invited[1][0].organisation is existing
    assert works_with(coordinator, invited[0][0].organisation)  # the new school works with the agency
    assert db.session.scalar(select(func.count(OutgoingMail.id))) == 2


def test_import_refuses_an_organisation_that_works_only_with_another_agency(db_session):
    """Otherwise a coordinator could import themselves as contact of another agency's school."""
    coordinator = f.make_coordinator()
    f.make_organisation(OrganisationKind.company, name="Hellweg Logistik GmbH", partner_of=f.make_organisation(OrganisationKind.agency))
    rows = read_contact_list("kontakte.csv", CONTACTS.encode())
    with pytest.raises(FileRowsError) as error:
        import_contact_list(coordinator, f.agency_of(coordinator).id, rows, NOW, "https://bo.example", timedelta(days=14))
    assert [(p.row, p.message) for p in error.value.problems] == [(3, REGISTERED_ELSEWHERE)]
    assert db.session.scalar(select(func.count(Invitation.id))) == 0


def test_import_keeps_nothing_when_one_row_is_refused(db_session):
    coordinator = f.make_coordinator()
    company = f.make_organisation(OrganisationKind.company, name="Hellweg Logistik GmbH", partner_of=f.agency_of(coordinator))
    f.make_company_contact(company, email="yilmaz@hellweg.example")
    rows = read_contact_list("kontakte.csv", CONTACTS.encode())
    with pytest.raises(FileRowsError) as error:
        import_contact_list(coordinator, f.agency_of(coordinator).id, rows, NOW, "https://bo.example", timedelta(days=14))
    assert [p.row for p in error.value.problems] == [3]
    assert db.session.scalar(select(Organisation.id).where(Organisation.name == "Gymnasium Carolinum")) is None
    assert db.session.scalar(select(func.count(Invitation.id))) == 0
    assert db.session.scalar(select(func.count(OutgoingMail.id))) == 0
    db.session.commit()  # the surrounding transaction is still usable
    assert db.session.get(Organisation, company.id) is company


def test_only_coordinators_import_contact_lists(db_session):
    rows = read_contact_list("kontakte.csv", CONTACTS.encode())
    with pytest.raises(NotAllowed):
        import_contact_list(f.make_school_contact(), f.make_organisation(OrganisationKind.agency).id, rows, NOW, "https://bo.example", timedelta(days=14))
    assert db.session.scalar(select(func.count(Organisation.id))) == 2  # the contact's school and the agency
