"""A report as a reader gets it: subject, plain text, HTML and a CSV of every listed match.

Fixed texts come from the admin's gettext catalogs (`app/admin/locale/ja/LC_MESSAGES/
report_mail.po` holds the mail's own), in the recipient's language; dates are shown in the
organization's time zone. The HTML is a table layout with inline styles only: no scripts, no
stylesheets, no images or other external resources, as common mail clients require."""

import contextlib
import csv
import io
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from babel.dates import format_datetime
from jinja2 import Environment, FileSystemLoader, select_autoescape

from app.admin import i18n
from app.reports.schemas import Report, ReportSolicitation

TEMPLATES = Path(__file__).resolve().parent / "templates"
# Moments as a reader scans them: day and minute, with the zone's abbreviation.
MOMENT_FORMATS = {"en": "MMM d, yyyy HH:mm", "ja": "yyyy/MM/dd HH:mm"}
# Excel reads a CSV as UTF-8 (Japanese names intact) only when it starts with a BOM.
CSV_ENCODING = "utf-8-sig"
LIST_SEPARATORS = {"en": "; ", "ja": "、"}
SECTION_LIMIT = 20


@dataclass(frozen=True)
class RenderedReport:
    subject: str
    text: str
    html: str
    csv_bytes: bytes  # empty for the "nothing new" mail: no attachment then
    csv_filename: str


CHANGE_KINDS = {
    "amended": i18n.N_("amended"),
    "deadline_moved": i18n.N_("deadline moved"),
    "closed": i18n.N_("closed"),
    "reopened": i18n.N_("reopened"),
}


@cache
def _environment() -> Environment:
    """The templates, loaded once."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        extensions=["jinja2.ext.i18n"],
    )
    # New-style gettext: Jinja fills `%(name)s` variables itself (and escapes them in HTML).
    env.install_gettext_callables(  # type: ignore[attr-defined]
        lambda message: i18n.translations(i18n.current_locale()).gettext(message),
        lambda singular, plural, n: i18n.translations(i18n.current_locale()).ngettext(
            singular, plural, n
        ),
        newstyle=True,
    )
    env.filters["moment"] = moment
    env.filters["day"] = i18n.day
    env.filters["percent"] = lambda value: f"{round(float(value) * 100)}%"
    env.filters["display_name"] = display_name
    env.filters["change_kind"] = lambda kind: i18n.gettext(CHANGE_KINDS.get(kind) or kind)
    env.filters["change_fields"] = change_fields
    return env


def moment(value: datetime | None) -> str:
    """A moment in the report's zone and language, e.g. "Jan 15, 2027 12:00 HST"."""
    if value is None:
        return ""
    zone = i18n.zone(i18n.current_time_zone())
    locale = i18n.current_locale()
    shown = format_datetime(value, MOMENT_FORMATS[locale], tzinfo=zone, locale=locale)
    return f"{shown} {value.astimezone(zone).strftime('%Z')}"


def display_name(item: Any) -> str:
    """A company's name as the reader knows it: the Japanese one for a Japanese reader."""
    name_ja = getattr(item, "name_ja", None)
    if i18n.current_locale() == "ja" and name_ja:
        return f"{name_ja} ({item.name})"
    return str(item.name)


def change_fields(changes: dict[str, Any]) -> str:
    """What a change touched: the new deadline when it moved, else the fields' names (the
    values stay in Kakehashi: a description is too long for a line, and may be withheld)."""
    moved = changes.get("response_deadline")
    if isinstance(moved, dict) and moved.get("after"):
        after = str(moved["after"])
        with contextlib.suppress(ValueError):
            after = moment(datetime.fromisoformat(after))
        return i18n.gettext("new deadline %(deadline)s", deadline=after)
    return ", ".join(sorted(changes))


def subject_of(report: Report) -> str:
    """The subject: the product, the report date and what is new."""
    day = report.report_date.isoformat()
    if report.nothing_new:
        return i18n.gettext("Kakehashi nightly report, %(date)s: nothing new", date=day)
    if report.solicitations:
        return i18n.ngettext(
            "Kakehashi nightly report, %(date)s: %(num)s new or changed solicitation",
            "Kakehashi nightly report, %(date)s: %(num)s new or changed solicitations",
            len(report.solicitations),
            date=day,
        )
    return i18n.gettext("Kakehashi nightly report, %(date)s: updates", date=day)


def csv_filename(report: Report) -> str:
    """The attachment's name, with the report date."""
    return f"kakehashi-report-{report.report_date.isoformat()}.csv"


CSV_COLUMNS = (
    ("report_date", i18n.N_("Report date")),
    ("solicitation_id", i18n.N_("Solicitation id")),
    ("notice_id", i18n.N_("Notice id")),
    ("title", i18n.N_("Title")),
    ("company_id", i18n.N_("Company id")),
    ("name", i18n.N_("Company")),
    ("name_ja", i18n.N_("Company (Japanese)")),
    ("country", i18n.N_("Country")),
    ("score", i18n.N_("Score")),
    ("fit", i18n.N_("Fit")),
    ("why", i18n.N_("Why")),
    ("shared_areas", i18n.N_("Shared areas")),
    ("pinned", i18n.N_("Pinned")),
)


def csv_of(report: Report) -> bytes:
    """One row per listed match, headers in the reader's language, UTF-8 with a BOM."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([i18n.gettext(label) for _, label in CSV_COLUMNS])
    for solicitation in report.solicitations:
        for match in solicitation.matches:
            writer.writerow(
                [
                    report.report_date.isoformat(),
                    solicitation.id,
                    solicitation.notice_id,
                    solicitation.title,
                    match.company_id,
                    match.name,
                    match.name_ja or "",
                    match.country,
                    f"{match.score:.4f}",
                    f"{match.fit:.4f}",
                    match.why,
                    "; ".join(match.shared_areas),
                    "yes" if match.pinned else "",
                ]
            )
    return out.getvalue().encode(CSV_ENCODING)


def _held_back_line(solicitation: ReportSolicitation) -> str:
    """ "need an export authorization: 3; not vetted yet: 1", in the reader's language."""
    return LIST_SEPARATORS[i18n.current_locale()].join(
        i18n.gettext("%(reason)s: %(count)s", reason=i18n.gettext(h.message), count=h.count)
        for h in solicitation.held_back
    )


# The screening lists by the names their readers know.
LIST_TITLES = {
    "csl": i18n.N_("US Consolidated Screening List"),
    "meti_eul": i18n.N_("METI End User List"),
}


def _list_title(list_name: str) -> str:
    return i18n.gettext(LIST_TITLES.get(list_name, list_name))


def _context(report: Report, unsubscribe_url: str | None, subject: str) -> dict[str, Any]:
    """What the templates show. The lists beside the solicitations show their first
    SECTION_LIMIT items and count the rest: a mail is read, the full lists are in Kakehashi."""
    sections: dict[str, list[Any]] = {
        "changes": report.changes,
        "waiting": report.waiting,
        "deadlines": report.deadlines,
        "newly_vetted": [p for p in report.partners if p.kind == "newly_vetted"],
        "expiring": [p for p in report.partners if p.kind == "expiring"],
        "screening": report.screening,
    }
    context: dict[str, Any] = {
        "report": report,
        "subject": subject,
        "new": [s for s in report.solicitations if s.kind == "new"],
        "changed": [s for s in report.solicitations if s.kind == "changed"],
        "held_back_line": _held_back_line,
        "list_title": _list_title,
        "unsubscribe_url": unsubscribe_url,
    }
    for name, items in sections.items():
        context[name] = items[:SECTION_LIMIT]
        context[f"{name}_more"] = max(len(items) - SECTION_LIMIT, 0)
    return context


def render(report: Report, *, unsubscribe_url: str | None = None) -> RenderedReport:
    """The report in the recipient's language; the opt-out link goes in the footer."""
    with i18n.use(report.locale, report.time_zone):
        subject = subject_of(report)
        context = _context(report, unsubscribe_url, subject)
        return RenderedReport(
            subject=subject,
            text=_environment().get_template("report.txt").render(context),
            html=_environment().get_template("report.html").render(context),
            csv_bytes=csv_of(report),
            csv_filename=csv_filename(report),
        )


def render_nothing_new(report: Report, *, unsubscribe_url: str | None = None) -> RenderedReport:
    """The one-line "nothing new" mail (no attachment: csv_bytes is empty)."""
    with i18n.use(report.locale, report.time_zone):
        subject = i18n.gettext(
            "Kakehashi nightly report, %(date)s: nothing new", date=report.report_date.isoformat()
        )
        context = _context(report, unsubscribe_url, subject)
        return RenderedReport(
            subject=subject,
            text=_environment().get_template("nothing_new.txt").render(context),
            html=_environment().get_template("nothing_new.html").render(context),
            csv_bytes=b"",
            csv_filename=csv_filename(report),
        )
