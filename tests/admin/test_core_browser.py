"""The dashboard, audit, settings and preferences pages in Debian's Chromium: an admin reads
the dashboard, filters the audit log, creates an API key (shown once), switches to Japanese,
and every page fits a phone's width. Screenshots go to KAKEHASHI_SCREENSHOT_DIR."""

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.db import session_scope, utcnow
from app.organizations import service as organizations
from app.organizations.models import Role
from app.users import service as users
from tests.admin.test_browser import (  # noqa: F401  (fixtures)
    Browser,
    LiveServer,
    Page,
    browser,
    expect,
    fits_the_width,
    live_server,
)
from tests.conftest import PASSWORD
from tests.factories import company_payload, solicitation_payload

SCREENSHOTS = Path(os.environ.get("KAKEHASHI_SCREENSHOT_DIR", "test-artifacts/screenshots"))
MY_PAGES = ("/admin", "/admin/audit", "/admin/settings", "/admin/preferences")


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def records(base_url: str) -> dict[str, Any]:
    """An admin user, and through the public API: a solicitation closing in three days, a
    Japanese partner whose vetting ends in ten, and a distribution waiting for its answer."""
    with session_scope() as session:
        pichtr = organizations.get_by_slug(session, slug="pichtr")
        users.create_user(
            session, organization=pichtr, username="ada", password=PASSWORD, role=Role.ADMIN
        )
        _key, raw = organizations.create_api_key(session, organization=pichtr, role=Role.ANALYST)
    now = utcnow()
    with httpx.Client(
        base_url=f"{base_url}/api/v1", headers={"Authorization": f"Bearer {raw}"}
    ) as api:

        def post(url: str, body: dict[str, Any]) -> dict[str, Any]:
            response = api.post(url, json=body)
            assert response.status_code == 201, response.text
            return dict(response.json())

        solicitation = post(
            "/solicitations",
            solicitation_payload(
                title="Rad-hard GaN amplifiers for crosslinks",
                response_deadline=(now + timedelta(days=3)).isoformat(),
                export_control="none",
                foreign_participation="allowed",
            ),
        )
        partner = post("/companies", company_payload(name="Kawasemi Microwave Devices"))
        post(
            f"/companies/{partner['id']}/vetting",
            {
                "status": "vetted",
                "evidence": "Site visit and METI review.",
                "expires_at": (now + timedelta(days=10)).isoformat(),
            },
        )
        post(
            f"/solicitations/{solicitation['id']}/distributions",
            {"company_ids": [partner["id"]], "channel": "manual", "message": "Worth a look."},
        )
    return {"solicitation": solicitation, "partner": partner}


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_admin_works_through_the_core_pages_in_english_and_japanese(
    live_server: LiveServer,  # noqa: F811
    browser: Browser,  # noqa: F811
) -> None:
    made = records(live_server.url)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    url = live_server.url

    # The sign-in page offers Japanese before anyone signs in.
    page.goto(f"{url}/admin")
    page.get_by_role("link", name="日本語").click()
    expect(page.get_by_role("heading", name="サインイン")).to_be_visible()
    shot(page, "core-01-sign-in-ja")
    page.get_by_role("link", name="English").click()
    page.get_by_label("User name").fill("ada")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{url}/admin")

    # Dashboard: every widget, the current page marked in the navigation.
    expect(page.get_by_role("link", name="Dashboard")).to_have_attribute("aria-current", "page")
    expect(page.locator("#closing")).to_contain_text("Rad-hard GaN amplifiers")
    expect(page.locator("#vetting")).to_contain_text("Kawasemi Microwave Devices")
    expect(page.locator("#waiting")).to_contain_text("Kawasemi Microwave Devices")
    expect(page.locator("#new")).to_contain_text("Rad-hard GaN amplifiers")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
    shot(page, "core-02-dashboard")
    page.get_by_role("link", name="Rad-hard GaN amplifiers").first.click()
    expect(page).to_have_url(f"{url}/admin/solicitations/{made['solicitation']['id']}")

    # Audit: filter by record type, see before and after.
    page.goto(f"{url}/admin/audit")
    page.get_by_label("Record type").fill("company")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(
        f"{url}/admin/audit?entity_type=company&entity_id=&action=&actor=&since=&until="
    )
    expect(page.locator("#events")).to_contain_text("vetting")
    shot(page, "core-03-audit")

    # Settings: a new API key is shown once, and never again.
    page.goto(f"{url}/admin/settings")
    page.get_by_label("Label", exact=False).first.fill("nightly SAM.gov import")
    page.get_by_role("button", name="Create the key").click()
    secret = page.locator("#secret").inner_text()
    assert secret.startswith("kk_")
    shot(page, "core-04-new-key-shown-once")
    page.get_by_role("link", name="Back to the settings").click()
    expect(page.locator("#key-list")).to_contain_text("nightly SAM.gov import")
    assert secret not in page.content()
    shot(page, "core-05-settings")

    # Preferences: Japanese and Tokyo time; the dashboard follows.
    page.get_by_role("link", name="Preferences").click()
    page.get_by_label("日本語").check()
    page.get_by_label("Time zone").select_option("Asia/Tokyo")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_have_text("個人設定を保存しました。")
    page.goto(f"{url}/admin")
    expect(page.get_by_role("heading", name="ダッシュボード", exact=False)).to_be_visible()
    expect(page.get_by_role("link", name="公募案件")).to_be_visible()
    expect(page.locator("#closing")).to_contain_text("JST")
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    shot(page, "core-06-dashboard-ja")

    # A phone: no page scrolls sideways; wide tables scroll inside their box.
    page.set_viewport_size({"width": 390, "height": 844})
    for path in MY_PAGES:
        page.goto(f"{url}{path}")
        assert fits_the_width(page), path
    page.goto(f"{url}/admin")
    shot(page, "core-07-dashboard-phone-ja")
    page.goto(f"{url}/admin/settings")
    shot(page, "core-08-settings-phone-ja")
    page.goto(f"{url}/admin/audit")
    shot(page, "core-09-audit-phone-ja")
    page.get_by_role("button", name="ログアウト").click()
    expect(page.get_by_role("heading", name="サインイン")).to_be_visible()
    assert fits_the_width(page)
    context.close()
