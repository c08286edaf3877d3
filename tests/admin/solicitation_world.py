"""Records for the solicitation and distribution pages, built through the public API with keys
of the organizations the admin users belong to (PICHTR and JETRO of the `people` fixture)."""

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from app.db import session_scope
from app.jobs.worker import drain
from app.organizations import service as organizations
from app.organizations.models import Organization, Role
from tests.conftest import Keys
from tests.factories import company_payload, solicitation_payload
from tests.matches.conftest import BAKERY, GAN


def keys_for_people() -> Keys:
    """Admin, analyst and viewer keys of the organizations `people` created."""
    raw: dict[str, str] = {}
    with session_scope() as session:
        for org in session.scalars(select(Organization)):
            for role in Role:
                _key, raw[f"{org.slug}_{role.value}"] = organizations.create_api_key(
                    session, organization=org, role=role
                )
    return Keys(raw)


def post(client: TestClient, keys: Keys, url: str, body: dict[str, Any], key: str) -> Any:
    """POST as `key`, expecting 201."""
    response = client.post(f"/api/v1{url}", json=body, headers=keys.headers(key))
    assert response.status_code == 201, response.text
    return response.json()


def build_world(client: TestClient, keys: Keys) -> dict[str, int]:
    """Three vetted Japanese partners (one authorized for the ITAR solicitation, one not),
    one pending, and the ITAR solicitation owned by PICHTR; vectors stored by the worker."""
    ids: dict[str, int] = {}
    specs = {
        "authorized": ("Aoi GaN Devices KK", GAN, "vetted"),
        "bakery": ("Sakura Bakery Robotics KK", BAKERY, "vetted"),
        "pending": ("Ginga Amplifier KK", GAN, "pending"),
        "unauthorized": ("Hikari RF Modules KK", GAN, "vetted"),
    }
    for key, (name, narrative, status) in specs.items():
        body = company_payload(name=name, narrative=narrative, corporate_number=None, keywords=[])
        ids[key] = post(client, keys, "/companies", body, "jetro_analyst")["id"]
        vetting = {"status": status, "evidence": "Site visit and METI review."}
        post(client, keys, f"/companies/{ids[key]}/vetting", vetting, "pichtr_analyst")
    ids["solicitation"] = post(
        client,
        keys,
        "/solicitations",
        solicitation_payload(
            description="Prototype radiation-hardened GaN power amplifiers for Ka-band "
            "crosslinks. Amplifiers must survive 100 krad total dose and come in hermetic "
            "packages."
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
    drain()
    return ids
