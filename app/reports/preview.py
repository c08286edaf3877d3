"""A report as it would be written now for one reader and report date: built and rendered,
never sent, nothing written."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from sqlalchemy.orm import Session

from app.db import utcnow
from app.organizations import settings as organizations
from app.reports import recipients, schedule
from app.reports.api_schemas import ReportPreview
from app.reports.content import Audience, build_report
from app.reports.models import WhenNothingNew
from app.reports.render import RenderedReport, render, render_nothing_new
from app.reports.schemas import Report

Mail = Literal["report", "nothing_new", "none"]


@dataclass(frozen=True)
class Preview:
    """The report, what would be sent for it, and that mail rendered."""

    report: Report
    mail: Mail
    rendered: RenderedReport

    def to_read(self) -> ReportPreview:
        """The API view: the report's content and the subject it would carry."""
        return ReportPreview(
            report_date=self.report.report_date,
            window_start=self.report.window_start,
            window_end=self.report.window_end,
            recipient_id=self.report.recipient_id,
            mail=self.mail,
            subject=self.rendered.subject,
            report=self.report,
        )


def build(
    session: Session,
    *,
    organization_id: int,
    report_date: date | None = None,
    recipient_id: int | None = None,
    now: datetime | None = None,
) -> Preview:
    """The report for `report_date` (default: the latest whose send time has come) for one of
    the organization's recipients (their window starts where their last report ended), or
    for the organization's default reader (the night before the date). Reads only."""
    now = now or utcnow()
    org = organizations.get(session, organization_id=organization_id)
    report_date = report_date or schedule.due_report_date(org, now)
    end = schedule.window_end(org, report_date, now)
    when_nothing_new = WhenNothingNew.ONE_LINE
    if recipient_id is not None:
        recipient = recipients.get(
            session, organization_id=organization_id, recipient_id=recipient_id
        )
        audience = Audience.of(recipient)
        start = schedule.window_start(
            session, recipient_id=recipient.id, report_date=report_date, end=end
        )
        when_nothing_new = recipient.when_nothing_new
    else:
        audience = Audience.organization_default(org)
        # The night before: from the previous date's send time (23 or 25 hours across a
        # daylight-saving change), or a day when that is not before the end (a date ahead).
        previous_close = schedule.send_instant(org, report_date - timedelta(days=1))
        start = previous_close if previous_close < end else end - schedule.FIRST_WINDOW
    report = build_report(
        session, audience=audience, report_date=report_date, window_start=start, window_end=end
    )
    if not report.nothing_new:
        return Preview(report, "report", render(report))
    # Shown as the one-line mail even when none would be sent, so the page has something.
    mail: Mail = "nothing_new" if when_nothing_new is WhenNothingNew.ONE_LINE else "none"
    return Preview(report, mail, render_nothing_new(report))
