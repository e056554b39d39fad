"""CSV downloads for the admin's export actions, streamed so a large export never sits whole in memory.

A cell a spreadsheet would run as a formula (=, +, -, @ first, or a tab or carriage return) is prefixed with an
apostrophe: a customer's name or email must never become a formula on a staff member's machine.
"""
import csv
from collections.abc import Iterable

from django.http import StreamingHttpResponse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class _Echo:
    def write(self, value: str) -> str:
        return value


def _safe(value) -> str:
    """Numbers pass as they are (a refund may one day be negative); text that could run is defused."""
    if value is None:
        return ""
    return f"'{value}" if isinstance(value, str) and value.startswith(FORMULA_STARTS) else str(value)


def csv_download(filename: str, header: list[str], rows: Iterable[Iterable]) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())

    def stream():
        yield writer.writerow(header)
        for row in rows:
            yield writer.writerow([_safe(cell) for cell in row])

    response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
