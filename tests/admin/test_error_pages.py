"""Every error a person meets under /admin is the styled admin page, never JSON."""

import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response

from app.errors import NotFound
from tests.conftest import People, sign_in


def assert_error_page(response: Response, status: int, title: str) -> str:
    """The response is the admin error page with this status and heading; returns its text."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["x-frame-options"] == "DENY"
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert '<link rel="stylesheet" href="/admin/static/admin.css">' in response.text
    assert f"<h1>{title}</h1>" in response.text
    assert f"HTTP {status}" in response.text
    return " ".join(re.sub(r"<[^>]+>", " ", response.text).split())


@pytest.fixture
def app_with_faults(database_url: str) -> FastAPI:
    """The real application plus two routes that fail the way a bug or a service would."""
    from app.main import create_app

    app = create_app()

    def _bug() -> None:
        raise RuntimeError("a bug")

    def _missing() -> None:
        raise NotFound("no company with id 5")

    for prefix in ("/admin", "/api/v1"):
        app.add_api_route(f"{prefix}/test-bug", _bug)
        app.add_api_route(f"{prefix}/test-missing", _missing)
    return app


@pytest.fixture
def faulty_client(app_with_faults: FastAPI) -> Iterator[TestClient]:
    with TestClient(app_with_faults, raise_server_exceptions=False) as client:
        yield client


@pytest.mark.parametrize("path", ["/admin/companies/1/nowhere", "/admin/nowhere/1", "/admin/x/y"])
def test_unknown_admin_paths_are_a_page(admin_client: TestClient, path: str) -> None:
    text = assert_error_page(admin_client.get(path), 404, "Page not found")
    assert f"There is nothing at {path}" in text


def test_a_missing_stylesheet_is_a_page(admin_client: TestClient) -> None:
    assert_error_page(admin_client.get("/admin/static/nope.css"), 404, "Page not found")


def test_a_wrong_method_is_a_page_naming_the_allowed_ones(admin_client: TestClient) -> None:
    response = admin_client.put("/admin/login")
    text = assert_error_page(response, 405, "Not possible here")
    assert response.headers["allow"] == "GET, POST"
    assert "PUT is not allowed here; allowed: GET, POST" in text
    assert admin_client.delete("/admin").headers["allow"] == "GET"


def test_an_unexpected_failure_is_a_page(faulty_client: TestClient) -> None:
    text = assert_error_page(faulty_client.get("/admin/test-bug"), 500, "Something went wrong")
    assert "a bug" not in text and "Traceback" not in text


def test_a_business_error_is_a_page(faulty_client: TestClient) -> None:
    text = assert_error_page(faulty_client.get("/admin/test-missing"), 404, "Page not found")
    assert "No company with id 5" in text


def test_the_same_errors_are_json_under_the_api(faulty_client: TestClient) -> None:
    bug = faulty_client.get("/api/v1/test-bug")
    assert bug.status_code == 500
    assert bug.json() == {
        "detail": "an unexpected error; it has been logged",
        "code": "internal_server_error",
    }
    missing = faulty_client.get("/api/v1/test-missing")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "no company with id 5", "code": "not_found"}


def test_bad_parameters_are_a_page_listing_each(admin_client: TestClient, people: People) -> None:
    sign_in(admin_client, people.analyst)
    response = admin_client.get("/admin/imports/1?offset=-1&duplicates_offset=x")
    text = assert_error_page(response, 422, "Not valid")
    assert "offset: Input should be greater than or equal to 0" in text
    assert "duplicates_offset: Input should be a valid integer" in text


def test_out_of_range_ids_are_a_page_not_a_crash(admin_client: TestClient, people: People) -> None:
    sign_in(admin_client, people.analyst)
    for path in ("/admin/imports/9223372036854775808", "/admin/imports?offset=2147483648"):
        assert_error_page(admin_client.get(path), 422, "Not valid")
    assert_error_page(admin_client.get("/admin/imports/abc"), 404, "Page not found")


def test_refused_forms_keep_their_own_title(admin_client: TestClient, people: People) -> None:
    sign_in(admin_client, people.analyst)
    response = admin_client.post("/admin/logout", data={"csrf_token": "forged"})
    text = assert_error_page(response, 403, "Request refused")
    assert "This form has expired or did not come from Kakehashi" in text
