"""Vetting history, effective status and its filters."""

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from tests.conftest import Keys
from tests.factories import company_payload, us_company_payload


def new_partner(client: TestClient, keys: Keys, **overrides: object) -> int:
    response = client.post(
        "/api/v1/companies",
        json=company_payload(**overrides),
        headers=keys.headers("jetro_analyst"),
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def decide(
    client: TestClient, keys: Keys, company_id: int, key: str = "pichtr_analyst", **body: object
) -> dict:
    response = client.post(
        f"/api/v1/companies/{company_id}/vetting", json=body, headers=keys.headers(key)
    )
    assert response.status_code == 201, response.text
    return response.json()


def iso(delta_days: float) -> str:
    return (datetime.now(UTC) + timedelta(days=delta_days)).isoformat()


def test_history_is_kept_and_latest_wins(client: TestClient, keys: Keys) -> None:
    company_id = new_partner(client, keys)
    decide(client, keys, company_id, key="jetro_analyst", status="pending", decided_at=iso(-30))
    decide(
        client,
        keys,
        company_id,
        status="vetted",
        decided_at=iso(-10),
        expires_at=iso(300),
        evidence="Site visit in Nagoya; METI compliance programme reviewed.",
    )
    history = client.get(
        f"/api/v1/companies/{company_id}/vetting", headers=keys.headers("jetro_viewer")
    ).json()
    assert [d["status"] for d in history] == ["vetted", "pending"]
    assert [d["decided_by"] for d in history] == ["pichtr", "jetro"]
    company = client.get(
        f"/api/v1/companies/{company_id}", headers=keys.headers("jetro_viewer")
    ).json()
    assert company["vetting"]["status"] == "vetted"
    assert company["version"] == 1  # a decision is not a profile edit
    # A backdated decision does not displace the newer one.
    decide(
        client,
        keys,
        company_id,
        status="rejected",
        decided_at=iso(-60),
        evidence="Earlier rejection entered late.",
    )
    company = client.get(
        f"/api/v1/companies/{company_id}", headers=keys.headers("jetro_viewer")
    ).json()
    assert company["vetting"]["status"] == "vetted"
    decide(
        client,
        keys,
        company_id,
        status="suspended",
        evidence="Undisclosed change of ownership under review.",
    )
    company = client.get(
        f"/api/v1/companies/{company_id}", headers=keys.headers("jetro_viewer")
    ).json()
    assert company["vetting"]["status"] == "suspended"


def test_expired_vetting(client: TestClient, keys: Keys) -> None:
    company_id = new_partner(client, keys)
    decide(
        client,
        keys,
        company_id,
        status="vetted",
        decided_at=iso(-400),
        expires_at=iso(-1),
        evidence="Annual review.",
    )
    company = client.get(
        f"/api/v1/companies/{company_id}", headers=keys.headers("jetro_viewer")
    ).json()
    assert company["vetting"]["status"] == "expired"
    listed = client.get(
        "/api/v1/companies",
        params={"vetting_status": "expired"},
        headers=keys.headers("jetro_viewer"),
    ).json()
    assert [c["id"] for c in listed["items"]] == [company_id]
    vetted = client.get(
        "/api/v1/companies",
        params={"vetting_status": "vetted"},
        headers=keys.headers("jetro_viewer"),
    ).json()
    assert vetted["total"] == 0


def test_vetting_status_filter(client: TestClient, keys: Keys) -> None:
    a = new_partner(client, keys, name="A", corporate_number=None)
    b = new_partner(client, keys, name="B", corporate_number=None)
    new_partner(client, keys, name="C", corporate_number=None)
    decide(client, keys, a, status="vetted", expires_at=iso(30), evidence="ok")
    decide(client, keys, b, status="pending")
    headers = keys.headers("jetro_viewer")

    def names(status: str) -> list[str]:
        page = client.get("/api/v1/companies", params={"vetting_status": status}, headers=headers)
        return [c["name"] for c in page.json()["items"]]

    assert names("vetted") == ["A"]
    assert names("pending") == ["B"]
    assert names("unvetted") == ["C"]


def test_decision_errors(client: TestClient, keys: Keys) -> None:
    company_id = new_partner(client, keys)
    url = f"/api/v1/companies/{company_id}/vetting"
    viewer = client.post(url, json={"status": "pending"}, headers=keys.headers("jetro_viewer"))
    assert viewer.status_code == 403
    no_evidence = client.post(url, json={"status": "vetted"}, headers=keys.headers("jetro_analyst"))
    assert no_evidence.status_code == 422
    assert "evidence" in no_evidence.text
    bad_status = client.post(
        url, json={"status": "approved"}, headers=keys.headers("jetro_analyst")
    )
    assert bad_status.status_code == 422
    future = client.post(
        url, json={"status": "pending", "decided_at": iso(2)}, headers=keys.headers("jetro_analyst")
    )
    assert future.status_code == 422
    assert future.json()["detail"][0]["loc"][-1] == "decided_at"
    naive = client.post(
        url,
        json={"status": "pending", "decided_at": "2026-01-01T00:00:00"},
        headers=keys.headers("jetro_analyst"),
    )
    assert naive.status_code == 422
    backwards = client.post(
        url,
        json={"status": "vetted", "evidence": "x", "decided_at": iso(-1), "expires_at": iso(-2)},
        headers=keys.headers("jetro_analyst"),
    )
    assert backwards.status_code == 422
    missing = client.post(
        "/api/v1/companies/999/vetting",
        json={"status": "pending"},
        headers=keys.headers("jetro_analyst"),
    )
    assert missing.status_code == 404
    us = client.post(
        "/api/v1/companies", json=us_company_payload(), headers=keys.headers("pichtr_analyst")
    ).json()
    us_vetting = client.post(
        f"/api/v1/companies/{us['id']}/vetting",
        json={"status": "pending"},
        headers=keys.headers("pichtr_analyst"),
    )
    assert us_vetting.status_code == 422
    assert client.get(url, headers=keys.headers("jetro_viewer")).json() == []


def test_only_the_partners_owner_or_the_platform_decides(client: TestClient, keys: Keys) -> None:
    pichtr_partner = client.post(
        "/api/v1/companies",
        json=company_payload(name="Hayabusa KK", corporate_number=None),
        headers=keys.headers("pichtr_analyst"),
    ).json()["id"]
    body = {"status": "suspended", "evidence": "A rival's complaint."}
    refused = client.post(
        f"/api/v1/companies/{pichtr_partner}/vetting",
        json=body,
        headers=keys.headers("jetro_admin"),
    )
    assert refused.status_code == 403 and "another organization" in refused.json()["detail"]
    path = f"/api/v1/companies/{pichtr_partner}"
    assert client.get(f"{path}/vetting", headers=keys.headers("pichtr_viewer")).json() == []
    profile = client.get(path, headers=keys.headers("pichtr_viewer")).json()
    assert profile["vetting"]["status"] == "unvetted"
    jetro_partner = new_partner(client, keys)
    for key in ("jetro_analyst", "pichtr_analyst"):
        decide(client, keys, jetro_partner, key=key, status="vetted", evidence="Site visit.")
    history = client.get(
        f"/api/v1/companies/{jetro_partner}/vetting", headers=keys.headers("jetro_viewer")
    ).json()
    assert [d["decided_by"] for d in history] == ["pichtr", "jetro"]
