"""Render time of the core admin pages (dashboard, audit, settings) on a filled database:
10,000 companies, 1,000 solicitations, 20,000 audit events and 2,000 distribution recipients
(SQLite file, built by the migrations, rows inserted in bulk). Run by hand:

    .venv/bin/python bench/bench_admin_dashboard.py [--companies 10000] [--solicitations 1000]

Prints the median and 95th percentile of 30 page loads through the application (TestClient,
in process: no network), after a warm-up.
"""

import argparse
import hashlib
import logging
import os
import random
import re
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

PASSWORD = "benchmark passphrase"


def fill(companies: int, solicitations: int, events: int, recipients: int) -> None:
    """Insert the rows in bulk (no API: the point is reading them)."""
    from sqlalchemy import insert

    from app.audit.models import AuditEvent
    from app.companies.models import Company
    from app.db import session_scope
    from app.distributions.models import Distribution, DistributionRecipient
    from app.organizations import service as organizations
    from app.organizations.models import Role, Side
    from app.solicitations.models import Solicitation
    from app.users import service as users

    rng = random.Random(7)
    now = datetime.now(UTC)
    with session_scope() as session:
        org = organizations.create_organization(
            session, slug="bench", name="Bench", side=Side.US, is_platform=True
        )
        users.create_user(
            session, organization=org, username="bench", password=PASSWORD, role=Role.ADMIN
        )
        session.execute(
            insert(Company),
            [
                {
                    "role": "jp_partner" if i % 2 else "us_performer",
                    "country": "JP" if i % 2 else "US",
                    "name": f"Company {i}",
                    "name_ja": f"株式会社{i}" if i % 2 else None,
                    "narrative": "",
                    "created_by_id": org.id,
                    "vetting_status": "vetted" if i % 2 else None,
                    "vetting_expires_at": now + timedelta(days=rng.randint(1, 400))
                    if i % 2
                    else None,
                }
                for i in range(companies)
            ],
        )
        session.execute(
            insert(Solicitation),
            [
                {
                    "source": "bench",
                    "notice_id": f"N-{i}",
                    "title": f"Solicitation {i}",
                    "description": "",
                    "status": "open",
                    "export_control": "none",
                    "foreign_participation": "allowed",
                    "created_by_id": org.id,
                    "response_deadline": now + timedelta(hours=rng.randint(1, 24 * 90)),
                    "created_at": now - timedelta(days=rng.randint(0, 60)),
                }
                for i in range(solicitations)
            ],
        )
        session.execute(
            insert(AuditEvent),
            [
                {
                    "organization_id": org.id,
                    "actor": "bench:cli",
                    "action": "update",
                    "entity_type": "company",
                    "entity_id": rng.randint(1, companies),
                    "changes": {"name": {"before": "a", "after": "b"}},
                    "occurred_at": now - timedelta(minutes=i),
                }
                for i in range(events)
            ],
        )
        per_distribution = 20
        session.execute(
            insert(Distribution),
            [
                {
                    "organization_id": org.id,
                    "solicitation_id": d + 1,
                    "channel": "manual",
                    "created_at": now - timedelta(days=d % 30),
                }
                for d in range(recipients // per_distribution)
            ],
        )
        session.execute(
            insert(DistributionRecipient),
            [
                {
                    "distribution_id": r // per_distribution + 1,
                    "organization_id": org.id,
                    "solicitation_id": r // per_distribution + 1,
                    "company_id": 2 * (r % per_distribution) + 2,
                    "status": "sent" if r % 3 else "interested",
                    "token_hash": hashlib.sha256(str(r).encode()).hexdigest(),
                    "token_expires_at": now + timedelta(days=30),
                }
                for r in range(recipients)
            ],
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--companies", type=int, default=10_000)
    parser.add_argument("--solicitations", type=int, default=1_000)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--recipients", type=int, default=2_000)
    parser.add_argument("--loads", type=int, default=30)
    args = parser.parse_args()
    logging.disable(logging.INFO)  # the test client logs every request

    folder = Path(tempfile.mkdtemp(prefix="kakehashi-bench-"))
    os.environ["KAKEHASHI_DATABASE_URL"] = f"sqlite:///{folder / 'bench.db'}"
    os.environ["KAKEHASHI_RUN_WORKER"] = "false"
    os.environ.setdefault("KAKEHASHI_CACHE_DIR", str(folder / "cache"))
    from alembic import command
    from fastapi.testclient import TestClient

    from app.cli import alembic_config
    from app.main import create_app

    command.upgrade(alembic_config(), "head")
    fill(args.companies, args.solicitations, args.events, args.recipients)
    with TestClient(create_app(), follow_redirects=False) as client:
        page = client.get("/admin/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert token
        signed = client.post(
            "/admin/login",
            data={"csrf_token": token.group(1), "username": "bench", "password": PASSWORD},
        )
        assert signed.status_code == 303
        print(
            f"{args.companies:,} companies, {args.solicitations:,} solicitations, "
            f"{args.events:,} audit events, {args.recipients:,} recipients (SQLite)"
        )
        for path in (
            "/admin",
            "/admin/audit",
            "/admin/audit?action=update&actor=bench",
            "/admin/settings",
        ):
            client.get(path)
            times = []
            for _ in range(args.loads):
                start = time.perf_counter()
                response = client.get(path)
                times.append((time.perf_counter() - start) * 1000)
                assert response.status_code == 200, response.status_code
            times.sort()
            p95 = times[int(0.95 * (len(times) - 1))]
            print(f"{path:45s} median {statistics.median(times):6.1f} ms   p95 {p95:6.1f} ms")


if __name__ == "__main__":
    main()
