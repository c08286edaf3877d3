"""Outcomes: recorded only for a pair the organization matched (distributed, reviewed, or
ranked at or above its minimum fit), kept as a history, private to the organization, and read
back as the learner's labels."""

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.db import get_sessionmaker, session_scope
from app.distributions.models import Channel, Distribution, DistributionRecipient
from app.outcomes.labels import labelled_pairs
from app.outcomes.models import MatchOutcome
from tests.conftest import Keys

API = "/api/v1"


def url(solicitation_id: int, company_id: int) -> str:
    return f"{API}/solicitations/{solicitation_id}/matches/{company_id}/outcomes"


def outcomes_stored() -> int:
    with get_sessionmaker()() as session:
        return int(session.scalar(select(func.count()).select_from(MatchOutcome)) or 0)


def distribute(organization_id: int, solicitation_id: int, company_id: int) -> None:
    """A distribution recorded as the distribution service stores one."""
    with session_scope() as session:
        sent = Distribution(
            organization_id=organization_id,
            solicitation_id=solicitation_id,
            channel=Channel.MANUAL,
            created_by="jetro:test",
        )
        session.add(sent)
        session.flush()
        session.add(
            DistributionRecipient(
                distribution_id=sent.id,
                organization_id=organization_id,
                solicitation_id=solicitation_id,
                company_id=company_id,
                token_hash=f"{solicitation_id:032d}{company_id:032d}",
                token_expires_at=datetime.now(UTC) + timedelta(days=7),
            )
        )


def post(client: TestClient, keys: Keys, target: str, body: dict[str, Any], key: str) -> Any:
    return client.post(target, json=body, headers=keys.headers(key))


def test_outcomes_need_a_matched_pair(client: TestClient, keys: Keys, world: dict) -> None:
    sol = world["solicitation"]
    interested = {"outcome": "interested", "reason": "Asked for the full package."}
    # The bakery robot never reached PICHTR's minimum fit, and was never reviewed or sent.
    refused = post(client, keys, url(sol, world["bakery"]), interested, "pichtr_analyst")
    assert refused.status_code == 422, refused.text
    assert refused.json()["detail"][0]["loc"] == ["path", "company_id"]
    assert "never matched" in refused.json()["detail"][0]["msg"]
    for body, field in (
        ({"outcome": "thrilled"}, "outcome"),
        ({}, "outcome"),
        ({"outcome": "declined", "reason": "x" * 2001}, "reason"),
        ({"outcome": "declined", "stars": 1}, "stars"),
    ):
        response = post(client, keys, url(sol, world["authorized"]), body, "jetro_analyst")
        assert response.status_code == 422, (body, response.text)
        assert [e["loc"][-1] for e in response.json()["detail"]] == [field]
    for target, key, status in (
        (url(999, world["authorized"]), "jetro_analyst", 404),
        (url(sol, 999), "jetro_analyst", 404),
        (url(sol, world["authorized"]), "jetro_viewer", 403),
    ):
        assert post(client, keys, target, interested, key).status_code == status
    assert outcomes_stored() == 0

    # (c) Ranked at or above the minimum fit: the authorized partner is JETRO's top match.
    ranked = post(client, keys, url(sol, world["authorized"]), interested, "jetro_analyst")
    assert ranked.status_code == 201, ranked.text
    assert ranked.json()["outcome"] == "interested" and ranked.json()["recorded_by"].startswith(
        "jetro:"
    )
    # (b) Reviewed: once PICHTR reviews the bakery pair, it may record its outcome.
    review = f"{API}/solicitations/{sol}/matches/{world['bakery']}/review"
    hide = {"hidden": True, "hidden_reason": "not_a_fit"}
    assert client.put(review, json=hide, headers=keys.headers("pichtr_analyst")).status_code == 201
    declined = {"outcome": "not_a_fit", "reason": "Bakery robots."}
    assert (
        post(client, keys, url(sol, world["bakery"]), declined, "pichtr_analyst").status_code == 201
    )
    # ... but PICHTR's review does not make the pair JETRO's.
    assert (
        post(client, keys, url(sol, world["bakery"]), declined, "jetro_analyst").status_code == 422
    )
    # (a) Distributed: JETRO sent the solicitation to the bakery partner.
    distribute(2, sol, world["bakery"])
    assert (
        post(client, keys, url(sol, world["bakery"]), declined, "jetro_analyst").status_code == 201
    )
    # A US performer is a pair too.
    us_review = f"{API}/solicitations/{sol}/matches/{world['us']}/review"
    client.put(us_review, json={"pinned": True}, headers=keys.headers("pichtr_analyst"))
    teamed = {"outcome": "teamed"}
    assert post(client, keys, url(sol, world["us"]), teamed, "pichtr_analyst").status_code == 201


def test_history_privacy_lists_and_labels(client: TestClient, keys: Keys, world: dict) -> None:
    sol, partner = world["solicitation"], world["authorized"]
    jetro = keys.headers("jetro_analyst")
    for outcome in ("interested", "teamed", "awarded"):
        response = client.post(url(sol, partner), json={"outcome": outcome}, headers=jetro)
        assert response.status_code == 201, response.text
    history = client.get(url(sol, partner), headers=keys.headers("jetro_viewer")).json()
    assert history["current"]["outcome"] == "awarded"
    assert [o["outcome"] for o in history["history"]] == ["awarded", "teamed", "interested"]
    # PICHTR sees none of JETRO's outcomes, though the pair exists.
    pichtr = keys.headers("pichtr_admin")
    assert client.get(url(sol, partner), headers=pichtr).status_code == 404
    assert client.get(f"{API}/outcomes", headers=pichtr).json()["total"] == 0
    audit = client.get(
        f"{API}/audit", params={"entity_type": "match_outcome"}, headers=pichtr
    ).json()
    assert audit["total"] == 3  # the platform's admins read every organization's audit trail
    mine = client.get(
        f"{API}/audit", params={"entity_type": "match_outcome"}, headers=keys.headers("jetro_admin")
    ).json()["items"]
    assert mine[0]["changes"]["matched"] == "ranked"
    assert client.get(url(sol, 999), headers=jetro).status_code == 404

    now = datetime.now(UTC)
    for params, total in (
        ({}, 3),
        ({"outcome": "teamed"}, 1),
        ({"solicitation_id": sol, "company_id": partner}, 3),
        ({"company_id": world["bakery"]}, 0),
        ({"recorded_from": (now - timedelta(hours=1)).isoformat()}, 3),
        ({"recorded_until": (now - timedelta(hours=1)).isoformat()}, 0),
    ):
        found = client.get(f"{API}/outcomes", params=params, headers=jetro).json()
        assert found["total"] == total, (params, found)
    bad = client.get(
        f"{API}/outcomes",
        params={"recorded_from": now.isoformat(), "recorded_until": EARLY},
        headers=jetro,
    )
    assert bad.status_code == 422 and "recorded_until" in bad.text

    # Labels: the latest outcome of each pair; a pair hidden as not a fit is a negative, until
    # an outcome says otherwise.
    review = f"{API}/solicitations/{sol}/matches/{world['unauthorized']}/review"
    hide = {"hidden": True, "hidden_reason": "not_a_fit"}
    client.put(review, json=hide, headers=jetro)
    other = f"{API}/solicitations/{sol}/matches/{world['pending']}/review"
    client.put(other, json={"hidden": True, "hidden_reason": "no_capacity"}, headers=jetro)
    with get_sessionmaker()() as session:
        labels = labelled_pairs(session)
    assert [(p.company_id, p.label, p.source) for p in labels] == sorted(
        [(partner, True, "outcome:awarded"), (world["unauthorized"], False, "review:not_a_fit")]
    )
    client.post(url(sol, world["unauthorized"]), json={"outcome": "interested"}, headers=jetro)
    with get_sessionmaker()() as session:
        labels = labelled_pairs(session)
    assert {(p.organization_id, p.company_id, p.label, p.source) for p in labels} == {
        (2, partner, True, "outcome:awarded"),
        (2, world["unauthorized"], True, "outcome:interested"),
    }


EARLY = "2020-01-01T00:00:00Z"
