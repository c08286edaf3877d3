"""A small world for the report tests, built through the API: Japanese partners in several
vetting states, an open solicitation created before the window and three inside it (one
ITAR), a follow, a review of each kind and a distribution waiting for an answer."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.db import get_sessionmaker
from app.jobs.worker import drain
from app.reports.content import Audience, ReportCache, build_report
from app.reports.schemas import Report
from tests.conftest import Keys
from tests.factories import BAKERY, GAN, company_payload, post, solicitation_payload

API = "/api/v1"
GAN_NEED = (
    "<p>Prototype radiation-hardened GaN power amplifiers for Ka-band crosslinks.</p> "
    "Amplifiers must survive 100 krad total dose and come in hermetic packages. "
)
SECRET = "Classified-looking detail: the crosslink runs at 27.5 GHz with a 4 W amplifier."


def now() -> datetime:
    return datetime.now(UTC)


@dataclass
class World:
    ids: dict[str, int]
    start: datetime  # the window starts after "before" was created
    pichtr: int = 1
    jetro: int = 2

    def end(self) -> datetime:
        return now() + timedelta(seconds=1)

    def report(self, organization_id: int, **audience: Any) -> Report:
        """The report of an organization's reader over [start, now)."""
        with get_sessionmaker()() as session:
            reader = Audience(
                organization_id=organization_id,
                recipient_id=None,
                email="reader@example.org",
                locale=audience.pop("locale", "en"),
                **audience,
            )
            return build_report(
                session,
                audience=reader,
                report_date=self.start.date(),
                window_start=self.start,
                window_end=self.end(),
                cache=ReportCache(),
            )


@pytest.fixture
def world(client: TestClient, keys: Keys) -> World:
    ids: dict[str, int] = {}
    partners = {
        "gan": ("Aoi GaN Devices KK", "アオイGaNデバイス株式会社", GAN, "vetted"),
        "hikari": ("Hikari RF Modules KK", None, GAN, "vetted"),
        "ginga": ("Ginga Amplifier KK", None, GAN, "vetted"),
        "pending": ("Pending Amplifier KK", None, GAN, "pending"),
        "bakery": ("Sakura Bakery Robotics KK", None, BAKERY, "vetted"),
    }
    for key, (name, name_ja, narrative, status) in partners.items():
        body = company_payload(
            name=name, name_ja=name_ja, narrative=narrative, corporate_number=None, keywords=[]
        )
        ids[key] = post(client, keys, f"{API}/companies", body, "jetro_analyst")["id"]
        decision: dict[str, Any] = {"status": status, "evidence": "Site visit and METI review."}
        if key == "ginga":  # vetted, expiring within 30 days
            decision["expires_at"] = (now() + timedelta(days=10)).isoformat()
        post(client, keys, f"{API}/companies/{ids[key]}/vetting", decision, "pichtr_analyst")

    def solicitation(key: str, **overrides: Any) -> None:
        body = solicitation_payload(notice_id=f"N-{key}", **overrides)
        ids[key] = post(client, keys, f"{API}/solicitations", body, "pichtr_analyst")["id"]

    open_gan: dict[str, Any] = {
        "export_control": "none",
        "foreign_participation": "allowed",
        "description": GAN_NEED,
    }
    solicitation(
        "before",
        title="GaN amplifiers posted before the window",
        response_deadline=(now() + timedelta(days=5)).isoformat(),
        **open_gan,
    )
    solicitation("amended", title="GaN amplifiers to be amended", **open_gan)
    start = now()
    # A second decision on a vetted partner, inside the window: newly vetted.
    decision = {"status": "vetted", "evidence": "Renewed after audit."}
    post(client, keys, f"{API}/companies/{ids['gan']}/vetting", decision, "pichtr_analyst")
    solicitation("new", title="Ka-band GaN amplifiers", **open_gan)
    solicitation(
        "itar",
        title="ITAR GaN amplifiers",
        description=GAN_NEED + SECRET,
        export_control="itar",
        foreign_participation="allowed_with_authorization",
    )
    solicitation(
        "robots",
        title="Bakery robots for base dining halls",
        technology_areas=["robotics"],
        description="Food-packaging robots for dining facilities: delta robots, vision grading.",
        export_control="none",
        foreign_participation="allowed",
    )
    amended_url = f"{API}/solicitations/{ids['amended']}"
    response = client.patch(
        amended_url,
        json={"title": "GaN amplifiers, amended"},
        headers=keys.headers("pichtr_analyst"),
    )
    assert response.status_code == 200, response.text
    # JETRO follows the ITAR notice and sees its amendment (description included).
    jetro = keys.headers("jetro_analyst")
    assert client.put(f"{API}/solicitations/{ids['itar']}/follow", headers=jetro).status_code == 201
    response = client.patch(
        f"{API}/solicitations/{ids['itar']}",
        json={"description": GAN_NEED + SECRET + " Amended."},
        headers=keys.headers("pichtr_analyst"),
    )
    assert response.status_code == 200, response.text
    pichtr = keys.headers("pichtr_analyst")
    review = f"{API}/solicitations/{ids['new']}/matches"
    assert client.put(
        f"{review}/{ids['hikari']}/review",
        json={"hidden": True, "hidden_reason": "not_a_fit"},
        headers=pichtr,
    ).status_code in (200, 201)
    assert client.put(
        f"{review}/{ids['bakery']}/review", json={"pinned": True}, headers=pichtr
    ).status_code in (200, 201)
    post(
        client,
        keys,
        f"{API}/solicitations/{ids['before']}/distributions",
        {"company_ids": [ids["gan"]], "channel": "manual", "message": "Have a look."},
        "pichtr_analyst",
    )
    drain()  # the worker embeds (a read never does)
    return World(ids, start)
