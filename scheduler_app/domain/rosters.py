"""Reading uploaded lists: class rosters and contact lists, as CSV or XLSX.

CSV files come from German Excel as often as from elsewhere: UTF-8 (with or without BOM) or
cp1252, separated by ``;`` or ``,``. XLSX files are read from their first sheet. Problems are
reported with the row numbers a spreadsheet shows (the header is row 1), all at once, so the
user fixes the file in one go; nothing is written until the whole file is good.

Uploads are untrusted, and their size says little about the work they cause (a few KB of XLSX
hold 100,000 rows; 0.9 MB unpack to a 900 MB string), so the work is bounded, not just the bytes:
a workbook's ZIP directory is checked before anything is unpacked (sizes, compression ratio, the
shared strings), a DOCTYPE in any part refuses the file (no entity is ever expanded), and at most
:data:`MAX_ROWS` rows of :data:`MAX_COLUMNS` cells are looked at, stopping early at a long run of
empty rows. The slowest file these limits admit takes about 0.7 s of CPU; hostile ones are
refused in milliseconds.
"""
from __future__ import annotations

import csv
import io
import itertools
import warnings
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from xml.parsers import expat

from email_validator import EmailNotValidError, validate_email

from scheduler_app.domain.errors import N_, DomainError, NotAllowed
from scheduler_app.domain.invitations import invite
from scheduler_app.domain.organisations import REGISTERED_ELSEWHERE, create_organisation, find_by_name
from scheduler_app.domain.scope import agency_ids, works_with
from scheduler_app.domain.text import without_control_characters
from scheduler_app.extensions import db
from scheduler_app.models import Invitation, OrganisationKind, User

MAX_FILE_BYTES = 1024 * 1024
MAX_ROSTER_ROWS = 60
MAX_CONTACT_ROWS = 500
MAX_CELL_LENGTH = 60
# the work a file may cause
MAX_ROWS = 5000  # rows looked at, empty ones included
MAX_COLUMNS = 50  # cells read from each row (A to AX)
EMPTY_ROWS_END = 100  # this many empty rows in a row end the list
MAX_PARTS = 100  # files inside a workbook (Excel writes about a dozen)
MAX_PART_BYTES = 1024 * 1024  # unpacked, any one part
MAX_UNPACKED_BYTES = 2 * 1024 * 1024  # unpacked, all parts together
MAX_SHARED_STRINGS_BYTES = 512 * 1024  # unpacked: openpyxl holds every shared string in memory
MAX_COMPRESSION_RATIO = 100  # for parts of more than RATIO_CHECKED_FROM bytes unpacked
RATIO_CHECKED_FROM = 64 * 1024
SHARED_STRINGS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
NOT_A_WORKBOOK = N_("The file could not be read as an Excel workbook (.xlsx).")
WORKBOOK_TOO_LARGE = N_("The workbook is too large to read. Please copy the list into a new workbook, or save it as CSV.")

ROSTER_HEADERS = {"name", "anzeigename", "display_name"}
CONTACT_HEADERS = {
    "organisation": {"organisation", "organization", "name der organisation", "schule/unternehmen"},
    "kind": {"art", "kind", "typ"},
    "contact_name": {"ansprechperson", "name", "ansprechpartner", "ansprechpartnerin", "contact"},
    "email": {"e-mail", "email", "e-mail-adresse", "mail"},
}
KINDS = {
    "schule": OrganisationKind.school, "school": OrganisationKind.school,
    "unternehmen": OrganisationKind.company, "company": OrganisationKind.company, "betrieb": OrganisationKind.company,
}


@dataclass(frozen=True)
class RowProblem:
    row: int
    message: str  # an English msgid; the view translates it and fills in ``params``
    params: dict = field(default_factory=dict)


class FileRowsError(DomainError):
    """Some rows of an uploaded file are wrong; ``problems`` lists each of them."""

    def __init__(self, problems: list[RowProblem]):
        super().__init__(N_("Please correct %(count)d rows in the file."), field="file", count=len(problems))
        self.problems = problems

    def __str__(self) -> str:
        return "; ".join(f"{p.row}: {p.message % p.params if p.params else p.message}" for p in self.problems)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(without_control_characters(str(value)).split())


def _bounded(rows: Iterable[Sequence], limit: int) -> list[list[str]]:
    """The rows worth reading, in file order: at most :data:`MAX_ROWS` rows of :data:`MAX_COLUMNS`
    cells. Reading stops once ``limit`` + 1 rows have text (a header and one row too many are
    enough to refuse a long file) or after :data:`EMPTY_ROWS_END` empty rows in a row (the rest of
    a sheet that claims a million rows)."""
    read: list[list[str]] = []
    filled = empty_run = 0
    for values in itertools.islice(rows, MAX_ROWS):
        row = [_text(value) for value in itertools.islice(values, MAX_COLUMNS)]
        read.append(row)
        if any(row):
            filled, empty_run = filled + 1, 0
            if filled > limit + 1:
                break
        else:
            empty_run += 1
            if empty_run >= EMPTY_ROWS_END:
                break
    return read


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _csv_rows(text: str, limit: int) -> list[list[str]]:
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=";,\t")
        delimiter = dialect.delimiter
    except csv.Error:
        first = sample.splitlines()[0] if sample.splitlines() else ""
        delimiter = ";" if first.count(";") >= first.count(",") and ";" in first else ("," if "," in first else ";")
    try:
        return _bounded(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), limit)
    except csv.Error as error:
        raise DomainError("The file could not be read as CSV (%(reason)s).", field="file", reason=str(error)) from None


class _Doctype(Exception):
    pass


def _refuse_doctype(*_args) -> None:
    raise _Doctype


def _declares_doctype(part) -> bool:
    """Whether the XML parser openpyxl uses (expat) meets a DOCTYPE in this part (a binary file
    object), in any encoding it reads: a UTF-16 part hides "<!DOCTYPE" from a byte search. Parsing
    stops at the DOCTYPE, before any entity is declared; a part that is not XML stops it at once."""
    parser = expat.ParserCreate()
    parser.StartDoctypeDeclHandler = _refuse_doctype
    try:
        while chunk := part.read(64 * 1024):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except _Doctype:
        return True
    except expat.ExpatError:
        return False
    return False


def _shared_strings_parts(archive: zipfile.ZipFile) -> set[str]:
    """The parts the manifest declares as shared strings (where openpyxl looks for them, whatever their names)."""
    names: set[str] = set()

    def start(tag, attributes):
        if tag.endswith("Override") and attributes.get("ContentType") == SHARED_STRINGS_TYPE:
            names.add(attributes.get("PartName", "").lstrip("/"))

    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartElementHandler = start
    try:
        parser.Parse(archive.read("[Content_Types].xml"), True)
    except (KeyError, expat.ExpatError):
        raise DomainError(NOT_A_WORKBOOK, field="file") from None
    return names


def _check_workbook(data: bytes) -> None:
    """Refuse a workbook before openpyxl unpacks it: sizes and compression ratios from the ZIP
    directory (an entry never unpacks to more than its stated size: zipfile stops there and fails
    the checksum), a DOCTYPE in any part, and the size of the shared strings."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError):
        raise DomainError(NOT_A_WORKBOOK, field="file") from None
    parts = archive.infolist()
    if (len(parts) > MAX_PARTS
            or sum(part.file_size for part in parts) > MAX_UNPACKED_BYTES
            or any(part.file_size > MAX_PART_BYTES for part in parts)
            or any(part.file_size > RATIO_CHECKED_FROM and part.file_size > MAX_COMPRESSION_RATIO * part.compress_size
                   for part in parts)):
        raise DomainError(WORKBOOK_TOO_LARGE, field="file")
    try:
        for part in parts:
            with archive.open(part) as stream:
                if _declares_doctype(stream):
                    raise DomainError(NOT_A_WORKBOOK, field="file")
        shared_strings = _shared_strings_parts(archive)
    except (zipfile.BadZipFile, NotImplementedError, RuntimeError, EOFError, OSError, ValueError):
        raise DomainError(NOT_A_WORKBOOK, field="file") from None  # a broken or encrypted part, an unknown compression
    if any(part.file_size > MAX_SHARED_STRINGS_BYTES for part in parts if part.filename in shared_strings):
        raise DomainError(WORKBOOK_TOO_LARGE, field="file")


def _xlsx_rows(data: bytes, limit: int) -> list[list[str]]:
    from openpyxl import load_workbook

    _check_workbook(data)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles and extensions it ignores
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                sheet = workbook.worksheets[0]
                # the bounds also keep openpyxl from padding rows to the dimension the sheet claims
                return _bounded(sheet.iter_rows(max_row=MAX_ROWS, max_col=MAX_COLUMNS, values_only=True), limit)
            finally:
                workbook.close()
    except Exception:  # noqa: BLE001 - openpyxl turns malformed parts into any of a dozen exception types
        raise DomainError(NOT_A_WORKBOOK, field="file") from None


def _rows(filename: str, data: bytes, limit: int) -> list[tuple[int, list[str]]]:
    """The file's non-empty rows with their row numbers (1 = first row)."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension not in ("csv", "xlsx"):
        raise DomainError("Please upload a .csv or .xlsx file.", field="file")
    if len(data) > MAX_FILE_BYTES:
        raise DomainError("The file is larger than %(n)d MB.", field="file", n=MAX_FILE_BYTES // (1024 * 1024))
    rows = _xlsx_rows(data, limit) if extension == "xlsx" else _csv_rows(_decode(data), limit)
    numbered = [(number, row) for number, row in enumerate(rows, start=1) if any(row)]
    if not numbered:
        raise DomainError("The file is empty.", field="file")
    return numbered


def read_rows(filename: str, data: bytes, limit: int) -> list[tuple[int, list[str]]]:
    """The non-empty rows of an uploaded CSV or XLSX file with their row numbers, read with the same
    limits as rosters and contact lists (for other lists, e.g. alliance members)."""
    return _rows(filename, data, limit)


def _header_index(header: list[str], names: set[str]) -> int | None:
    for index, cell in enumerate(header):
        if cell.strip().lower() in names:
            return index
    return None


def read_roster(filename: str, data: bytes) -> list[str]:
    """The display names in an uploaded roster, in file order.

    The file has a header row with a column "Name", "Anzeigename" or "display_name" (any case), or
    a single column of names without a header. At most 60 names of at most 60 characters each.
    """
    rows = _rows(filename, data, MAX_ROSTER_ROWS)
    column = _header_index(rows[0][1], ROSTER_HEADERS)
    if column is not None:
        rows = rows[1:]
    elif all(sum(1 for cell in row if cell) == 1 and row[0] for _, row in rows):
        column = 0
    else:
        raise DomainError("The file needs a column 'Name'.", field="file")
    entries = [(number, row[column] if column < len(row) else "") for number, row in rows]
    entries = [(number, name) for number, name in entries if name]
    if not entries:
        raise DomainError("The file contains no names.", field="file")
    if len(entries) > MAX_ROSTER_ROWS:
        raise DomainError("The file has more than %(n)d names.", field="file", n=MAX_ROSTER_ROWS)
    too_long = [RowProblem(number, N_("The name may have at most %(n)d characters."), {"n": MAX_CELL_LENGTH})
                for number, name in entries if len(name) > MAX_CELL_LENGTH]
    if too_long:
        raise FileRowsError(too_long)
    return [name for _, name in entries]


@dataclass(frozen=True)
class ContactRow:
    row: int
    organisation_name: str
    kind: OrganisationKind
    contact_name: str
    email: str


def read_contact_list(filename: str, data: bytes) -> list[ContactRow]:
    """The rows of a contact list with columns Organisation, Art (Schule/Unternehmen),
    Ansprechperson and E-Mail (German or English headings, any case and order). Every row is
    checked; all bad rows are reported together."""
    rows = _rows(filename, data, MAX_CONTACT_ROWS)
    header = rows[0][1]
    columns = {key: _header_index(header, names) for key, names in CONTACT_HEADERS.items()}
    if any(index is None for index in columns.values()):
        raise DomainError("The file needs the columns 'Organisation', 'Art', 'Ansprechperson' and 'E-Mail'.", field="file")
    rows = rows[1:]
    if not rows:
        raise DomainError("The file is empty.", field="file")
    if len(rows) > MAX_CONTACT_ROWS:
        raise DomainError("The file has more than %(n)d rows.", field="file", n=MAX_CONTACT_ROWS)
    contacts, problems, seen = [], [], set()
    for number, row in rows:
        cells = {key: row[index] if index < len(row) else "" for key, index in columns.items()}
        kind = KINDS.get(cells["kind"].lower())
        if not cells["organisation"] or len(cells["organisation"]) > 200:
            problems.append(RowProblem(number, N_("Please enter the organisation's name (at most 200 characters).")))
            continue
        if kind is None:
            problems.append(RowProblem(number, N_("The kind must be 'Schule' or 'Unternehmen', not '%(value)s'."),
                                       {"value": cells["kind"]}))
            continue
        if not cells["contact_name"] or len(cells["contact_name"]) > 200:
            problems.append(RowProblem(number, N_("Please enter the contact person's name (at most 200 characters).")))
            continue
        try:
            email = validate_email(cells["email"], check_deliverability=False).normalized.lower()
        except EmailNotValidError:
            problems.append(RowProblem(number, N_("'%(value)s' is not a valid e-mail address."), {"value": cells["email"]}))
            continue
        if email in seen:
            problems.append(RowProblem(number, N_("The e-mail address %(value)s appears more than once."), {"value": email}))
            continue
        seen.add(email)
        contacts.append(ContactRow(number, cells["organisation"], kind, cells["contact_name"], email))
    if problems:
        raise FileRowsError(problems)
    return contacts


def import_contact_list(actor: User, agency_id: int, rows: list[ContactRow], now: datetime, base_url: str,
                        ttl: timedelta) -> list[tuple[Invitation, str]]:
    """Register the organisations that do not exist yet (matched by kind and name, ignoring case) as
    partners of the agency ``agency_id`` and invite each row's contact; returns what
    :func:`invitations.invite` returns, per row. An existing organisation must already work with the
    actor's agencies (see :mod:`scheduler_app.domain.scope`). All rows or none: if any row is refused,
    every refused row is reported and nothing is kept."""
    if agency_id not in agency_ids(actor):
        raise NotAllowed("Only coordinators may invite contacts.")
    invited, problems = [], []
    with db.session.begin_nested():  # a savepoint: rolled back when any row fails
        for row in rows:
            organisation = find_by_name(row.kind, row.organisation_name)
            try:
                if organisation is None:
                    organisation = create_organisation(actor, row.kind, row.organisation_name, None, now, agency_id)
                elif not works_with(actor, organisation):
                    raise DomainError(REGISTERED_ELSEWHERE)
                invited.append(invite(actor, organisation, row.email, row.contact_name, now, ttl, base_url))
            except NotAllowed:
                raise
            except DomainError as error:
                problems.append(RowProblem(row.row, error.message, error.params))
        if problems:
            raise FileRowsError(problems)
    return invited
