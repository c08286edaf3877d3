"""Valid request payloads, varied with keyword overrides; the narratives of the partners the
test worlds are built from and a POST that must create; the platform's analyst as services
see a caller, and an extract queued for import as that analyst."""

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from app.db import session_scope
from app.imports import service as imports
from app.organizations.models import Role
from app.organizations.service import Principal
from tests.conftest import Keys

GAN = (
    "We design GaN-on-SiC power amplifier MMICs for Ka-band satellite crosslinks. Our "
    "radiation-hardened process survives 100 krad total dose. We package amplifiers in hermetic "
    "ceramic modules qualified to MIL-STD-883."
)
BAKERY = (
    "We build food-packaging robots for bakeries and convenience stores. Our delta robots pick "
    "200 pastries a minute and our vision system grades crust colour."
)

PLATFORM_ANALYST = Principal(
    organization_id=1,
    organization_slug="pichtr",
    is_platform=True,
    role=Role.ANALYST,
    actor="pichtr:test",
)


def post(client: TestClient, keys: Keys, url: str, body: dict[str, Any], key: str) -> dict:
    """POST `body` to `url` with the named key; the created record (anything but 201 fails)."""
    response = client.post(url, json=body, headers=keys.headers(key))
    assert response.status_code == 201, response.text
    return response.json()


def queue_extract(path: Path, principal: Principal = PLATFORM_ANALYST) -> int:
    """Queue a SAM.gov extract for import, committed; the run's id."""
    with session_scope() as session, path.open("rb") as stream:
        return imports.queue_upload(
            session,
            principal=principal,
            kind="solicitations",
            stream=stream,
            filename="extract.csv",
            source="sam.gov",
        ).id


def company_payload(**overrides: Any) -> dict[str, Any]:
    """A valid Japanese partner profile."""
    payload: dict[str, Any] = {
        "role": "jp_partner",
        "country": "JP",
        "name": "Kawasemi Microwave Devices Co., Ltd.",
        "name_ja": "カワセミマイクロ波デバイス株式会社",
        "website": "https://kawasemi-mw.example.jp",
        "narrative": "GaN-on-SiC MMIC design and foundry services up to 40 GHz for radar "
        "and satellite links. In-house wafer test and hermetic packaging.",
        "keywords": ["GaN MMIC", "hermetic packaging"],
        "technology_areas": ["trusted-microelectronics", "5g-communications"],
        "naics": ["334413"],
        "corporate_number": "7000012050002",
        "certifications": ["ISO 9001:2015"],
        "consortia": [],
        "contacts": [{"name": "Aiko Tanaka", "title": "Sales", "email": "a.tanaka@example.jp"}],
    }
    payload.update(overrides)
    return payload


def us_company_payload(**overrides: Any) -> dict[str, Any]:
    """A valid US performer profile."""
    payload: dict[str, Any] = {
        "role": "us_performer",
        "country": "US",
        "name": "Kestrel Forge Systems LLC",
        "narrative": "Expeditionary metal additive manufacturing cells for forward depots.",
        "keywords": ["directed energy deposition"],
        "technology_areas": ["additive-manufacturing"],
        "naics": ["333249", "541715"],
        "uei": "K3LMNPQRST12",
        "cage": "7ABC1",
        "consortia": ["NSTXL S2MARTS"],
    }
    payload.update(overrides)
    return payload


def solicitation_payload(**overrides: Any) -> dict[str, Any]:
    """A valid open OTA solicitation."""
    payload: dict[str, Any] = {
        "source": "api",
        "notice_id": "W15QKN-27-9-0101",
        "title": "Rad-hard GaN power amplifiers for small-satellite crosslinks",
        "agency": "DEPT OF DEFENSE",
        "sub_tier": "DEPT OF THE AIR FORCE",
        "consortium": "Space Enterprise Consortium (SpEC)",
        "ota_type": "prototype",
        "notice_type": "Solicitation",
        "description": "Prototype radiation-hardened GaN power amplifiers for Ka-band links.",
        "technology_areas": ["space", "trusted-microelectronics"],
        "naics": ["334413", "541715"],
        "posted_date": "2026-11-01",
        "response_deadline": "2027-01-15T17:00:00-05:00",
        "status": "open",
        "export_control": "itar",
        "foreign_participation": "allowed_with_authorization",
        "estimated_value": 2500000,
    }
    payload.update(overrides)
    return payload
