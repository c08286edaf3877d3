"""Helpers the screening tests share: loading fixture lists and making companies through the
API."""

from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient

from tests.conftest import Keys
from tests.factories import company_payload

API = "/api/v1"
FIXTURES = Path(__file__).parents[1] / "fixtures" / "screening"
# The CSL excerpt lists a transliteration of the factory partner's name.
KAWASEMI_ENTRY = "9f3c1e2a7b4d4c6e8a1f0b2c3d4e5f60"


def load(
    client: TestClient, keys: Keys, fixture: str, list_name: str = "csl", key: str = "pichtr_admin"
) -> httpx.Response:
    """Upload a fixture list; the response, whatever its status."""
    return client.post(
        f"{API}/screening/lists/{list_name}",
        files={"file": (fixture, (FIXTURES / fixture).read_bytes(), "text/csv")},
        headers=keys.headers(key),
    )


def new_company(client: TestClient, keys: Keys, **overrides: Any) -> dict[str, Any]:
    response = client.post(
        f"{API}/companies",
        json=company_payload(**{"corporate_number": None, **overrides}),
        headers=keys.headers("jetro_analyst"),
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def company(client: TestClient, keys: Keys, company_id: int) -> dict[str, Any]:
    return dict(
        client.get(f"{API}/companies/{company_id}", headers=keys.headers("jetro_viewer")).json()
    )


def open_hits(client: TestClient, keys: Keys, company_id: int) -> list[dict[str, Any]]:
    response = client.get(
        f"{API}/screening/hits",
        params={"status": "open", "company_id": company_id},
        headers=keys.headers("pichtr_viewer"),
    )
    assert response.status_code == 200, response.text
    return list(response.json()["items"])
