"""The report preview in a real browser (Debian's Chromium driven by Playwright): the mail's
HTML part renders in its sandboxed frame with its inline styles, which the admin pages' own
policy forbids, and the browser reports no policy violation."""

import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.db import session_scope
from app.organizations.models import Role
from app.organizations.service import get_by_slug
from app.users import service as users

# Debian's Chromium, its flags for a closed network, and Playwright: the module skips (or,
# with KAKEHASHI_REQUIRE_BROWSER=1, fails) without them.
from tests.admin.test_browser import CHROMIUM, CHROMIUM_ARGS, sync_playwright
from tests.conftest import PASSWORD, Keys
from tests.reports.conftest import World


@pytest.fixture
def live_server(keys: Keys, upload_dir: Path) -> Iterator[str]:
    """The application under uvicorn on a loopback port, with PICHTR's admin ada."""
    import uvicorn

    from app.main import create_app

    with session_scope() as session:
        users.create_user(
            session,
            organization=get_by_slug(session, slug="pichtr"),
            username="ada",
            password=PASSWORD,
            role=Role.ADMIN,
        )
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    server = uvicorn.Server(
        uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


def test_the_mail_renders_styled_in_its_sandboxed_frame(live_server: str, world: World) -> None:
    day = (datetime.now(UTC).date() + timedelta(days=2)).isoformat()
    violations: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.on(
            "console",
            lambda message: (
                violations.append(message.text)
                if "Content Security Policy" in message.text
                else None
            ),
        )
        page.goto(f"{live_server}/admin/login")
        page.fill("#username", "ada")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server}/admin")
        page.goto(f"{live_server}/admin/reports/preview?date={day}")
        mail = page.frame_locator("#preview-html")
        title = mail.get_by_text("Ka-band GaN amplifiers").first
        title.wait_for()
        # The mail's inline style applied: its body has no margin (the browser's default is 8px).
        margin = mail.locator("body").evaluate("body => getComputedStyle(body).margin")
        assert margin == "0px"
        assert page.locator("#preview-text").inner_text().count("Ka-band GaN amplifiers") >= 1
        browser.close()
    assert not violations, violations
