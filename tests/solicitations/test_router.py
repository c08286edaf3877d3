"""Solicitation endpoints: happy paths, filters and error paths."""

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Keys
from tests.factories import solicitation_payload

URL = "/api/v1/solicitations"


def create(
    client: TestClient, keys: Keys, key: str = "pichtr_analyst", **overrides: object
) -> dict:
    response = client.post(URL, json=solicitation_payload(**overrides), headers=keys.headers(key))
    assert response.status_code == 201, response.text
    return response.json()


def test_create_read_and_deadline_keeps_its_offset(client: TestClient, keys: Keys) -> None:
    body = create(client, keys, response_deadline="2027-01-15T17:00:00+09:00")
    assert body["response_deadline"] == "2027-01-15T17:00:00+09:00"
    assert body["response_deadline_utc"] == "2027-01-15T08:00:00Z"
    assert body["estimated_value"] == 2500000
    assert body["created_by"] == "pichtr"
    fetched = client.get(f"{URL}/{body['id']}", headers=keys.headers("jetro_viewer"))
    assert fetched.json() == body
    assert fetched.headers["ETag"] == '"1"'


def test_duplicate_notice_is_409_but_other_source_is_fine(client: TestClient, keys: Keys) -> None:
    create(client, keys)
    again = client.post(URL, json=solicitation_payload(), headers=keys.headers("jetro_analyst"))
    assert again.status_code == 409
    create(client, keys, source="sam.gov")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"response_deadline": "2026-10-01T00:00:00Z"}, "response_deadline"),
        ({"response_deadline": "2027-01-15T17:00:00"}, "response_deadline"),
        ({"export_control": "secret"}, "export_control"),
        ({"foreign_participation": "maybe"}, "foreign_participation"),
        ({"status": "pending"}, "status"),
        ({"ota_type": "grant"}, "ota_type"),
        ({"naics": ["5417150"]}, "naics"),
        ({"technology_areas": ["warp-drive"]}, "technology_areas"),
        ({"estimated_value": -5}, "estimated_value"),
        ({"notice_id": ""}, "notice_id"),
        ({"title": None}, "title"),
    ],
)
def test_bad_fields_are_422(client: TestClient, keys: Keys, overrides: dict, field: str) -> None:
    response = client.post(
        URL, json=solicitation_payload(**overrides), headers=keys.headers("pichtr_analyst")
    )
    assert response.status_code == 422, response.text
    text = response.text
    assert field in text or "posted_date" in text


def test_filters_and_pagination(client: TestClient, keys: Keys) -> None:
    create(
        client,
        keys,
        notice_id="A",
        response_deadline="2099-01-10T00:00:00Z",
        technology_areas=["space"],
    )
    create(
        client,
        keys,
        notice_id="B",
        response_deadline="2099-02-10T00:00:00Z",
        technology_areas=["robotics"],
        title="Depot robotics for wheel hubs",
    )
    create(
        client,
        keys,
        notice_id="C",
        response_deadline="2099-03-10T00:00:00Z",
        status="closed",
        technology_areas=["space"],
    )
    create(client, keys, notice_id="D", response_deadline=None, technology_areas=["cyber"])
    headers = keys.headers("jetro_viewer")

    def ids(**params: object) -> list[str]:
        response = client.get(URL, params=params, headers=headers)
        assert response.status_code == 200, response.text
        return [s["notice_id"] for s in response.json()["items"]]

    assert ids() == ["A", "B", "C", "D"]
    assert ids(status="closed") == ["C"]
    assert ids(technology_area="space") == ["A", "C"]
    assert ids(deadline_after="2099-02-01T00:00:00Z") == ["B", "C"]
    assert ids(deadline_before="2099-02-01T00:00:00Z") == ["A"]
    assert ids(q="wheel HUBS") == ["B"]
    assert ids(limit=2, offset=1) == ["B", "C"]
    page = client.get(URL, params={"limit": 1}, headers=headers).json()
    assert page["total"] == 4 and len(page["items"]) == 1
    wrong_order = client.get(
        URL,
        params={
            "deadline_after": "2099-03-01T00:00:00Z",
            "deadline_before": "2099-01-01T00:00:00Z",
        },
        headers=headers,
    )
    assert wrong_order.status_code == 422
    assert client.get(URL, params={"status": "pending"}, headers=headers).status_code == 422


def test_patch_delete_and_ownership(client: TestClient, keys: Keys) -> None:
    body = create(client, keys, key="pichtr_analyst")
    url = f"{URL}/{body['id']}"
    jetro = keys.headers("jetro_admin")
    assert client.patch(url, json={"status": "closed"}, headers=jetro).status_code == 403
    assert client.delete(url, headers=jetro).status_code == 403
    mine = keys.headers("pichtr_analyst")
    changed = client.patch(url, json={"status": "closed"}, headers={**mine, "If-Match": '"1"'})
    assert changed.status_code == 200 and changed.json()["version"] == 2
    stale = client.patch(url, json={"status": "open"}, headers={**mine, "If-Match": '"1"'})
    assert stale.status_code == 412
    backwards = client.patch(url, json={"response_deadline": "2026-01-01T00:00:00Z"}, headers=mine)
    assert backwards.status_code == 422
    same = client.patch(url, json={"status": "closed"}, headers=mine)
    assert same.json()["version"] == 2  # no change, no new version
    assert client.delete(url, headers=mine).status_code == 204
    assert client.get(url, headers=mine).status_code == 404
    assert client.patch(url, json={"status": "open"}, headers=mine).status_code == 404


def test_one_edit_is_one_version_whatever_the_field_order(client: TestClient, keys: Keys) -> None:
    from app.db import session_scope
    from app.solicitations import service

    body = create(client, keys)
    for changes in (
        {"title": "First title", "technology_areas": ["quantum"]},
        {"technology_areas": ["space"], "title": "Second title"},
    ):
        with session_scope() as session:
            record = service.get(session, solicitation_id=body["id"])
            before = record.version
            service.apply_changes(session, solicitation=record, changes=changes, lock=True)
            assert record.version == before + 1
