"""The admin pages in a real browser: Debian's Chromium driven by Playwright over loopback.

Screenshots of the key pages are saved under test-artifacts/screenshots (not committed).
"""

import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from app.jobs.worker import drain
from tests.conftest import PASSWORD, People

CHROMIUM = Path("/usr/bin/chromium")
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "imports"
ARTIFACTS = Path(os.environ.get("KAKEHASHI_TEST_ARTIFACTS", "test-artifacts")) / "screenshots"
# Without these Chromium keeps trying to reach Google's hosts from a closed network.
CHROMIUM_ARGS = [
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

try:
    from playwright.sync_api import Browser, Page, expect, sync_playwright
except ImportError:  # pragma: no cover - the dev extra installs it
    sync_playwright = None  # type: ignore[assignment]

if sync_playwright is None or not CHROMIUM.exists():
    reason = "needs Debian's chromium (apt install chromium) and the playwright package"
    if os.environ.get("KAKEHASHI_REQUIRE_BROWSER") == "1":
        raise RuntimeError(reason)
    pytest.skip(reason, allow_module_level=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LiveServer:
    url: str


@pytest.fixture
def live_server(database_url: str, upload_dir: Path, people: People) -> Iterator[LiveServer]:
    """The real application under uvicorn on a loopback port, stopped after the test."""
    import uvicorn

    from app.main import create_app

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    yield LiveServer(f"http://127.0.0.1:{port}")
    server.should_exit = True
    thread.join(10)


@pytest.fixture
def attacker_site(live_server: LiveServer) -> Iterator[str]:
    """Another origin on loopback with forms that post to Kakehashi without a valid token."""
    forms = f"""<!doctype html><html><body>
    <form method="post" action="{live_server.url}/admin/logout">
      <button id="no-token">Win a prize</button></form>
    <form method="post" action="{live_server.url}/admin/logout">
      <input type="hidden" name="csrf_token" value="0123456789abcdef">
      <button id="forged-token">Claim it</button></form>
    </body></html>""".encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(forms)

        def log_message(self, *_args: object) -> None:
            pass

    httpd = HTTPServer(("127.0.0.1", free_port()), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}/"
    httpd.shutdown()


@pytest.fixture
def browser() -> Iterator[Browser]:
    assert sync_playwright is not None
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def fits_the_width(page: Page) -> bool:
    """Whether the page scrolls no further than the viewport is wide (no sideways scrolling)."""
    return bool(page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth"))


def sign_in(page: Page, password: str = PASSWORD) -> None:
    page.get_by_label("User name").fill("alice")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_analyst_imports_a_file_and_reads_its_errors(
    live_server: LiveServer, browser: Browser, attacker_site: str
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server.url}/admin/imports")
    expect(page).to_have_url(f"{live_server.url}/admin/login?next=/admin/imports")
    shot(page, "01-sign-in")

    sign_in(page, password="not my password")
    expect(page.get_by_role("alert")).to_have_text("Wrong user name or password.")
    expect(page.get_by_label("User name")).to_have_value("alice")
    sign_in(page)
    expect(page).to_have_url(f"{live_server.url}/admin/imports")
    expect(page.get_by_role("heading", name="Imports", exact=True)).to_be_visible()

    # Keyboard users reach "skip to content" first.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"

    # Sent without a file: the error is beside the file field, and the choices are kept.
    page.get_by_label("Company profiles").check()
    page.get_by_role("button", name="Import").click()
    expect(page.locator("#file-error")).to_have_text("choose a file to upload")
    expect(page.get_by_label("File (CSV or JSON", exact=False)).to_have_attribute(
        "aria-invalid", "true"
    )
    expect(page.get_by_label("Company profiles")).to_be_checked()
    shot(page, "02-upload-form-error")

    page.get_by_label("File (CSV or JSON", exact=False).set_input_files(
        str(FIXTURES / "companies_bad_rows.csv")
    )
    page.get_by_role("button", name="Import").click()
    expect(page.locator("#run-status")).to_have_text("queued")
    expect(page.get_by_text("Waiting for the job worker")).to_be_visible()
    assert drain(kinds=["import"]) == 1
    # The page refreshes itself until the import is done.
    expect(page.locator("#run-status")).to_have_text("finished", timeout=15_000)
    errors = page.locator("#row-errors tbody tr")
    assert errors.count() > 0
    expect(page.locator("#row-errors")).to_contain_text("check digit")
    expect(page.locator("#summary")).to_contain_text("rejected")
    shot(page, "03-import-run")

    # Phone width: nothing overflows the page sideways; wide tables scroll in their box.
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shot(page, "04-import-run-phone")
    page.set_viewport_size({"width": 1280, "height": 900})

    # Another origin's forms cannot act for the signed-in analyst.
    attacker = context.new_page()
    for button in ("#no-token", "#forged-token"):
        attacker.goto(attacker_site)
        attacker.locator(button).click()
        expect(attacker.get_by_role("heading", name="Request refused")).to_be_visible()
    page.goto(f"{live_server.url}/admin")
    expect(page).to_have_url(f"{live_server.url}/admin")
    expect(page.locator(".brand")).to_contain_text("架け橋")
    shot(page, "05-home")

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(f"{live_server.url}/admin/login")
    page.goto(f"{live_server.url}/admin/imports")
    expect(page).to_have_url(f"{live_server.url}/admin/login?next=/admin/imports")
    context.close()
