"""Report dates, send instants and windows in each organization's zone, across daylight-saving
changes (exact instants), and the worker's schedule of checks."""

import time
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

import pytest

from app.db import session_scope, utcnow
from app.organizations.models import Organization, Side
from app.reports.models import ReportStatus
from app.reports.outbox import write_night
from app.reports.schedule import due_report_date, send_instant, window_end
from app.reports.scheduler import ReportScheduler
from tests.reports.outbox_data import (
    messages,
    org_named,
    organization,
    recipient,
    solicitation_at,
)
from tests.reports.smtp import Inbox, smtp_server, smtp_settings


def org(send_time: str, zone: str) -> Organization:
    return Organization(slug="x", name="X", report_send_time=send_time, report_time_zone=zone)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def night_lengths(o: Organization, first: date, days: int) -> list[timedelta]:
    """How long each report date's night is: from the previous send instant to its own."""
    instants = [send_instant(o, first + timedelta(days=n)) for n in range(days + 1)]
    return [b - a for a, b in pairwise(instants)]


def test_new_york_nights_are_23_and_25_hours_around_the_changes() -> None:
    new_york = org("07:00", "America/New_York")
    assert send_instant(new_york, date(2026, 3, 7)) == utc(2026, 3, 7, 12, 0)  # EST
    assert send_instant(new_york, date(2026, 3, 8)) == utc(2026, 3, 8, 11, 0)  # EDT
    assert night_lengths(new_york, date(2026, 3, 6), 3) == [
        timedelta(hours=24),
        timedelta(hours=23),
        timedelta(hours=24),
    ]
    assert send_instant(new_york, date(2026, 11, 1)) == utc(2026, 11, 1, 12, 0)  # EST again
    assert night_lengths(new_york, date(2026, 10, 30), 3) == [
        timedelta(hours=24),
        timedelta(hours=25),
        timedelta(hours=24),
    ]


def test_pacific_and_tokyo() -> None:
    los_angeles = org("06:30", "America/Los_Angeles")
    assert night_lengths(los_angeles, date(2026, 3, 7), 2) == [
        timedelta(hours=23),
        timedelta(hours=24),
    ]
    # Tokyo and Honolulu keep no daylight-saving time: every night is 24 hours, all year.
    for zone in ("Asia/Tokyo", "Pacific/Honolulu"):
        for first in (date(2026, 3, 7), date(2026, 10, 31), date(2026, 12, 31)):
            assert set(night_lengths(org("08:00", zone), first, 3)) == {timedelta(hours=24)}
    assert send_instant(org("08:00", "Asia/Tokyo"), date(2026, 12, 1)) == utc(2026, 11, 30, 23)


def test_a_send_time_the_change_skips_or_repeats() -> None:
    # 02:30 does not exist in New York on 2026-03-08: read with the offset before (EST).
    assert send_instant(org("02:30", "America/New_York"), date(2026, 3, 8)) == utc(
        2026, 3, 8, 7, 30
    )
    # 01:30 happens twice on 2026-11-01: the first one (EDT).
    assert send_instant(org("01:30", "America/New_York"), date(2026, 11, 1)) == utc(
        2026, 11, 1, 5, 30
    )


@pytest.mark.parametrize(
    ("now", "due"),
    [
        (utc(2026, 3, 8, 10, 59), date(2026, 3, 7)),
        (utc(2026, 3, 8, 11, 0), date(2026, 3, 8)),
        (utc(2026, 3, 8, 4, 0), date(2026, 3, 7)),  # still the 7th in New York
    ],
)
def test_the_due_date_turns_at_the_local_send_time(now: datetime, due: date) -> None:
    assert due_report_date(org("07:00", "America/New_York"), now) == due


def test_a_report_written_early_ends_when_it_was_written() -> None:
    tokyo = org("08:00", "Asia/Tokyo")
    early = utc(2026, 11, 30, 20, 0)
    assert window_end(tokyo, date(2026, 12, 1), early) == early
    assert window_end(tokyo, date(2026, 12, 1), utc(2026, 12, 2)) == utc(2026, 11, 30, 23)


@pytest.mark.parametrize(
    ("nights", "item_at", "in_night"),
    [
        # Fall back: the night of 2026-11-01 lasts 25 hours; an item of its 25th hour
        # (06:30 EST, after the repeated hour) is in that night's report, and no other.
        ([date(2026, 10, 31), date(2026, 11, 1), date(2026, 11, 2)], utc(2026, 11, 1, 11, 30), 1),
        # Spring forward: the night of 2026-03-08 lasts 23 hours; 07:30 EDT is already the
        # next night's.
        ([date(2026, 3, 7), date(2026, 3, 8), date(2026, 3, 9)], utc(2026, 3, 8, 11, 30), 2),
    ],
)
def test_reports_across_a_change_chain_exactly(
    database_url: str, nights: list[date], item_at: datetime, in_night: int
) -> None:

    new_york = organization(
        "pichtr", side=Side.US, send_time="07:00", zone="America/New_York", platform=True
    )
    recipient(new_york, "ops@pichtr.example")
    solicitation_at(item_at)
    new_york_org = org_named("pichtr")
    for night in nights:
        # Each night written a minute after its send time (sending is the outbox's business).
        with session_scope() as session:
            write_night(
                session,
                organization=new_york_org,
                report_date=night,
                now=send_instant(new_york_org, night) + timedelta(minutes=1),
            )
    rows = messages()
    assert [row.report_date for row in rows] == nights
    for before, after in pairwise(rows):
        assert after.window_start == before.window_end  # nothing skipped, nothing repeated
    lengths = [row.window_end - row.window_start for row in rows[1:]]
    assert lengths == night_lengths(new_york_org, nights[0], 2)
    assert [row.summary["solicitations"] for row in rows] == [
        int(n == in_night) for n in range(len(nights))
    ]


def test_the_worker_checks_on_a_schedule_and_stops_cleanly(database_url: str) -> None:
    pichtr = organization(
        "pichtr", side=Side.US, send_time="07:00", zone="America/New_York", platform=True
    )
    recipient(pichtr, "ops@pichtr.example")
    inbox = Inbox()
    with smtp_server(inbox) as port, smtp_settings(port):
        scheduler = ReportScheduler(check_minutes=5, first_check_seconds=0.1)
        job = scheduler.job
        assert job.coalesce is True and job.max_instances == 1
        assert job.misfire_grace_time == 300
        assert job.trigger.interval == timedelta(minutes=5)
        scheduler.start()
        try:
            deadline = time.monotonic() + 30
            while not inbox.received and time.monotonic() < deadline:
                time.sleep(0.1)
        finally:
            scheduler.stop()
    [row] = messages()
    assert row.status is ReportStatus.SENT
    assert row.report_date == due_report_date(org_named("pichtr"), utcnow())
    assert len(inbox.received) == 1
