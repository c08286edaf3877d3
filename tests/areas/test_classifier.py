"""Automatic technology areas: written by the embedding job, audited, and invisible to
versions: a create's ETag stays valid and an unchanged re-import changes nothing."""

import json
from pathlib import Path

from fastapi.testclient import TestClient

from app.jobs.worker import drain
from tests.conftest import Keys
from tests.factories import solicitation_payload

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "imports"


def test_classifier_areas_keep_the_version_and_etag(client: TestClient, keys: Keys) -> None:
    headers = keys.headers("pichtr_analyst")
    created = client.post(
        "/api/v1/solicitations", json=solicitation_payload(technology_areas=[]), headers=headers
    )
    assert created.status_code == 201 and created.headers["ETag"] == '"1"'
    url = f"/api/v1/solicitations/{created.json()['id']}"
    assert drain() == 1
    read = client.get(url, headers=headers)
    body = read.json()
    assert body["technology_areas"] and body["suggested_areas"]
    assert body["version"] == 1 and read.headers["ETag"] == '"1"'
    events = client.get(
        "/api/v1/audit",
        params={"entity_type": "solicitation", "entity_id": body["id"]},
        headers=keys.headers("pichtr_admin"),
    ).json()["items"]
    assert [e["action"] for e in events].count("classify") == 1
    # The ETag the create returned still works.
    patched = client.patch(
        url, json={"agency": "DEPT OF THE NAVY"}, headers={**headers, "If-Match": '"1"'}
    )
    assert patched.status_code == 200 and patched.json()["version"] == 2


def _state(client: TestClient, keys: Keys) -> dict[int, tuple]:
    items = client.get(
        "/api/v1/solicitations", params={"limit": 500}, headers=keys.headers("pichtr_viewer")
    ).json()["items"]
    return {
        s["id"]: (s["version"], s["technology_areas"], s["suggested_areas"], s["updated_at"])
        for s in items
    }


def test_an_unchanged_reimport_keeps_the_classifier_areas(client: TestClient, keys: Keys) -> None:
    def upload() -> dict:
        response = client.post(
            "/api/v1/imports",
            files={"file": ("extract.csv", (FIXTURES / "sam_extract_utf8.csv").read_bytes())},
            data={"kind": "solicitations"},
            headers=keys.headers("pichtr_analyst"),
        )
        assert response.status_code in (200, 201), response.text
        return response.json()

    first = upload()
    assert first["created"] > 0
    drain()
    classified = _state(client, keys)
    assert all(areas for _v, areas, _s, _u in classified.values())
    again = upload()
    assert again["updated"] == 0 and again["unchanged"] == first["created"]
    assert _state(client, keys) == classified
    drain()
    assert _state(client, keys) == classified


def test_a_file_without_areas_keeps_the_classifier_areas(client: TestClient, keys: Keys) -> None:
    """A company row that names no areas says nothing about them: importing a changed version
    of it updates what changed and leaves the classifier's areas as they are."""
    rows = [
        {
            "role": "jp_partner",
            "country": "JP",
            "name": "Hikari Lens Works KK",
            "narrative": "Precision lens grinding for satellite star trackers and telescopes.",
            "keywords": ["lens grinding", "star tracker"],
            "technology_areas": [],
            "external_id": "HLW-1",
        },
        {
            "role": "jp_partner",
            "country": "JP",
            "name": "Kaze Robotics KK",
            "narrative": "Autonomous ground robots for warehouse logistics and depot inventory.",
            "keywords": ["AMR", "inventory"],
            "technology_areas": [],
            "external_id": "KRB-2",
        },
    ]

    def upload() -> dict:
        content = "\n".join(json.dumps(row) for row in rows).encode()
        response = client.post(
            "/api/v1/imports",
            files={"file": ("companies.jsonl", content)},
            data={"kind": "companies"},
            headers=keys.headers("jetro_analyst"),
        )
        assert response.status_code in (200, 201), response.text
        return response.json()

    def companies() -> dict[str, dict]:
        items = client.get("/api/v1/companies", headers=keys.headers("jetro_viewer")).json()
        return {c["name"]: c for c in items["items"]}

    assert upload()["created"] == 2
    drain()
    before = companies()
    assert all(c["technology_areas"] and c["version"] == 1 for c in before.values())
    rows[0]["keywords"] = ["lens grinding", "star tracker", "aspheric optics"]
    again = upload()
    assert again["updated"] == 1 and again["unchanged"] == 1, again
    for _ in range(2):  # as the import left it, and after the worker re-embedded it
        after = companies()
        assert after["Kaze Robotics KK"] == before["Kaze Robotics KK"]
        hikari, earlier = after["Hikari Lens Works KK"], before["Hikari Lens Works KK"]
        assert hikari["version"] == 2 and "aspheric optics" in hikari["keywords"]
        assert hikari["technology_areas"] == earlier["technology_areas"]
        drain()
