"""A rendered report as a mail message, and sending stored messages over SMTP.

The message is composed once, when the report is written to the outbox, and stored whole:
every attempt sends the same bytes, so the Message-ID (and the Date) never change and a
receiving server or client can tell a repeat from a new report."""

import secrets
import smtplib
import ssl
from dataclasses import dataclass
from datetime import date, datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from types import TracebackType

from app.config import Settings, get_settings
from app.reports.render import RenderedReport

# Quoted-printable or base64 bodies and encoded headers: the stored text is plain ASCII and
# passes through any server, with or without 8BITMIME or SMTPUTF8.
MAIL_POLICY = policy.SMTP.clone(cte_type="7bit")
LAST_ERROR_LIMIT = 500


class SendError(Exception):
    """The server did not take a message. Permanent: it refused this message (5xx) and a
    retry would be refused too; otherwise (no connection, time-out, 4xx) try again later."""

    def __init__(self, message: str, *, permanent: bool, unreachable: bool = False) -> None:
        super().__init__(message[:LAST_ERROR_LIMIT])
        self.permanent = permanent
        # No connection to the server at all: the next message would fare no better.
        self.unreachable = unreachable


def sender_address(settings: Settings | None = None) -> str:
    """The bare address of settings.mail_from, for the envelope and the Message-ID."""
    return parseaddr((settings or get_settings()).mail_from)[1] or "reports@kakehashi.invalid"


def new_message_id(*, recipient_id: int, report_date: date) -> str:
    """A unique Message-ID (without angle brackets) in the sender's domain."""
    domain = sender_address().rpartition("@")[2] or "kakehashi.invalid"
    return f"report.{report_date:%Y%m%d}.{recipient_id}.{secrets.token_hex(8)}@{domain}"


def compose(
    rendered: RenderedReport,
    *,
    to_address: str,
    to_name: str | None,
    message_id: str,
    date: datetime,
    unsubscribe_url: str,
) -> str:
    """The whole message as stored and sent: multipart/mixed holding a multipart/alternative
    of the plain text and the HTML, and the CSV of matches when there is one."""
    message = EmailMessage(policy=MAIL_POLICY)
    message["Message-ID"] = f"<{message_id}>"
    message["Date"] = format_datetime(date)
    message["From"] = get_settings().mail_from
    message["To"] = Address(display_name=to_name or "", addr_spec=to_address)
    message["Subject"] = rendered.subject
    # RFC 2369 and RFC 8058: mail clients show an unsubscribe button that POSTs to the link.
    message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    # RFC 3834: no vacation or out-of-office replies to a machine-sent report.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(rendered.text, charset="utf-8")
    message.add_alternative(rendered.html, subtype="html", charset="utf-8")
    message.make_mixed()
    if rendered.csv_bytes:
        message.add_attachment(
            rendered.csv_bytes,
            maintype="text",
            subtype="csv",
            filename=rendered.csv_filename,
            params={"charset": "utf-8"},
        )
    return message.as_string(policy=MAIL_POLICY)


@dataclass
class SmtpSender:
    """Sends stored messages over one SMTP connection, opened on first use and opened again
    after a failure. Use as a context manager so the connection is closed."""

    settings: Settings
    _smtp: smtplib.SMTP | None = None

    def __enter__(self) -> "SmtpSender":
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Say QUIT (or just drop a broken connection)."""
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if s.smtp_tls == "ssl":
            smtp = smtplib.SMTP_SSL(
                s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_seconds, context=context
            )
        else:
            smtp = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_seconds)
        try:
            if s.smtp_tls == "starttls":
                smtp.starttls(context=context)
            if s.smtp_user:
                smtp.login(s.smtp_user, s.smtp_password)
        except BaseException:
            smtp.close()
            raise
        return smtp

    def send(self, mime: str, *, to_address: str) -> None:
        """Hand one message to the server; SendError says why it did not take it."""
        try:
            if self._smtp is None:
                self._smtp = self._connect()
            self._smtp.sendmail(sender_address(self.settings), [to_address], mime.encode("ascii"))
        except smtplib.SMTPRecipientsRefused as exc:
            code, reason = exc.recipients.get(to_address, (0, b"recipient refused"))
            raise _refusal(code, reason) from None
        except smtplib.SMTPAuthenticationError as exc:
            # Wrong credentials are the settings' fault, not the message's: keep it pending
            # (and never say what was sent).
            self.close()
            raise SendError(f"SMTP sign-in refused ({exc.smtp_code})", permanent=False) from None
        except smtplib.SMTPResponseException as exc:
            # After a refusal of one message the connection serves the next; after anything
            # else start over with a new one.
            if 500 <= exc.smtp_code < 600:
                self._reset()
            else:
                self.close()
            raise _refusal(exc.smtp_code, exc.smtp_error) from None
        except (smtplib.SMTPException, OSError) as exc:
            # No connection, a time-out, a dropped connection or a failed TLS handshake.
            self.close()
            where = f"{self.settings.smtp_host}:{self.settings.smtp_port}"
            raise SendError(
                f"SMTP server {where} unavailable: {type(exc).__name__}: {exc}",
                permanent=False,
                unreachable=True,
            ) from None

    def _reset(self) -> None:
        if self._smtp is None:
            return
        try:
            self._smtp.rset()
        except (smtplib.SMTPException, OSError):
            self.close()


def _refusal(code: int, reason: bytes | str) -> SendError:
    text = reason.decode("utf-8", "replace") if isinstance(reason, bytes) else reason
    return SendError(f"{code} {text}".strip(), permanent=500 <= code < 600)
