"""The solicitation and distribution pages in Debian's Chromium: create a solicitation, find a
vetted partner among its matches with an explanation, distribute to it, record its answer,
and read the same pages in Japanese. Screenshots go to KAKEHASHI_SCREENSHOT_DIR."""

import os
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from app.db import session_scope
from app.jobs.worker import drain
from app.users.models import User
from tests.admin import test_browser
from tests.admin.solicitation_world import build_world, keys_for_people

# The shared fixtures of the browser tests (the module skips itself without Chromium).
live_server = test_browser.live_server
browser = test_browser.browser
Browser = test_browser.Browser
Page = test_browser.Page
expect = test_browser.expect
LiveServer = test_browser.LiveServer

SHOTS = Path(os.environ.get("KAKEHASHI_SCREENSHOT_DIR", "test-artifacts/screenshots"))


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def fits_the_width(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_analyst_distributes_a_new_solicitation_and_records_the_answer(
    live_server: LiveServer, browser: Browser, people: object
) -> None:
    from app.main import create_app

    with TestClient(create_app()) as api:
        world = build_world(api, keys_for_people())
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server.url}/admin/solicitations")
    test_browser.sign_in(page)
    expect(page.get_by_role("heading", name="Solicitations", exact=True)).to_be_visible()

    # Create: a wrong NAICS code comes back beside its field with what was typed kept.
    page.get_by_role("link", name="New solicitation").click()
    page.get_by_label("Notice id").fill("BROWSER-1")
    page.get_by_label("Title").fill("GaN amplifiers for Ka-band satellite crosslinks")
    page.get_by_label("Description").fill(
        "Prototype radiation-hardened GaN power amplifier MMICs for Ka-band satellite "
        "crosslinks, in hermetic ceramic packages that survive 100 krad total dose."
    )
    for area in ("space", "trusted-microelectronics"):
        page.locator(f'input[name="technology_areas"][value="{area}"]').check()
    page.get_by_label("NAICS codes").fill("33441X")
    page.get_by_label("Response deadline").fill("2027-06-30")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#naics-error")).to_be_visible()
    expect(page.get_by_label("Title")).to_have_value(
        "GaN amplifiers for Ka-band satellite crosslinks"
    )
    page.get_by_label("NAICS codes").fill("334413")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Matches", exact=True)).to_be_visible()
    drain()

    # The vetted partner is among the matches, with its score bars and the reasons.
    match = page.locator(f"#match-{world['authorized']}")
    expect(match).to_contain_text("Aoi GaN Devices KK")
    expect(match.locator("meter.component-semantic")).to_have_count(1)
    expect(match.locator("mark").first).to_be_visible()
    shot(page, "solicitation-matches")
    page.goto(f"{live_server.url}/admin/solicitations")
    expect(page.locator("#solicitations")).to_contain_text("GaN amplifiers for Ka-band")
    shot(page, "solicitations-list")
    page.go_back()

    # Distribute to it.
    page.get_by_label("Distribute to Aoi GaN Devices KK").check()
    page.get_by_label("Message").fill("A good fit for your GaN line: answer through the link.")
    page.get_by_role("button", name="Send to the ticked matches").click()
    expect(page.get_by_role("heading", name="Distribution sent")).to_be_visible()
    expect(page.locator("#recipients")).to_contain_text("/respond/")
    shot(page, "distribution-sent")

    # Record its answer on the distributions page.
    page.get_by_role("link", name="Follow the answers on the distributions page").click()
    row = page.locator("#distributions tbody tr").first
    expect(row).to_contain_text("Aoi GaN Devices KK")
    row.get_by_label("New status").select_option("declined")
    row.get_by_role("button", name="Record answer").click()
    expect(page.locator(".field-error")).to_contain_text("a decline needs a reason")
    row = page.locator("#distributions tbody tr").first
    row.get_by_label("New status").select_option("interested")
    row.get_by_role("button", name="Record answer").click()
    expect(page.locator("#distributions tbody tr").first).to_contain_text("Interested")
    shot(page, "distributions-list")

    # Phone width: the pages fit; wide tables scroll inside their box.
    page.set_viewport_size({"width": 390, "height": 844})
    assert fits_the_width(page)
    page.goto(f"{live_server.url}/admin/solicitations/{world['solicitation']}")
    assert fits_the_width(page)
    page.set_viewport_size({"width": 1280, "height": 900})

    # The same pages in Japanese.
    with session_scope() as session:
        session.execute(
            update(User).where(User.username == "alice").values(locale="ja", time_zone="Asia/Tokyo")
        )
    page.goto(f"{live_server.url}/admin/solicitations/{world['solicitation']}")
    expect(page.get_by_role("heading", name="マッチ", exact=True)).to_be_visible()
    expect(page.locator("#held-heading")).to_have_text("保留中")
    shot(page, "solicitation-matches-ja")
    page.goto(f"{live_server.url}/admin/distributions")
    expect(page.get_by_role("heading", name="配信", exact=True)).to_be_visible()
    shot(page, "distributions-list-ja")
    context.close()
