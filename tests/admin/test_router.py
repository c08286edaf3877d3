"""Signing in and out of the admin pages: cookies, lock-out, CSRF, redirects, headers."""

import re

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.config import get_settings
from app.db import get_engine, session_scope
from app.main import create_app
from app.users import service as users
from app.users.models import AdminSession
from tests.conftest import PASSWORD, People, csrf_of, sign_in


def test_pages_send_a_stranger_to_sign_in_and_back(
    admin_client: TestClient, people: People
) -> None:
    response = admin_client.get("/admin/imports?offset=0")
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/login?next=/admin/imports%3Foffset%3D0"
    page = admin_client.get(response.headers["location"])
    assert page.status_code == 200 and 'value="/admin/imports?offset=0"' in page.text
    signed_in = admin_client.post(
        "/admin/login",
        data={
            "csrf_token": csrf_of(page.text),
            "username": people.analyst,
            "password": PASSWORD,
            "next": "/admin/imports?offset=0",
        },
    )
    assert signed_in.headers["location"] == "/admin/imports?offset=0"
    home = admin_client.get("/admin")
    assert home.status_code == 200 and "alice · PICHTR · analyst" in home.text
    assert admin_client.get("/").headers["location"] == "/admin"


def test_session_cookie_is_httponly_lax_and_secure_only_over_https(
    database_url: str, people: People
) -> None:
    for base_url, secure in (("http://testserver", False), ("https://testserver", True)):
        with TestClient(create_app(), base_url=base_url, follow_redirects=False) as client:
            page = client.get("/admin/login")
            response = client.post(
                "/admin/login",
                data={"csrf_token": csrf_of(page.text), "username": "alice", "password": PASSWORD},
            )
            cookie = next(
                c for c in response.headers.get_list("set-cookie") if "kakehashi_session=" in c
            )
            assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/admin" in cookie
            assert ("Secure" in cookie) is secure


def test_wrong_password_keeps_the_name_and_repeated_failures_lock(
    admin_client: TestClient, people: People
) -> None:
    token = csrf_of(admin_client.get("/admin/login").text)
    for attempt in range(4):
        response = admin_client.post(
            "/admin/login",
            data={"csrf_token": token, "username": "alice", "password": f"guess {attempt}"},
        )
        assert response.status_code == 401
        assert "Wrong user name or password." in response.text
        assert 'value="alice"' in response.text
    fifth = admin_client.post(
        "/admin/login", data={"csrf_token": token, "username": "alice", "password": "guess 5"}
    )
    assert fifth.status_code == 429 and "Too many failed sign-ins" in fifth.text
    right = admin_client.post(
        "/admin/login", data={"csrf_token": token, "username": "alice", "password": PASSWORD}
    )
    assert right.status_code == 429
    assert "kakehashi_session" not in right.headers.get("set-cookie", "")


def test_sign_in_without_the_form_token_or_from_another_site_is_refused(
    admin_client: TestClient, people: People
) -> None:
    token = csrf_of(admin_client.get("/admin/login").text)
    no_token = admin_client.post("/admin/login", data={"username": "alice", "password": PASSWORD})
    assert no_token.status_code == 403 and "did not come from Kakehashi" in no_token.text
    cross_site = admin_client.post(
        "/admin/login",
        data={"csrf_token": token, "username": "alice", "password": PASSWORD},
        headers={"Sec-Fetch-Site": "cross-site"},
    )
    assert cross_site.status_code == 403
    with session_scope() as session:
        assert session.scalars(select(AdminSession)).all() == []


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/admin", "/api/v1"])
def test_sign_in_never_redirects_off_the_admin_pages(
    admin_client: TestClient, people: People, target: str
) -> None:
    token = csrf_of(admin_client.get("/admin/login").text)
    response = admin_client.post(
        "/admin/login",
        data={"csrf_token": token, "username": "alice", "password": PASSWORD, "next": target},
    )
    assert response.headers["location"] == "/admin"


def test_sign_out_ends_the_session_on_the_server(admin_client: TestClient, people: People) -> None:
    token = sign_in(admin_client, people.analyst)
    stolen = admin_client.cookies.get("kakehashi_session")
    assert stolen
    refused = admin_client.post("/admin/logout", data={})
    assert refused.status_code == 403
    assert admin_client.get("/admin").status_code == 200
    out = admin_client.post("/admin/logout", data={"csrf_token": token})
    assert out.status_code == 303 and out.headers["location"] == "/admin/login"
    # A copy of the old cookie no longer opens anything.
    admin_client.cookies.set("kakehashi_session", stolen, path="/admin")
    assert admin_client.get("/admin").status_code == 303


def test_a_token_from_one_session_does_not_work_in_another(
    database_url: str, people: People
) -> None:
    with (
        TestClient(create_app(), follow_redirects=False) as first,
        TestClient(create_app(), follow_redirects=False) as second,
    ):
        first_token = sign_in(first, people.analyst)
        sign_in(second, people.analyst)
        response = second.post("/admin/logout", data={"csrf_token": first_token})
        assert response.status_code == 403


def test_pages_forbid_framing_caching_and_scripts(admin_client: TestClient, people: People) -> None:
    pages = [admin_client.get("/admin/login")]
    sign_in(admin_client, people.analyst)
    pages += [admin_client.get(p) for p in ("/admin", "/admin/imports", "/admin/imports/999")]
    assert [p.status_code for p in pages] == [200, 200, 200, 404]
    for page in pages:
        headers = page.headers
        assert headers["x-frame-options"] == "DENY"
        assert headers["cache-control"] == "no-store"
        assert "script-src 'none'" in headers["content-security-policy"]


def failed_sign_ins(client: TestClient, username: str, count: int) -> list[tuple[int, str]]:
    """Status and error message of `count` sign-ins with wrong passwords."""
    token = csrf_of(client.get("/admin/login").text)
    answers = []
    for attempt in range(count):
        response = client.post(
            "/admin/login",
            data={"csrf_token": token, "username": username, "password": f"guess {attempt}"},
        )
        error = ERROR_RE.search(response.text)
        answers.append((response.status_code, error.group(1) if error else ""))
        retry_after = response.headers.get("retry-after")
        if response.status_code == 429:
            assert retry_after is not None and 890 <= int(retry_after) <= 900
        else:
            assert retry_after is None
    return answers


ERROR_RE = re.compile(r'id="login-error">([^<]+)<')


def test_unknown_names_are_answered_exactly_like_real_ones(
    admin_client: TestClient, people: People
) -> None:
    real = failed_sign_ins(admin_client, people.analyst, 6)
    unknown = failed_sign_ins(admin_client, "no.such.user", 6)
    assert real == unknown
    assert real[:4] == [(401, "Wrong user name or password.")] * 4
    assert real[4:] == [(429, "Too many failed sign-ins. Try again in 15 minutes.")] * 2
    # A disabled account is an unknown name too.
    with session_scope() as session:
        users.disable_user(session, user=users.get_by_username(session, people.viewer))
    assert failed_sign_ins(admin_client, people.viewer, 6) == real


def test_sign_in_is_limited_per_address(
    database_url: str, people: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KAKEHASHI_LOGIN_RATE_LIMIT", "3/minute")
    get_settings.cache_clear()
    try:
        with TestClient(create_app(), follow_redirects=False) as client:
            token = csrf_of(client.get("/admin/login").text)
            statuses = []
            for name in ("one", "two", "three", people.analyst):
                response = client.post(
                    "/admin/login",
                    data={"csrf_token": token, "username": name, "password": PASSWORD},
                )
                statuses.append(response.status_code)
            assert statuses == [401, 401, 401, 429]
            assert 1 <= int(response.headers["retry-after"]) <= 60
            assert "Too many sign-in attempts from your address" in response.text
    finally:
        get_settings.cache_clear()


def test_no_transaction_is_open_while_the_password_is_hashed(
    admin_client: TestClient, people: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    """argon2 takes tens of milliseconds: sign-in holds no connection (on SQLite, no write
    lock) meanwhile."""
    open_connections: list[int] = []
    verify = PasswordHasher.verify

    def watched(self: PasswordHasher, hash: str, password: str) -> bool:
        open_connections.append(get_engine().pool.checkedout())  # type: ignore[attr-defined]
        return verify(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", watched)
    token = csrf_of(admin_client.get("/admin/login").text)
    for name, password in (("alice", "wrong guess"), ("nobody", PASSWORD), ("alice", PASSWORD)):
        response = admin_client.post(
            "/admin/login", data={"csrf_token": token, "username": name, "password": password}
        )
        assert response.status_code in (303, 401)
    assert open_connections == [0, 0, 0]
    assert response.status_code == 303
