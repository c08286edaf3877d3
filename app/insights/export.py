"""The gaps per area as CSV: one row per area with every figure, UTF-8 with a byte-order mark
(spreadsheets then read Japanese labels right)."""

import csv
import io

from fastapi.responses import Response

from app.distributions.export import safe_cell
from app.insights.schemas import GapsRead

COLUMNS = (
    "area",
    "label_en",
    "label_ja",
    "open_solicitations",
    "vetted_partners",
    "eligible_partners",
    "median_best_score",
    "median_best_fit",
    "uncovered",
    "uncovered_share",
    "authorization_locked",
    "authorization_locked_share",
    "min_fit",
    "min_score",
    "uncovered_solicitation_ids",
    "authorization_locked_solicitation_ids",
    "unlocking_partner_ids",
)


def _ids(values: list[int]) -> str:
    return " ".join(str(v) for v in values)


def csv_text(gaps: GapsRead) -> str:
    """The CSV document, byte-order mark first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for a in gaps.areas:
        row = (
            a.area,
            a.label_en,
            a.label_ja,
            a.open_solicitations,
            a.vetted_partners,
            a.eligible_partners,
            "" if a.median_best_score is None else a.median_best_score,
            "" if a.median_best_fit is None else a.median_best_fit,
            a.uncovered,
            "" if a.uncovered_share is None else a.uncovered_share,
            a.authorization_locked,
            "" if a.authorization_locked_share is None else a.authorization_locked_share,
            gaps.min_fit,
            gaps.min_score,
            _ids([s.id for s in a.uncovered_solicitations.items]),
            _ids([s.id for s in a.authorization_locked_solicitations.items]),
            _ids([u.company.id for u in a.unlocks]),
        )
        writer.writerow([safe_cell(cell) for cell in row])
    return "\ufeff" + buffer.getvalue()


def csv_response(gaps: GapsRead) -> Response:
    """The CSV as a dated download."""
    day = gaps.computed_at.date().isoformat()
    return Response(
        csv_text(gaps).encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="kakehashi-gaps-{day}.csv"'},
    )
