"""Render time of the admin companies list at 10,000 companies, run by hand.

Builds a scratch SQLite database by the migrations, inserts N companies (by default 10,000:
half Japanese partners with mixed vetting, half US performers, one to three technology areas
each, a Japanese name on the partners), signs in through the form and times
GET /admin/companies with each filter of the page, in process (TestClient), several times each.

    .venv/bin/python bench/admin_pages.py [--companies 10000] [--repeat 15]
"""

import argparse
import logging
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PASSWORD = "benchmark passphrase"
QUERIES = {
    "first page, no filter": "",
    "page 100 (offset 4,950)": "offset=4950",
    "role=jp_partner": "role=jp_partner",
    "country=US": "country=US",
    "technology_area=space": "technology_area=space",
    "vetting_status=vetted": "vetting_status=vetted",
    "q=photonics (name/narrative)": "q=photonics",
    "q=株式会社 (Japanese name)": "q=%E6%A0%AA%E5%BC%8F%E4%BC%9A%E7%A4%BE",
    "role+area+vetting": "role=jp_partner&technology_area=robotics&vetting_status=vetted",
}
WORDS = [
    "photonics",
    "robotics",
    "additive",
    "hypersonic",
    "GaN",
    "MMIC",
    "lidar",
    "composite",
    "quantum",
    "battery",
    "radar",
    "satellite",
    "sensor",
    "actuator",
    "thermal",
    "coating",
    "drone",
    "AI",
    "vision",
    "firmware",
]


def setup(directory: Path, companies: int) -> None:
    """Migrate a scratch database and insert the organization, a user and the companies."""
    os.environ.update(
        KAKEHASHI_ENV="test",
        KAKEHASHI_RUN_WORKER="false",
        KAKEHASHI_DATABASE_URL=f"sqlite:///{directory / 'bench.db'}",
        KAKEHASHI_CACHE_DIR=str(directory / "cache"),
    )
    from alembic import command
    from sqlalchemy import insert, select

    from app.areas.models import TechnologyArea
    from app.cli import alembic_config
    from app.companies.models import Company, CompanyRole, company_technology_areas
    from app.db import session_scope, utcnow
    from app.organizations import service as organizations
    from app.organizations.models import Role, Side
    from app.users import service as users

    command.upgrade(alembic_config(), "head")
    rng = random.Random(18)
    now = utcnow()
    with session_scope() as session:
        org = organizations.create_organization(
            session, slug="bench", name="Bench", side=Side.US, is_platform=True
        )
        users.create_user(
            session, organization=org, username="bench", password=PASSWORD, role=Role.ANALYST
        )
        area_ids = list(session.scalars(select(TechnologyArea.id)))
        rows = []
        for n in range(companies):
            partner = n % 2 == 0
            words = rng.sample(WORDS, 6)
            status = rng.choice([None, "vetted", "vetted", "pending", "rejected"])
            rows.append(
                {
                    "role": CompanyRole.JP_PARTNER if partner else CompanyRole.US_PERFORMER,
                    "country": "JP" if partner else "US",
                    "name": f"{words[0].title()} {words[1].title()} {n:05d} "
                    + ("K.K." if partner else "LLC"),
                    "name_ja": f"{words[0]}{n:05d}株式会社" if partner else None,
                    "narrative": " ".join(words * 8),
                    "keywords": words[:3],
                    "naics": ["334413"],
                    "certifications": [],
                    "consortia": [],
                    "contacts": [],
                    "locked_fields": [],
                    "suggested_areas": [],
                    "created_by_id": org.id,
                    "created_at": now,
                    "updated_at": now,
                    "vetting_status": status if partner else None,
                    "vetting_decided_at": now if partner and status else None,
                    "vetting_expires_at": now + timedelta(days=rng.choice([-30, 200]))
                    if partner and status == "vetted"
                    else None,
                    "version": 1,
                }
            )
        session.execute(insert(Company), rows)
        ids = list(session.scalars(select(Company.id)))
        links = [
            {"company_id": i, "technology_area_id": a}
            for i in ids
            for a in rng.sample(area_ids, rng.randint(1, 3))
        ]
        session.execute(insert(company_technology_areas), links)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--companies", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        started = time.perf_counter()
        setup(Path(scratch), args.companies)
        print(f"{args.companies:,} companies inserted in {time.perf_counter() - started:.1f} s")

        logging.disable(logging.INFO)  # one log line per request would be timed too
        from fastapi.testclient import TestClient

        from app.main import create_app
        from tests.conftest import csrf_of

        with TestClient(create_app(), follow_redirects=False) as client:
            page = client.get("/admin/login")
            signed = client.post(
                "/admin/login",
                data={"csrf_token": csrf_of(page.text), "username": "bench", "password": PASSWORD},
            )
            assert signed.status_code == 303, signed.text
            print(f"{'GET /admin/companies?…':<34} {'rows':>7} {'median':>8} {'p95':>8} {'KiB':>6}")
            for label, query in QUERIES.items():
                timings = []
                for _ in range(args.repeat + 1):
                    t0 = time.perf_counter()
                    response = client.get(f"/admin/companies?{query}")
                    timings.append((time.perf_counter() - t0) * 1000)
                    assert response.status_code == 200, response.text[:500]
                timings = sorted(timings[1:])  # the first request warms caches
                found = response.text.split('id="company-count"')[1].split("<")[0]
                total = found.split(": ")[1]
                p95 = timings[max(0, round(0.95 * len(timings)) - 1)]
                print(
                    f"{label:<34} {total:>7} {statistics.median(timings):>6.1f}ms "
                    f"{p95:>6.1f}ms {len(response.content) / 1024:>6.1f}"
                )
        # The same query without the page (service only), to tell the query from the rendering.
        from app.companies import service
        from app.db import get_read_sessionmaker

        for label, kwargs in (
            ("service only, no filter", {}),
            ("service only, offset 4,950", {"offset": 4950}),
        ):
            timings = []
            for _ in range(args.repeat):
                with get_read_sessionmaker()() as session:
                    t0 = time.perf_counter()
                    rows, _total = service.get_all(session, limit=50, **kwargs)
                    [c.area_slugs for c in rows]
                    timings.append((time.perf_counter() - t0) * 1000)
            print(f"{label:<34} {'':>7} {statistics.median(timings):>6.1f}ms")


if __name__ == "__main__":
    main()
