"""Errors a program meets: JSON with a code, every status declared, bad input a 422 naming
the field (out-of-range numbers and text no database can store included), a 405 naming
every method of the path."""

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Keys
from tests.factories import company_payload, solicitation_payload

API = "/api/v1"
TOO_BIG = [2**31, 2**63, 10**30]


def raw_json(client: TestClient, method: str, path: str, text: str, keys: Keys) -> dict:
    """Send `text` as the JSON body byte for byte (escapes such as \\ud800 kept as written)."""
    response = client.request(
        method,
        f"{API}{path}",
        content=text.encode(),
        headers={**keys.headers("pichtr_analyst"), "Content-Type": "application/json"},
    )
    assert response.status_code == 422, response.text
    return response.json()


def fields(body: dict) -> list[tuple[str, ...]]:
    return [tuple(str(part) for part in error["loc"]) for error in body["detail"]]


def test_unknown_paths_are_json_with_a_code(client: TestClient) -> None:
    response = client.get(f"{API}/nothing-here")
    assert response.status_code == 404
    assert response.json() == {
        "detail": "there is nothing at /api/v1/nothing-here",
        "code": "not_found",
    }


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("PUT", "/companies", "GET, POST"),
        ("OPTIONS", "/companies/1", "GET, PATCH, DELETE"),
        ("PUT", "/companies/1/vetting", "GET, POST"),
        ("GET", "/imports/background", "POST"),
        ("POST", "/imports/duplicates", "GET"),
        ("DELETE", "/solicitations", "GET, POST"),
        ("POST", "/health", "GET"),
    ],
)
def test_a_wrong_method_names_every_method_of_the_path(
    client: TestClient, keys: Keys, method: str, path: str, allow: str
) -> None:
    response = client.request(method, f"{API}{path}", headers=keys.headers("pichtr_admin"))
    assert response.status_code == 405
    assert response.headers["allow"] == allow
    assert response.json()["code"] == "method_not_allowed"


@pytest.mark.parametrize("number", TOO_BIG)
@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/companies/{n}", "company_id"),
        ("/companies/{n}/vetting", "company_id"),
        ("/companies/{n}/matches", "company_id"),
        ("/solicitations/{n}", "solicitation_id"),
        ("/solicitations/{n}/teams", "solicitation_id"),
        ("/imports/{n}", "run_id"),
        ("/companies?offset={n}", "offset"),
        ("/audit?entity_id={n}", "entity_id"),
        ("/export-authorizations?company_id={n}", "company_id"),
    ],
)
def test_numbers_past_the_database_range_are_422(
    client: TestClient, keys: Keys, number: int, path: str, field: str
) -> None:
    response = client.get(f"{API}{path.format(n=number)}", headers=keys.headers("pichtr_admin"))
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"][-1] == field


def test_ids_past_the_range_in_bodies_and_deletes_are_422(client: TestClient, keys: Keys) -> None:
    headers = keys.headers("pichtr_admin")
    body = {"company_id": 2**31, "technology_area": "space", "authority": "ddtc"}
    body |= {"reference": "TA 1", "valid_from": "2026-01-01"}
    created = client.post(f"{API}/export-authorizations", json=body, headers=headers)
    assert created.status_code == 422
    assert fields(created.json()) == [("body", "company_id")]
    deleted = client.delete(f"{API}/companies/{2**63}", headers=headers)
    assert deleted.status_code == 422
    assert client.get(f"{API}/companies/-1", headers=headers).status_code == 404
    assert client.get(f"{API}/companies/abc", headers=headers).status_code == 404


@pytest.mark.parametrize(
    ("document", "field"),
    [
        ('"name": "\\ud800x"', ("body", "name")),
        ('"name": "Ok", "keywords": ["fine", "\\udfff"]', ("body", "keywords")),
        ('"name": "Ok", "narrative": "NUL \\u0000 here"', ("body", "narrative")),
        ('"name": "Ok", "contacts": [{"name": "\\ud83d"}]', ("body", "contacts")),
    ],
)
def test_unstorable_text_is_422_naming_the_field(
    client: TestClient, keys: Keys, document: str, field: tuple[str, ...]
) -> None:
    text = '{"role": "jp_partner", "country": "JP", ' + document + "}"
    body = raw_json(client, "POST", "/companies", text, keys)
    assert field in fields(body)
    assert any("surrogate" in e["msg"] or "NUL" in e["msg"] for e in body["detail"])
    listed = client.get(f"{API}/companies", headers=keys.headers("pichtr_viewer")).json()
    assert listed["total"] == 0


def test_unstorable_text_in_an_update_is_422(client: TestClient, keys: Keys) -> None:
    created = client.post(
        f"{API}/solicitations", json=solicitation_payload(), headers=keys.headers("pichtr_analyst")
    ).json()
    body = raw_json(
        client, "PATCH", f"/solicitations/{created['id']}", '{"title": "\\ud800"}', keys
    )
    assert fields(body) == [("body", "title")]


def test_a_bad_request_echoing_a_lone_surrogate_is_still_json(
    client: TestClient, keys: Keys
) -> None:
    body = raw_json(client, "POST", "/companies", '{"\\ud800": 1}', keys)
    assert all({"loc", "msg", "type"} <= set(error) for error in body["detail"])
    assert body["detail"][0]["input"] == "\\ud800"  # escaped, so the answer encodes


@pytest.mark.parametrize("query", ["q=%00", "technology_area=a%00b", "country=%00%00"])
def test_nul_in_a_filter_is_422(client: TestClient, keys: Keys, query: str) -> None:
    response = client.get(f"{API}/companies?{query}", headers=keys.headers("pichtr_viewer"))
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][0] == "query"


@pytest.mark.parametrize("value", ["0.5", "1700000000", "-3e5"])
def test_a_number_is_not_a_date_time(client: TestClient, keys: Keys, value: str) -> None:
    response = client.get(
        f"{API}/solicitations",
        params={"deadline_before": value},
        headers=keys.headers("pichtr_viewer"),
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "deadline_before"]
    payload = solicitation_payload(response_deadline=1700000000)
    created = client.post(
        f"{API}/solicitations", json=payload, headers=keys.headers("pichtr_analyst")
    )
    assert created.status_code == 422
    assert fields(created.json()) == [("body", "response_deadline")]


def test_every_error_body_has_the_declared_shape(client: TestClient, keys: Keys) -> None:
    company = client.post(
        f"{API}/companies", json=company_payload(), headers=keys.headers("jetro_analyst")
    ).json()
    path = f"{API}/companies/{company['id']}"
    answers = {
        401: client.get(path),
        403: client.patch(path, json={"name": "X"}, headers=keys.headers("pichtr_viewer")),
        404: client.get(f"{path}0", headers=keys.headers("pichtr_viewer")),
        409: client.post(
            f"{API}/companies", json=company_payload(), headers=keys.headers("jetro_analyst")
        ),
        412: client.patch(
            path, json={"name": "X"}, headers={**keys.headers("jetro_analyst"), "If-Match": '"9"'}
        ),
    }
    for status, response in answers.items():
        assert response.status_code == status, response.text
        assert set(response.json()) == {"detail", "code"}


def test_every_status_an_operation_can_answer_is_declared(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    operations = [
        (path, method, operation)
        for path, methods in paths.items()
        for method, operation in methods.items()
    ]
    assert len(operations) >= 29
    for path, method, operation in operations:
        declared = set(operation["responses"])
        label = f"{method.upper()} {path}"
        assert {"429", "503"} <= declared, label
        # A response link is its own credential: no key, so never a 401 or a 403.
        keyless = path == "/api/v1/health" or path.startswith("/api/v1/responses/")
        if not keyless:
            assert "401" in declared, label
            assert operation["responses"]["401"]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/ErrorRead"
            }
        if "{" in path:
            assert "404" in declared, label
        if method in ("post", "patch", "delete") and path != "/api/v1/technology-areas":
            assert {"409"} | (set() if keyless else {"403"}) <= declared, label
        if "requestBody" in operation:
            assert {"400", "413", "422"} <= declared, label
        if method == "patch":
            assert "412" in declared, label
