"""An export small enough to answer the request that asked for it (EXPORT_INLINE_MAX_ROWS and under)."""
import tempfile

from django.db.models import QuerySet
from django.http import FileResponse, StreamingHttpResponse

from .datasets import Dataset
from .writers import FORMATS, csv_lines, write_xlsx


def response(dataset: Dataset, queryset: QuerySet, fmt: str):
    filename = f"{dataset.name}.{fmt}"
    if fmt == "csv":  # streamed: the first line leaves before the last row is read
        answer = StreamingHttpResponse(csv_lines(dataset.header, dataset.rows(queryset)), content_type=FORMATS[fmt])
        answer["Content-Disposition"] = f'attachment; filename="{filename}"'
    else:  # a zip: whole before a byte can go, so written to a temporary file first
        file = tempfile.TemporaryFile()
        write_xlsx(file, dataset.header, dataset.rows(queryset), title=dataset.name)
        file.seek(0)
        answer = FileResponse(file, as_attachment=True, filename=filename, content_type=FORMATS[fmt])
    answer["Cache-Control"] = "private, no-store"
    return answer
