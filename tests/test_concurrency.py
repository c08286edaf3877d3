"""Every API route and the admin pages keep answering, without a single 5xx, while an import
and the embedding job write all the time, on SQLite (one writer at a time) and PostgreSQL."""

import io
import json
import threading
import time
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response

from app.db import session_scope
from app.imports import service as imports
from app.jobs.worker import drain
from app.organizations import service as organizations
from app.organizations.models import Role
from app.users import service as users
from tests.conftest import PASSWORD, Keys, sign_in
from tests.factories import company_payload, solicitation_payload, us_company_payload

DURATION = 20.0  # seconds of client traffic per backend
IMPORT_ROWS = 60


def _extract(round_: int) -> bytes:
    """A SAM.gov-style extract whose titles change every round, so each import writes."""
    lines = ["NoticeId,Title,Department/Ind.Agency,NaicsCode,Description"]
    for i in range(IMPORT_ROWS):
        lines.append(
            f"BUSY-{i:04d},Counter-UAS sensor fusion lot {i} revision {round_},"
            f"DEPT OF DEFENSE,334511,Prototype sensor fusion for small drones revision {round_}."
        )
    return "\n".join(lines).encode()


class Writers:
    """An import run again and again, and the job worker, until stopped."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.imports = 0
        self.jobs = 0
        self.failures: list[str] = []
        self.threads = [
            threading.Thread(target=self._guard(self._import), name="busy-import"),
            threading.Thread(target=self._guard(self._work), name="busy-worker"),
        ]

    def _guard(self, loop: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                loop()
            except Exception as exc:  # reported by the test, not lost in a thread
                self.failures.append(f"{type(exc).__name__}: {exc}")

        return run

    def _import(self) -> None:
        from app.db import get_sessionmaker

        while not self.stop.is_set():
            session = get_sessionmaker()()
            try:
                principal = organizations.operator_principal(
                    organizations.get_by_slug(session, slug="pichtr")
                )
                session.commit()
                imports.import_file(
                    session,
                    kind="solicitations",
                    principal=principal,
                    stream=io.BytesIO(_extract(self.imports)),
                    source="sam.gov",
                    filename="busy.csv",
                    dry_run=False,
                )
            finally:
                session.close()
            self.imports += 1
            # A real import reads and parses its next rows between chunks, the lock free.
            time.sleep(0.05)

    def _work(self) -> None:
        while not self.stop.is_set():
            ran = drain(max_jobs=1)
            self.jobs += ran
            if not ran:
                time.sleep(0.1)

    def __enter__(self) -> "Writers":
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(120)


class Traffic:
    """A client calling every route once per round, remembering every status."""

    def __init__(self, client: TestClient, keys: Keys, base: dict[str, int]) -> None:
        self.client = client
        self.keys = keys
        self.base = base
        self.seen: list[tuple[str, str, int]] = []
        self.took: list[tuple[float, str, str]] = []

    def call(self, method: str, url: str, key: str | None = None, **kwargs: Any) -> Response:
        headers = self.keys.headers(key) if key else {}
        started = time.monotonic()
        response = self.client.request(method, url, headers=headers, **kwargs)
        self.took.append((time.monotonic() - started, method, url))
        route = url.split("?")[0]
        self.seen.append((method, route, response.status_code))
        return response

    def round(self, i: int) -> None:
        api, base = "/api/v1", self.base
        self.call("GET", f"{api}/health")
        self.call("GET", f"{api}/organizations/me", "jetro_viewer")
        self.call("GET", f"{api}/technology-areas", "jetro_viewer")
        if i == 0:
            area = {"slug": "busy-area", "label_en": "Busy area", "label_ja": "多忙"}
            self.call("POST", f"{api}/technology-areas", "pichtr_admin", json=area)
        body = company_payload(name=f"Busy Partner {i} KK", corporate_number=None)
        company = self.call("POST", f"{api}/companies", "jetro_analyst", json=body).json()
        url = f"{api}/companies/{company['id']}"
        self.call("GET", f"{api}/companies?q=busy&limit=5", "jetro_viewer")
        self.call("GET", url, "jetro_viewer")
        self.call("PATCH", url, "jetro_analyst", json={"keywords": [f"busy {i}"]})
        decision = {"status": "vetted", "evidence": "Site visit."}
        self.call("POST", f"{url}/vetting", "pichtr_analyst", json=decision)
        self.call("GET", f"{url}/vetting", "jetro_viewer")
        need = solicitation_payload(notice_id=f"BUSY-API-{i}", title=f"Busy need {i}")
        solicitation = self.call("POST", f"{api}/solicitations", "pichtr_analyst", json=need)
        sid = solicitation.json()["id"]
        self.call("GET", f"{api}/solicitations?status=open&limit=5", "jetro_viewer")
        self.call("GET", f"{api}/solicitations/{sid}", "jetro_viewer")
        self.call("PATCH", f"{api}/solicitations/{sid}", "pichtr_analyst", json={"agency": "DOD"})
        self.call("GET", f"{api}/solicitations/{sid}/matches", "jetro_viewer")
        self.call("GET", f"{api}/solicitations/{base['solicitation']}/matches", "jetro_viewer")
        self.call("GET", f"{api}/solicitations/{base['solicitation']}/teams", "jetro_viewer")
        self.call("GET", f"{api}/companies/{base['partner']}/matches", "jetro_viewer")
        grant = {
            "company_id": company["id"],
            "solicitation_id": sid,
            "authority": "ddtc",
            "reference": f"TA {i}",
            "valid_from": "2026-01-01",
        }
        granted = self.call("POST", f"{api}/export-authorizations", "pichtr_analyst", json=grant)
        self.call("GET", f"{api}/export-authorizations", "jetro_viewer")
        self.call("DELETE", f"{api}/export-authorizations/{granted.json()['id']}", "pichtr_analyst")
        row = us_company_payload(name=f"Busy Import {i} LLC", uei=None, cage=None)
        upload = {"file": ("busy.jsonl", json.dumps(row).encode())}
        run = self.call(
            "POST", f"{api}/imports", "pichtr_analyst", files=upload, data={"kind": "companies"}
        ).json()
        self.call(
            "POST",
            f"{api}/imports/background",
            "pichtr_analyst",
            files={"file": ("busy2.jsonl", json.dumps({**row, "name": f"Bg {i} LLC"}).encode())},
            data={"kind": "companies"},
        )
        self.call("GET", f"{api}/imports", "pichtr_viewer")
        self.call("GET", f"{api}/imports/{run['run_id']}", "pichtr_viewer")
        flags = self.call("GET", f"{api}/imports/duplicates", "pichtr_viewer").json()["items"]
        if flags:
            self.call(
                "POST",
                f"{api}/imports/duplicates/{flags[0]['id']}/resolve",
                "pichtr_analyst",
                json={"resolution": "kept_both"},
            )
        self.call("GET", f"{api}/audit?limit=5", "pichtr_admin")
        self.call("DELETE", url, "jetro_analyst")
        for page in ("/admin", "/admin/imports", "/admin/imports/duplicates"):
            self.call("GET", page)
        self.call("GET", f"/admin/imports/{run['run_id']}")


def test_every_route_answers_while_import_and_embedding_write(
    database_url: str, keys: Keys, admin_client: TestClient
) -> None:
    with session_scope() as session:
        users.create_user(
            session,
            organization=organizations.get_by_slug(session, slug="pichtr"),
            username="alice",
            password=PASSWORD,
            role=Role.ANALYST,
        )
    sign_in(admin_client, "alice")
    client = admin_client
    partner = client.post(
        "/api/v1/companies",
        json=company_payload(corporate_number=None),
        headers=keys.headers("jetro_analyst"),
    ).json()
    need = client.post(
        "/api/v1/solicitations",
        json=solicitation_payload(export_control="none", foreign_participation="allowed"),
        headers=keys.headers("pichtr_analyst"),
    ).json()
    drain()
    traffic = Traffic(client, keys, {"partner": partner["id"], "solicitation": need["id"]})
    rounds = 0
    with Writers() as writers:
        deadline = time.monotonic() + DURATION
        while time.monotonic() < deadline:
            traffic.round(rounds)
            rounds += 1
    assert writers.failures == []
    server_errors = [seen for seen in traffic.seen if seen[2] >= 500]
    assert server_errors == []
    # The writers were really busy while the client worked, and the client's writes applied.
    assert writers.imports >= 2 and writers.jobs >= 2, (writers.imports, writers.jobs)
    assert rounds >= 2, sorted(traffic.took, reverse=True)[:10]
    refused = [s for s in traffic.seen if s[0] != "GET" and s[2] >= 400]
    assert refused == []
