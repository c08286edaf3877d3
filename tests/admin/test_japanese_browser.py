"""A Japanese-only partner through the admin pages in Debian's Chromium: English typed into
the Japanese narrative is refused beside its field with everything kept, the fixed form
creates a partner whose page shows the JA badge and its Japanese text marked lang="ja", the
list filters by profile language, and an edit adding an English narrative makes it EN + JA.

Screenshots go to KAKEHASHI_SCREENSHOT_DIR (default test-artifacts/screenshots), never committed.
"""

import pytest
from sqlalchemy import update

from app.companies import service as companies
from app.companies.schemas import CompanyCreate
from app.db import session_scope
from app.users.models import User
from tests.admin.test_browser import (  # noqa: F401  (fixtures; the module skips without Chromium)
    Browser,
    Page,
    browser,
    expect,
    live_server,
    sign_in,
)
from tests.admin.test_companies_browser import shot
from tests.factories import PLATFORM_ANALYST, company_payload

NARRATIVE_JA = (
    "当社は浜松市の精密加工メーカーです。チタン合金やインコネルの五軸切削加工と、"
    "X線CTによる非破壊検査を社内で一貫して行い、航空宇宙向けの試作品を短納期で納めます。"
)
NARRATIVE_EN = "Five-axis machining of titanium and Inconel parts with in-house X-ray CT."


def badge(page: Page) -> str:
    """The visible text of the page's profile-language badge."""
    return page.locator("#profile-language [aria-hidden=true]").inner_text()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_analyst_adds_a_japanese_only_partner(
    live_server: object,  # noqa: F811
    browser: Browser,  # noqa: F811
) -> None:
    base = live_server.url  # type: ignore[attr-defined]
    with session_scope() as session:
        companies.create(
            session,
            principal=PLATFORM_ANALYST,
            data=CompanyCreate(**company_payload(corporate_number=None)),
            embed=False,
        )
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{base}/admin/companies/new?role=jp_partner")
    sign_in(page)
    expect(page.get_by_role("heading", name="New Japanese partner")).to_be_visible()
    page.get_by_label("Name (English)").fill("Hamakaze Seimitsu K.K.")
    page.get_by_label("Name (Japanese)").fill("浜風精密株式会社")
    page.get_by_label("Corporate number (13 digits, Japan)").fill("2080401012345")
    japanese = page.get_by_label("Narrative in Japanese")
    expect(japanese).to_have_attribute("lang", "ja")
    # English in the Japanese box: refused beside it, nothing typed is lost.
    japanese.fill(NARRATIVE_EN)
    page.get_by_label("Keywords").fill("五軸加工\n非破壊検査\nチタン合金")
    page.get_by_label("Advanced materials", exact=True).check()
    page.get_by_label("Contact name 1").fill("鈴木 一郎")
    page.get_by_role("button", name="Create company").click()
    expect(page.locator("#narrative_ja-error")).to_contain_text("Write the Japanese version")
    expect(japanese).to_have_attribute("aria-invalid", "true")
    expect(japanese).to_have_value(NARRATIVE_EN)
    expect(page.get_by_label("Keywords")).to_have_value("五軸加工\n非破壊検査\nチタン合金")
    expect(page.get_by_label("Contact name 1")).to_have_value("鈴木 一郎")
    shot(page, "company-form-japanese-error")

    # A Japanese-only profile: the Japanese text is the narrative itself.
    japanese.fill("")
    page.get_by_label("Narrative", exact=True).fill(NARRATIVE_JA)
    page.get_by_role("button", name="Create company").click()
    expect(page.get_by_role("heading", name="Hamakaze Seimitsu K.K.")).to_be_visible()
    assert badge(page) == "JA"
    expect(page.locator("#profile-language .co-lang")).to_have_attribute("title", "Japanese")
    expect(page.locator("#narrative")).to_have_attribute("lang", "ja")
    expect(page.locator("#narrative")).to_have_text(NARRATIVE_JA)
    expect(page.locator("#narrative-ja")).to_have_count(0)
    expect(page.locator('#keywords [lang="ja"]')).to_have_count(3)
    shot(page, "company-partner-page-japanese")

    # The list: a language column, and a filter that finds only the Japanese profile.
    page.goto(f"{base}/admin/companies")
    expect(page.locator("#companies tbody tr")).to_have_count(2)
    page.get_by_label("Profile language").select_option("ja")
    page.get_by_role("button", name="Filter").click()
    rows = page.locator("#companies tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("浜風精密株式会社")
    expect(rows.first.locator(".co-lang [aria-hidden=true]")).to_have_text("JA")
    shot(page, "companies-list-japanese")

    # An English narrative added beside the Japanese one: the profile is now in both.
    page.get_by_role("link", name="Hamakaze Seimitsu K.K.").click()
    page.get_by_role("link", name="Edit").click()
    expect(page.get_by_label("Narrative", exact=True)).to_have_value(NARRATIVE_JA)
    page.get_by_label("Narrative", exact=True).fill(NARRATIVE_EN)
    page.get_by_label("Narrative in Japanese").fill(NARRATIVE_JA)
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("#narrative-ja")).to_have_text(NARRATIVE_JA)
    expect(page.locator("#narrative-ja")).to_have_attribute("lang", "ja")
    expect(page.locator("#narrative")).not_to_have_attribute("lang", "ja")
    assert badge(page) == "EN + JA"

    # In Japanese, the badge and its name are translated.
    with session_scope() as session:
        session.execute(update(User).where(User.username == "alice").values(locale="ja"))
    page.reload()
    assert badge(page) == "英＋日"
    expect(page.locator("#profile-language .co-lang")).to_have_attribute("title", "英語と日本語")
    shot(page, "company-partner-page-japanese-ja")
    context.close()
