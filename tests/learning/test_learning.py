"""Learning from outcomes: which pairs are labelled, `kakehashi train` refusing and training,
match lists re-ordered by the newest adopted model only, and the models' list."""

from typing import Any

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from app.cli import cli
from tests.conftest import Keys
from tests.learning.conftest import Market

runner = CliRunner()
MATCHES = "/api/v1/solicitations/{}/matches"


def record_outcomes(market: Market, pairs: list[tuple[int, int, str]]) -> None:
    """Outcomes stored as the outcome endpoint stores them (one row per recorded outcome)."""
    from app.db import session_scope
    from app.outcomes.models import MatchOutcome, OutcomeKind

    with session_scope() as session:
        for solicitation_id, company_id, outcome in pairs:
            session.add(
                MatchOutcome(
                    organization_id=market.organization_id,
                    solicitation_id=solicitation_id,
                    company_id=company_id,
                    outcome=OutcomeKind(outcome),
                    recorded_by="pichtr:test",
                )
            )
            session.flush()


def ranked(client: TestClient, keys: Keys, solicitation_id: int) -> dict[str, Any]:
    response = client.get(
        MATCHES.format(solicitation_id),
        params={"limit": 50, "min_fit": 0},
        headers=keys.headers("pichtr_analyst"),
    )
    assert response.status_code == 200, response.text
    return response.json()


def store_model(*, version: int, adopted: bool, model_id: str, coef: float = -1.0) -> None:
    """A model scoring by the fused score alone, times `coef` (-1 reverses the default)."""
    from app.db import session_scope
    from app.learning.models import RankingModel
    from matching.learning import KIND

    parameters = {
        "kind": KIND,
        "feature_names": ["fused"],
        "mean": [0.0],
        "scale": [1.0],
        "coef": [coef],
        "intercept": 0.0,
        "blend": 1.0,
        "default_center": 0.0,
        "default_scale": 1.0,
        "learned_center": 0.0,
        "learned_scale": 1.0,
        "c": 1.0,
        "pool": 100,
    }
    with session_scope() as session:
        session.add(
            RankingModel(
                version=version,
                kind=KIND,
                embedding_model_id=model_id,
                feature_names=["fused"],
                parameters=parameters,
                training_pairs=40,
                positives=20,
                negatives=20,
                metrics={},
                adopted=adopted,
                verdict="stored by the test",
                created_by="test",
            )
        )


def test_labelled_pairs_take_the_newest_outcome_over_a_review(
    client: TestClient, keys: Keys, market: Market
) -> None:
    from app.db import session_scope
    from app.learning.service import labelled_pairs
    from app.reviews.models import HideReason, MatchReview

    s, (a, b, c, d) = market.solicitations[0], market.partners[:4]
    record_outcomes(
        market,
        [(s, a, "declined"), (s, a, "interested"), (s, b, "awarded"), (s, b, "not_a_fit")],
    )
    with session_scope() as session:
        for company, reason in ((b, HideReason.NOT_A_FIT), (c, HideReason.NOT_A_FIT)):
            session.add(
                MatchReview(
                    organization_id=market.organization_id,
                    solicitation_id=s,
                    company_id=company,
                    hidden=True,
                    hidden_reason=reason,
                )
            )
        # Hidden for another reason says nothing about the fit.
        session.add(
            MatchReview(
                organization_id=market.organization_id,
                solicitation_id=s,
                company_id=d,
                hidden=True,
                hidden_reason=HideReason.NO_CAPACITY,
            )
        )
    with session_scope() as session:
        pairs = {(p.company_id, p.label, p.source) for p in labelled_pairs(session)}
    assert pairs == {
        (a, True, "outcome:interested"),
        (b, False, "outcome:not_a_fit"),
        (c, False, "review:not_a_fit"),
    }


def test_train_refuses_with_too_little_feedback(
    client: TestClient, keys: Keys, market: Market
) -> None:
    s = market.solicitations[0]
    kinds = ("awarded", "teamed", "declined")
    record_outcomes(market, [(s, p, k) for p, k in zip(market.partners, kinds, strict=False)])
    result = runner.invoke(cli, ["train"])
    assert result.exit_code == 1, result.output
    assert result.stderr.strip().count("\n") == 0
    assert (
        "need at least 20 labelled pairs with 5 of each kind; have 3 (2 positive, 1 negative)"
        in result.stderr
    )
    assert client.get("/api/v1/ranking-models", headers=keys.headers("pichtr_admin")).json() == []


def test_train_stores_a_model_that_the_match_lists_then_use(
    client: TestClient, keys: Keys, market: Market
) -> None:
    # The analysts' outcomes contradict the default order: the lower half of every list
    # was taken up, the upper half declined. A learned model must find that.
    outcomes = []
    for s in market.solicitations:
        items = ranked(client, keys, s)["items"]
        assert len(items) == len(market.partners)
        for i, item in enumerate(items):
            upper = i < len(items) // 2
            kind = ("declined", "not_a_fit")[i % 2] if upper else ("interested", "awarded")[i % 2]
            outcomes.append((s, item["company"]["id"], kind))
    record_outcomes(market, outcomes)

    result = runner.invoke(cli, ["train"])
    assert result.exit_code == 0, result.output
    assert "40 labelled pairs (20 positive, 20 negative); ADOPTED" in result.stdout
    models = client.get("/api/v1/ranking-models", headers=keys.headers("pichtr_admin"))
    assert models.status_code == 200
    [model] = models.json()
    assert model["version"] == 1 and model["adopted"] and model["active"]
    assert model["verdict"].startswith("adopted")
    metrics = model["metrics"]
    assert metrics["learned"]["auc"] >= metrics["default"]["auc"] + 0.02
    assert model["training_pairs"] == 40 and model["feature_names"][0] == "fused"

    listed = ranked(client, keys, market.solicitations[0])
    assert listed["ranking"] == {"model": "learned", "version": 1}
    items = listed["items"]
    # Re-ordered, not re-scored: the same candidates, `score` still the default's.
    assert max(i["score"] for i in items) > items[0]["score"]
    assert all(i["learned_score"] is not None for i in items)
    learned = [i["learned_score"] for i in items]
    assert learned == sorted(learned, reverse=True)

    # Another run: a second version, and the audit trail has both.
    again = runner.invoke(cli, ["train"])
    assert again.exit_code == 0, again.output
    versions = client.get("/api/v1/ranking-models", headers=keys.headers("pichtr_admin")).json()
    assert [m["version"] for m in versions] == [2, 1]
    events = client.get(
        "/api/v1/audit",
        params={"entity_type": "ranking_model"},
        headers=keys.headers("pichtr_admin"),
    ).json()
    assert events["total"] == 2


def test_match_lists_use_only_the_newest_adopted_model_of_their_space(
    client: TestClient, keys: Keys, market: Market
) -> None:
    s = market.solicitations[0]
    default = ranked(client, keys, s)
    assert default["ranking"] == {"model": "default", "version": None}
    scores = [i["score"] for i in default["items"]]
    assert scores == sorted(scores, reverse=True)
    assert all(i["learned_score"] is None for i in default["items"])
    model_id = default["model_id"]

    store_model(version=1, adopted=False, model_id=model_id)
    store_model(version=2, adopted=True, model_id="another-encoder")
    assert ranked(client, keys, s)["ranking"]["model"] == "default"

    store_model(version=3, adopted=True, model_id=model_id)
    listed = ranked(client, keys, s)
    assert listed["ranking"] == {"model": "learned", "version": 3}
    # The reversing model puts the default's last first; nothing dropped or added.
    assert [i["score"] for i in listed["items"]] == sorted(scores)
    assert sorted(i["company"]["id"] for i in listed["items"]) == sorted(
        i["company"]["id"] for i in default["items"]
    )
    assert [i["rank"] for i in listed["items"]] == list(range(1, len(scores) + 1))

    # A shorter list is cut after re-ordering the whole pool.
    short = client.get(
        MATCHES.format(s), params={"limit": 2, "min_fit": 0}, headers=keys.headers("pichtr_viewer")
    ).json()
    assert [i["company"]["id"] for i in short["items"]] == [
        i["company"]["id"] for i in listed["items"][:2]
    ]

    company = market.partners[0]
    reverse = client.get(
        f"/api/v1/companies/{company}/matches",
        params={"limit": 50, "min_fit": 0},
        headers=keys.headers("pichtr_analyst"),
    ).json()
    assert reverse["ranking"] == {"model": "learned", "version": 3}
    reverse_scores = [i["score"] for i in reverse["items"]]
    assert reverse_scores == sorted(reverse_scores)
    teams = client.get(f"/api/v1/solicitations/{s}/teams", headers=keys.headers("pichtr_analyst"))
    assert teams.status_code == 200 and teams.json()["ranking"]["version"] == 3

    # A newer model that was not adopted changes nothing; the list says which is active.
    store_model(version=4, adopted=False, model_id=model_id, coef=1.0)
    assert ranked(client, keys, s)["ranking"] == {"model": "learned", "version": 3}
    models = client.get("/api/v1/ranking-models", headers=keys.headers("jetro_admin")).json()
    assert [(m["version"], m["active"]) for m in models] == [
        (4, False),
        (3, True),
        (2, False),
        (1, False),
    ]
    denied = client.get("/api/v1/ranking-models", headers=keys.headers("pichtr_analyst"))
    assert denied.status_code == 403


def test_train_keeps_the_default_when_it_already_orders_the_outcomes(
    client: TestClient, keys: Keys, market: Market
) -> None:
    # Outcomes that agree with the default order: nothing for a learned model to add.
    outcomes = []
    for s in market.solicitations:
        items = ranked(client, keys, s)["items"]
        for i, item in enumerate(items):
            outcomes.append((s, item["company"]["id"], "teamed" if i < 3 else "declined"))
    record_outcomes(market, outcomes)
    result = runner.invoke(cli, ["train"])
    assert result.exit_code == 0, result.output
    assert "not adopted" in result.stdout
    [model] = client.get("/api/v1/ranking-models", headers=keys.headers("pichtr_admin")).json()
    assert not model["adopted"] and not model["active"]
    assert model["verdict"].startswith("not adopted, the default fusion stays")
    assert model["metrics"]["default"]["auc"] > 0.9
    assert ranked(client, keys, market.solicitations[0])["ranking"]["model"] == "default"
