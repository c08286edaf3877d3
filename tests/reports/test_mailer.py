"""A report as a mail message, as a real SMTP server receives it, and how refusals read."""

import csv
import io
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest

from app.config import get_settings
from app.reports.mailer import SendError, SmtpSender, compose, new_message_id
from app.reports.render import RenderedReport
from tests.reports.smtp import Inbox, free_port, smtp_server, smtp_settings

UNSUBSCRIBE = "https://kakehashi.example/reports/unsubscribe/MQ.abc"
CSV = "solicitation,partner,score\r\nW15QKN-27-9-0101,カワセミマイクロ波デバイス株式会社,0.82\r\n"


def rendered(csv_text: str = CSV) -> RenderedReport:
    return RenderedReport(
        subject="夜間マッチングレポート 2026-12-01: 新規案件 1 件",
        text="新規・変更のあった案件\n\nRad-hard GaN power amplifiers — カワセミ (0.82)\n",
        html="<html><body><h1>夜間マッチングレポート</h1><p>カワセミ 0.82</p></body></html>",
        csv_bytes=csv_text.encode("utf-8"),
        csv_filename="matches-2026-12-01.csv",
    )


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    box = Inbox()
    with smtp_server(box) as port, smtp_settings(port):
        yield box


def test_the_message_as_received(inbox: Inbox) -> None:
    message_id = new_message_id(recipient_id=7, report_date=date(2026, 12, 1))
    mime = compose(
        rendered(),
        to_address="kenji@jetro.example",
        to_name="山田 健二",
        message_id=message_id,
        date=datetime(2026, 12, 1, 7, 0, tzinfo=UTC),
        unsubscribe_url=UNSUBSCRIBE,
    )
    assert mime.isascii()  # stored and sent as 7-bit: any server takes it
    with SmtpSender(get_settings()) as sender:
        sender.send(mime, to_address="kenji@jetro.example")

    [received] = inbox.received
    assert received.rcpt_tos == ["kenji@jetro.example"]
    assert received.mail_from == "reports@kakehashi.invalid"
    message = received.message
    assert message["Subject"] == "夜間マッチングレポート 2026-12-01: 新規案件 1 件"
    assert message["Message-ID"] == f"<{message_id}>"
    assert message_id.endswith("@kakehashi.invalid") and "<" not in message_id
    assert message["To"].addresses[0].display_name == "山田 健二"
    assert message["To"].addresses[0].addr_spec == "kenji@jetro.example"
    assert message["From"] == "Kakehashi <reports@kakehashi.invalid>"
    assert message["Date"].datetime == datetime(2026, 12, 1, 7, 0, tzinfo=UTC)
    assert message["List-Unsubscribe"] == f"<{UNSUBSCRIBE}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Auto-Submitted"] == "auto-generated"

    assert message.get_content_type() == "multipart/mixed"
    alternative, attachment = message.iter_parts()
    assert alternative.get_content_type() == "multipart/alternative"
    text, html = alternative.iter_parts()
    assert text.get_content_type() == "text/plain" and text.get_content_charset() == "utf-8"
    assert "カワセミ (0.82)" in text.get_content()
    assert html.get_content_type() == "text/html"
    assert "<h1>夜間マッチングレポート</h1>" in html.get_content()
    assert message.get_body(("plain",)) is text
    assert attachment.get_content_type() == "text/csv"
    assert attachment.get_filename() == "matches-2026-12-01.csv"
    rows = list(csv.reader(io.StringIO(attachment.get_content())))
    assert rows[1] == ["W15QKN-27-9-0101", "カワセミマイクロ波デバイス株式会社", "0.82"]


def test_a_report_without_matches_has_no_attachment(inbox: Inbox) -> None:
    mime = compose(
        rendered(csv_text=""),
        to_address="ops@pichtr.example",
        to_name=None,
        message_id="report.x@kakehashi.invalid",
        date=datetime(2026, 12, 1, 17, 0, tzinfo=UTC),
        unsubscribe_url=UNSUBSCRIBE,
    )
    with SmtpSender(get_settings()) as sender:
        sender.send(mime, to_address="ops@pichtr.example")
    message = inbox.received[0].message
    assert [p.get_content_type() for p in message.walk()] == [
        "multipart/mixed",
        "multipart/alternative",
        "text/plain",
        "text/html",
    ]
    assert list(message.iter_attachments()) == []


def _mime() -> str:
    return compose(
        rendered(),
        to_address="a@example.jp",
        to_name=None,
        message_id="report.y@kakehashi.invalid",
        date=datetime(2026, 12, 1, tzinfo=UTC),
        unsubscribe_url=UNSUBSCRIBE,
    )


def test_a_refused_recipient_is_permanent_and_the_connection_serves_the_next(
    inbox: Inbox,
) -> None:
    with SmtpSender(get_settings()) as sender:
        inbox.refuse_rcpt = "550 5.1.1 mailbox unavailable"
        with pytest.raises(SendError) as refused:
            sender.send(_mime(), to_address="a@example.jp")
        assert refused.value.permanent
        assert str(refused.value) == "550 5.1.1 mailbox unavailable"
        inbox.refuse_rcpt = None
        sender.send(_mime(), to_address="a@example.jp")
    assert len(inbox.received) == 1


def test_a_busy_server_is_temporary(inbox: Inbox) -> None:
    inbox.refuse_data = "451 4.3.0 try again later"
    with SmtpSender(get_settings()) as sender, pytest.raises(SendError) as busy:
        sender.send(_mime(), to_address="a@example.jp")
    assert not busy.value.permanent and not busy.value.unreachable
    assert str(busy.value).startswith("451 4.3.0")
    assert inbox.received == []


def test_no_server_is_temporary_and_names_where() -> None:
    port = free_port()
    with (
        smtp_settings(port),
        SmtpSender(get_settings()) as sender,
        pytest.raises(SendError) as down,
    ):
        sender.send(_mime(), to_address="a@example.jp")
    assert not down.value.permanent and down.value.unreachable
    assert f"127.0.0.1:{port} unavailable" in str(down.value)


def test_a_sign_in_problem_never_shows_the_password(inbox: Inbox) -> None:
    password = "hunter2-never-shown"
    port = get_settings().smtp_port
    with (
        smtp_settings(port, KAKEHASHI_SMTP_USER="reports", KAKEHASHI_SMTP_PASSWORD=password),
        SmtpSender(get_settings()) as sender,
        pytest.raises(SendError) as refused,
    ):
        # The loopback server offers no AUTH (not over plain text): sending cannot sign in.
        sender.send(_mime(), to_address="a@example.jp")
    assert not refused.value.permanent  # the settings' fault: the report waits for a fix
    assert password not in str(refused.value) and password not in repr(refused.value)
    assert inbox.received == []
