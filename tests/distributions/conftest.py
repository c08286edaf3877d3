"""Records the distribution tests share: a controlled solicitation, partners held back for
different reasons, an authorized partner and a US performer, all made through the API."""

from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.db import session_scope
from app.distributions.models import Distribution, DistributionRecipient, RecipientStatusChange
from tests.conftest import Keys
from tests.factories import company_payload, solicitation_payload, us_company_payload

API = "/api/v1"


def post(client: TestClient, keys: Keys, url: str, body: dict[str, Any], key: str) -> dict:
    response = client.post(f"{API}{url}", json=body, headers=keys.headers(key))
    assert response.status_code == 201, response.text
    return response.json()


def send(
    client: TestClient,
    keys: Keys,
    solicitation_id: int,
    company_ids: list[int],
    *,
    channel: str = "manual",
    message: str = "Worth a look: the deadline is close.",
    key: str = "pichtr_analyst",
) -> httpx.Response:
    """POST a distribution; the response, whatever its status."""
    return client.post(
        f"{API}/solicitations/{solicitation_id}/distributions",
        json={"company_ids": company_ids, "channel": channel, "message": message},
        headers=keys.headers(key),
    )


def counts() -> dict[str, int]:
    """Rows in the tables a distribution writes."""
    with session_scope() as session:
        return {
            model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Distribution, DistributionRecipient, RecipientStatusChange, AuditEvent)
        }


def token_of(url: str) -> str:
    """The token at the end of a response link."""
    return url.rsplit("/", 1)[1]


@pytest.fixture
def scene(client: TestClient, keys: Keys) -> dict[str, int]:
    """An ITAR solicitation (foreign participation with authorization) and: a vetted JP
    partner with an authorization (eligible), a US performer (eligible), a pending partner,
    a vetted partner without authorization, and an unmarked open solicitation."""
    ids: dict[str, int] = {}
    specs = {
        "authorized": ("Aoi GaN Devices KK", "vetted"),
        "pending": ("Ginga Amplifier KK", "pending"),
        "unauthorized": ("Hikari RF Modules KK", "vetted"),
    }
    for name, (title, status) in specs.items():
        body = company_payload(name=title, corporate_number=None)
        ids[name] = post(client, keys, "/companies", body, "jetro_analyst")["id"]
        post(
            client,
            keys,
            f"/companies/{ids[name]}/vetting",
            {"status": status, "evidence": "Site visit and METI review."},
            "pichtr_analyst",
        )
    us = us_company_payload(
        contacts=[{"name": "Dana Reyes", "email": "bd@kestrel.example.com"}],
    )
    ids["us"] = post(client, keys, "/companies", us, "pichtr_analyst")["id"]
    ids["us_no_email"] = post(
        client,
        keys,
        "/companies",
        us_company_payload(name="Quiet Works LLC", uei="Q3LMNPQRST12", cage="7ABC2"),
        "pichtr_analyst",
    )["id"]
    ids["solicitation"] = post(
        client,
        keys,
        "/solicitations",
        solicitation_payload(
            solicitation_number="FA8750-27-S-0101",
            link="https://sam.gov/opp/W15QKN-27-9-0101/view",
            description="Prototype radiation-hardened GaN power amplifiers for Ka-band crosslinks.",
        ),
        "pichtr_analyst",
    )["id"]
    ids["plain"] = post(
        client,
        keys,
        "/solicitations",
        solicitation_payload(
            notice_id="W15QKN-27-9-0200",
            title="Additive repair of turbine blades",
            description="Directed energy deposition repair cells for depots.",
            technology_areas=["additive-manufacturing"],
            export_control="none",
            foreign_participation="allowed",
        ),
        "pichtr_analyst",
    )["id"]
    post(
        client,
        keys,
        "/export-authorizations",
        {
            "company_id": ids["authorized"],
            "solicitation_id": ids["solicitation"],
            "authority": "ddtc",
            "reference": "TA 0001-26",
            "valid_from": "2026-01-01",
        },
        "pichtr_analyst",
    )
    return ids
