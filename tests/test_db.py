"""The database layer under concurrent writers."""

import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import text, update

from app.db import session_scope, utcnow
from tests.conftest import Keys
from tests.factories import company_payload, solicitation_payload, us_company_payload


def test_requests_wait_for_a_busy_writer_instead_of_failing(
    database_url: str, client: TestClient, keys: Keys
) -> None:
    """On SQLite a transaction that read before another writer committed cannot write any
    more; requests that may write therefore take the write lock first and wait for it.
    (PostgreSQL runs it too: its row locks never get in the way here.)"""
    stop = threading.Event()
    commits = 0

    def busy_writer() -> None:
        # Like an import: a write transaction held for a moment, then the next chunk is
        # read from the file (the lock is free meanwhile), and again.
        nonlocal commits
        while not stop.is_set():
            with session_scope() as session:
                session.execute(
                    text("UPDATE organizations SET contact_email = 'ops@jetro.example'")
                )
                time.sleep(0.03)
            commits += 1
            time.sleep(0.03)

    writer = threading.Thread(target=busy_writer)
    writer.start()
    rounds = 0
    deadline = time.monotonic() + 60
    try:
        statuses = []
        # Keep going until the writer has committed many times in between the requests.
        while (rounds < 10 or commits < 20) and time.monotonic() < deadline:
            created = client.post(
                "/api/v1/companies",
                json=us_company_payload(
                    name=f"Concurrent Widgets {rounds} LLC", uei=None, cage=None
                ),
                headers=keys.headers("pichtr_analyst"),
            )
            statuses.append(created.status_code)
            with session_scope() as session:  # make the next request write last_used_at again
                session.execute(text("UPDATE api_keys SET last_used_at = NULL"))
            listed = client.get("/api/v1/companies", headers=keys.headers("pichtr_viewer"))
            statuses.append(listed.status_code)
            rounds += 1
    finally:
        stop.set()
        writer.join(10)
    assert commits >= 20 and rounds >= 10
    assert statuses == [201, 200] * rounds


# -- races between requests ------------------------------------------------------------------


def _parallel(client: TestClient, calls: list[tuple[str, str, dict, dict]]) -> list[Response]:
    """Send the calls at once from as many threads, released together."""
    barrier = threading.Barrier(len(calls))

    def send(call: tuple[str, str, dict, dict]) -> Response:
        method, url, body, headers = call
        barrier.wait()
        return client.request(method, url, json=body, headers=headers)

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(send, calls))


@pytest.mark.parametrize(
    ("url", "make", "field"),
    [
        ("/api/v1/companies", lambda i: us_company_payload(name=f"Twin {i} LLC", cage=None), "uei"),
        (
            "/api/v1/companies",
            lambda i: company_payload(name=f"Twin {i} KK", keywords=[f"k{i}"]),
            "corporate_number",
        ),
        ("/api/v1/solicitations", lambda i: solicitation_payload(title=f"Twin {i}"), "notice_id"),
    ],
)
def test_a_natural_key_race_is_one_create_and_409s(
    client: TestClient, keys: Keys, url: str, make: Any, field: str
) -> None:
    """Twenty creates with the same natural key at once: the database's unique constraint
    decides, and the losers get a 409 naming the key, on both backends."""
    headers = keys.headers("pichtr_analyst")
    responses = _parallel(client, [("POST", url, make(i), headers) for i in range(20)])
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * 19, [r.text for r in responses if r.status_code != 409]
    for response in responses:
        if response.status_code == 409:
            assert field in response.json()["detail"].replace(" ", "_"), response.text


def test_parallel_patches_without_if_match_all_apply(client: TestClient, keys: Keys) -> None:
    """Without If-Match the last writer wins on both backends: each PATCH waits for the one
    before it (a row lock on PostgreSQL, the write lock on SQLite) and gets its own version
    and audit row."""
    headers = keys.headers("jetro_analyst")
    created = client.post(
        "/api/v1/companies", json=company_payload(corporate_number=None), headers=headers
    ).json()
    url = f"/api/v1/companies/{created['id']}"
    calls = [("PATCH", url, {"keywords": [f"keyword {i}"]}, headers) for i in range(20)]
    responses = _parallel(client, calls)
    assert [r.status_code for r in responses] == [200] * 20, [r.text for r in responses]
    assert sorted(r.json()["version"] for r in responses) == list(range(2, 22))
    final = client.get(url, headers=headers).json()
    assert final["version"] == 21
    audit = client.get(
        "/api/v1/audit",
        params={"entity_type": "company", "entity_id": created["id"], "limit": 100},
        headers=keys.headers("pichtr_admin"),
    ).json()["items"]
    assert sum(1 for e in audit if e["action"] == "update") == 20
    # With If-Match, a stale version is still refused while the others apply.
    stale = client.patch(url, json={"keywords": ["x"]}, headers={**headers, "If-Match": '"3"'})
    assert stale.status_code == 412


# -- a busy SQLite database ------------------------------------------------------------------


def test_a_write_that_cannot_get_the_lock_is_a_503(
    database_url: str, people: Any, admin_client: TestClient
) -> None:
    """SQLite with the write lock held by another process past the wait: a write answers 503
    with Retry-After (JSON for the API, an HTML page for the admin pages), reads answer at
    once (their last-use touch is skipped), and nothing is half-written."""
    from app.organizations import service as organizations
    from app.organizations.models import Role

    with session_scope() as session:
        pichtr = organizations.get_by_slug(session, slug="pichtr")
        keys = Keys({})
        for role in (Role.VIEWER, Role.ANALYST):
            _key, keys.raw[f"pichtr_{role.value}"] = organizations.create_api_key(
                session, organization=pichtr, role=role
            )
    from app.users.models import AdminSession
    from tests.conftest import sign_in

    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite's single write lock")

    csrf = sign_in(admin_client, "alice")
    with session_scope() as session:  # make the reads below want to touch their last use
        session.execute(text("UPDATE api_keys SET last_used_at = NULL"))
        session.execute(update(AdminSession).values(last_seen_at=utcnow() - timedelta(minutes=30)))
    import app.db

    holder = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
    original = app.db.WRITE_WAIT_MS
    app.db.WRITE_WAIT_MS = 300
    holder.execute("BEGIN IMMEDIATE")
    try:
        started = time.monotonic()
        read = admin_client.get("/api/v1/companies", headers=keys.headers("pichtr_viewer"))
        page = admin_client.get("/admin/imports")
        assert read.status_code == 200 and page.status_code == 200
        assert time.monotonic() - started < 2  # the best-effort touches did not wait
        created = admin_client.post(
            "/api/v1/companies", json=us_company_payload(), headers=keys.headers("pichtr_analyst")
        )
        assert created.status_code == 503, created.text
        assert created.headers["Retry-After"] == "2" and created.json()["code"] == "busy"
        posted = admin_client.post("/admin/logout", data={"csrf_token": csrf})
        assert posted.status_code == 503 and posted.headers["Retry-After"] == "2"
        assert posted.headers["content-type"].startswith("text/html")
        assert "try again" in posted.text
    finally:
        holder.rollback()
        holder.close()
        app.db.WRITE_WAIT_MS = original
    created = admin_client.post(
        "/api/v1/companies", json=us_company_payload(), headers=keys.headers("pichtr_analyst")
    )
    assert created.status_code == 201


def test_cli_says_the_database_is_busy_in_one_line(database_url: str, keys: Keys) -> None:
    from typer.testing import CliRunner

    from app.cli import cli
    from app.jobs import service as jobs

    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite's single write lock")

    with session_scope() as session:
        job = jobs.enqueue(session, kind="embed_all", payload={})
        jobs.claim(session, worker="host-a:123")
        assert job.id
    import app.db

    holder = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
    original = app.db.WRITE_WAIT_MS
    app.db.WRITE_WAIT_MS = 300
    holder.execute("BEGIN IMMEDIATE")
    try:
        path = Path(__file__).parent / "fixtures" / "imports" / "sam_extract_utf8.csv"
        result = CliRunner().invoke(cli, ["import", "solicitations", str(path)])
    finally:
        holder.rollback()
        holder.close()
        app.db.WRITE_WAIT_MS = original
    assert result.exit_code == 1
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert (
        "busy" in result.stderr and "embed_all" in result.stderr and "host-a:123" in result.stderr
    )
