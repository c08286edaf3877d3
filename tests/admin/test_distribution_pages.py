"""The distributions page: the organization's recipients with the API's filters, the CSV
export of the same rows, recording an answer, and another organization's rows never shown."""

import csv
import io
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.admin.solicitation_world import build_world, keys_for_people, post
from tests.conftest import Keys, People, sign_in


@pytest.fixture
def api_keys(people: People) -> Keys:
    return keys_for_people()


@pytest.fixture
def api(database_url: str) -> Any:
    from app.main import create_app

    with TestClient(create_app()) as client:
        yield client


@pytest.fixture
def sent(api: TestClient, api_keys: Keys) -> dict[str, Any]:
    """The world, with its solicitation sent by PICHTR to the authorized partner."""
    world = build_world(api, api_keys)
    body = {"company_ids": [world["authorized"]], "channel": "manual", "message": "Have a look"}
    distribution = post(
        api,
        api_keys,
        f"/solicitations/{world['solicitation']}/distributions",
        body,
        "pichtr_analyst",
    )
    return {
        **world,
        "distribution": distribution["id"],
        "recipient": distribution["recipients"][0]["id"],
    }


def test_list_filters_export_and_answers(
    admin_client: TestClient, api: TestClient, api_keys: Keys, sent: dict[str, Any], people: People
) -> None:
    token = sign_in(admin_client, "alice")
    page = admin_client.get("/admin/distributions")
    assert page.status_code == 200
    assert "Aoi GaN Devices KK" in page.text and "1 recipients" in page.text
    assert f'id="recipient-{sent["recipient"]}"' in page.text

    def count(query: str) -> str:
        response = admin_client.get(f"/admin/distributions?{query}")
        assert response.status_code == 200, response.text
        return response.text.split('id="result-count">')[1].split("<")[0]

    assert count("status=sent") == "1 recipients"
    assert count("status=declined") == "0 recipients"
    assert count("channel=email") == "0 recipients"
    assert count("area=space&channel=manual") == "1 recipients"
    assert count("area=cyber") == "0 recipients"
    assert count(f"solicitation_id={sent['solicitation']}") == "1 recipients"
    assert count(f"company_id={sent['bakery']}") == "0 recipients"
    assert count("sent_from=2000-01-01&sent_until=2999-01-01") == "1 recipients"
    assert count("sent_until=2000-01-01") == "0 recipients"
    bad = admin_client.get("/admin/distributions?sent_from=2027-02-01&sent_until=2027-01-01")
    assert bad.status_code == 422 and 'id="sent_from-error"' in bad.text
    unknown = admin_client.get("/admin/distributions?area=basket-weaving&status=sent")
    assert unknown.status_code == 422 and 'id="area-error"' in unknown.text

    # The export link carries the filters; the CSV is the API's, row for row.
    filtered = admin_client.get("/admin/distributions?status=sent&area=space")
    assert 'href="/admin/distributions/export.csv?status=sent&amp;area=space"' in filtered.text
    mine = admin_client.get("/admin/distributions/export.csv?status=sent&area=space")
    assert mine.status_code == 200 and mine.headers["content-type"].startswith("text/csv")
    theirs = api.get(
        "/api/v1/distributions/export.csv?status=sent&area=space",
        headers=api_keys.headers("pichtr_viewer"),
    )
    rows = list(csv.reader(io.StringIO(mine.text)))
    assert rows == list(csv.reader(io.StringIO(theirs.text))) and len(rows) == 2
    assert rows[1][rows[0].index("company_name")] == "Aoi GaN Devices KK"
    none = admin_client.get("/admin/distributions/export.csv?status=declined")
    assert len(list(csv.reader(io.StringIO(none.text)))) == 1

    # A decline needs a reason: the error beside it, the choice kept, nothing written.
    url = f"/admin/distributions/{sent['distribution']}/recipients/{sent['recipient']}/status"
    back = "/admin/distributions?status=sent"
    refused = admin_client.post(
        url, data={"csrf_token": token, "status": "declined", "reason": "", "next": back}
    )
    assert refused.status_code == 422
    assert f'id="reason-{sent["recipient"]}-error"' in refused.text
    assert 'value="declined" selected' in refused.text
    assert count("status=sent") == "1 recipients"

    recorded = admin_client.post(
        url,
        data={"csrf_token": token, "status": "declined", "reason": "No ITAR staff", "next": back},
    )
    assert recorded.status_code == 303
    assert recorded.headers["location"] == f"{back}#recipient-{sent['recipient']}"
    page = admin_client.get("/admin/distributions?status=declined").text
    assert "No ITAR staff" in page and "History (2)" in page
    # declined -> no_response is not allowed: the choice is not offered, and refused if sent.
    again = admin_client.post(url, data={"csrf_token": token, "status": "no_response"})
    assert again.status_code == 409 and "cannot become no_response" in again.text
    api_read = api.get(
        f"/api/v1/distributions/{sent['distribution']}/recipients/{sent['recipient']}",
        headers=api_keys.headers("pichtr_viewer"),
    ).json()
    assert api_read["status"] == "declined" and api_read["status_reason"] == "No ITAR staff"

    # JETRO sees none of PICHTR's recipients and cannot record an answer for one.
    jetro = TestClient(admin_client.app, follow_redirects=False)
    jetro_token = sign_in(jetro, people.other_org_analyst)
    theirs_page = jetro.get("/admin/distributions")
    assert "Aoi GaN Devices KK" not in theirs_page.text and "0 recipients" in theirs_page.text
    export = jetro.get("/admin/distributions/export.csv")
    assert "Aoi GaN Devices KK" not in export.text
    forged = jetro.post(url, data={"csrf_token": jetro_token, "status": "interested"})
    assert forged.status_code == 404

    viewer = TestClient(admin_client.app, follow_redirects=False)
    viewer_token = sign_in(viewer, people.viewer)
    assert "Record answer" not in viewer.get("/admin/distributions").text
    assert (
        viewer.post(url, data={"csrf_token": viewer_token, "status": "interested"}).status_code
        == 403
    )


def test_pages_need_signing_in(admin_client: TestClient, people: People) -> None:
    for path in ("/admin/distributions", "/admin/distributions/export.csv", "/admin/solicitations"):
        response = admin_client.get(path)
        assert response.status_code == 303 and response.headers["location"].startswith(
            "/admin/login?next="
        )
