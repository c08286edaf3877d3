"""The outbox of nightly reports: each night's reports are written first, then sent.

Writing: one row per active recipient and report date (the idempotency key), each in its own
transaction, so a rerun or a second process writes nothing twice and an interrupted run
resumes where it stopped. Sending: a sender claims one due row at a time (on PostgreSQL with
SKIP LOCKED, so concurrent senders never take the same row), commits the claim, talks to the
SMTP server outside any transaction, then records how it went. A sender that dies holding a
claim loses it when the claim expires, or at once when its process is gone from this host.

Delivery is at least once: a crash after the server took a message and before "sent" was
committed sends it again, with the same Message-ID."""

import logging
import os
import secrets
import socket
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.config import get_settings
from app.db import (
    get_read_sessionmaker,
    get_sessionmaker,
    read_only_session,
    unique_violation,
    utcnow,
)
from app.organizations.models import Organization
from app.organizations.service import get_by_slug
from app.reports.content import Audience, ReportCache, build_report
from app.reports.mailer import SendError, SmtpSender, compose, new_message_id
from app.reports.models import ReportMessage, ReportRecipient, ReportStatus, WhenNothingNew
from app.reports.render import render, render_nothing_new
from app.reports.schedule import due_report_date, window_end, window_start
from app.reports.unsubscribe import unsubscribe_url

log = logging.getLogger(__name__)

SUBJECT_LIMIT = 300


class Progress(Protocol):
    """Where a long run reports how far it got (the CLI draws a progress bar)."""

    def begin(self, label: str, total: int) -> None: ...

    def step(self) -> None: ...


class _Silent:
    def begin(self, label: str, total: int) -> None:
        pass

    def step(self) -> None:
        pass


# -- writing a night -----------------------------------------------------------------------


@dataclass(frozen=True)
class Written:
    """What happened to one recipient's report for the night."""

    recipient_id: int
    email: str
    # "written" (pending, to be sent), "skipped" (nothing new, no mail wanted), "exists"
    # (an earlier run wrote it), or "dry_run" (built and shown, not written).
    outcome: str
    subject: str
    summary: dict[str, int]
    nothing_new: bool = False


def write_night(
    session: Session,
    *,
    organization: Organization,
    report_date: date,
    now: datetime,
    dry_run: bool = False,
    progress: Progress | None = None,
    cache: ReportCache | None = None,
) -> list[Written]:
    """Write the organization's reports for `report_date`, one row per active recipient who
    has none yet, each committed on its own (`session` is committed after every row). The
    reports are built from a read-only session, so on SQLite no write lock is held while
    they are. A dry run builds and renders them and writes nothing. Pass one `cache` to the
    organizations of one run: they rank each solicitation once between them."""
    progress = progress or _Silent()
    end = window_end(organization, report_date, now)
    results: list[Written] = []
    with read_only_session(session) as reader:
        recipients = reader.scalars(
            select(ReportRecipient)
            .where(
                ReportRecipient.organization_id == organization.id,
                ReportRecipient.opted_out_at.is_(None),
            )
            .order_by(ReportRecipient.id)
        ).all()
        done = set(
            reader.scalars(
                select(ReportMessage.recipient_id).where(
                    ReportMessage.organization_id == organization.id,
                    ReportMessage.report_date == report_date,
                )
            )
        )
        progress.begin(f"{organization.slug} {report_date}", len(recipients))
        cache = cache if cache is not None else ReportCache()
        for recipient in recipients:
            if recipient.id in done:
                results.append(
                    Written(recipient.id, recipient.email, "exists", "", {}, nothing_new=False)
                )
                progress.step()
                continue
            message = _message_for(
                reader, recipient, report_date=report_date, end=end, now=now, cache=cache
            )
            nothing_new = message.summary.get("nothing_new", 0) == 1
            summary = {k: v for k, v in message.summary.items() if k != "nothing_new"}
            if dry_run:
                outcome = "dry_run"
            elif _insert(session, message):
                outcome = "skipped" if message.status is ReportStatus.SKIPPED else "written"
            else:
                outcome = "exists"
            results.append(
                Written(
                    recipient.id, recipient.email, outcome, message.subject, summary, nothing_new
                )
            )
            progress.step()
    return results


def _message_for(
    reader: Session,
    recipient: ReportRecipient,
    *,
    report_date: date,
    end: datetime,
    now: datetime,
    cache: ReportCache,
) -> ReportMessage:
    """The outbox row of one recipient's report, composed and ready to send (not added)."""
    start = window_start(reader, recipient_id=recipient.id, report_date=report_date, end=end)
    report = build_report(
        reader,
        audience=Audience.of(recipient),
        report_date=report_date,
        window_start=start,
        window_end=end,
        cache=cache,
    )
    link = unsubscribe_url(recipient)
    nothing_new = report.nothing_new
    rendered = (
        render_nothing_new(report, unsubscribe_url=link)
        if nothing_new
        else render(report, unsubscribe_url=link)
    )
    skipped = nothing_new and recipient.when_nothing_new is WhenNothingNew.NO_MAIL
    message_id = new_message_id(recipient_id=recipient.id, report_date=report_date)
    summary: dict[str, Any] = {**report.summary(), "nothing_new": int(nothing_new)}
    return ReportMessage(
        organization_id=recipient.organization_id,
        recipient_id=recipient.id,
        report_date=report_date,
        window_start=start,
        window_end=end,
        to_address=recipient.email,
        locale=recipient.locale,
        subject=rendered.subject[:SUBJECT_LIMIT],
        message_id=message_id,
        mime=""
        if skipped
        else compose(
            rendered,
            to_address=recipient.email,
            to_name=recipient.name,
            message_id=message_id,
            date=now,
            unsubscribe_url=link,
        ),
        summary=summary,
        status=ReportStatus.SKIPPED if skipped else ReportStatus.PENDING,
    )


def _insert(session: Session, message: ReportMessage) -> bool:
    """Add and commit one row; False when another run wrote this recipient's night first
    (on PostgreSQL the INSERT waits for that run's commit, then meets the unique key)."""
    try:
        with session.begin_nested():
            session.add(message)
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        if unique_violation(exc) is None:
            raise
        return False
    return True


# -- sending -------------------------------------------------------------------------------


@dataclass
class SendSummary:
    """How one pass over the outbox went."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    cancelled: int = 0
    # Due reports left in the outbox because no mail server is set (KAKEHASHI_SMTP_HOST).
    waiting_for_server: int = 0
    errors: list[str] = field(default_factory=list)


def sender_id() -> str:
    """This sender, as a claim names it: host, process and a nonce per pass."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def _clock(now: datetime) -> datetime:
    # Claims and back-off follow the real clock (a long pass must not hand out claims that
    # are already expired), or a later `now` given by the caller.
    return max(now, utcnow())


def send_pending(
    now: datetime | None = None,
    *,
    organization_id: int | None = None,
    progress: Progress | None = None,
) -> SendSummary:
    """Send every due report (pending and due, or held by a dead sender) once; each is
    claimed, sent and recorded on its own. Reports of recipients who opted out are
    cancelled. Ctrl-C gives the report in hand back (pending) before it stops."""
    settings = get_settings()
    progress = progress or _Silent()
    now = now or utcnow()
    summary = SendSummary()
    summary.cancelled = _cancel_opted_out(_clock(now), organization_id)
    _release_dead_claims()
    if not settings.smtp_host:
        # A fresh install has no mail server: reports wait in the outbox (readable in the
        # API and the admin pages) and go out once one is set, counting no failed attempt.
        summary.waiting_for_server = _count_due(_clock(now), organization_id)
        return summary
    worker = sender_id()
    progress.begin("sending", _count_due(_clock(now), organization_id))
    # Reports put back to pending in this pass; excluded so a zero back-off cannot loop.
    retried: list[int] = []
    with SmtpSender(settings) as smtp:
        while True:
            claimed = _claim_next(
                _clock(now), worker, exclude=retried, organization_id=organization_id
            )
            if claimed is None:
                break
            message_id, to_address, mime = claimed
            try:
                smtp.send(mime, to_address=to_address)
            except SendError as exc:
                status = _record_failure(message_id, worker, exc, _clock(now))
                if status is ReportStatus.FAILED:
                    summary.failed += 1
                else:
                    summary.retrying += 1
                    retried.append(message_id)
                summary.errors.append(f"{to_address}: {exc}")
                if exc.unreachable:
                    # Leave the rest pending and untried rather than wait out a connection
                    # time-out for each of them: the next pass tries again.
                    progress.step()
                    break
            except BaseException:
                _release(message_id, worker)
                raise
            else:
                _record_sent(message_id, worker)
                summary.sent += 1
            progress.step()
    return summary


def _due(clock: datetime) -> Any:
    pending_due = and_(
        ReportMessage.status == ReportStatus.PENDING,
        or_(ReportMessage.next_attempt_at.is_(None), ReportMessage.next_attempt_at <= clock),
    )
    abandoned = and_(
        ReportMessage.status == ReportStatus.SENDING, ReportMessage.claimed_until < clock
    )
    return or_(pending_due, abandoned)


def _opted_out() -> Any:
    return exists().where(
        ReportRecipient.id == ReportMessage.recipient_id,
        ReportRecipient.opted_out_at.is_not(None),
    )


def _count_due(clock: datetime, organization_id: int | None) -> int:
    with get_read_sessionmaker()() as session:
        query = select(func.count()).select_from(ReportMessage).where(_due(clock), ~_opted_out())
        if organization_id is not None:
            query = query.where(ReportMessage.organization_id == organization_id)
        return session.scalar(query) or 0


def _cancel_opted_out(clock: datetime, organization_id: int | None) -> int:
    """Cancel the unsent reports of recipients who opted out; how many."""
    with get_sessionmaker()() as session, session.begin():
        statement = (
            update(ReportMessage)
            .where(_due(clock) | (ReportMessage.status == ReportStatus.PENDING), _opted_out())
            .values(status=ReportStatus.CANCELLED, claimed_by=None, claimed_until=None)
            .execution_options(synchronize_session=False)
        )
        if organization_id is not None:
            statement = statement.where(ReportMessage.organization_id == organization_id)
        cancelled: int = session.execute(statement).rowcount  # type: ignore[attr-defined]
    if cancelled:
        log.info("cancelled %d report(s) of recipients who opted out", cancelled)
    return cancelled


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def _release_dead_claims() -> None:
    """Give back (as pending) the claims of senders on this host whose process is gone, so a
    killed run's report is sent at once by the next run instead of after the claim expires."""
    host = socket.gethostname()
    with get_sessionmaker()() as session, session.begin():
        held = session.execute(
            select(ReportMessage.id, ReportMessage.claimed_by).where(
                ReportMessage.status == ReportStatus.SENDING,
                ReportMessage.claimed_by.like(f"{host}:%"),
            )
        ).all()
        for message_id, claimed_by in held:
            if claimed_by is None:
                continue
            pid = claimed_by.removeprefix(f"{host}:").partition(":")[0]
            if pid.isdigit() and not _pid_alive(int(pid)):
                log.warning("report %d was held by dead sender %s; giving it back", message_id, pid)
                _release_in(session, message_id, claimed_by)


def _claim_next(
    clock: datetime, worker: str, *, exclude: Sequence[int], organization_id: int | None
) -> tuple[int, str, str] | None:
    """Claim the next due report (committed before it is sent): its id, address and text."""
    claim = timedelta(seconds=get_settings().report_claim_seconds)
    with get_sessionmaker()() as session, session.begin():
        query = (
            select(ReportMessage.id, ReportMessage.to_address, ReportMessage.mime)
            .where(_due(clock), ~_opted_out())
            .order_by(ReportMessage.id)
            .limit(1)
            # Concurrent senders on PostgreSQL pass over each other's rows instead of waiting
            # (SQLite has one writer at a time: its transaction is the lock).
            .with_for_update(skip_locked=True)
        )
        if exclude:
            query = query.where(ReportMessage.id.not_in(exclude))
        if organization_id is not None:
            query = query.where(ReportMessage.organization_id == organization_id)
        row = session.execute(query).first()
        if row is None:
            return None
        session.execute(
            update(ReportMessage)
            .where(ReportMessage.id == row.id)
            .values(status=ReportStatus.SENDING, claimed_by=worker, claimed_until=clock + claim)
            .execution_options(synchronize_session=False)
        )
        return row.id, row.to_address, row.mime


def _holding(message_id: int, worker: str) -> Any:
    return and_(
        ReportMessage.id == message_id,
        ReportMessage.status == ReportStatus.SENDING,
        ReportMessage.claimed_by == worker,
    )


def _record_sent(message_id: int, worker: str) -> None:
    with get_sessionmaker()() as session, session.begin():
        changed = session.execute(
            update(ReportMessage)
            .where(_holding(message_id, worker))
            .values(
                status=ReportStatus.SENT,
                sent_at=utcnow(),
                attempts=ReportMessage.attempts + 1,
                next_attempt_at=None,
                last_error=None,
                claimed_by=None,
                claimed_until=None,
            )
            .execution_options(synchronize_session=False)
        ).rowcount  # type: ignore[attr-defined]
    if changed != 1:
        log.warning("report %d was sent after its claim had lapsed", message_id)


def _record_failure(
    message_id: int, worker: str, error: SendError, clock: datetime
) -> ReportStatus | None:
    """Pending again after a back-off, or failed for good; the status it got."""
    settings = get_settings()
    with get_sessionmaker()() as session, session.begin():
        attempts = session.scalar(
            select(ReportMessage.attempts).where(_holding(message_id, worker))
        )
        if attempts is None:
            return None  # the claim lapsed and another sender has it
        attempts += 1
        if error.permanent or attempts >= settings.report_max_attempts:
            status, next_attempt_at = ReportStatus.FAILED, None
        else:
            delay = settings.report_retry_seconds * 2 ** (attempts - 1)
            status, next_attempt_at = ReportStatus.PENDING, clock + timedelta(seconds=delay)
        session.execute(
            update(ReportMessage)
            .where(_holding(message_id, worker))
            .values(
                status=status,
                attempts=attempts,
                next_attempt_at=next_attempt_at,
                last_error=str(error),
                claimed_by=None,
                claimed_until=None,
            )
            .execution_options(synchronize_session=False)
        )
    log.warning("report %d not sent (%s): %s", message_id, status.value, error)
    return status


def _release_in(session: Session, message_id: int, worker: str) -> None:
    session.execute(
        update(ReportMessage)
        .where(_holding(message_id, worker))
        .values(status=ReportStatus.PENDING, claimed_by=None, claimed_until=None)
        .execution_options(synchronize_session=False)
    )


def _release(message_id: int, worker: str) -> None:
    with get_sessionmaker()() as session, session.begin():
        _release_in(session, message_id, worker)


# -- a whole night -------------------------------------------------------------------------


@dataclass
class Night:
    """One organization's night: its report date and each recipient's outcome."""

    organization: str
    report_date: date
    written: list[Written]


@dataclass
class NightlySummary:
    nights: list[Night]
    sending: SendSummary | None


def run_nightly(
    *,
    report_date: date | None = None,
    org_slug: str | None = None,
    dry_run: bool = False,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> NightlySummary:
    """Write each organization's due night (or `report_date`), then send what is pending.
    Safe to run again at any time, from cron and from several workers at once."""
    now = now or utcnow()
    with get_read_sessionmaker()() as reader:
        if org_slug is not None:
            organizations = [get_by_slug(reader, slug=org_slug)]
        else:
            organizations = list(reader.scalars(select(Organization).order_by(Organization.id)))
    nights = []
    cache = ReportCache()
    session = get_sessionmaker()()
    try:
        for org in organizations:
            night = report_date or due_report_date(org, now)
            written = write_night(
                session,
                organization=org,
                report_date=night,
                now=now,
                dry_run=dry_run,
                progress=progress,
                cache=cache,
            )
            nights.append(Night(org.slug, night, written))
    finally:
        session.rollback()
        session.close()
    sending = None
    if not dry_run:
        only = organizations[0].id if org_slug is not None else None
        sending = send_pending(now, organization_id=only, progress=progress)
    return NightlySummary(nights, sending)
