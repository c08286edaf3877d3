"""The database layer under concurrent writers."""

import threading
import time

from fastapi.testclient import TestClient
from sqlalchemy import text

from app.db import session_scope
from tests.conftest import Keys
from tests.factories import us_company_payload


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
