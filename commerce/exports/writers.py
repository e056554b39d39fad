"""The two formats, from the same rows: CSV streamed line by line, and Excel written by openpyxl in write-only mode
(each row goes to a temporary file as it is appended, so memory stays flat however long the export).

A cell a spreadsheet would run as a formula (=, +, -, @ first, or a tab or carriage return) is prefixed with an
apostrophe in both formats: a customer's name or email must never become a formula on a staff member's machine.
openpyxl itself turns any string starting with "=" into a formula, so such a cell is written as an explicit string.
"""
import csv
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import BinaryIO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def defused(value: str) -> str:
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def _csv_cell(value) -> str:
    """Numbers pass as they are (a refund may one day be negative); text that could run is defused."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    return defused(value) if isinstance(value, str) else str(value)


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(header: list[str], rows: Iterable[list]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow([_csv_cell(cell) for cell in row])


def write_csv(target: BinaryIO, header: list[str], rows: Iterable[list]) -> None:
    for line in csv_lines(header, rows):
        target.write(line.encode())


def write_xlsx(target: BinaryIO, header: list[str], rows: Iterable[list], title: str = "export") -> None:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append(header)
    for row in rows:
        sheet.append([_xlsx_cell(sheet, cell) for cell in row])
    workbook.save(target)


def _xlsx_cell(sheet, value):
    """Excel has no time zones (datetimes go as UTC, the shop's TIME_ZONE) and refuses control characters in text."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
    if not isinstance(value, str):
        return value
    text = ILLEGAL_CHARACTERS_RE.sub("", value)
    if not text.startswith(FORMULA_STARTS):
        return text
    cell = WriteOnlyCell(sheet, value=defused(text))
    cell.data_type = "s"  # a string, whatever openpyxl would guess
    return cell


def write(fmt: str, target: BinaryIO, header: list[str], rows: Iterable[list], title: str = "export") -> None:
    if fmt == "csv":
        write_csv(target, header, rows)
    else:
        write_xlsx(target, header, rows, title)
