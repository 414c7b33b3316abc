"""Hostile uploads are answered with a message at once: the reader bounds the work a file causes
(rows, columns, unpacked bytes, shared strings, DOCTYPEs), not only the upload's size.

Each test asserts the message and what was (not) done: openpyxl never sees a workbook the ZIP
directory already refuses, and no more rows are visited than the bounds allow. The wall-clock
ceiling is generous so it cannot flake on a busy machine; ``python -m benchmarks.uploads`` prints
the real times (milliseconds for most files).
"""
import time

import openpyxl
import pytest

from scheduler_app.domain import rosters
from scheduler_app.domain.errors import DomainError
from tests import hostile_files as hostile

CEILING_SECONDS = 10
NOT_A_WORKBOOK = "could not be read as an Excel workbook"
TOO_LARGE = "The workbook is too large to read"


@pytest.fixture
def work(monkeypatch):
    """Counts what the reader does: rows it visited, and whether openpyxl opened the workbook."""
    counts = {"rows": 0, "opened": 0}
    bounded, load_workbook = rosters._bounded, openpyxl.load_workbook

    def counting_rows(rows, limit):
        def counted():
            for row in rows:
                counts["rows"] += 1
                yield row
        return bounded(counted(), limit)

    def counting_load(*args, **kwargs):
        counts["opened"] += 1
        return load_workbook(*args, **kwargs)

    monkeypatch.setattr(rosters, "_bounded", counting_rows)
    monkeypatch.setattr(openpyxl, "load_workbook", counting_load)
    return counts


def _refused(filename: str, data: bytes, message: str) -> float:
    started = time.perf_counter()
    with pytest.raises(DomainError, match=message) as error:
        rosters.read_roster(filename, data)
    seconds = time.perf_counter() - started
    assert error.value.field == "file"
    assert seconds < CEILING_SECONDS
    return seconds


def test_100000_empty_rows_in_3_kb_are_refused_before_openpyxl_reads_them(work):
    data = hostile.empty_rows(100_000)
    assert len(data) < 8 * 1024
    _refused("liste.xlsx", data, TOO_LARGE)  # 600 KB of "<row/>" pack 100:1 and more
    assert work["opened"] == 0


def test_reading_stops_at_a_long_run_of_empty_rows(work):
    """20,000 numbered empty rows pack too loosely for the ratio check, so the row bounds do the work."""
    _refused("liste.xlsx", hostile.empty_rows(20_000, then="Anna"), "contains no names")
    assert work["rows"] == 1 + rosters.EMPTY_ROWS_END


def test_a_huge_shared_string_is_refused_from_the_zip_directory(work):
    _refused("liste.xlsx", hostile.huge_shared_string(64_000_000), TOO_LARGE)
    assert work["opened"] == 0


def test_shared_strings_over_their_limit_are_refused_even_when_every_other_limit_holds(work):
    text = hostile.words(rosters.MAX_SHARED_STRINGS_BYTES + 1000)  # packs about 10:1, within every other limit
    _refused("liste.xlsx", hostile.shared_strings(text), TOO_LARGE)
    assert work["opened"] == 0
    assert rosters.read_roster("liste.xlsx", hostile.shared_strings(b"Anna")) == ["Anna"]


@pytest.mark.parametrize("sizes", [[rosters.MAX_PART_BYTES + 1], [rosters.MAX_UNPACKED_BYTES // 3 + 1] * 3],
                         ids=["one part too large", "all parts together too large"])
def test_parts_over_the_unpacked_limits_are_refused(work, sizes):
    _refused("liste.xlsx", hostile.extra_parts(sizes), TOO_LARGE)
    assert work["opened"] == 0


def test_a_zip_bomb_is_refused_without_unpacking_it(work):
    data = hostile.zip_bomb(50_000_000)
    assert len(data) < rosters.MAX_FILE_BYTES
    assert _refused("liste.xlsx", data, TOO_LARGE) < 1  # nothing is unpacked: the ZIP directory tells
    assert work["opened"] == 0


def test_a_part_that_unpacks_to_more_than_its_zip_entry_says_is_refused(work):
    _refused("liste.xlsx", hostile.understated_part(), NOT_A_WORKBOOK)
    assert work["opened"] == 0


@pytest.mark.parametrize("where, declaration, encoding", [
    (hostile.SHARED_STRINGS, hostile.BILLION_LAUGHS, "utf-8"),
    (hostile.SHARED_STRINGS, hostile.XXE, "utf-8"),
    (hostile.SHEET, hostile.BILLION_LAUGHS, "utf-16"),
    ("[Content_Types].xml", hostile.XXE, "utf-8"),
    ("xl/workbook.xml", hostile.BILLION_LAUGHS, "utf-8"),
    ("xl/styles.xml", hostile.XXE, "utf-16"),
], ids=["billion laughs", "XXE", "billion laughs in UTF-16", "XXE in the manifest", "in the workbook", "in the styles"])
def test_a_doctype_in_any_part_is_not_a_valid_workbook(work, where, declaration, encoding):
    _refused("liste.xlsx", hostile.doctype(where, declaration, encoding), NOT_A_WORKBOOK)
    assert work["opened"] == 0


def test_a_sheet_that_claims_every_cell_of_excel_is_read_within_the_bounds(work):
    started = time.perf_counter()
    assert rosters.read_roster("liste.xlsx", hostile.claims_every_cell()) == ["Anna"]
    assert time.perf_counter() - started < CEILING_SECONDS
    assert work["rows"] <= 2 + rosters.EMPTY_ROWS_END  # not 1,048,576 rows of 16,384 cells


def test_a_row_is_read_only_as_far_as_the_column_limit():
    row = ["x"] * (rosters.MAX_COLUMNS - 1) + ["Name", "after the limit"]
    data = hostile.workbook([row, ["y"] * (rosters.MAX_COLUMNS - 1) + ["Anna", "Ben"]])
    assert rosters.read_roster("liste.xlsx", data) == ["Anna"]
    late = hostile.workbook([["x"] * rosters.MAX_COLUMNS + ["Name"], ["y"] * rosters.MAX_COLUMNS + ["Anna"]])
    with pytest.raises(DomainError, match="needs a column 'Name'"):
        rosters.read_roster("liste.xlsx", late)


def test_a_workbook_with_every_part_just_under_its_limit_is_still_read_in_time():
    """The slowest file the limits admit (openpyxl parses styles and shared strings whole): about
    0.7 s of CPU, so a busy worker still answers within the ceiling."""
    data = hostile.at_the_limits()
    started = time.perf_counter()
    with pytest.raises(DomainError, match="needs a column 'Name'"):
        rosters.read_roster("liste.xlsx", data)
    assert time.perf_counter() - started < CEILING_SECONDS


@pytest.mark.parametrize("name", list(hostile.CSV_EDGE_CASES))
def test_csv_edge_cases_are_answered_with_a_message_within_the_bounds(work, name):
    _refused("liste.csv", hostile.CSV_EDGE_CASES[name], "contains no names|could not be read as CSV|is empty")
    assert work["rows"] <= 2 + rosters.EMPTY_ROWS_END


def test_control_characters_in_a_file_are_removed_from_the_names():
    data = "Name\nAn\x00na\nB\x1be\x7fn\tK.\n".encode()
    assert rosters.read_roster("liste.csv", data) == ["Anna", "Ben K."]
    assert rosters.read_roster("liste.xlsx", hostile.workbook([["Name"], ["Lena\x85"]])) == ["Lena"]
