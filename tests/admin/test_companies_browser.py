"""The companies pages in Debian's Chromium: create a Japanese partner with a wrong check digit,
fix it, vet it, read its page, in English and Japanese, at laptop and phone widths.

Screenshots go to KAKEHASHI_SCREENSHOT_DIR (default test-artifacts/screenshots), never committed.
"""

import os
from pathlib import Path

import pytest
from sqlalchemy import update

from app.companies import service as companies
from app.companies.schemas import CompanyCreate
from app.db import session_scope
from app.jobs.worker import drain
from app.solicitations import service as solicitations
from app.solicitations.schemas import SolicitationCreate
from app.users.models import User
from tests.admin.test_browser import (  # noqa: F401  (fixtures; the module skips without Chromium)
    Browser,
    Page,
    browser,
    expect,
    live_server,
    sign_in,
)
from tests.factories import (
    PLATFORM_ANALYST,
    company_payload,
    solicitation_payload,
    us_company_payload,
)

SCREENSHOTS = Path(os.environ.get("KAKEHASHI_SCREENSHOT_DIR", "test-artifacts/screenshots"))


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def seed() -> None:
    """One partner and one performer already listed, and an open solicitation about space
    optics (no export control) for the new partner to match."""
    with session_scope() as session:
        for body in (company_payload(corporate_number=None), us_company_payload()):
            companies.create(
                session, principal=PLATFORM_ANALYST, data=CompanyCreate(**body), embed=False
            )
        need = solicitation_payload(
            notice_id="FA9453-27-S-0007",
            title="Optical inter-satellite link terminals for proliferated LEO",
            description="Prototype laser communication terminals with space-qualified laser "
            "diodes and receivers for optical inter-satellite links.",
            technology_areas=["space"],
            export_control="none",
            foreign_participation="allowed",
            response_deadline="2099-01-15T17:00:00-05:00",
        )
        solicitations.create(session, principal=PLATFORM_ANALYST, data=SolicitationCreate(**need))


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_analyst_creates_fixes_and_vets_a_japanese_partner(
    live_server: object,  # noqa: F811
    browser: Browser,  # noqa: F811
) -> None:
    base = live_server.url  # type: ignore[attr-defined]
    seed()
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{base}/admin/companies")
    sign_in(page)
    expect(page.get_by_role("heading", name="Companies", exact=True)).to_be_visible()
    expect(page.locator("#companies")).to_contain_text("カワセミマイクロ波デバイス株式会社")
    page.get_by_label("Company role", exact=True).select_option("jp_partner")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#companies tbody tr")).to_have_count(1)
    shot(page, "companies-list")

    page.get_by_role("link", name="Add a Japanese partner").click()
    expect(page.get_by_role("heading", name="New Japanese partner")).to_be_visible()
    page.get_by_label("Name (English)").fill("Tsubame Photonics K.K.")
    page.get_by_label("Name (Japanese)").fill("ツバメフォトニクス株式会社")
    page.get_by_label("Corporate number (13 digits, Japan)").fill("8000012050002")
    page.get_by_label("Narrative", exact=True).fill(
        "Space-qualified laser diodes and receivers for optical inter-satellite links."
    )
    page.get_by_label("Keywords").fill("laser diode, optical ISL")
    page.get_by_label("Space", exact=True).check()
    page.get_by_label("Contact name 1").fill("佐藤 陽翔")
    page.get_by_label("Email 1").fill("sato@tsubame.example.jp")
    page.get_by_role("button", name="Create company").click()

    # The error is beside the corporate number; everything typed is still there.
    number = page.get_by_label("Corporate number (13 digits, Japan)")
    expect(page.locator("#corporate_number-error")).to_contain_text("check digit")
    expect(number).to_have_attribute("aria-invalid", "true")
    expect(number).to_have_value("8000012050002")
    expect(page.get_by_label("Name (Japanese)")).to_have_value("ツバメフォトニクス株式会社")
    expect(page.get_by_label("Contact name 1")).to_have_value("佐藤 陽翔")
    expect(page.get_by_label("Space", exact=True)).to_be_checked()
    shot(page, "company-form-error")

    number.fill("7000012050002")
    page.get_by_role("button", name="Create company").click()
    expect(page.get_by_role("heading", name="Tsubame Photonics K.K.")).to_be_visible()
    expect(page.locator("#vetting-now")).to_have_text("Not vetted")

    page.get_by_text("Record a vetting decision").click()
    page.get_by_label("Decision").select_option("vetted")
    page.get_by_label("Expires on").fill("2099-03-31")
    page.get_by_label("Evidence").fill("Site visit in Sagamihara; screening clear.")
    page.get_by_role("button", name="Record decision").click()
    expect(page.locator("#vetting-now")).to_have_text("Vetted")
    expect(page.locator("#vetting-history")).to_contain_text("Site visit in Sagamihara")
    expect(page.locator("#vetting-now + .muted")).to_contain_text("Mar 31, 2099")
    # Once the worker has embedded both records, the partner's page ranks the solicitation.
    drain()
    page.reload()
    expect(page.locator("#matches meter")).to_have_count(1)
    expect(page.locator("#matches")).to_contain_text("Optical inter-satellite link terminals")
    shot(page, "company-partner-page")

    # Phone width: nothing scrolls sideways.
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shot(page, "company-partner-page-phone")
    page.goto(f"{base}/admin/companies/new?role=jp_partner")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.set_viewport_size({"width": 1280, "height": 900})

    # The same page in Japanese, as the user's own language.
    with session_scope() as session:
        session.execute(update(User).where(User.username == "alice").values(locale="ja"))
    page.goto(f"{base}/admin/companies")
    expect(page.get_by_role("heading", name="企業", exact=True)).to_be_visible()
    page.get_by_role("link", name="Tsubame Photonics K.K.").click()
    expect(page.get_by_role("heading", name="審査", exact=True)).to_be_visible()
    expect(page.locator("#vetting-now")).to_have_text("審査済み")
    shot(page, "company-partner-page-ja")
    context.close()
