"""Reading spreadsheets: CSV in any encoding our users' tools write, XLSX, and vCard address books
(.vcf, versions 2.1, 3 and 4: one row per card, in the customer file's columns).

A `Table` is the header row and an iterator of (row number as the user sees it, cells). Cells are
strings from CSV, and str/int/float/datetime/None from XLSX; rapport.imports.values reads them.
"""

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

CSV_DELIMITERS = (",", ";", "\t")
_SNIFF_BYTES = 64 * 1024
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)

Row = tuple[int, list[Any]]


class UnreadableFile(Exception):
    """The file is not a spreadsheet we can read; the message says why, in the user's language."""


@dataclass
class Table:
    headers: list[str]
    rows: Iterator[Row]
    header_row: int = 1


def file_format(name: str, head: bytes = b"") -> str:
    """'xlsx', 'vcf' or 'csv', from the file name, else from the first bytes."""
    suffix = Path(name).suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return "xlsx"
    if suffix in (".vcf", ".vcard") or head.lstrip(b"\xef\xbb\xbf").upper().startswith(b"BEGIN:VC"):
        return "vcf"
    if suffix in (".csv", ".txt", ".tsv"):
        return "csv"
    if suffix == ".xls":
        raise UnreadableFile(
            _("Old Excel files (.xls) cannot be read: save the file as .xlsx or .csv.")
        )
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    return "csv"


# Limits (settings.py, README "Importing and exporting"): a file beyond one is refused with a
# message naming the limit, before more of it is read.
MB = 1024 * 1024


def _too_many_rows(limit: int) -> UnreadableFile:
    return UnreadableFile(
        _("The file has more than %(limit)s rows; split it into files of at most that many.")
        % {"limit": f"{limit:,}"}
    )


def _check_columns(headers: list[str]) -> list[str]:
    """The headers without trailing blanks; refused beyond RAPPORT_IMPORT_MAX_COLUMNS."""
    while headers and not headers[-1]:
        headers.pop()
    if len(headers) > (limit := settings.RAPPORT_IMPORT_MAX_COLUMNS):
        raise UnreadableFile(
            _("The file has %(count)s columns; at most %(limit)s can be imported.")
            % {"count": f"{len(headers):,}", "limit": f"{limit:,}"}
        )
    return headers


def _too_long_cell(row: int, length: int, limit: int) -> UnreadableFile:
    return UnreadableFile(
        _("Row %(row)d has a cell of %(length)s characters; a cell may hold at most %(limit)s.")
        % {"row": row, "length": f"{length:,}", "limit": f"{limit:,}"}
    )


def check_xlsx_package(path: str | Path) -> None:
    """Refuse an Excel file (a zip) that would unpack to more than RAPPORT_IMPORT_MAX_UNPACKED_MB,
    from the sizes its directory states, before anything in it is unpacked. (Python's zip reader
    stops at the stated size, so a member cannot unpack to more than it states.)"""
    import zipfile

    try:
        with zipfile.ZipFile(path) as package:
            members = package.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise UnreadableFile(
            _("The file could not be read as Excel: %(reason)s") % {"reason": exc}
        ) from None
    unpacked = sum(member.file_size for member in members)
    if unpacked > (limit := settings.RAPPORT_IMPORT_MAX_UNPACKED_MB) * MB or len(members) > 10_000:
        raise UnreadableFile(
            _(
                "Unpacked, this Excel file would take %(size)s MB; at most %(limit)s MB can be "
                "imported. Save it as CSV, or split it."
            )
            % {"size": f"{unpacked / MB:,.0f}", "limit": f"{limit:,}"}
        )


def open_table(path: str | Path, name: str | None = None) -> Table:
    """The file's table; raises UnreadableFile with a translated reason."""
    path = Path(path)
    with path.open("rb") as fh:
        head = fh.read(16)
    kind = file_format(name or path.name, head)
    if kind == "xlsx":
        return read_xlsx(path)
    if kind == "vcf":
        return read_vcf(path)
    return read_csv(path)


def count_rows(path: str | Path, name: str | None = None) -> int:
    """Data rows that hold something (for choosing between inline and background import)."""
    table = open_table(path, name)
    return sum(1 for _ in table.rows)


# CSV ---------------------------------------------------------------------------------------


def detect_encoding(path: str | Path) -> str:
    """utf-16 (Excel's "Unicode text"), utf-8-sig (with or without BOM), else gb18030 (GBK)."""
    with Path(path).open("rb") as fh:
        head = fh.read(4)
        if head[:2] in _UTF16_BOMS:
            return "utf-16"
        fh.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            while chunk := fh.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
            return "utf-8-sig"
        except UnicodeDecodeError:
            pass
        fh.seek(0)
        decoder = codecs.getincrementaldecoder("gb18030")()
        try:
            while chunk := fh.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise UnreadableFile(
                _("The file's text encoding is not recognised: save it as UTF-8 CSV.")
            ) from None
    return "gb18030"


def sniff_delimiter(sample: str) -> str:
    """Comma, semicolon or tab: whichever the header line holds most of (outside quotes)."""
    first_line = _first_record(sample)
    counts = {d: _count_unquoted(first_line, d) for d in CSV_DELIMITERS}
    best = max(CSV_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _first_record(sample: str) -> str:
    in_quotes = False
    for i, ch in enumerate(sample):
        if ch == '"':
            in_quotes = not in_quotes
        elif ch in "\r\n" and not in_quotes:
            return sample[:i]
    return sample


def _count_unquoted(line: str, delimiter: str) -> int:
    count, in_quotes = 0, False
    for ch in line:
        if ch == '"':
            in_quotes = not in_quotes
        elif ch == delimiter and not in_quotes:
            count += 1
    return count


def read_csv(path: str | Path) -> Table:
    # The csv module's own cap on a field (one for the whole process) is the cell limit.
    csv.field_size_limit(settings.RAPPORT_IMPORT_MAX_CELL_LENGTH)
    encoding = detect_encoding(path)
    fh = Path(path).open(encoding=encoding, newline="")  # noqa: SIM115  (the row iterator closes it)
    try:
        delimiter = sniff_delimiter(fh.read(_SNIFF_BYTES))
        fh.seek(0)
        reader = csv.reader(fh, delimiter=delimiter)
        header_row, headers = 0, None
        for record in reader:
            header_row += 1
            if any(c.strip() for c in record):
                headers = _check_columns([c.strip() for c in record])
                break
    except UnreadableFile:
        fh.close()
        raise
    except (csv.Error, UnicodeDecodeError) as exc:
        fh.close()
        if "field larger than field limit" in str(exc):
            limit = settings.RAPPORT_IMPORT_MAX_CELL_LENGTH
            raise _too_long_cell(header_row, limit + 1, limit) from None
        raise UnreadableFile(
            _("The file could not be read as CSV: %(reason)s") % {"reason": exc}
        ) from None
    if headers is None:
        fh.close()
        return Table(headers=[], rows=iter(()), header_row=1)
    return Table(headers=headers, rows=_csv_rows(fh, reader, header_row), header_row=header_row)


def _csv_rows(fh: io.TextIOBase, reader: Any, header_row: int) -> Iterator[Row]:
    # csv.reader counts physical lines; a spreadsheet shows one row per record, so count records.
    number, count = header_row, 0
    max_rows = settings.RAPPORT_IMPORT_MAX_ROWS
    with fh:
        try:
            for record in reader:
                number += 1
                if record and any(record):
                    count += 1
                    if count > max_rows:
                        raise _too_many_rows(max_rows)
                    yield number, record
        except csv.Error as exc:
            if "field larger than field limit" in str(exc):
                limit = settings.RAPPORT_IMPORT_MAX_CELL_LENGTH
                raise _too_long_cell(number + 1, limit + 1, limit) from None
            raise UnreadableFile(
                _("Row %(row)d could not be read as CSV: %(reason)s")
                % {"row": number, "reason": exc}
            ) from None


# XLSX --------------------------------------------------------------------------------------


def read_xlsx(path: str | Path) -> Table:
    """Streamed (openpyxl's read-only mode), after the package's unpacked size is checked."""
    from openpyxl import load_workbook

    check_xlsx_package(path)
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001  (openpyxl raises many kinds for a damaged file)
        raise UnreadableFile(
            _("The file could not be read as Excel: %(reason)s") % {"reason": exc}
        ) from None
    sheet = workbook.worksheets[0]
    sheet.reset_dimensions()  # some writers store a wrong sheet size; read what is there
    rows = sheet.iter_rows(values_only=True)
    header_row, headers = 0, None
    for cells in rows:
        header_row += 1
        if any(c not in (None, "") for c in cells):
            try:
                headers = _check_columns(["" if c is None else str(c).strip() for c in cells])
            except UnreadableFile:
                workbook.close()
                raise
            break
    if headers is None:
        workbook.close()
        return Table(headers=[], rows=iter(()), header_row=1)
    return Table(
        headers=headers, rows=_xlsx_rows(workbook, rows, header_row), header_row=header_row
    )


def _xlsx_rows(workbook: Any, rows: Iterator[tuple], header_row: int) -> Iterator[Row]:
    max_rows, max_cell = settings.RAPPORT_IMPORT_MAX_ROWS, settings.RAPPORT_IMPORT_MAX_CELL_LENGTH
    count = 0
    try:
        for number, cells in enumerate(rows, start=header_row + 1):
            if any(c not in (None, "") for c in cells):
                count += 1
                if count > max_rows:
                    raise _too_many_rows(max_rows)
                for cell in cells:
                    if isinstance(cell, str) and len(cell) > max_cell:
                        raise _too_long_cell(number, len(cell), max_cell)
                yield number, list(cells)
    finally:
        workbook.close()


def estimate_rows(path: str | Path, name: str | None = None) -> int:
    """Data rows, quickly and roughly (line count; the sheet's stated size): enough to decide
    whether an import runs in the background. 0 when the file cannot be read."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            head = fh.read(16)
            kind = file_format(name or path.name, head)
            if kind == "xlsx":
                return _estimate_xlsx(path)
            fh.seek(0)
            if kind == "vcf":
                return sum(chunk.upper().count(b"BEGIN:VCARD") for chunk in fh)
            lines, last = 0, b""
            while chunk := fh.read(1 << 20):
                lines += chunk.count(b"\n")
                last = chunk[-1:]
            return max(lines + (1 if last not in (b"\n", b"") else 0) - 1, 0)
    except (OSError, UnreadableFile):
        return 0


def _estimate_xlsx(path: Path) -> int:
    from openpyxl import load_workbook

    try:
        check_xlsx_package(path)
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception:  # noqa: BLE001  (the run reports why the file is unreadable)
        return 0
    try:
        stated = workbook.worksheets[0].max_row
    finally:
        workbook.close()
    return max(stated - 1, 0) if stated else count_rows(path)


# vCard --------------------------------------------------------------------------------------

VCF_HEADERS = [
    "family_name",
    "given_name",
    "name",
    "phone",
    "home_phone",
    "work_phone",
    "email",
    "birthday",
    "address",
    "city",
    "region",
    "postal_code",
    "country",
    "occupation",
    "tags",
    "notes",
]
MULTI_SEPARATOR = " ::: "  # as Google Contacts writes several values in one cell


def read_vcf(path: str | Path) -> Table:
    """One row per card; several phones or emails in one cell, separated as Google does."""
    import vobject

    encoding = detect_encoding(path)
    text = Path(path).read_text(encoding=encoding)
    try:
        cards = list(vobject.readComponents(text, ignoreUnreadable=True))
    except Exception as exc:  # noqa: BLE001  (vobject raises its own and the parser's errors)
        raise UnreadableFile(
            _("The file could not be read as vCard: %(reason)s") % {"reason": exc}
        ) from None
    rows = [
        (number, _card_cells(card))
        for number, card in enumerate(cards, start=1)
        if card.name.upper() == "VCARD"
    ]
    return Table(headers=list(VCF_HEADERS), rows=iter(rows), header_row=0)


def _card_cells(card: Any) -> list[str]:
    cells: dict[str, list[str]] = {h: [] for h in VCF_HEADERS}

    def value(line: Any) -> str:
        v = line.value
        return (", ".join(str(x) for x in v) if isinstance(v, list) else str(v)).strip()

    def types(line: Any) -> set[str]:
        found: set[str] = set()
        for t in line.params.get("TYPE", []):
            found.update(p.strip().strip('"').lower() for p in t.split(","))
        # vCard 2.1 writes the types as bare parameters: TEL;CELL:…
        found.update(k.lower() for k in line.params if k.upper() != "TYPE")
        return found

    for line in card.getChildren():
        name = line.name.upper()
        if name == "N":
            n = line.value
            cells["family_name"].append(str(getattr(n, "family", "") or "").strip())
            cells["given_name"].append(
                " ".join(
                    str(p).strip()
                    for p in (getattr(n, "given", ""), getattr(n, "additional", ""))
                    if str(p or "").strip()
                )
            )
        elif name == "FN":
            cells["name"].append(value(line))
        elif name == "TEL":
            number = value(line).removeprefix("tel:")
            kinds = types(line)
            column = (
                "phone"
                if kinds & {"cell", "mobile", "iphone"}
                else "home_phone"
                if "home" in kinds
                else "work_phone"
                if "work" in kinds
                else "phone"
            )
            if "fax" not in kinds or kinds & {"cell", "voice"}:
                cells[column].append(number)
        elif name == "EMAIL":
            cells["email"].append(value(line))
        elif name == "BDAY":
            cells["birthday"].append(value(line).split("T")[0])
        elif name == "ADR":
            # Every address of the card, each in the same place of the five address columns
            # (an empty part stays empty in its place), joined as several values in one cell.
            a = line.value
            street = ", ".join(
                p for p in (_adr_part(a, n) for n in ("street", "extended", "box")) if p
            )
            parts = [street, *(_adr_part(a, n) for n in ("city", "region", "code", "country"))]
            if any(parts):
                for header, piece in zip(_VCF_ADDRESS, parts, strict=True):
                    cells[header].append(piece)
        elif name == "TITLE" or (name == "ROLE" and not cells["occupation"]):
            cells["occupation"].append(value(line))
        elif name == "CATEGORIES":
            cells["tags"].extend(str(v).strip() for v in line.value)
        elif name == "NOTE":
            cells["notes"].append(value(line))
    out: list[str] = []
    for header in VCF_HEADERS:
        values = [v for v in cells[header] if v]
        if header in _VCF_ADDRESS and len(cells[header]) > 1:
            out.append(MULTI_SEPARATOR.join(cells[header]) if values else "")
        elif header in _VCF_SEPARATORS:
            out.append(_VCF_SEPARATORS[header].join(dict.fromkeys(values)))
        else:
            out.append(values[0] if values else "")
    return out


def _adr_part(address: Any, attr: str) -> str:
    v = getattr(address, attr, "") or ""
    return (", ".join(map(str, v)) if isinstance(v, list) else str(v)).strip()


# The address columns: a card's addresses, one value per address in each (rapport.customers.
# importing reads the n-th value of each as the n-th address).
_VCF_ADDRESS = ("address", "city", "region", "postal_code", "country")
# Columns that may hold several values, and how they are joined in the cell.
_VCF_SEPARATORS = {
    "phone": MULTI_SEPARATOR,
    "home_phone": MULTI_SEPARATOR,
    "work_phone": MULTI_SEPARATOR,
    "email": MULTI_SEPARATOR,
    "tags": ", ",
    "notes": "\n",
}
