"""Schemathesis over every operation of the OpenAPI schema, in process, on each backend.

Each operation gets a fresh database with real records seeded through the public API (so
ids 1, 2, ... exist) and a real admin key. Schemathesis then sends a fixed, derandomized set
of cases: every boundary and invalid variant the schema defines, undeclared methods, and
MAX_EXAMPLES fuzzed ones. Every response is checked: no server error, only declared status
codes, bodies and content types as declared, invalid data refused, schema-valid data
accepted (unless a rule JSON Schema cannot state refuses it, naming the field), and a 405
that lists the methods in `Allow`.

Run with `-s` to see how many cases each backend got.
"""

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from hypothesis.internal import lambda_sources
from schemathesis.config import SchemathesisConfig
from schemathesis.openapi.checks import RejectedPositiveData
from schemathesis.specs.openapi.checks import positive_data_acceptance

from app.db import session_scope
from app.reports.models import ReportMessage, ReportStatus
from tests.conftest import Keys
from tests.factories import company_payload, solicitation_payload, us_company_payload

API = "/api/v1"
MAX_EXAMPLES = 10  # per operation in the fuzzing phase; the coverage phase adds its own cases
SEED = 20261130
CASES: Counter[str] = Counter()

_describe_lambda = lambda_sources._lambda_description


def _lambda_description(f: Any) -> str:
    # CPython 3.11's ast.parse may raise a spurious "AST constructor recursion depth mismatch"
    # deep in a recursion (python/cpython#106905), as Hypothesis does to name a lambda in a
    # strategy's repr while schemathesis builds its cases. The name is cosmetic.
    try:
        return _describe_lambda(f)
    except SystemError:
        return "lambda: <unknown>"


lambda_sources._lambda_description = _lambda_description


@schemathesis.check
def valid_data_accepted(ctx: Any, response: Any, case: Any) -> bool | None:
    """Schemathesis's `positive_data_acceptance`, except where a rule JSON Schema cannot state
    refuses the request and says why: a check digit, a technology area the database must
    know, one field given with another (a 422 whose errors are all `value_error`), an
    If-Match naming another version (412), or an upload that is not a table (a 400
    `unreadable_file`)."""
    try:
        return positive_data_acceptance(ctx, response, case)
    except RejectedPositiveData:
        body = response.json()
        if response.status_code == 422 and all(
            error["type"] == "value_error" for error in body["detail"]
        ):
            return None
        if response.status_code == 412 or (
            response.status_code == 400 and body.get("code") == "unreadable_file"
        ):
            return None
        raise


def _load_schema() -> Any:
    from app.main import create_app

    config = SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            # A request the machine is slow to serve (two cores, both backends, other tests'
            # processes) is not a failure; one that hangs still is, after this long.
            "request-timeout": 60,
            "cache": {"enabled": False},
            "checks": {"enabled": True, "positive_data_acceptance": {"enabled": False}},
            "phases": {
                "examples": {"enabled": True},
                "coverage": {"enabled": True},
                "fuzzing": {"enabled": True},
                "stateful": {"enabled": False},
            },
            "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True},
        }
    )
    return schemathesis.openapi.from_asgi("/openapi.json", create_app(), config=config)


schema = _load_schema()


def seed_records(client: Any, headers: dict[str, str]) -> None:
    """Two companies, a solicitation, a vetting decision, an authorization, a distribution,
    an import run and a duplicate flag, so that the lowest ids name real records."""

    def post(path: str, **kwargs: Any) -> dict[str, Any]:
        response = client.post(f"{API}{path}", headers=headers, **kwargs)
        assert response.status_code in (200, 201), response.text
        return response.json()

    partner = post("/companies", json=company_payload())
    post("/companies", json=us_company_payload())
    solicitation = post("/solicitations", json=solicitation_payload())
    post(
        f"/companies/{partner['id']}/vetting",
        json={"status": "vetted", "evidence": "Site visit.", "expires_at": "2099-01-01T00:00:00Z"},
    )
    post(
        "/export-authorizations",
        json={
            "company_id": partner["id"],
            "solicitation_id": solicitation["id"],
            "authority": "ddtc",
            "reference": "TA 1-26",
            "valid_from": "2026-01-01",
            "valid_until": "2099-01-01",
        },
    )
    # Distribution 1 with recipients 1 and 2 (the partner is vetted and authorized).
    post(
        f"/solicitations/{solicitation['id']}/distributions",
        json={"company_ids": [partner["id"], 2], "channel": "manual", "message": "For you"},
    )
    lookalike = f'role,country,name\njp_partner,JP,"{partner["name"].upper()}"\n'.encode()
    summary = post(
        "/imports",
        data={"kind": "companies"},
        files={"file": ("lookalike.csv", lookalike, "text/csv")},
    )
    assert summary["duplicates"], summary
    # Report recipient 1, and report 1 in the outbox (written by the nightly run, not the API).
    recipient = post("/reports/recipients", json={"email": "desk@example.org"})
    me = client.get(f"{API}/organizations/me", headers=headers).json()
    with session_scope() as session:
        session.add(
            ReportMessage(
                organization_id=me["id"],
                recipient_id=recipient["id"],
                report_date=date(2026, 11, 30),
                window_start=datetime(2026, 11, 29, 17, tzinfo=UTC),
                window_end=datetime(2026, 11, 30, 17, tzinfo=UTC),
                to_address=recipient["email"],
                locale="en",
                subject="Kakehashi nightly report",
                message_id="fuzz-1@kakehashi.test",
                status=ReportStatus.SENT,
            )
        )


@pytest.fixture(scope="module", autouse=True)
def _report_cases() -> Iterator[None]:
    yield
    for backend in sorted({key.split(" ", 1)[0] for key in CASES}):
        counts = [n for key, n in CASES.items() if key.startswith(f"{backend} ")]
        print(f"\nschemathesis on {backend}: {len(counts)} operations, {sum(counts)} cases")


@pytest.fixture
def api_headers(database_url: str, keys: Keys) -> dict[str, str]:
    """A database with real records in it, and PICHTR's admin key to reach them with."""
    headers = keys.headers("pichtr_admin")
    # The schema's one application serves every operation: give each its own rate-limit
    # counters, as a fresh server would, so earlier operations' cases do not use them up.
    schema.app.state.kakehashi_throttle = None
    seed_records(TestClient(schema.app), headers)
    return headers


@schema.parametrize()
# One seeded database serves every case of an operation, as it would a client's requests.
@settings(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_every_operation_conforms(
    case: Any, api_headers: dict[str, str], database_url: str
) -> None:
    backend = database_url.split(":", 1)[0].split("+")[0]
    CASES[f"{backend} {case.operation.label}"] += 1
    case.call_and_validate(headers=api_headers)
