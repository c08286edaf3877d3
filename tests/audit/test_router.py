"""The audit trail records who did what, and only admins read it."""

from fastapi.testclient import TestClient

from tests.conftest import Keys
from tests.factories import company_payload


def test_audit_trail(client: TestClient, keys: Keys) -> None:
    company = client.post(
        "/api/v1/companies", json=company_payload(), headers=keys.headers("jetro_analyst")
    ).json()
    client.patch(
        f"/api/v1/companies/{company['id']}",
        json={"name": "Renamed KK"},
        headers=keys.headers("jetro_analyst"),
    )
    assert client.get("/api/v1/audit", headers=keys.headers("jetro_analyst")).status_code == 403
    events = client.get("/api/v1/audit", headers=keys.headers("jetro_admin")).json()
    assert events["total"] == 2
    update, create = events["items"]
    assert update["action"] == "update" and create["action"] == "create"
    prefix = keys.raw["jetro_analyst"].split("_")[1]
    assert update["actor"] == f"jetro:{prefix}"
    assert update["changes"] == {"name": {"before": company["name"], "after": "Renamed KK"}}
    assert keys.raw["jetro_analyst"] not in str(events)
    only_updates = client.get(
        "/api/v1/audit", params={"action": "update"}, headers=keys.headers("jetro_admin")
    ).json()
    assert only_updates["total"] == 1
