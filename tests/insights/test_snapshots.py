"""Weekly snapshots: one row per area and week, a rerun in the same week replaces them, and the
trend shows the weeks in order, private to each organization."""

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.db import session_scope, utcnow
from app.insights import service, snapshots
from app.insights.models import InsightSnapshot
from app.matches.index import get_ranker
from tests.conftest import Keys
from tests.insights.conftest import API, authorize

TREND = f"{API}/insights/gaps/trend"


def count_rows() -> int:
    with session_scope() as session:
        return session.scalar(select(func.count(InsightSnapshot.id))) or 0


def test_a_rerun_in_the_same_week_replaces_its_rows_and_the_trend_follows(
    client: TestClient, keys: Keys, world: dict[str, int]
) -> None:
    assert snapshots.take_all(slug="pichtr") == {"pichtr": 14}
    assert count_rows() == 14
    # An authorization closes the space gap; the same week's rerun replaces the figures.
    authorize(client, keys, world["gan"], world["itar"])
    snapshots.take_all(slug="pichtr")
    assert count_rows() == 14
    trend = client.get(
        TREND, params={"technology_area": "space"}, headers=keys.headers("pichtr_viewer")
    )
    assert trend.status_code == 200, trend.text
    (space,) = trend.json()["areas"]
    (point,) = space["points"]
    assert point["uncovered_share"] == 0.0 and point["week_start"] == str(
        snapshots.week_of(utcnow())
    )

    # A week earlier, the gap was open: the trend shows it closing, oldest first.
    with session_scope() as session:
        before = service.gaps(
            session, ranker=get_ranker(), organization_id=1, filters=service.GapFilters()
        )
        for area in before.areas:
            if area.area == "space":
                area.uncovered_share = 1.0
        snapshots.store(
            session,
            organization_id=1,
            gaps=before,
            week_start=snapshots.week_of(utcnow()) - timedelta(weeks=1),
            taken_at=utcnow() - timedelta(weeks=1),
            demo_history=True,
        )
    body = client.get(TREND, headers=keys.headers("pichtr_viewer")).json()
    assert len(body["weeks"]) == 2
    space = next(a for a in body["areas"] if a["area"] == "space")
    assert [p["uncovered_share"] for p in space["points"]] == [1.0, 0.0]
    assert [p["demo_history"] for p in space["points"]] == [True, False]
    # JETRO took none: it sees none of PICHTR's.
    assert client.get(TREND, headers=keys.headers("jetro_viewer")).json()["areas"] == []
    bad = client.get(TREND, params={"technology_area": "x"}, headers=keys.headers("jetro_viewer"))
    assert bad.status_code == 422
