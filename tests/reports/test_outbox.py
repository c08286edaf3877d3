"""The outbox against a real SMTP server: written once, sent once, retried, failed, cancelled,
and shared safely by concurrent writers and senders (both backends)."""

import csv
import io
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from app.organizations.models import Side
from app.reports.models import ReportStatus, WhenNothingNew
from app.reports.outbox import SendSummary, run_nightly, send_pending, write_night
from app.reports.unsubscribe import token_for
from tests.reports.conftest import SECRET, World
from tests.reports.outbox_data import (
    messages,
    org_named,
    organization,
    recipient,
    solicitation_at,
)
from tests.reports.smtp import Inbox, free_port, smtp_server, smtp_settings

NIGHT = date(2026, 12, 1)
# 08:00 in New York (PICHTR sends at 07:00) and 22:00 in Tokyo (JETRO at 08:00): both due.
NOW = datetime(2026, 12, 1, 13, 0, tzinfo=UTC)
RETRY = {"KAKEHASHI_REPORT_RETRY_SECONDS": "60", "KAKEHASHI_REPORT_MAX_ATTEMPTS": "3"}


@pytest.fixture
def inbox(database_url: str) -> Iterator[Inbox]:
    box = Inbox()
    with smtp_server(box) as port, smtp_settings(port, **RETRY):
        yield box


@pytest.fixture
def orgs(database_url: str) -> dict[str, int]:
    return {
        "pichtr": organization(
            "pichtr", side=Side.US, send_time="07:00", zone="America/New_York", platform=True
        ),
        "jetro": organization("jetro", side=Side.JP, send_time="08:00", zone="Asia/Tokyo"),
    }


def test_a_night_is_written_then_sent_once(inbox: Inbox, orgs: dict[str, int]) -> None:
    ops = recipient(orgs["pichtr"], "ops@pichtr.example", name="Pat Ops")
    quiet = recipient(
        orgs["pichtr"],
        "quiet@pichtr.example",
        areas=["additive-manufacturing"],
        when_nothing_new=WhenNothingNew.NO_MAIL,
    )
    kenji = recipient(orgs["jetro"], "kenji@jetro.example", locale="ja")
    solicitation_at(datetime(2026, 12, 1, 3, 0, tzinfo=UTC))

    summary = run_nightly(now=NOW)

    assert [(n.organization, n.report_date) for n in summary.nights] == [
        ("pichtr", NIGHT),
        ("jetro", NIGHT),
    ]
    assert summary.sending is not None and summary.sending.sent == 2
    rows = {row.recipient_id: row for row in messages()}
    assert rows[ops].status is ReportStatus.SENT and rows[ops].attempts == 1
    assert rows[quiet].status is ReportStatus.SKIPPED and rows[quiet].mime == ""
    assert rows[kenji].status is ReportStatus.SENT
    assert rows[ops].window_end == datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    assert rows[kenji].window_end == datetime(2026, 11, 30, 23, 0, tzinfo=UTC)
    assert rows[ops].summary["solicitations"] == 1

    [to_ops] = inbox.to("ops@pichtr.example")
    [to_kenji] = inbox.to("kenji@jetro.example")
    assert inbox.to("quiet@pichtr.example") == []
    assert to_ops.message["Message-ID"] == f"<{rows[ops].message_id}>"
    assert to_ops.message["Subject"] == rows[ops].subject
    assert to_kenji.message["Subject"] == rows[kenji].subject
    # A long link is folded onto its own line (RFC 5322 folding; clients unfold it).
    assert to_kenji.message["List-Unsubscribe"].strip() == (
        f"<http://127.0.0.1:8000/reports/unsubscribe/{token_for(kenji)}>"
    )
    assert to_ops.data.decode().replace("\r\n", "\n") == rows[ops].mime.replace("\r\n", "\n")

    # The same night again, now or an hour later: nothing written, nothing sent.
    for later in (NOW, NOW + timedelta(hours=1)):
        again = run_nightly(now=later)
        assert {w.outcome for n in again.nights for w in n.written} == {"exists"}
        assert again.sending == SendSummary()
    assert len(inbox.received) == 2 and len(messages()) == 3

    # The next night starts exactly where this one ended.
    run_nightly(now=NOW + timedelta(days=1))
    nights = [row for row in messages() if row.recipient_id == ops]
    assert [row.report_date for row in nights] == [NIGHT, NIGHT + timedelta(days=1)]
    assert nights[1].window_start == nights[0].window_end
    assert nights[1].summary["solicitations"] == 0  # the solicitation is not repeated


def test_smtp_down_then_up_sends_once_and_loses_nothing(
    database_url: str, orgs: dict[str, int]
) -> None:
    recipient(orgs["pichtr"], "ops@pichtr.example")
    recipient(orgs["pichtr"], "second@pichtr.example")
    port = free_port()
    with smtp_settings(port, **RETRY):
        down = run_nightly(org_slug="pichtr", now=NOW)
        assert down.sending is not None and down.sending.retrying == 1
        row, untried = messages()
        # One connection attempt per pass: the rest wait, untried, for the next pass.
        assert untried.status is ReportStatus.PENDING and untried.attempts == 0
        assert untried.next_attempt_at is None and untried.last_error is None
        assert row.status is ReportStatus.PENDING and row.attempts == 1
        assert row.last_error and f"127.0.0.1:{port} unavailable" in row.last_error
        assert row.next_attempt_at == NOW + timedelta(seconds=60)
        assert row.claimed_by is None

        inbox = Inbox()
        with smtp_server(inbox, port=port):
            # The first one is not due yet: only the untried one goes.
            assert send_pending(NOW + timedelta(seconds=30)).sent == 1
            assert send_pending(NOW + timedelta(seconds=61)).sent == 1
            assert send_pending(NOW + timedelta(hours=1)) == SendSummary()
    row, second = messages()
    assert row.status is ReportStatus.SENT and row.attempts == 2 and row.last_error is None
    assert second.status is ReportStatus.SENT and second.attempts == 1
    assert [r.rcpt_tos for r in inbox.received] == [[second.to_address], [row.to_address]]
    assert inbox.received[1].message["Message-ID"] == f"<{row.message_id}>"


def test_a_refusal_fails_at_once_and_a_busy_server_after_the_attempts(
    inbox: Inbox, orgs: dict[str, int]
) -> None:
    refused = recipient(orgs["pichtr"], "gone@pichtr.example")
    inbox.refuse_rcpt = "550 5.1.1 mailbox unavailable"
    run_nightly(org_slug="pichtr", now=NOW)
    [row] = messages()
    assert row.recipient_id == refused
    assert row.status is ReportStatus.FAILED and row.attempts == 1
    assert row.last_error == "550 5.1.1 mailbox unavailable"

    inbox.refuse_rcpt = None
    inbox.refuse_data = "451 4.3.0 try again later"
    busy = recipient(orgs["jetro"], "busy@jetro.example", locale="ja")
    run_nightly(org_slug="jetro", now=NOW)
    when = NOW
    for attempt, delay in ((1, 60), (2, 120)):
        row = next(r for r in messages() if r.recipient_id == busy)
        assert row.status is ReportStatus.PENDING and row.attempts == attempt
        assert row.next_attempt_at == when + timedelta(seconds=delay)  # doubling back-off
        when = row.next_attempt_at
        send_pending(when)
    row = next(r for r in messages() if r.recipient_id == busy)
    assert row.status is ReportStatus.FAILED and row.attempts == 3
    assert row.last_error == "451 4.3.0 try again later" and row.next_attempt_at is None
    assert send_pending(when + timedelta(days=1)) == SendSummary()  # failed stays failed
    assert inbox.received == []


def test_opting_out_cancels_the_pending_report_and_stops_the_next(
    inbox: Inbox, orgs: dict[str, int], client: TestClient
) -> None:
    leaving = recipient(orgs["jetro"], "leaving@jetro.example", locale="ja")
    staying = recipient(orgs["jetro"], "staying@jetro.example")
    jetro = org_named("jetro")
    from app.db import session_scope

    with session_scope() as session:
        write_night(session, organization=jetro, report_date=NIGHT, now=NOW)
    one_click = client.post(
        f"/reports/unsubscribe/{token_for(leaving)}", data={"List-Unsubscribe": "One-Click"}
    )
    assert one_click.status_code == 200

    sending = send_pending(NOW)
    assert sending.sent == 1 and sending.cancelled == 1
    statuses = {row.recipient_id: row.status for row in messages()}
    assert statuses == {leaving: ReportStatus.CANCELLED, staying: ReportStatus.SENT}
    run_nightly(org_slug="jetro", now=NOW + timedelta(days=1))
    assert [row.recipient_id for row in messages()].count(leaving) == 1
    assert inbox.to("leaving@jetro.example") == []
    assert len(inbox.to("staying@jetro.example")) == 2


def test_concurrent_writers_write_each_report_once(inbox: Inbox, orgs: dict[str, int]) -> None:
    ids = [recipient(orgs["jetro"], f"r{n}@jetro.example") for n in range(6)]
    jetro = org_named("jetro")
    outcomes: list[str] = []
    barrier = threading.Barrier(3)

    def write() -> None:
        from app.db import get_sessionmaker

        barrier.wait()
        with get_sessionmaker()() as session:
            written = write_night(session, organization=jetro, report_date=NIGHT, now=NOW)
        outcomes.extend(w.outcome for w in written)

    threads = [threading.Thread(target=write) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert Counter(row.recipient_id for row in messages()) == dict.fromkeys(ids, 1)
    assert Counter(outcomes) == {"written": 6, "exists": 12}


def test_concurrent_senders_send_each_report_once(inbox: Inbox, orgs: dict[str, int]) -> None:
    addresses = [f"r{n}@jetro.example" for n in range(12)]
    for address in addresses:
        recipient(orgs["jetro"], address)
    from app.db import session_scope

    with session_scope() as session:
        write_night(session, organization=org_named("jetro"), report_date=NIGHT, now=NOW)
    summaries: list[SendSummary] = []
    barrier = threading.Barrier(3)

    def send() -> None:
        barrier.wait()
        summaries.append(send_pending(NOW))

    threads = [threading.Thread(target=send) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert sum(s.sent for s in summaries) == 12
    assert sorted(a for r in inbox.received for a in r.rcpt_tos) == sorted(addresses)
    assert {row.status for row in messages()} == {ReportStatus.SENT}


class InterruptAfter:
    """A progress display whose user presses Ctrl-C after `steps` recipients."""

    def __init__(self, steps: int) -> None:
        self.left = steps

    def begin(self, label: str, total: int) -> None:
        pass

    def step(self) -> None:
        self.left -= 1
        if self.left == 0:
            raise KeyboardInterrupt


def test_an_interrupted_night_resumes_where_it_stopped(inbox: Inbox, orgs: dict[str, int]) -> None:
    ids = [recipient(orgs["jetro"], f"r{n}@jetro.example") for n in range(4)]
    with pytest.raises(KeyboardInterrupt):
        run_nightly(org_slug="jetro", now=NOW, progress=InterruptAfter(2))
    assert [row.recipient_id for row in messages()] == ids[:2]  # each row kept on its own
    assert inbox.received == []  # interrupted before sending

    resumed = run_nightly(org_slug="jetro", now=NOW)
    assert [w.outcome for w in resumed.nights[0].written] == [
        "exists",
        "exists",
        "written",
        "written",
    ]
    assert resumed.sending is not None and resumed.sending.sent == 4
    assert sorted(a for r in inbox.received for a in r.rcpt_tos) == [
        f"r{n}@jetro.example" for n in range(4)
    ]


def test_the_reports_as_received(inbox: Inbox, world: World) -> None:
    """The real reports of both sides, through the outbox and a real SMTP server: parts,
    attachment, Japanese text, and no controlled description for the Japan side."""
    from app.db import session_scope, utcnow
    from app.reports.schedule import send_instant

    ops = recipient(world.pichtr, "ops@pichtr.example", name="Pat Ops")
    kenji = recipient(world.jetro, "kenji@jetro.example", locale="ja", name="山田 健二")
    now = utcnow() + timedelta(seconds=1)
    for org_id in (world.pichtr, world.jetro):
        org = org_named("pichtr" if org_id == world.pichtr else "jetro")
        night = now.date() + timedelta(days=1)  # due later: this report ends now
        assert send_instant(org, night) > now
        with session_scope() as session:
            write_night(session, organization=org, report_date=night, now=now)
    assert send_pending(now).sent == 2
    rows = {row.recipient_id: row for row in messages()}

    [to_ops] = inbox.to("ops@pichtr.example")
    english = to_ops.message
    assert english["Subject"] == rows[ops].subject
    assert english["Subject"].startswith("Kakehashi nightly report, ")
    text = english.get_body(("plain",))
    html = english.get_body(("html",))
    assert text is not None and html is not None
    assert "Ka-band GaN amplifiers" in text.get_content()
    assert "Ka-band GaN amplifiers" in html.get_content()
    [attachment] = english.iter_attachments()
    assert attachment.get_content_type() == "text/csv"
    assert attachment.get_filename() == f"kakehashi-report-{rows[ops].report_date}.csv"
    table = list(csv.DictReader(io.StringIO(attachment.get_content().lstrip("\ufeff"))))
    assert table and {"Title", "Company", "Company (Japanese)"} <= set(table[0])
    assert any(
        row["Title"] == "Ka-band GaN amplifiers"
        and row["Company (Japanese)"] == "アオイGaNデバイス株式会社"
        for row in table
    )
    assert len(table) == rows[ops].summary["matches"]

    [to_kenji] = inbox.to("kenji@jetro.example")
    japanese = to_kenji.message
    assert japanese["Subject"] == rows[kenji].subject and not japanese["Subject"].isascii()
    assert japanese["To"].addresses[0].display_name == "山田 健二"
    bodies = [
        part.get_content() for part in japanese.walk() if part.get_content_maintype() == "text"
    ]
    assert any("ITAR GaN amplifiers" in body for body in bodies)  # its public fields
    assert not any(SECRET in body for body in bodies)  # never its description
    assert SECRET not in to_kenji.data.decode("ascii")  # nor in the raw message


def test_a_pass_tries_each_report_once_even_without_back_off(
    database_url: str, orgs: dict[str, int]
) -> None:
    recipient(orgs["jetro"], "busy@jetro.example")
    inbox = Inbox(refuse_data="451 4.3.0 try again later")
    with smtp_server(inbox) as port, smtp_settings(port, KAKEHASHI_REPORT_RETRY_SECONDS="0"):
        first = run_nightly(org_slug="jetro", now=NOW)
        assert first.sending is not None and first.sending.retrying == 1
        [row] = messages()
        assert row.status is ReportStatus.PENDING and row.attempts == 1
        inbox.refuse_data = None
        assert send_pending(NOW).sent == 1  # due again at once: the next pass sends it
    assert len(inbox.received) == 1


def test_without_a_mail_server_reports_wait_in_the_outbox_untried(
    database_url: str, orgs: dict[str, int]
) -> None:
    ops = recipient(orgs["pichtr"], "ops@pichtr.example")
    with smtp_settings(free_port(), KAKEHASHI_SMTP_HOST=""):
        waiting = run_nightly(org_slug="pichtr", now=NOW)
    assert waiting.sending is not None
    assert waiting.sending.waiting_for_server == 1 and waiting.sending.retrying == 0
    [row] = messages()
    assert row.recipient_id == ops and row.status is ReportStatus.PENDING
    assert row.attempts == 0 and row.last_error is None and row.next_attempt_at is None

    inbox = Inbox()
    with smtp_server(inbox) as port, smtp_settings(port):
        assert send_pending(NOW + timedelta(minutes=5)).sent == 1
    assert [r.rcpt_tos for r in inbox.received] == [["ops@pichtr.example"]]


def test_the_capability_gap_section_as_received(inbox: Inbox, world: World) -> None:
    """The latest weekly snapshot's least covered areas (three at most) and the
    authorization-locked ones, with the link to the page, in both languages."""
    from app.db import session_scope, utcnow
    from app.insights.models import InsightSnapshot
    from app.insights.snapshots import week_of

    recipient(world.pichtr, "ops@pichtr.example", name="Pat Ops")
    recipient(world.jetro, "kenji@jetro.example", locale="ja", name="山田 健二")
    now = utcnow() + timedelta(seconds=1)
    figures = {  # area: (open, uncovered share, locked share)
        "space": (2, 1.0, 1.0),
        "quantum": (2, 0.5, 0.0),
        "cyber": (4, 0.25, 0.0),
        "energy": (5, 0.2, 0.0),
        "robotics": (1, 0.0, 0.0),
    }
    with session_scope() as session:
        for org_id in (world.pichtr, world.jetro):
            for week in (week_of(now) - timedelta(weeks=1), week_of(now)):
                for area, (n, uncovered, locked) in figures.items():
                    # Last week's figures differ: only the latest week is reported.
                    stale = week < week_of(now)
                    session.add(
                        InsightSnapshot(
                            organization_id=org_id,
                            week_start=week,
                            area_slug=area,
                            open_solicitations=n,
                            uncovered_share=0.9 if stale and area == "robotics" else uncovered,
                            authorization_locked_share=locked,
                            details={},
                        )
                    )
    with session_scope() as session:
        for org_id in (world.pichtr, world.jetro):
            org = org_named("pichtr" if org_id == world.pichtr else "jetro")
            write_night(
                session, organization=org, report_date=now.date() + timedelta(days=1), now=now
            )
    assert send_pending(now).sent == 2

    english = inbox.to("ops@pichtr.example")[0].message
    text = english.get_body(("plain",)).get_content().replace("\r\n", "\n")
    section = text.split("== Capability gaps (week of ")[1].split("\n-- ")[0]
    assert "Least covered areas:\n* Space: 100% of 2 open solicitations uncovered" in section
    assert "* Quantum" in section and "* Cyber" in section
    assert "Energy" not in section and "Robotics" not in section
    assert "Waiting for an export authorization:\n* Space: 100% of 2" in section
    assert "http://127.0.0.1:8000/admin/insights" in section
    html = english.get_body(("html",)).get_content()
    assert 'href="http://127.0.0.1:8000/admin/insights"' in html and "Capability gaps" in html

    japanese = inbox.to("kenji@jetro.example")[0].message
    text = japanese.get_body(("plain",)).get_content()
    assert "能力ギャップ" in text and "宇宙: 募集中の公募 2 件のうち 100% がカバーなし" in text
    assert "輸出許可待ちの分野" in text
