"""Records shared by the match tests: four Japanese partners, one US performer, an ITAR
solicitation and one export authorization, with their vectors stored by the worker."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.jobs.worker import drain
from tests.conftest import Keys
from tests.factories import (
    BAKERY,
    GAN,
    company_payload,
    post,
    solicitation_payload,
    us_company_payload,
)


def vet(client: TestClient, keys: Keys, company_id: int, status: str = "vetted") -> None:
    body: dict[str, Any] = {"status": status, "evidence": "Site visit and METI review."}
    post(client, keys, f"/api/v1/companies/{company_id}/vetting", body, "pichtr_analyst")


@pytest.fixture
def world(client: TestClient, keys: Keys) -> dict[str, int]:
    """Four Japanese partners, one US performer, one ITAR solicitation, one authorization."""
    ids: dict[str, int] = {}
    specs = {
        "authorized": ("Aoi GaN Devices KK", GAN, "vetted"),
        "bakery": ("Sakura Bakery Robotics KK", BAKERY, "vetted"),
        "pending": ("Ginga Amplifier KK", GAN, "pending"),
        "unauthorized": ("Hikari RF Modules KK", GAN, "vetted"),
    }
    for key, (name, narrative, status) in specs.items():
        body = company_payload(name=name, narrative=narrative, corporate_number=None, keywords=[])
        ids[key] = post(client, keys, "/api/v1/companies", body, "jetro_analyst")["id"]
        vet(client, keys, ids[key], status)
    us = us_company_payload(
        narrative="US prime integrating Ka-band satellite payloads and radiation-hardened GaN "
        "power amplifier line-replaceable units for SDA tranches. We qualify hermetic amplifier "
        "modules to 100 krad total dose for crosslinks."
    )
    ids["us"] = post(client, keys, "/api/v1/companies", us, "pichtr_analyst")["id"]
    ids["solicitation"] = post(
        client,
        keys,
        "/api/v1/solicitations",
        solicitation_payload(
            description="Prototype radiation-hardened GaN power amplifiers for Ka-band crosslinks. "
            "Amplifiers must survive 100 krad total dose and come in hermetic packages."
        ),
        "pichtr_analyst",
    )["id"]
    post(
        client,
        keys,
        "/api/v1/export-authorizations",
        {
            "company_id": ids["authorized"],
            "solicitation_id": ids["solicitation"],
            "authority": "ddtc",
            "reference": "TA 0001-26",
            "valid_from": "2026-01-01",
        },
        "pichtr_analyst",
    )
    drain()  # the worker embeds (a read never does)
    return ids
