"""The capability-gaps pages in Debian's Chromium: an analyst reads the coverage and trend
charts (images with alt text beside their tables), opens the records behind a figure, reads
the page in Japanese, follows a solicitation to its uncovered sentences, and every page fits
a phone's width. Screenshots go to test-artifacts/screenshots (insights-*.png)."""

from typing import Any

import httpx
import pytest

from app.db import session_scope
from app.insights import snapshots
from app.jobs.worker import drain
from app.organizations import service as organizations
from app.organizations.models import Role
from tests.admin.test_browser import (  # noqa: F401  (fixtures)
    Browser,
    LiveServer,
    Page,
    browser,
    expect,
    fits_the_width,
    live_server,
    shot,
    sign_in,
)
from tests.factories import company_payload, solicitation_payload
from tests.insights.conftest import CLOCK_NEED, DINING_HALL, PARTNERS, PASTRY_NEED


def world(base_url: str) -> dict[str, int]:
    """The known gaps of tests/insights/conftest.py, through the public API."""
    with session_scope() as session:
        raw = {}
        for slug in ("pichtr", "jetro"):
            org = organizations.get_by_slug(session, slug=slug)
            _key, raw[slug] = organizations.create_api_key(
                session, organization=org, role=Role.ANALYST
            )
    ids: dict[str, int] = {}

    def post(slug: str, url: str, body: dict[str, Any]) -> int:
        with httpx.Client(
            base_url=f"{base_url}/api/v1", headers={"Authorization": f"Bearer {raw[slug]}"}
        ) as api:
            response = api.post(url, json=body)
        assert response.status_code == 201, response.text
        return int(response.json()["id"])

    for key, (name, narrative, areas) in PARTNERS.items():
        body = company_payload(
            name=name, narrative=narrative, technology_areas=areas, corporate_number=None
        )
        ids[key] = post("jetro", "/companies", {**body, "keywords": []})
        decision = {"status": "vetted", "evidence": "Site visit and METI review."}
        post("pichtr", f"/companies/{ids[key]}/vetting", decision)
    for key, fields in {
        "itar": dict(
            title="Radiation-hardened GaN power amplifiers for Ka-band crosslinks",
            description="Amplifiers must survive 100 krad total dose.",
            technology_areas=["space"],
            export_control="itar",
            foreign_participation="allowed_with_authorization",
        ),
        "clock": dict(
            title="Trapped-ion optical clocks",
            description=CLOCK_NEED,
            technology_areas=["quantum"],
            export_control="none",
            foreign_participation="allowed",
        ),
        "half": DINING_HALL,
    }.items():
        ids[key] = post("pichtr", "/solicitations", solicitation_payload(notice_id=key, **fields))
    drain()
    snapshots.take_all(slug="pichtr")
    return ids


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_analyst_reads_the_gaps_and_a_solicitations_uncovered_sentences(
    live_server: LiveServer,  # noqa: F811
    browser: Browser,  # noqa: F811
) -> None:
    ids = world(live_server.url)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server.url}/admin/insights")
    sign_in(page)
    expect(page.get_by_role("heading", name="Capability gaps", level=1)).to_be_visible()
    bars = page.get_by_role("img", name="Bar chart", exact=False)
    expect(bars).to_be_visible()
    # The chart is an image the browser drew: it has a width.
    assert page.evaluate("document.querySelector('figure.chart img').naturalWidth") > 100
    expect(page.get_by_role("img", name="Line chart", exact=False)).to_be_visible()
    space = page.locator("#row-space")
    expect(space.locator("td").nth(5)).to_have_text("1 (100%)")
    shot(page, "insights-01-gaps")
    # A figure opens the records behind it.
    space.locator("td").nth(5).get_by_role("link").click()
    locked = page.locator("#area-space-locked")
    locked.locator("summary").click()
    expect(locked.get_by_role("link", name="Aoi GaN Devices KK")).to_be_visible()
    # The filters, by their labels.
    page.get_by_label("Technology area").select_option("quantum")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#coverage-table tbody tr")).to_have_count(1)

    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{live_server.url}/admin/insights")
        assert fits_the_width(page), f"sideways scrolling at {width}px"

    page.goto(f"{live_server.url}/admin/preferences")
    page.get_by_label("日本語").check()
    page.get_by_role("button", name="Save").click()
    page.goto(f"{live_server.url}/admin/insights")
    expect(page.get_by_role("heading", name="能力ギャップ", level=1)).to_be_visible()
    expect(page.locator("#row-space th")).to_have_text("宇宙")
    shot(page, "insights-02-gaps-ja")

    page.goto(f"{live_server.url}/admin/solicitations/{ids['half']}")
    page.locator("#gap-link").click()
    uncovered = page.locator("li.sentence.uncovered blockquote")
    expect(uncovered.filter(has_text=CLOCK_NEED)).to_be_visible()
    expect(uncovered.filter(has_text=PASTRY_NEED)).to_have_count(0)
    page.set_viewport_size({"width": 390, "height": 900})
    assert fits_the_width(page)
    shot(page, "insights-03-solicitation")
    context.close()
