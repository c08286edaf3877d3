"""Match, reverse-match and team endpoints over real records, the real model and both
databases: held-back partners never enter the eligible ranking, and explanations quote the
records exactly."""

from fastapi.testclient import TestClient

from app.jobs.worker import drain
from tests.conftest import Keys
from tests.factories import company_payload, solicitation_payload
from tests.matches.conftest import GAN, post, vet


def test_eligible_ranking_and_held_back(client: TestClient, keys: Keys, world: dict) -> None:
    url = f"/api/v1/solicitations/{world['solicitation']}/matches"
    headers = keys.headers("jetro_viewer")
    body = client.get(url, headers=headers).json()
    # ITAR with authorization required: only the partner holding one is in the ranking.
    assert [m["company"]["id"] for m in body["items"]] == [world["authorized"]]
    assert body["held_back"] == []
    assert body["candidates"] == 4 and body["pending_embeddings"] == 0
    top = body["items"][0]
    assert top["eligibility"]["status"] == "eligible" and not top["held_back"]
    assert "authorized" in [r["code"] for r in top["eligibility"]["reasons"]]
    assert 0 <= top["score"] <= 1 and set(top["components"]) >= {"semantic", "lexical"}
    assert "trusted-microelectronics" in top["explanation"]["shared_areas"]

    full = client.get(url, params={"include_held_back": True}, headers=headers).json()
    held = {m["company"]["id"]: m for m in full["held_back"]}
    assert set(held) == {world["pending"], world["unauthorized"], world["bakery"]}
    # Held back partners are ranked too, so an analyst sees who to authorize first.
    assert full["held_back"][-1]["company"]["id"] == world["bakery"]
    assert full["held_back"][0]["score"] > full["held_back"][-1]["score"]
    assert all(m["held_back"] for m in held.values())
    assert held[world["pending"]]["eligibility"]["status"] == "ineligible"
    assert held[world["unauthorized"]]["eligibility"]["status"] == "needs_authorization"
    assert not {m["company"]["id"] for m in full["items"]} & set(held)


def test_explanations_quote_the_records(client: TestClient, keys: Keys, world: dict) -> None:
    headers = keys.headers("jetro_viewer")
    solicitation = client.get(
        f"/api/v1/solicitations/{world['solicitation']}", headers=headers
    ).json()
    need_text = f"{solicitation['title']}. {solicitation['description']}"
    company = client.get(f"/api/v1/companies/{world['authorized']}", headers=headers).json()
    profile_text = f"{company['name']}. {company['narrative']}"
    body = client.get(
        f"/api/v1/solicitations/{world['solicitation']}/matches", headers=headers
    ).json()
    explanation = body["items"][0]["explanation"]
    assert explanation["passages"]
    for passage in explanation["passages"]:
        start, end = passage["need_span"]
        assert need_text[start:end] == passage["need"]
        start, end = passage["capability_span"]
        assert profile_text[start:end] == passage["capability"]
        # The focus sentences lie inside their windows and quote the records exactly.
        start, end = passage["need_sentence_span"]
        assert need_text[start:end] == passage["need_sentence"]
        assert passage["need_sentence"] in passage["need"]
        start, end = passage["capability_sentence_span"]
        assert profile_text[start:end] == passage["capability_sentence"]
        assert passage["capability_sentence"] in passage["capability"]
    assert explanation["shared_terms"]
    for term in explanation["shared_terms"]:
        assert term.lower() in need_text.lower() and term.lower() in profile_text.lower()


def test_us_performers_and_closed_solicitations(
    client: TestClient, keys: Keys, world: dict
) -> None:
    url = f"/api/v1/solicitations/{world['solicitation']}/matches"
    headers = keys.headers("pichtr_analyst")
    us = client.get(url, params={"role": "us_performer"}, headers=headers).json()
    assert [m["company"]["id"] for m in us["items"]] == [world["us"]]
    client.patch(
        f"/api/v1/solicitations/{world['solicitation']}", json={"status": "closed"}, headers=headers
    )
    closed = client.get(url, params={"include_held_back": True}, headers=headers).json()
    assert closed["items"] == []
    assert {r["code"] for m in closed["held_back"] for r in m["eligibility"]["reasons"]} >= {
        "solicitation_closed"
    }


def test_changes_reach_the_index(client: TestClient, keys: Keys, world: dict) -> None:
    url = f"/api/v1/solicitations/{world['solicitation']}/matches"
    headers = keys.headers("jetro_analyst")
    client.patch(
        f"/api/v1/solicitations/{world['solicitation']}",
        json={"export_control": "none", "foreign_participation": "allowed"},
        headers=keys.headers("pichtr_analyst"),
    )
    ranked = [m["company"]["id"] for m in client.get(url, headers=headers).json()["items"]]
    assert ranked[0] in (world["authorized"], world["unauthorized"])
    assert ranked[-1] == world["bakery"] and world["pending"] not in ranked
    client.patch(f"/api/v1/companies/{world['bakery']}", json={"narrative": GAN}, headers=headers)
    client.delete(f"/api/v1/companies/{world['authorized']}", headers=headers)
    drain()
    items = client.get(url, headers=headers).json()["items"]
    assert [m["company"]["id"] for m in items] == [world["unauthorized"], world["bakery"]] or [
        m["company"]["id"] for m in items
    ] == [world["bakery"], world["unauthorized"]]
    items = [m for m in items if m["company"]["id"] == world["bakery"]]
    assert "GaN" in " ".join(p["capability"] for p in items[0]["explanation"]["passages"])


def test_company_matches(client: TestClient, keys: Keys, world: dict) -> None:
    headers = keys.headers("jetro_viewer")
    other = solicitation_payload(
        notice_id="OTHER-1",
        title="Bakery automation for dining facilities",
        description="Robots that pack pastries.",
        export_control="none",
        foreign_participation="allowed",
        technology_areas=["robotics"],
    )
    post(client, keys, "/api/v1/solicitations", other, "pichtr_analyst")
    drain()
    body = client.get(f"/api/v1/companies/{world['authorized']}/matches", headers=headers).json()
    assert body["items"][0]["solicitation"]["id"] == world["solicitation"]
    unauthorized = client.get(
        f"/api/v1/companies/{world['unauthorized']}/matches",
        params={"include_held_back": True},
        headers=headers,
    ).json()
    assert world["solicitation"] in [m["solicitation"]["id"] for m in unauthorized["held_back"]]
    assert world["solicitation"] not in [m["solicitation"]["id"] for m in unauthorized["items"]]
    bakery = client.get(f"/api/v1/companies/{world['bakery']}/matches", headers=headers).json()
    assert bakery["items"][0]["solicitation"]["notice_id"] == "OTHER-1"
    passage = bakery["items"][0]["explanation"]["passages"][0]
    assert "pastries" in passage["need"].lower() or "bakery" in passage["need"].lower()


def test_teams(client: TestClient, keys: Keys, world: dict) -> None:
    body = client.get(
        f"/api/v1/solicitations/{world['solicitation']}/teams", headers=keys.headers("jetro_viewer")
    ).json()
    assert body["items"], body
    team = body["items"][0]
    assert team["us_performer"]["company"]["id"] == world["us"]
    assert team["jp_partner"]["company"]["id"] == world["authorized"]
    for item in body["items"]:
        assert item["jp_partner"]["company"]["id"] not in (world["pending"], world["unauthorized"])
    assert {c["covered_by"] for c in team["coverage"]} <= {"us", "jp"}
    assert team["coverage"]


def test_errors(client: TestClient, keys: Keys, world: dict) -> None:
    headers = keys.headers("jetro_viewer")
    assert client.get("/api/v1/solicitations/999/matches", headers=headers).status_code == 404
    assert client.get("/api/v1/companies/999/matches", headers=headers).status_code == 404
    assert client.get("/api/v1/solicitations/999/teams", headers=headers).status_code == 404
    url = f"/api/v1/solicitations/{world['solicitation']}/matches"
    assert client.get(url, params={"role": "broker"}, headers=headers).status_code == 422
    assert client.get(url, params={"limit": 0}, headers=headers).status_code == 422
    assert client.get(url).status_code == 401


def _table_counts() -> dict[str, int]:
    from sqlalchemy import func, select

    from app.audit.models import AuditEvent
    from app.companies.models import Company
    from app.db import get_sessionmaker
    from app.embeddings.models import Embedding
    from app.jobs.models import Job

    with get_sessionmaker()() as session:
        counts = {
            model.__tablename__: int(session.scalar(select(func.count()).select_from(model)) or 0)
            for model in (AuditEvent, Embedding, Job)
        }
        counts["versions"] = int(session.scalar(select(func.sum(Company.version))) or 0)
        return counts


def test_a_match_request_writes_nothing_and_counts_what_waits(
    client: TestClient, keys: Keys, world: dict
) -> None:
    """New records wait for the worker: the query side is encoded in memory, candidates
    without a vector are counted, and nothing (vectors, areas, audit rows, jobs) is written."""
    late = company_payload(name="Late GaN Partner KK", narrative=GAN, corporate_number=None)
    late["technology_areas"] = []
    late_id = post(client, keys, "/api/v1/companies", late, "jetro_analyst")["id"]
    vet(client, keys, late_id)
    fresh = post(
        client,
        keys,
        "/api/v1/solicitations",
        solicitation_payload(
            notice_id="FRESH-1", export_control="none", foreign_participation="allowed"
        ),
        "pichtr_analyst",
    )["id"]
    before = _table_counts()
    headers = keys.headers("jetro_viewer")
    body = client.get(f"/api/v1/solicitations/{fresh}/matches", headers=headers).json()
    assert body["pending_embeddings"] == 1 and body["candidates"] == 5
    assert body["items"] and late_id not in [m["company"]["id"] for m in body["items"]]
    assert client.get(f"/api/v1/companies/{late_id}/matches", headers=headers).status_code == 200
    assert client.get(f"/api/v1/solicitations/{fresh}/teams", headers=headers).status_code == 200
    assert _table_counts() == before
    drain()
    body = client.get(f"/api/v1/solicitations/{fresh}/matches", headers=headers).json()
    assert body["pending_embeddings"] == 0 and late_id in [
        m["company"]["id"] for m in body["items"]
    ]
