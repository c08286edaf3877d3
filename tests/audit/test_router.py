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


def test_each_organization_reads_its_own_events_and_the_platform_all(
    client: TestClient, keys: Keys
) -> None:
    from app.audit.models import AuditEvent
    from app.db import session_scope

    ids = {}
    for org in ("jetro", "pichtr"):
        ids[org] = client.post(
            "/api/v1/companies",
            json=company_payload(name=f"{org} partner KK", corporate_number=None),
            headers=keys.headers(f"{org}_analyst"),
        ).json()["id"]
    # The classifier's events carry no organization: each shows to the record's owner.
    with session_scope() as session:
        for org in ("jetro", "pichtr"):
            session.add(
                AuditEvent(
                    organization_id=None,
                    actor="system:classifier",
                    action="classify",
                    entity_type="company",
                    entity_id=ids[org],
                    changes={},
                )
            )
    seen = {
        org: client.get("/api/v1/audit", headers=keys.headers(f"{org}_admin")).json()["items"]
        for org in ("jetro", "pichtr")
    }
    assert [(e["action"], e["entity_id"], e["actor"][:6]) for e in seen["jetro"]] == [
        ("classify", ids["jetro"], "system"),
        ("create", ids["jetro"], "jetro:"),
    ]
    # The platform organization's admins read every event.
    assert len(seen["pichtr"]) == 4
    filtered = client.get(
        "/api/v1/audit", params={"entity_id": ids["pichtr"]}, headers=keys.headers("jetro_admin")
    ).json()
    assert filtered["total"] == 0
