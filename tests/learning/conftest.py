"""A small market for the learning tests: vetted Japanese partners and open solicitations
with their vectors stored, and outcomes recorded on their pairs."""

from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.jobs.worker import drain
from tests.conftest import Keys
from tests.factories import company_payload, solicitation_payload
from tests.matches.conftest import post, vet

PARTNERS = [
    "GaN-on-SiC power amplifier MMICs for Ka-band satellite crosslinks, radiation hardened.",
    "Green monopropellant thrusters for small satellites, hot-fire tested in vacuum.",
    "Carbon fibre composite airframes for long-endurance unmanned aircraft.",
    "Zero trust intrusion detection for MIL-STD-1553 avionics buses.",
    "Lithium-ion battery packs and microgrid controllers for expeditionary bases.",
    "Hypersonic thermal protection tiles of ultra-high-temperature ceramics.",
    "Metal additive manufacturing of titanium brackets with in-situ melt pool monitoring.",
    "Quantum-safe encryption modules for tactical radios.",
]
NEEDS = [
    "Prototype radiation-hardened GaN amplifiers for Ka-band satellite crosslinks.",
    "Green propulsion for a small satellite demonstration with vacuum-tested thrusters.",
    "Intrusion detection for avionics data buses under a zero trust architecture.",
    "Silent watch power: battery packs and microgrids for forward operating bases.",
    "Printed titanium parts for aircraft repair with process monitoring.",
]


@dataclass
class Market:
    """Record ids of the market, and PICHTR's organization id."""

    partners: list[int]
    solicitations: list[int]
    organization_id: int


@pytest.fixture
def market(client: TestClient, keys: Keys) -> Market:
    """Eight vetted partners and five open, uncontrolled solicitations, embedded."""
    from app.db import session_scope
    from app.organizations.models import Organization

    partners = []
    for i, narrative in enumerate(PARTNERS):
        body = company_payload(
            name=f"Partner {i} KK", narrative=narrative, corporate_number=None, keywords=[]
        )
        partners.append(post(client, keys, "/api/v1/companies", body, "jetro_analyst")["id"])
        vet(client, keys, partners[-1])
    needs = []
    for i, text in enumerate(NEEDS):
        body = solicitation_payload(
            notice_id=f"LEARN-{i}",
            title=text.split(":")[0][:60],
            description=text,
            export_control="none",
            foreign_participation="allowed",
        )
        needs.append(post(client, keys, "/api/v1/solicitations", body, "pichtr_analyst")["id"])
    drain()
    with session_scope() as session:
        org_id = session.scalar(select(Organization.id).where(Organization.slug == "pichtr"))
    assert org_id is not None
    return Market(partners, needs, org_id)
