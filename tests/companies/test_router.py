"""Company endpoints: happy paths and every error path."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Keys
from tests.factories import company_payload, us_company_payload

URL = "/api/v1/companies"


def create(client: TestClient, keys: Keys, key: str = "jetro_analyst", **overrides: object) -> dict:
    response = client.post(URL, json=company_payload(**overrides), headers=keys.headers(key))
    assert response.status_code == 201, response.text
    return response.json()


def test_create_and_read_back(client: TestClient, keys: Keys) -> None:
    response = client.post(URL, json=company_payload(), headers=keys.headers("jetro_analyst"))
    assert response.status_code == 201
    body = response.json()
    assert response.headers["ETag"] == '"1"'
    assert response.headers["Location"] == f"{URL}/{body['id']}"
    assert body["technology_areas"] == ["5g-communications", "trusted-microelectronics"]
    assert body["created_by"] == "jetro"
    assert body["vetting"]["status"] == "unvetted"
    assert body["version"] == 1
    fetched = client.get(f"{URL}/{body['id']}", headers=keys.headers("pichtr_viewer"))
    assert fetched.status_code == 200
    assert fetched.json() == body


def test_us_performer_needs_no_vetting(client: TestClient, keys: Keys) -> None:
    response = client.post(URL, json=us_company_payload(), headers=keys.headers("pichtr_analyst"))
    assert response.status_code == 201, response.text
    assert response.json()["vetting"]["status"] == "not_required"
    assert response.json()["uei"] == "K3LMNPQRST12"


@pytest.mark.parametrize("header", [None, "Bearer nope", "Bearer kk_00000000_wrong", "Basic abc"])
def test_missing_or_bad_key_is_401(client: TestClient, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    response = client.get(URL, headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_revoked_key_is_401(client: TestClient, keys: Keys) -> None:
    from app.db import session_scope
    from app.organizations import service

    prefix = keys.raw["jetro_viewer"].split("_")[1]
    with session_scope() as session:
        service.revoke_api_key(session, prefix=prefix)
    response = client.get(URL, headers=keys.headers("jetro_viewer"))
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]


def test_viewer_cannot_write(client: TestClient, keys: Keys) -> None:
    response = client.post(URL, json=company_payload(), headers=keys.headers("jetro_viewer"))
    assert response.status_code == 403
    assert "analyst" in response.json()["detail"]


@pytest.mark.parametrize(
    ("overrides", "field", "reason"),
    [
        ({"corporate_number": "8000012050002"}, "corporate_number", "check digit"),
        ({"corporate_number": "70000120500"}, "corporate_number", "13 digits"),
        ({"uei": "O3LMNPQRST12"}, "uei", "without I or O"),
        ({"uei": "SHORT"}, "uei", "12 letters"),
        ({"cage": "1234"}, "cage", "5 letters"),
        ({"naics": ["54A715"]}, "naics", "not a NAICS code"),
        ({"naics": ["991234"]}, "naics", "sector"),
        ({"technology_areas": ["time-travel"]}, "technology_areas", "unknown technology area"),
        ({"role": "broker"}, "role", "us_performer"),
        ({"country": "XX"}, "country", "ISO 3166"),
        ({"website": "not a url"}, "website", "pattern"),
        ({"name": ""}, "name", "at least 1"),
        ({"colour": "blue"}, "colour", "Extra inputs"),
    ],
)
def test_bad_fields_are_422_naming_field_and_reason(
    client: TestClient, keys: Keys, overrides: dict, field: str, reason: str
) -> None:
    response = client.post(
        URL, json=company_payload(**overrides), headers=keys.headers("jetro_analyst")
    )
    assert response.status_code == 422, response.text
    errors = response.json()["detail"]
    assert any(field in map(str, e["loc"]) and reason in e["msg"] for e in errors), errors
    assert client.get(URL, headers=keys.headers("jetro_viewer")).json()["total"] == 0


def test_oversized_body_is_413(client: TestClient, keys: Keys) -> None:
    payload = company_payload(narrative="x" * 1_100_000)
    response = client.post(URL, json=payload, headers=keys.headers("jetro_analyst"))
    assert response.status_code == 413


def test_oversized_streamed_body_is_413(client: TestClient, keys: Keys) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"role": "jp_partner", "country": "JP", "name": "'
        for _ in range(1100):
            yield b"x" * 1024
        yield b'"}'

    headers = {**keys.headers("jetro_analyst"), "Content-Type": "application/json"}
    response = client.post(URL, content=chunks(), headers=headers)
    assert response.status_code == 413
    assert client.get(URL, headers=keys.headers("jetro_viewer")).json()["total"] == 0


def test_overlong_narrative_is_422(client: TestClient, keys: Keys) -> None:
    response = client.post(
        URL, json=company_payload(narrative="y" * 20_001), headers=keys.headers("jetro_analyst")
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "narrative"


def test_duplicate_natural_key_is_409(client: TestClient, keys: Keys) -> None:
    create(client, keys)
    response = client.post(
        URL, json=company_payload(name="Other name"), headers=keys.headers("pichtr_analyst")
    )
    assert response.status_code == 409
    assert "corporate_number" in response.json()["detail"]


def test_unknown_company_is_404(client: TestClient, keys: Keys) -> None:
    assert client.get(f"{URL}/999", headers=keys.headers("jetro_viewer")).status_code == 404


def test_list_filters_and_pagination(client: TestClient, keys: Keys) -> None:
    for i in range(5):
        create(
            client,
            keys,
            name=f"Partner {i}",
            corporate_number=None,
            technology_areas=["robotics"] if i % 2 else ["space"],
        )
    client.post(URL, json=us_company_payload(), headers=keys.headers("pichtr_analyst"))
    headers = keys.headers("pichtr_viewer")
    page = client.get(URL, params={"limit": 2, "offset": 2}, headers=headers).json()
    assert page["total"] == 6 and page["limit"] == 2 and page["offset"] == 2
    assert len(page["items"]) == 2
    assert client.get(URL, params={"role": "us_performer"}, headers=headers).json()["total"] == 1
    assert client.get(URL, params={"country": "JP"}, headers=headers).json()["total"] == 5
    robots = client.get(URL, params={"technology_area": "robotics"}, headers=headers).json()
    assert {c["name"] for c in robots["items"]} == {"Partner 1", "Partner 3"}
    found = client.get(URL, params={"q": "forward depots"}, headers=headers).json()
    assert [c["name"] for c in found["items"]] == ["Kestrel Forge Systems LLC"]
    found = client.get(URL, params={"q": "PARTNER 4"}, headers=headers).json()
    assert found["total"] == 1
    assert client.get(URL, params={"q": "100%"}, headers=headers).json()["total"] == 0
    unvetted = client.get(URL, params={"vetting_status": "unvetted"}, headers=headers).json()
    assert unvetted["total"] == 5
    bad = client.get(URL, params={"vetting_status": "maybe"}, headers=headers)
    assert bad.status_code == 422
    bad = client.get(URL, params={"technology_area": "nope"}, headers=headers)
    assert bad.status_code == 422
    assert client.get(URL, params={"limit": 0}, headers=headers).status_code == 422


def test_patch_with_if_match(client: TestClient, keys: Keys) -> None:
    company = create(client, keys)
    url = f"{URL}/{company['id']}"
    headers = keys.headers("jetro_analyst")
    response = client.patch(
        url, json={"keywords": ["GaN MMIC", "Ka-band"]}, headers={**headers, "If-Match": '"1"'}
    )
    assert response.status_code == 200, response.text
    assert response.json()["version"] == 2
    assert response.headers["ETag"] == '"2"'
    stale = client.patch(url, json={"name": "Lost update"}, headers={**headers, "If-Match": '"1"'})
    assert stale.status_code == 412
    assert client.get(url, headers=headers).json()["name"] == company["name"]
    bad = client.patch(url, json={"name": "x"}, headers={**headers, "If-Match": "abc"})
    assert bad.status_code == 422
    nulled = client.patch(url, json={"name": None}, headers=headers)
    assert nulled.status_code == 422
    cleared = client.patch(url, json={"website": None}, headers=headers)
    assert cleared.status_code == 200 and cleared.json()["website"] is None
    bad_area = client.patch(url, json={"technology_areas": ["nope"]}, headers=headers)
    assert bad_area.status_code == 422
    assert (
        client.get(url, headers=headers).json()["technology_areas"] == company["technology_areas"]
    )


def test_other_organization_cannot_change_or_delete(client: TestClient, keys: Keys) -> None:
    company = create(client, keys, key="jetro_analyst")
    url = f"{URL}/{company['id']}"
    for key in ("pichtr_analyst",):
        assert (
            client.patch(url, json={"name": "Hijack"}, headers=keys.headers(key)).status_code == 403
        )
        assert client.delete(url, headers=keys.headers(key)).status_code == 403
    # PICHTR is the platform operator: its admins may correct anyone's record.
    fixed = client.patch(url, json={"name": "Corrected"}, headers=keys.headers("pichtr_admin"))
    assert fixed.status_code == 200
    assert client.get(url, headers=keys.headers("jetro_viewer")).json()["name"] == "Corrected"


def test_delete_archives(client: TestClient, keys: Keys) -> None:
    company = create(client, keys)
    url = f"{URL}/{company['id']}"
    assert client.delete(url, headers=keys.headers("jetro_analyst")).status_code == 204
    assert client.get(url, headers=keys.headers("jetro_viewer")).status_code == 404
    assert client.delete(url, headers=keys.headers("jetro_analyst")).status_code == 404
    assert client.get(URL, headers=keys.headers("jetro_viewer")).json()["total"] == 0
    audit = client.get(
        "/api/v1/audit", params={"entity_type": "company"}, headers=keys.headers("pichtr_admin")
    ).json()
    assert [e["action"] for e in audit["items"]] == ["archive", "create"]
    # The natural key stays taken, so history cannot be silently forked.
    again = client.post(URL, json=company_payload(), headers=keys.headers("jetro_analyst"))
    assert again.status_code == 409
