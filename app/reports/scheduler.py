"""The worker's clock for nightly reports: every few minutes, write and send what is due.

Each check writes the nights whose send time has come and sends the outbox; a check finds
nothing to do most of the time. Missed checks (a sleeping laptop, a busy process) are
coalesced into one. Several processes may run this at once: the outbox's idempotency key
and its claims, not the scheduler, keep each report written and sent once."""

import logging
from datetime import timedelta

from apscheduler.job import Job
from apscheduler.schedulers.background import BackgroundScheduler

from app.config import get_settings
from app.db import utcnow

log = logging.getLogger(__name__)

JOB_ID = "nightly-reports"
INSIGHTS_JOB_ID = "weekly-insights"


def check_reports() -> None:
    """One check: write the due nights of every organization, then send the outbox."""
    from app.reports.outbox import run_nightly

    try:
        summary = run_nightly()
    except Exception:
        log.exception("nightly report check failed; the next check tries again")
        return
    written = sum(
        1 for night in summary.nights for w in night.written if w.outcome in {"written", "skipped"}
    )
    sending = summary.sending
    if written or (sending and (sending.sent or sending.failed or sending.retrying)):
        log.info(
            "nightly reports: %d written, %d sent, %d to retry, %d failed",
            written,
            sending.sent if sending else 0,
            sending.retrying if sending else 0,
            sending.failed if sending else 0,
        )
    if written and sending and sending.waiting_for_server:
        log.warning(
            "nightly reports: %d wait in the outbox; set KAKEHASHI_SMTP_HOST to send them",
            sending.waiting_for_server,
        )


class ReportScheduler:
    """A BackgroundScheduler (one daemon thread) with the one interval job."""

    def __init__(
        self, *, check_minutes: float | None = None, first_check_seconds: float = 5
    ) -> None:
        minutes = check_minutes or get_settings().report_check_minutes
        self._scheduler = BackgroundScheduler(timezone="UTC")
        self._scheduler.add_job(
            check_reports,
            "interval",
            minutes=minutes,
            id=JOB_ID,
            # The first check right away: a restarted worker catches up at once.
            next_run_time=utcnow() + timedelta(seconds=first_check_seconds),
            coalesce=True,
            max_instances=1,
            # A check that could not start on time still runs if it is late by less than one
            # interval; later than that, the next one does its work.
            misfire_grace_time=max(1, int(minutes * 60)),
        )
        # Capability-gap snapshots: Monday 02:00 UTC, the new ISO week's row per area.
        from app.insights.snapshots import weekly_job

        self._scheduler.add_job(
            weekly_job,
            "cron",
            day_of_week="mon",
            hour=2,
            id=INSIGHTS_JOB_ID,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=6 * 3600,
        )

    @property
    def job(self) -> Job:
        """The checks' job, as the scheduler holds it."""
        job = self._scheduler.get_job(JOB_ID)
        assert job is not None
        return job

    def start(self) -> None:
        """Start the scheduler thread."""
        self._scheduler.start()
        log.info("nightly report checks scheduled")

    def stop(self) -> None:
        """Stop scheduling and wait for a running check to finish."""
        if self._scheduler.running:
            self._scheduler.shutdown(wait=True)
