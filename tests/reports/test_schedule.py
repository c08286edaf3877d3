"""Report dates, send instants and windows in each organization's zone, across daylight-saving
changes (exact instants), and the worker's schedule of checks."""

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

import pytest

from app.organizations.models import Organization
from app.reports.schedule import due_report_date, send_instant, window_end


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
