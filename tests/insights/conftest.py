"""A world whose gaps are known in advance, built through the API: a quantum need no partner
serves, an ITAR space need whose only fitting partner lacks an export authorization, and a
robotics need half of which a bakery-robot maker answers."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.jobs.worker import drain
from tests.conftest import Keys
from tests.factories import company_payload, solicitation_payload

API = "/api/v1"
GAN = (
    "We design GaN-on-SiC power amplifier MMICs for Ka-band satellite crosslinks. Our "
    "radiation-hardened process survives 100 krad total dose. We package amplifiers in hermetic "
    "ceramic modules qualified to MIL-STD-883."
)
BAKERY = (
    "We build food-packaging robots for bakeries and convenience stores. Our delta robots pick "
    "200 pastries a minute and our vision system grades crust colour."
)
PASTRY_NEED = "Delta robots must pick 200 pastries a minute for base dining halls."
CLOCK_NEED = "A trapped-ion optical clock must hold time to one nanosecond for a month."


def post(client: TestClient, keys: Keys, url: str, body: dict[str, Any], key: str) -> dict:
    response = client.post(url, json=body, headers=keys.headers(key))
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
def world(client: TestClient, keys: Keys) -> dict[str, int]:
    ids: dict[str, int] = {}
    partners = {
        "gan": ("Aoi GaN Devices KK", GAN, ["space", "trusted-microelectronics"]),
        "bakery": ("Sakura Bakery Robotics KK", BAKERY, ["robotics"]),
    }
    for key, (name, narrative, areas) in partners.items():
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
        "half": dict(
            title="Dining hall automation",
            description=f"{PASTRY_NEED} {CLOCK_NEED}",
            technology_areas=["robotics"],
            export_control="none",
            foreign_participation="allowed",
        ),
    }
    for key, fields in needs.items():
        body = solicitation_payload(notice_id=f"N-{key}", **fields)
        ids[key] = post(client, keys, f"{API}/solicitations", body, "pichtr_analyst")["id"]
    drain()  # the worker embeds (a read never does)
    return ids
