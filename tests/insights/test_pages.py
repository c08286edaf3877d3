"""The capability-gaps admin pages, through the form sign-in, on the world whose gaps are known:
the figures are the API's, the charts are SVG images with alt text beside tables of the same
figures, every number leads to its records, a solicitation's uncovered sentences are marked,
the page reads in Japanese, and a repeated request is served from the kept result until the
data changes."""

import base64
import csv
import io
import re

import pytest
from fastapi.testclient import TestClient

from app.db import session_scope
from app.insights import cache
from app.organizations.models import Role
from app.organizations.service import get_by_slug
from app.users import service as users
from tests.conftest import PASSWORD, Keys, sign_in
from tests.insights.conftest import API, CLOCK_NEED, PASTRY_NEED

GAPS = f"{API}/insights/gaps"
SVG_IMAGE = re.compile(r'<img src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)" alt="([^"]+)"')


@pytest.fixture
def web(keys: Keys, admin_client: TestClient) -> TestClient:
    """A PICHTR viewer (val) and a JETRO viewer (ken, reading Japanese), signed in as val."""
    with session_scope() as session:
        users.create_user(
            session,
            organization=get_by_slug(session, slug="pichtr"),
            username="val",
            password=PASSWORD,
            role=Role.VIEWER,
        )
        ken = users.create_user(
            session,
            organization=get_by_slug(session, slug="jetro"),
            username="ken",
            password=PASSWORD,
            role=Role.VIEWER,
        )
        ken.locale = "ja"
    sign_in(admin_client, "val")
    return admin_client


def row(html: str, area: str) -> list[str]:
    """The figures of one area's row in the coverage table (links and muted shares as text)."""
    found = re.search(rf'<tr id="row-{area}">(.*?)</tr>', html, re.S)
    assert found, f"no row for {area}"
    cells = re.findall(r"<td[^>]*>(.*?)</td>", found.group(1), re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", cell).split()) for cell in cells]


def test_the_page_shows_the_apis_figures_charts_and_records(
    web: TestClient, client: TestClient, keys: Keys, world: dict[str, int]
) -> None:
    api = {
        a["area"]: a
        for a in client.get(GAPS, headers=keys.headers("pichtr_viewer")).json()["areas"]
    }
    response = web.get("/admin/insights")
    assert response.status_code == 200, response.text
    html = response.text
    assert 'aria-current="page">Capability gaps</a>' in html
    for slug in ("quantum", "space", "robotics"):
        a = api[slug]
        assert row(html, slug) == [
            str(a["open_solicitations"]),
            str(a["vetted_partners"]),
            str(a["eligible_partners"]),
            "—" if a["median_best_fit"] is None else f"{a['median_best_fit'] * 100:.0f}%",
            f"{a['uncovered']} ({a['uncovered_share'] * 100:.0f}%)",
            f"{a['authorization_locked']} ({a['authorization_locked_share'] * 100:.0f}%)",
        ]
    # The numbers lead to the records: the locked space need and the partner it waits for.
    locked = re.search(r'id="area-space-locked".*?</details>', html, re.S)
    assert locked and f'href="/admin/solicitations/{world["itar"]}"' in locked.group(0)
    assert f'href="/admin/companies/{world["gan"]}"' in locked.group(0)
    unlocks = html.split('id="unlocks"')[1].split("<h2")[0]
    assert f'href="/admin/companies/{world["gan"]}"' in unlocks
    # One chart so far (no snapshot yet): an SVG image with alt text, the table beside it.
    charts = SVG_IMAGE.findall(html)
    assert len(charts) == 1 and charts[0][1].startswith("Bar chart")
    svg = base64.b64decode(charts[0][0]).decode("utf-8")
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg and "Quantum" in svg
    assert "No weekly snapshot yet" in html
    # The CSV link carries the filters and answers the API's export.
    html = web.get("/admin/insights", params={"technology_area": "space"}).text
    assert list(re.findall(r'<tr id="row-([a-z-]+)">', html)) == ["space"]
    download = web.get("/admin/insights/gaps.csv", params={"technology_area": "space"})
    assert download.status_code == 200
    rows = list(csv.DictReader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert [r["area"] for r in rows] == ["space"]
    assert 'href="/admin/insights/gaps.csv?technology_area=space"' in html


def test_snapshots_draw_the_trend_and_bad_filters_are_named(
    web: TestClient, client: TestClient, keys: Keys, world: dict[str, int]
) -> None:
    from app.insights import snapshots

    snapshots.take_all(slug="pichtr")
    html = web.get("/admin/insights").text
    alts = [alt for _data, alt in SVG_IMAGE.findall(html)]
    assert len(alts) == 2 and alts[1].startswith("Line chart")
    assert 'id="trend-table"' in html
    response = web.get("/admin/insights", params={"min_fit": "2"})
    assert response.status_code == 422 and "min_fit" in response.text
    response = web.get("/admin/insights", params={"technology_area": "warp-drives"})
    assert response.status_code == 422 and "technology_area" in response.text


def test_a_solicitations_uncovered_sentences_are_marked(
    web: TestClient, world: dict[str, int]
) -> None:
    detail = web.get(f"/admin/solicitations/{world['half']}").text
    assert f'href="/admin/insights/solicitations/{world["half"]}"' in detail
    html = web.get(f"/admin/insights/solicitations/{world['half']}").text
    sentences = re.findall(
        r'<li class="sentence([^"]*)".*?<blockquote>(.*?)</blockquote>', html, re.S
    )
    marks = {text.strip(): classes.strip() for classes, text in sentences}
    assert marks[PASTRY_NEED] == "" and marks[CLOCK_NEED] == "uncovered"
    assert f'href="/admin/companies/{world["bakery"]}"' in html
    # The ITAR need: the held-back partner with why.
    html = web.get(f"/admin/insights/solicitations/{world['itar']}").text
    assert "Authorization-locked" in html and "needs an export authorization" in html
    assert web.get("/admin/insights/solicitations/999999").status_code == 404


def test_the_page_reads_in_japanese(
    admin_client: TestClient, web: TestClient, world: dict[str, int]
) -> None:
    web.cookies.clear()
    sign_in(admin_client, "ken")
    html = admin_client.get("/admin/insights").text
    assert "能力ギャップ" in html and "分野ごとのカバー状況" in html and "宇宙" in html
    (chart,) = SVG_IMAGE.findall(html)
    assert "技術分野ごと" in chart[1]
    assert "宇宙" in base64.b64decode(chart[0]).decode("utf-8")
    html = admin_client.get(f"/admin/insights/solicitations/{world['half']}").text
    assert "カバーされていない部分" in html


def test_a_repeated_request_is_kept_until_the_data_changes(
    client: TestClient, keys: Keys, world: dict[str, int]
) -> None:
    first = client.get(GAPS, headers=keys.headers("pichtr_viewer")).json()
    reused = cache.stats["reused"]
    again = client.get(GAPS, headers=keys.headers("pichtr_viewer")).json()
    assert again == first and cache.stats["reused"] == reused + 1
    # Hiding the bakery robot for the robotics need changes the figures at once.
    response = client.put(
        f"{API}/solicitations/{world['half']}/matches/{world['bakery']}/review",
        json={"hidden": True, "hidden_reason": "not_a_fit"},
        headers=keys.headers("pichtr_analyst"),
    )
    assert response.status_code in (200, 201), response.text
    after = client.get(GAPS, headers=keys.headers("pichtr_viewer")).json()
    robotics = {a["area"]: a for a in after["areas"]}["robotics"]
    assert after["computed_at"] != first["computed_at"]
    assert robotics["uncovered_share"] == 1.0 and robotics["eligible_partners"] == 0
    # Another organization's view was not touched by it.
    jetro = client.get(GAPS, headers=keys.headers("jetro_viewer")).json()
    assert {a["area"]: a for a in jetro["areas"]}["robotics"]["uncovered_share"] == 0.0
