"""The distributions export as CSV, one row per recipient, for the API and the admin pages."""

import csv
import io
from collections.abc import Iterator, Sequence
from typing import Any

from fastapi.responses import StreamingResponse

from app.db import utcnow
from app.distributions.service import EXPORT_COLUMNS

# A spreadsheet runs a cell that begins with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """A text cell a spreadsheet would read as a formula, defused with a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_lines(rows: Sequence[Sequence[Any]]) -> Iterator[str]:
    """The header and the rows as CSV text, a line at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in [EXPORT_COLUMNS, *rows]:
        writer.writerow([safe_cell(cell) for cell in row])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def csv_response(rows: Sequence[Sequence[Any]]) -> StreamingResponse:
    """The rows as a dated CSV download."""
    return StreamingResponse(
        csv_lines(rows),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="distributions-{utcnow():%Y-%m-%d}.csv"'
        },
    )
