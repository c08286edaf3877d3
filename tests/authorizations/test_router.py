"""Export authorization endpoints."""

from fastapi.testclient import TestClient

from tests.conftest import Keys
from tests.factories import company_payload, solicitation_payload

URL = "/api/v1/export-authorizations"


def setup_records(client: TestClient, keys: Keys) -> tuple[int, int]:
    company = client.post(
        "/api/v1/companies", json=company_payload(), headers=keys.headers("jetro_analyst")
    ).json()
    solicitation = client.post(
        "/api/v1/solicitations", json=solicitation_payload(), headers=keys.headers("pichtr_analyst")
    ).json()
    return company["id"], solicitation["id"]


def test_create_list_revoke(client: TestClient, keys: Keys) -> None:
    company_id, solicitation_id = setup_records(client, keys)
    body = {
        "company_id": company_id,
        "solicitation_id": solicitation_id,
        "authority": "ddtc",
        "reference": "DSP-5 050-123456",
        "valid_from": "2026-01-01",
        "valid_until": "2030-01-01",
        "scope": "Technical data for Ka-band PA design.",
    }
    created = client.post(URL, json=body, headers=keys.headers("pichtr_analyst"))
    assert created.status_code == 201, created.text
    auth = created.json()
    assert auth["active"] is True and auth["technology_area"] is None
    area = client.post(
        URL,
        json={
            **body,
            "solicitation_id": None,
            "technology_area": "space",
            "authority": "meti",
            "reference": "METI 2026-0042",
        },
        headers=keys.headers("jetro_analyst"),
    )
    assert area.status_code == 201 and area.json()["technology_area"] == "space"
    listed = client.get(
        URL, params={"company_id": company_id}, headers=keys.headers("jetro_viewer")
    ).json()
    assert listed["total"] == 2
    assert (
        client.get(
            URL, params={"technology_area": "space"}, headers=keys.headers("jetro_viewer")
        ).json()["total"]
        == 1
    )
    assert (
        client.delete(f"{URL}/{auth['id']}", headers=keys.headers("jetro_admin")).status_code == 403
    )
    assert (
        client.delete(f"{URL}/{auth['id']}", headers=keys.headers("pichtr_analyst")).status_code
        == 204
    )
    assert (
        client.delete(f"{URL}/{auth['id']}", headers=keys.headers("pichtr_analyst")).status_code
        == 404
    )
    active = client.get(URL, params={"active": True}, headers=keys.headers("jetro_viewer")).json()
    assert [a["reference"] for a in active["items"]] == ["METI 2026-0042"]
    inactive = client.get(
        URL, params={"active": False}, headers=keys.headers("jetro_viewer")
    ).json()
    assert inactive["items"][0]["revoked_at"] is not None


def test_errors(client: TestClient, keys: Keys) -> None:
    company_id, solicitation_id = setup_records(client, keys)
    base = {
        "company_id": company_id,
        "authority": "bis",
        "reference": "D123456",
        "valid_from": "2026-01-01",
    }
    headers = keys.headers("pichtr_analyst")
    both = client.post(
        URL,
        json={**base, "solicitation_id": solicitation_id, "technology_area": "space"},
        headers=headers,
    )
    assert both.status_code == 422 and "exactly one" in both.text
    neither = client.post(URL, json=base, headers=headers)
    assert neither.status_code == 422
    unknown_company = client.post(
        URL, json={**base, "company_id": 999, "technology_area": "space"}, headers=headers
    )
    assert unknown_company.status_code == 422
    assert unknown_company.json()["detail"][0]["loc"] == ["body", "company_id"]
    unknown_area = client.post(URL, json={**base, "technology_area": "nope"}, headers=headers)
    assert unknown_area.status_code == 422
    backwards = client.post(
        URL, json={**base, "technology_area": "space", "valid_until": "2025-01-01"}, headers=headers
    )
    assert backwards.status_code == 422
    bad_authority = client.post(
        URL, json={**base, "technology_area": "space", "authority": "fbi"}, headers=headers
    )
    assert bad_authority.status_code == 422
    viewer = client.post(
        URL, json={**base, "technology_area": "space"}, headers=keys.headers("pichtr_viewer")
    )
    assert viewer.status_code == 403
    assert client.get(URL, headers=keys.headers("jetro_viewer")).json()["total"] == 0


def test_only_the_owner_or_the_platform_authorizes_and_only_theirs_are_trusted(
    client: TestClient, keys: Keys
) -> None:
    from datetime import date

    from app.authorizations import service
    from app.authorizations.models import Authority, ExportAuthorization
    from app.db import session_scope
    from app.organizations import service as organizations
    from app.organizations.models import Side

    company_id, solicitation_id = setup_records(client, keys)  # JETRO's partner
    pichtr_partner = client.post(
        "/api/v1/companies",
        json=company_payload(name="Hayabusa KK", corporate_number=None),
        headers=keys.headers("pichtr_analyst"),
    ).json()["id"]
    body = {
        "solicitation_id": solicitation_id,
        "authority": "ddtc",
        "reference": "DSP-5 050-000042",
        "valid_from": "2026-01-01",
    }
    refused = client.post(
        URL, json={**body, "company_id": pichtr_partner}, headers=keys.headers("jetro_admin")
    )
    assert refused.status_code == 403 and "another organization" in refused.json()["detail"]
    assert client.get(URL, headers=keys.headers("pichtr_viewer")).json()["total"] == 0
    for key in ("jetro_analyst", "pichtr_analyst"):
        created = client.post(
            URL, json={**body, "company_id": company_id}, headers=keys.headers(key)
        )
        assert created.status_code == 201
    # One recorded by a third organization before this rule (the API now refuses it) is kept
    # on the record but unlocks nothing.
    with session_scope() as session:
        third = organizations.create_organization(session, slug="kotra", name="KOTRA", side=Side.JP)
        session.add(
            ExportAuthorization(
                company_id=company_id,
                solicitation_id=solicitation_id,
                authority=Authority.OTHER,
                reference="forged",
                valid_from=date(2026, 1, 1),
                created_by_id=third.id,
            )
        )
    with session_scope() as session:
        trusted = service.for_companies(session, company_ids=[company_id])
        assert sorted(a.created_by.slug for a in trusted) == ["jetro", "pichtr"]
        assert "forged" not in {
            a.reference for a in service.for_companies(session, company_ids=None)
        }
