"""Organizations, keys and the unauthenticated health check."""

from fastapi.testclient import TestClient

from tests.conftest import Keys


def test_me(client: TestClient, keys: Keys) -> None:
    response = client.get("/api/v1/organizations/me", headers=keys.headers("jetro_viewer"))
    assert response.status_code == 200
    body = response.json()
    assert body["slug"] == "jetro" and body["side"] == "jp" and not body["is_platform"]
    assert body["key"]["role"] == "viewer"
    assert body["key"]["prefix"] == keys.raw["jetro_viewer"].split("_")[1]
    assert body["key"]["last_used_at"] is not None
    assert "key_hash" not in str(body)


def test_keys_are_stored_hashed(client: TestClient, keys: Keys) -> None:
    from sqlalchemy import select

    from app.db import session_scope
    from app.organizations.models import ApiKey

    with session_scope() as session:
        stored = list(session.scalars(select(ApiKey)))
    assert len(stored) == 6
    for key in stored:
        assert all(key.key_hash not in raw and raw not in key.key_hash for raw in keys.raw.values())


def test_technology_areas(client: TestClient, keys: Keys) -> None:
    areas = client.get("/api/v1/technology-areas", headers=keys.headers("jetro_viewer")).json()
    assert len(areas) == 14
    assert {
        "slug": "hypersonics",
        "label_en": "Hypersonics",
        "label_ja": "極超音速",
    }.items() <= next(a for a in areas if a["slug"] == "hypersonics").items()
    new = {"slug": "directed-energy", "label_en": "Directed energy", "label_ja": "指向性エネルギー"}
    assert (
        client.post(
            "/api/v1/technology-areas", json=new, headers=keys.headers("jetro_analyst")
        ).status_code
        == 403
    )
    assert (
        client.post(
            "/api/v1/technology-areas", json=new, headers=keys.headers("jetro_admin")
        ).status_code
        == 201
    )
    assert (
        client.post(
            "/api/v1/technology-areas", json=new, headers=keys.headers("jetro_admin")
        ).status_code
        == 409
    )
    bad = client.post(
        "/api/v1/technology-areas",
        json={**new, "slug": "Bad Slug"},
        headers=keys.headers("jetro_admin"),
    )
    assert bad.status_code == 422


def test_health_needs_no_key(client: TestClient) -> None:
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["status"] == "ok"
    assert body["model"]["status"] in ("loading", "loaded")
    assert body["jobs"] == {}


def test_settings_minimum_fit(client: TestClient, keys: Keys) -> None:
    from matching.calibration import DEFAULT_MIN_FIT

    url = "/api/v1/organizations/me/settings"
    read = client.get(url, headers=keys.headers("jetro_viewer"))
    assert read.status_code == 200 and read.headers["ETag"] == '"1"'
    assert read.json() == {
        "min_fit": None,
        "applied_min_fit": DEFAULT_MIN_FIT,
        "platform_min_fit": DEFAULT_MIN_FIT,
        "no_response_days": 14,
        "report_send_time": "07:00",
        "report_time_zone": "UTC",
        "version": 1,
    }
    for role in ("viewer", "analyst"):
        refused = client.patch(url, json={"min_fit": 0.2}, headers=keys.headers(f"jetro_{role}"))
        assert refused.status_code == 403, refused.text

    admin = keys.headers("jetro_admin")
    changed = client.patch(url, json={"min_fit": 0.2}, headers={**admin, "If-Match": '"1"'})
    assert changed.status_code == 200, changed.text
    assert changed.headers["ETag"] == '"2"'
    assert changed.json()["min_fit"] == changed.json()["applied_min_fit"] == 0.2
    stale = client.patch(url, json={"min_fit": 0.3}, headers={**admin, "If-Match": '"1"'})
    assert stale.status_code == 412
    for bad in ({"min_fit": 1.5}, {"min_fit": -0.01}, {"min_fit": "high"}, {"floor": 0.1}):
        response = client.patch(url, json=bad, headers=admin)
        assert response.status_code == 422, (bad, response.text)
        assert "min_fit" in response.text or "floor" in response.text
    unchanged = client.patch(url, json={}, headers=admin)
    assert unchanged.json()["version"] == 2
    # Another organization keeps the platform default.
    other = client.get(url, headers=keys.headers("pichtr_viewer")).json()
    assert other["min_fit"] is None and other["applied_min_fit"] == DEFAULT_MIN_FIT

    back = client.patch(url, json={"min_fit": None}, headers={**admin, "If-Match": '"2"'})
    assert back.status_code == 200
    assert back.json() == {**read.json(), "version": 3}

    events = client.get(
        "/api/v1/audit", params={"entity_type": "organization"}, headers=admin
    ).json()["items"]
    assert [e["changes"]["min_fit"] for e in events] == [
        {"before": 0.2, "after": None},
        {"before": None, "after": 0.2},
    ]
    assert all(e["action"] == "update" and e["actor"].startswith("jetro:") for e in events)
