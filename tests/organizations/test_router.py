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
