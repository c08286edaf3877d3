"""When each organization's nightly report is due, and the exact window it covers.

A report date D of an organization closes at its send time on D, in its own zone. A
recipient's report for D covers [end of their previous report, that instant), so nights
chain with nothing skipped or repeated, whatever the zone does in between (a
daylight-saving change makes a night 23 or 25 hours long, never a gap or an overlap)."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.organizations.models import Organization
from app.reports.models import ReportMessage, ReportStatus

# A recipient's first report covers the day before it.
FIRST_WINDOW = timedelta(days=1)


def parse_send_time(value: str) -> time:
    """A send time "HH:MM" (24-hour clock); ValueError names what is wrong."""
    hours, sep, minutes = value.partition(":")
    if not sep or len(hours) != 2 or len(minutes) != 2 or not (hours + minutes).isdigit():
        raise ValueError('use the 24-hour form "HH:MM", e.g. "07:00"')
    if int(hours) > 23 or int(minutes) > 59:
        raise ValueError('use the 24-hour form "HH:MM", e.g. "07:00"')
    return time(int(hours), int(minutes))


def parse_zone(name: str) -> ZoneInfo:
    """An IANA time zone by name; ValueError when there is none of that name."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown IANA time zone {name!r} (e.g. Asia/Tokyo)") from None


def send_instant(org: Organization, report_date: date) -> datetime:
    """The instant (UTC) the organization's report for `report_date` is due. A send time
    that a daylight-saving change skips that day is read with the offset before the change."""
    local = datetime.combine(
        report_date, parse_send_time(org.report_send_time), tzinfo=parse_zone(org.report_time_zone)
    )
    return local.astimezone(UTC)


def due_report_date(org: Organization, now: datetime) -> date:
    """The latest report date whose send time has come at `now`."""
    today = now.astimezone(parse_zone(org.report_time_zone)).date()
    return today if send_instant(org, today) <= now else today - timedelta(days=1)


def window_end(org: Organization, report_date: date, now: datetime) -> datetime:
    """Where a report for `report_date` written at `now` ends: its send instant, or now when
    it is written early (the next report starts there, so nothing falls between)."""
    return min(send_instant(org, report_date), now)


def window_start(
    session: Session, *, recipient_id: int, report_date: date, end: datetime
) -> datetime:
    """Where the recipient's report for `report_date` starts: the end of their latest report of
    an earlier date, or FIRST_WINDOW before `end` for their first."""
    previous = session.scalar(
        select(func.max(ReportMessage.window_end)).where(
            ReportMessage.recipient_id == recipient_id,
            ReportMessage.report_date < report_date,
            ReportMessage.status != ReportStatus.CANCELLED,
        )
    )
    if previous is None:
        return end - FIRST_WINDOW
    return min(previous, end)
