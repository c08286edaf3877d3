"""A world whose gaps are known in advance, built through the API: a quantum need no partner
serves, an ITAR space need whose only fitting partner lacks an export authorization, and a
robotics need half of which a bakery-robot maker answers."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.jobs.worker import drain
from tests.conftest import Keys
from tests.factories import BAKERY, GAN, company_payload, post, solicitation_payload

API = "/api/v1"
PASTRY_NEED = "Delta robots must pick 200 pastries a minute for base dining halls."
CLOCK_NEED = "A trapped-ion optical clock must hold time to one nanosecond for a month."
# The two vetted partners (name, narrative, areas) and the need half of which the bakery-robot
# maker answers, the same in the API world below and the browser's (tests/insights/test_browser.py).
PARTNERS = {
    "gan": ("Aoi GaN Devices KK", GAN, ["space", "trusted-microelectronics"]),
    "bakery": ("Sakura Bakery Robotics KK", BAKERY, ["robotics"]),
}
DINING_HALL: dict[str, Any] = dict(
    title="Dining hall automation",
    description=f"{PASTRY_NEED} {CLOCK_NEED}",
    technology_areas=["robotics"],
    export_control="none",
    foreign_participation="allowed",
)


def authorize(client: TestClient, keys: Keys, company_id: int, solicitation_id: int) -> None:
    """A DDTC export authorization for the partner on the solicitation, recorded by PICHTR."""
    body = {
        "company_id": company_id,
        "solicitation_id": solicitation_id,
        "authority": "ddtc",
        "reference": "TA 0001-26",
        "valid_from": "2026-01-01",
    }
    post(client, keys, f"{API}/export-authorizations", body, "pichtr_analyst")


@pytest.fixture
def world(client: TestClient, keys: Keys) -> dict[str, int]:
    ids: dict[str, int] = {}
    for key, (name, narrative, areas) in PARTNERS.items():
        body = company_payload(
            name=name,
            narrative=narrative,
            technology_areas=areas,
            corporate_number=None,
            keywords=[],
        )
        ids[key] = post(client, keys, f"{API}/companies", body, "jetro_analyst")["id"]
        decision = {"status": "vetted", "evidence": "Site visit and METI review."}
        post(client, keys, f"{API}/companies/{ids[key]}/vetting", decision, "pichtr_analyst")
    needs = {
        "itar": dict(
            title="Radiation-hardened GaN power amplifiers for Ka-band crosslinks",
            description="Prototype radiation-hardened GaN power amplifiers for Ka-band "
            "crosslinks. Amplifiers must survive 100 krad total dose and come in hermetic "
            "packages.",
            technology_areas=["space"],
            export_control="itar",
            foreign_participation="allowed_with_authorization",
        ),
        "clock": dict(
            title="Trapped-ion optical clocks",
            description=CLOCK_NEED + " The clock must fit a 3U chassis.",
            technology_areas=["quantum"],
            agency="DEPT OF THE NAVY",
            export_control="none",
            foreign_participation="allowed",
        ),
        "half": DINING_HALL,
    }
    for key, fields in needs.items():
        body = solicitation_payload(notice_id=f"N-{key}", **fields)
        ids[key] = post(client, keys, f"{API}/solicitations", body, "pichtr_analyst")["id"]
    drain()  # the worker embeds (a read never does)
    return ids
