"""An analyst's whole day in the browser, with no API call: sign in, create a Japanese partner
(a wrong check digit first), vet it, create a solicitation, find the partner among its matches
with an explanation, distribute to it, record its answer, switch to Japanese, see a cross-site
post refused; then another organization's analyst sees none of it. Debian's Chromium drives the
real application; screenshots of every page go to KAKEHASHI_SCREENSHOT_DIR."""

import re

import pytest

from app.jobs.worker import drain
from tests.admin import test_browser
from tests.admin.test_solicitation_browser import fits_the_width, shot

live_server = test_browser.live_server
attacker_site = test_browser.attacker_site
browser = test_browser.browser
Browser = test_browser.Browser
LiveServer = test_browser.LiveServer
expect = test_browser.expect

PARTNER = "Kawasemi Microwave Devices K.K."
NOTE = "PICHTR only: call their Yokohama office first."


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_analysts_day_in_the_browser(
    live_server: LiveServer, browser: Browser, attacker_site: str
) -> None:
    base = live_server.url
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{base}/admin")
    test_browser.sign_in(page)
    expect(page).to_have_url(f"{base}/admin")
    shot(page, "walk-01-dashboard")

    # A Japanese partner: the wrong check digit comes back beside its field, typing kept.
    page.get_by_role("link", name="Companies", exact=True).first.click()
    page.get_by_role("link", name="Add a Japanese partner").click()
    page.get_by_label("Name (English)").fill(PARTNER)
    page.get_by_label("Name (Japanese)").fill("カワセミマイクロ波デバイス株式会社")
    page.get_by_label("Corporate number (13 digits, Japan)").fill("7000012050003")
    page.get_by_label("Narrative", exact=True).fill(
        "GaN-on-SiC MMIC power amplifiers for Ka-band satellite crosslinks, in hermetic "
        "ceramic packages tested to 100 krad total dose."
    )
    page.get_by_label("Keywords").fill("GaN MMIC, Ka-band, hermetic packaging")
    page.get_by_label("Space", exact=True).check()
    page.get_by_label("Contact name 1").fill("佐藤 陽翔")
    page.get_by_label("Email 1").fill("sato@kawasemi.example.jp")
    page.get_by_role("button", name="Create company").click()
    expect(page.locator("#corporate_number-error")).to_contain_text("check digit")
    expect(page.get_by_label("Name (Japanese)")).to_have_value("カワセミマイクロ波デバイス株式会社")
    shot(page, "walk-02-company-form-error")
    page.get_by_label("Corporate number (13 digits, Japan)").fill("7000012050002")
    page.get_by_role("button", name="Create company").click()
    expect(page.get_by_role("heading", name=PARTNER)).to_be_visible()
    match_id = re.search(r"/admin/companies/(\d+)", page.url)
    assert match_id, page.url
    partner_id = match_id.group(1)

    # Vet it.
    page.get_by_text("Record a vetting decision").click()
    page.get_by_label("Decision").select_option("vetted")
    page.get_by_label("Evidence").fill("Site visit in Yokohama; METI compliance programme seen.")
    page.get_by_role("button", name="Record decision").click()
    expect(page.locator("#vetting-now")).to_have_text("Vetted")
    shot(page, "walk-03-partner-page")

    # A solicitation the partner fits (unmarked, foreign participation allowed).
    page.goto(f"{base}/admin/solicitations/new")
    page.get_by_label("Notice id").fill("WALK-1")
    page.get_by_label("Title").fill("Ka-band GaN power amplifiers for satellite crosslinks")
    page.get_by_label("Description").fill(
        "Prototype GaN power amplifier MMICs for Ka-band satellite crosslinks, in hermetic "
        "packages that survive 100 krad total dose."
    )
    page.locator('input[name="technology_areas"][value="space"]').check()
    page.get_by_label("NAICS codes").fill("334413")
    page.get_by_label("Response deadline").fill("2099-06-30")
    page.get_by_label("Export-control marking").select_option("none")
    page.get_by_label("Foreign participation").select_option("allowed")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Matches", exact=True)).to_be_visible()
    solicitation_url = page.url

    # Once the worker has embedded both, the partner is among the matches, explained.
    drain()
    page.reload()
    match = page.locator(f"#match-{partner_id}")
    expect(match).to_contain_text(PARTNER)
    expect(match.locator("meter.component-semantic")).to_have_count(1)
    expect(match.locator("mark").first).to_be_visible()
    match.locator("summary", has_text="Note").click()
    match.get_by_label("Note for your organization").fill(NOTE)
    match.get_by_role("button", name="Save note").click()
    expect(page.locator(f"#match-{partner_id}")).to_contain_text(NOTE)
    shot(page, "walk-04-solicitation-matches")

    # Distribute to it, then record its answer.
    page.get_by_label(f"Distribute to {PARTNER}").check()
    page.get_by_label("Message").fill("A close fit for your GaN line: please answer by Friday.")
    page.get_by_role("button", name="Send to the ticked matches").click()
    expect(page.get_by_role("heading", name="Distribution sent")).to_be_visible()
    shot(page, "walk-05-distribution-sent")
    page.get_by_role("link", name="Follow the answers on the distributions page").click()
    row = page.locator("#distributions tbody tr").first
    expect(row).to_contain_text(PARTNER)
    row.get_by_label("New status").select_option("interested")
    row.get_by_role("button", name="Record answer").click()
    expect(page.locator("#distributions tbody tr").first).to_contain_text("Interested")
    shot(page, "walk-06-distributions")

    # The user switches to Japanese (and Tokyo time): the same pages, in Japanese.
    page.goto(f"{base}/admin/preferences")
    page.get_by_label("日本語").check()
    page.get_by_label("Time zone").select_option("Asia/Tokyo")
    page.get_by_role("button", name="Save").click()
    page.goto(f"{base}/admin")
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    shot(page, "walk-07-dashboard-ja")
    page.goto(solicitation_url)
    expect(page.get_by_role("heading", name="マッチ", exact=True)).to_be_visible()
    expect(page.locator(f"#match-{partner_id}")).to_contain_text(
        "カワセミマイクロ波デバイス株式会社"
    )
    shot(page, "walk-08-solicitation-ja")
    page.goto(f"{base}/admin/distributions")
    expect(page.get_by_role("heading", name="配信", exact=True)).to_be_visible()
    page.goto(f"{base}/admin/companies/{partner_id}")
    expect(page.locator("#vetting-now")).to_have_text(re.compile(r"審査済"))
    shot(page, "walk-09-partner-ja")
    page.set_viewport_size({"width": 390, "height": 844})
    for path in ("/admin", solicitation_url, "/admin/distributions"):
        page.goto(path if path.startswith("http") else f"{base}{path}")
        assert fits_the_width(page), path
    page.set_viewport_size({"width": 1280, "height": 900})

    # Another site's form cannot post for the signed-in analyst (refused in her language).
    attacker = context.new_page()
    attacker.goto(attacker_site)
    attacker.locator("#no-token").click()
    expect(attacker.get_by_role("heading", name="リクエストは拒否されました")).to_be_visible()
    page.goto(f"{base}/admin")
    expect(page).to_have_url(f"{base}/admin")
    context.close()

    # JETRO's analyst sees the solicitation and the partner, not PICHTR's note or distribution.
    other = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    other.goto(f"{base}/admin/login")
    other.get_by_label("User name").fill("kenji")
    other.get_by_label("Password").fill(test_browser.PASSWORD)
    other.get_by_role("button", name="Sign in").click()
    other.goto(solicitation_url)
    expect(other.locator(f"#match-{partner_id}")).to_contain_text(PARTNER)
    expect(other.locator("main")).not_to_contain_text(NOTE)
    other.goto(f"{base}/admin/distributions")
    expect(other.locator("main")).not_to_contain_text(PARTNER)
    other.goto(f"{base}/admin/companies/{partner_id}")
    expect(other.locator("main")).not_to_contain_text(NOTE)
    shot(other, "walk-10-other-organization")
