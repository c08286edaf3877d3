"""The bundled demo data loads through the services, twice without duplicates, with dates
that move with the calendar."""

import json
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import func, select
from typer.testing import CliRunner

from app import seeding
from app.cli import cli
from app.companies.models import Company
from app.db import session_scope, utcnow
from app.reports.models import ReportRecipient
from app.solicitations.models import Solicitation

SEED_DIR = Path(__file__).resolve().parent.parent / "seed_data"
runner = CliRunner()


def test_seed_twice_creates_once(database_url: str) -> None:
    first = runner.invoke(cli, ["seed"])
    assert first.exit_code == 0, first.output
    assert "73 companies" in first.stdout and "30 solicitations" in first.stdout
    assert "1 likely_duplicates" in " ".join(first.stdout.split())
    assert "2 report_recipients" in " ".join(first.stdout.split())
    again = runner.invoke(cli, ["seed"])
    assert again.exit_code == 0 and "0 companies" in again.stdout
    assert "0 likely_duplicates" in " ".join(again.stdout.split())
    assert "0 report_recipients" in " ".join(again.stdout.split())
    with session_scope() as session:
        seeded = {
            (r.organization.slug, r.email, r.locale)
            for r in session.scalars(select(ReportRecipient))
        }
    assert seeded == {
        ("pichtr", "ota-desk@pichtr.example.org", "en"),
        ("jetro", "defense-innovation@jetro.example.jp", "ja"),
    }
    with session_scope() as session:
        now = utcnow()
        vetting = Counter(c.effective_vetting(now) for c in session.scalars(select(Company)))
    assert vetting == {
        "vetted": 33,
        "not_required": 25,
        "pending": 5,
        "expired": 3,
        "unvetted": 3,
        "rejected": 2,
        "suspended": 2,
    }


def test_dates_move_with_the_calendar(database_url: str) -> None:
    manifest = json.loads((SEED_DIR / "manifest.json").read_text())
    reference = date.fromisoformat(manifest["reference_date"])
    rows = json.loads((SEED_DIR / "solicitations.json").read_text())
    written = next(r for r in rows if r["response_deadline"])
    with session_scope() as session:
        seeding.load(session, directory=SEED_DIR, today=reference - timedelta(days=100))
    with session_scope() as session:
        stored = session.scalar(
            select(Solicitation).where(Solicitation.notice_id == written["notice_id"])
        )
        assert stored is not None and stored.response_deadline is not None
        expected = date.fromisoformat(written["response_deadline"][:10]) - timedelta(days=100)
        assert abs((stored.response_deadline.date() - expected).days) <= 1


def test_the_demo_opens_with_one_likely_duplicate_to_review(database_url: str) -> None:
    from app.imports.models import DuplicateFlag, ImportRun
    from app.organizations.models import Organization

    with session_scope() as session:
        seeding.load(session, directory=SEED_DIR)
    with session_scope() as session:
        flags = list(session.scalars(select(DuplicateFlag)))
        assert [(f.id, f.entity_type, f.resolved_at) for f in flags] == [(1, "solicitation", None)]
        imported = session.get(Solicitation, flags[0].entity_id)
        original = session.get(Solicitation, flags[0].other_id)
        assert imported is not None and original is not None
        assert imported.title == original.title and imported.notice_id != original.notice_id
        assert imported.response_deadline is not None and imported.response_deadline > utcnow()
        run = session.get(ImportRun, flags[0].import_run_id)
        assert run is not None
        owner = session.get(Organization, run.organization_id)
        assert owner is not None and owner.slug == "pichtr"


def test_the_demo_has_a_month_of_intermediary_work(database_url: str) -> None:
    from app.distributions.models import DistributionRecipient, RecipientStatus
    from app.follows.models import SolicitationFollow
    from app.outcomes import labels as outcomes
    from app.outcomes.models import MatchOutcome
    from app.reviews.models import MatchReview

    with session_scope() as session:
        counts = seeding.load(session, directory=SEED_DIR)
    assert counts["distributions"] == 24 and counts["recipients"] == 97
    with session_scope() as session:
        now = utcnow()
        recipients = list(session.scalars(select(DistributionRecipient)))
        statuses = Counter(r.status for r in recipients)
        assert set(statuses) == set(RecipientStatus), statuses
        for r in recipients:
            sent = r.distribution.created_at
            assert now - timedelta(days=31) < sent < now - timedelta(days=2)
            times = [change.occurred_at for change in r.history]
            assert times == sorted(times) and times[0] == sent
            assert r.history[-1].to_status is r.status
        outcome_times = session.scalars(select(MatchOutcome.recorded_at)).all()
        assert max(outcome_times) <= now and min(outcome_times) > now - timedelta(days=31)
        # Enough feedback of both kinds for `kakehashi train`.
        labels = Counter(pair.label for pair in outcomes.labelled_pairs(session))
        assert labels[True] >= 20 and labels[False] >= 20
        assert session.scalar(select(func.count()).select_from(MatchReview)) == 21
        assert session.scalar(select(func.count()).select_from(SolicitationFollow)) == 3
    with session_scope() as session:
        again = seeding.load(session, directory=SEED_DIR)
    assert again["distributions"] == 0 and again["outcomes"] == 0


def test_the_demo_holds_one_partner_on_a_potential_screening_hit(database_url: str) -> None:
    from app.screening.models import HitStatus, ScreeningHit, ScreeningSnapshot

    with session_scope() as session:
        counts = seeding.load(session, directory=SEED_DIR)
    assert counts["screening_hits"] == 1
    with session_scope() as session:
        held = list(session.scalars(select(Company).where(Company.screening_status.is_not(None))))
        assert [(c.external_id, c.screening_status) for c in held] == [("jp-28", "hold")]
        [hit] = session.scalars(select(ScreeningHit))
        assert (hit.status, hit.list_name.value) == (HitStatus.OPEN, "csl")
        assert hit.entry is not None and hit.entry.names[0] == "Inazuma Photonic Link Limited"
        snapshots = session.scalar(select(func.count()).select_from(ScreeningSnapshot))
    with session_scope() as session:
        assert seeding.load(session, directory=SEED_DIR)["screening_hits"] == 0
        assert session.scalar(select(func.count()).select_from(ScreeningSnapshot)) == snapshots == 2
