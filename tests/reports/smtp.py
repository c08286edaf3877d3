"""A real SMTP server on loopback (aiosmtpd) for the report tests, and the settings that
point the sender at it."""

import asyncio
import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    """A loopback port nothing listens on (now)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Received:
    """One message as the server took it."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.data, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class Inbox:
    """The handler: keeps what it takes; can refuse, or stall on the nth message."""

    received: list[Received] = field(default_factory=list)
    # An SMTP reply ("550 5.1.1 ...") given to RCPT TO / to DATA instead of taking the message.
    refuse_rcpt: str | None = None
    refuse_data: str | None = None
    # Hold the nth message (1-based) before answering its DATA, until `release` is set;
    # a stalled message is never kept.
    stall_on: int | None = None
    stalling: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    _seen: int = 0

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if self.refuse_rcpt:
            return self.refuse_rcpt
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse_data:
            return self.refuse_data
        self._seen += 1
        if self.stall_on == self._seen:
            self.stalling.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
            return "451 4.3.0 stalled message dropped"
        self.received.append(
            Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content))
        )
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Received]:
        """The messages that reached `address`."""
        return [r for r in self.received if address in r.rcpt_tos]


@contextmanager
def smtp_server(inbox: Inbox, port: int | None = None) -> Iterator[int]:
    """Serve `inbox` on 127.0.0.1; yields the port."""
    port = port or free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        inbox.release.set()
        controller.stop()


@contextmanager
def smtp_settings(port: int, **extra: str) -> Iterator[None]:
    """Point the settings at 127.0.0.1:port (and any other KAKEHASHI_ setting given)."""
    from app.config import get_settings

    values = {"KAKEHASHI_SMTP_HOST": "127.0.0.1", "KAKEHASHI_SMTP_PORT": str(port), **extra}
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    get_settings.cache_clear()
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        get_settings.cache_clear()
