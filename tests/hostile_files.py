"""Uploads built to stall or crash a reader: a workbook of 100,000 empty rows, one huge shared
string, DOCTYPEs (XXE, billion laughs), a zip bomb, a sheet whose dimension claims every cell of
Excel, and CSV edge cases. Shared by ``tests/domain/test_upload_limits.py`` and
``benchmarks/uploads.py``; every file is generated, none is stored.
"""
from __future__ import annotations

import io
import random
import struct
import zipfile

from openpyxl import Workbook

SHEET = "xl/worksheets/sheet1.xml"
SHARED_STRINGS = "xl/sharedStrings.xml"
SHEET_START = (b'<?xml version="1.0" encoding="UTF-8"?>'
               b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
SST_START = (b'<?xml version="1.0" encoding="UTF-8"?>'
             b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
HEADER_ROW = b'<row r="1"><c r="A1" t="inlineStr"><is><t>Name</t></is></c></row>'
BILLION_LAUGHS = (b'<!DOCTYPE lolz [<!ENTITY lol "lol">'
                  + b"".join(b'<!ENTITY lol%d "%s">' % (n, (b"&lol%d;" % (n - 1) if n > 1 else b"&lol;") * 10)
                             for n in range(1, 10))
                  + b"]>")
XXE = b'<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'


def workbook(rows: list[list]) -> bytes:
    """An ordinary workbook written by openpyxl (a shared-strings part is added by :func:`with_parts`)."""
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def with_parts(base: bytes, parts: dict[str, bytes | tuple[bytes, bytes, int, bytes]]) -> bytes:
    """``base`` with some parts replaced or added. A part given as ``(start, filler, count, end)`` is
    written in pieces (``start``, ``filler`` ``count`` times, ``end``), so that parts of hundreds of
    megabytes never exist in memory."""
    source = zipfile.ZipFile(io.BytesIO(base))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename not in parts:
                target.writestr(info.filename, source.read(info.filename))
        for name, content in parts.items():
            if isinstance(content, bytes):
                target.writestr(name, content)
                continue
            start, filler, count, end = content
            with target.open(name, "w", force_zip64=True) as part:
                part.write(start)
                per_chunk = max(1, (1 << 20) // len(filler))
                repeats, rest = divmod(count, per_chunk)
                for _ in range(repeats):
                    part.write(filler * per_chunk)
                part.write(filler * rest)
                part.write(end)
    return buffer.getvalue()


def _with_shared_strings_type(base: bytes) -> bytes:
    """openpyxl only writes a shared-strings part when the sheet has text; make sure the manifest lists one."""
    manifest = zipfile.ZipFile(io.BytesIO(base)).read("[Content_Types].xml")
    if b"sharedStrings" in manifest:
        return base
    manifest = manifest.replace(b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                                b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
    return with_parts(base, {"[Content_Types].xml": manifest})


def empty_rows(rows: int = 100_000, then: str | None = None) -> bytes:
    """A header and ``rows`` empty rows, a few KB packed (the file that took 172 s); ``then`` puts a
    name after them. The rows are numbered (``<row r="…"/>``, packing about 20:1) when a name follows."""
    if then is None:
        return with_parts(workbook([["Name"]]), {SHEET: (SHEET_START + b"<sheetData>" + HEADER_ROW, b"<row/>", rows,
                                                         b"</sheetData></worksheet>")})
    last = rows + 2
    sheet = (SHEET_START + b"<sheetData>" + HEADER_ROW + b"".join(b'<row r="%d"/>' % n for n in range(2, last))
             + b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>%s</t></is></c></row>' % (last, last, then.encode())
             + b"</sheetData></worksheet>")
    return with_parts(workbook([["Name"]]), {SHEET: sheet})


VOCABULARY = [b"Anna", b"Ben", b"Schule", b"Klasse", b"Betrieb", b"Werkstatt", b"Lena", b"Osnabr", b"9b",
              b"Mechatronik", b"Pflege", b"Tag", b"Runde", b"Raum", b"Gruppe", b"Jahr"]


def words(size: int, seed: int | random.Random = 0) -> bytes:
    """``size`` bytes of words from a small vocabulary: text that packs about 10:1, like real sheets,
    so that only a size limit (not the compression ratio) can refuse it."""
    rnd = seed if isinstance(seed, random.Random) else random.Random(seed)
    return b" ".join(rnd.choices(VOCABULARY, k=size // 5 + 1))[:size]


def huge_shared_string(characters: int = 900_000_000) -> bytes:
    """One cell whose shared string has ``characters`` characters (the 0.9 MB file that took 2.3 GB)."""
    base = _with_shared_strings_type(workbook([["Name"], ["Anna"]]))
    sheet = (SHEET_START + b'<sheetData>' + HEADER_ROW
             + b'<row r="2"><c r="A2" t="s"><v>0</v></c></row></sheetData></worksheet>')
    return with_parts(base, {SHEET: sheet, SHARED_STRINGS: (SST_START + b"<si><t>", b"A", characters, b"</t></si></sst>")})


def doctype(where: str = SHARED_STRINGS, declaration: bytes = BILLION_LAUGHS, encoding: str = "utf-8") -> bytes:
    """A workbook whose part ``where`` starts with a DOCTYPE (billion laughs by default, or :data:`XXE`);
    the shared strings use its entity. ``encoding="utf-16"`` hides it from a reader that searches bytes."""
    reference = b"&lol9;" if declaration == BILLION_LAUGHS else b"&xxe;"
    base = _with_shared_strings_type(workbook([["Name"], ["Anna"]]))
    parts = {SHEET: SHEET_START + b"<sheetData>" + HEADER_ROW + b'<row r="2"><c r="A2" t="s"><v>0</v></c></row>'
                    b"</sheetData></worksheet>",
             SHARED_STRINGS: SST_START + b"<si><t>" + reference + b"</t></si></sst>"}
    original = parts.get(where) or zipfile.ZipFile(io.BytesIO(base)).read(where)
    body = original.split(b"?>", 1)[1] if original.startswith(b"<?xml") else original
    text = f'<?xml version="1.0" encoding="{encoding.upper()}"?>'.encode() + declaration + body
    parts[where] = text.decode().encode(encoding)
    return with_parts(base, parts)


def zip_bomb(unpacked_bytes: int = 1_000_000_000) -> bytes:
    """A workbook with an extra part of ``unpacked_bytes`` zero bytes (about 1/1000 of that packed)."""
    return with_parts(workbook([["Name"], ["Anna"]]), {"xl/media/image1.png": (b"", b"\0" * 4096, unpacked_bytes // 4096, b"")})


def shared_strings(text: bytes) -> bytes:
    """A name held in the shared strings, which openpyxl keeps in memory whole."""
    base = _with_shared_strings_type(workbook([["Name"], ["Anna"]]))
    sheet = (SHEET_START + b"<sheetData>" + HEADER_ROW
             + b'<row r="2"><c r="A2" t="s"><v>0</v></c></row></sheetData></worksheet>')
    return with_parts(base, {SHEET: sheet, SHARED_STRINGS: SST_START + b"<si><t>" + text + b"</t></si></sst>"})


def extra_parts(sizes: list[int]) -> bytes:
    """A small workbook with extra parts of :func:`words` of these sizes."""
    return with_parts(workbook([["Name"], ["Anna"]]),
                      {f"customXml/item{n}.xml": words(size, seed=n) for n, size in enumerate(sizes, start=1)})


def understated_part() -> bytes:
    """An extra part of 1 MB of zeros whose ZIP headers claim it unpacks to 100 bytes."""
    name = b"xl/media/image1.png"
    data = bytearray(with_parts(workbook([["Name"], ["Anna"]]), {name.decode(): b"\0" * (1 << 20)}))
    struct.pack_into("<I", data, zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo(name.decode()).header_offset + 22, 100)
    entry = data.find(b"PK\x01\x02")  # the central directory's entries
    while entry != -1:
        name_length = struct.unpack_from("<H", data, entry + 28)[0]
        if data[entry + 46:entry + 46 + name_length] == name:
            struct.pack_into("<I", data, entry + 24, 100)
        entry = data.find(b"PK\x01\x02", entry + 4)
    return bytes(data)


def claims_every_cell() -> bytes:
    """Two names, and a dimension (and a last cell) at XFD1048576, the last cell Excel has."""
    sheet = (SHEET_START + b'<dimension ref="A1:XFD1048576"/><sheetData>' + HEADER_ROW
             + b'<row r="2"><c r="A2" t="inlineStr"><is><t>Anna</t></is></c></row>'
             + b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>Ende</t></is></c></row>'
             + b"</sheetData></worksheet>")
    return with_parts(workbook([["Name"], ["Anna"]]), {SHEET: sheet})


def one_wide_row(cells: int) -> bytes:
    """A header row of ``cells`` cells: the most work a single row can ask for."""
    return with_parts(workbook([["Name"]]), {SHEET: (SHEET_START + b"<sheetData><row r=\"1\">", b'<c t="inlineStr"><is><t>x</t></is></c>',
                                                     cells, b"</row></sheetData></worksheet>")})


def at_the_limits(styles_bytes: int = 1_000_000, strings_bytes: int = 500_000, row_bytes: int = 480_000) -> bytes:
    """The slowest workbook the limits let through: the parts openpyxl parses whole (10,000 cell
    styles, 30,000 shared strings) and one row of 12,000 cells, each just under its limit."""
    rnd = random.Random(0)
    base = _with_shared_strings_type(workbook([["Name"]]))
    styles = zipfile.ZipFile(io.BytesIO(base)).read("xl/styles.xml")
    formats = _pieces(styles_bytes - len(styles), lambda n: b'<xf numFmtId="%d" fontId="0" fillId="0" borderId="0" xfId="0" '
                      b'applyAlignment="1"><alignment horizontal="left" indent="%d"/></xf>' % (rnd.randrange(50), rnd.randrange(250)))
    styles = styles.replace(b'<cellXfs count="1">', b'<cellXfs count="%d">' % (len(formats) + 1))
    styles = styles.replace(b"</cellXfs>", b"".join(formats) + b"</cellXfs>")
    strings = _pieces(strings_bytes, lambda n: b"<si><t>%s</t></si>" % words(12, rnd))
    cells = _pieces(row_bytes, lambda n: b'<c t="inlineStr"><is><t>%s</t></is></c>' % words(12, rnd))
    return with_parts(base, {
        "xl/styles.xml": styles,
        SHARED_STRINGS: SST_START + b"".join(strings) + b"</sst>",
        SHEET: SHEET_START + b'<sheetData><row r="1">' + b"".join(cells) + b"</row></sheetData></worksheet>",
    })


def _pieces(size: int, piece) -> list[bytes]:
    """``piece(0)``, ``piece(1)``, … as long as they fit into ``size`` bytes together."""
    pieces, total = [], 0
    while True:
        next_piece = piece(len(pieces))
        if total + len(next_piece) > size:
            return pieces
        pieces.append(next_piece)
        total += len(next_piece)


# CSV files of at most 1 MB (the upload limit) that are still hard to read
CSV_EDGE_CASES = {
    "a million empty lines": b"Name\n" + b"\n" * (1024 * 1024 - 5),
    "a million separators": b"Name\n" + b";" * (1024 * 1024 - 5),
    "one field of a megabyte": b"Name\n" + b"x" * (1024 * 1024 - 5),
    "an unclosed quote": b'Name\n"' + b"Anna\n" * 200_000,
    "a million quotes": b'Name\n' + b'"' * (1024 * 1024 - 5),
    "only NUL bytes": b"\0" * (1024 * 1024),
}
