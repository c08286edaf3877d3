"""A report as a reader gets it: subject, plain text, HTML and a CSV of every listed match."""

from dataclasses import dataclass

from app.reports.schemas import Report


@dataclass(frozen=True)
class RenderedReport:
    subject: str
    text: str
    html: str
    csv_bytes: bytes
    csv_filename: str


def render(report: Report, *, unsubscribe_url: str | None = None) -> RenderedReport:
    """The report in the recipient's language; the opt-out link goes in the footer."""
    raise NotImplementedError


def render_nothing_new(report: Report, *, unsubscribe_url: str | None = None) -> RenderedReport:
    """The one-line "nothing new" mail (no attachment: csv_bytes is empty)."""
    raise NotImplementedError
