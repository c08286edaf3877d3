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

    # Every held-back partner, the weakest fits too (min_fit=0 leaves none out).
    everyone = {"include_held_back": True, "min_fit": 0}
    full = client.get(url, params=everyone, headers=headers).json()
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
    company = client.get(f"/api/v1/companies/{world['authorized']}", headers=headers).json()
    body = client.get(
        f"/api/v1/solicitations/{world['solicitation']}/matches", headers=headers
    ).json()
    explanation = body["items"][0]["explanation"]
    assert explanation["passages"]
    for passage in explanation["passages"]:
        # Each quote names its field and offsets into that field as the API returns it.
        for side, record in (("need", solicitation), ("capability", company)):
            for quote in (passage[side], passage[f"{side}_sentence"]):
                assert set(quote) == {"field", "item", "start", "end", "text"}
                assert record[quote["field"]][quote["start"] : quote["end"]] == quote["text"]
            sentence, window = passage[f"{side}_sentence"], passage[side]
            assert sentence["field"] == window["field"]
            assert window["start"] <= sentence["start"] < sentence["end"] <= window["end"]
    assert explanation["shared_terms"]
    need_text = f"{solicitation['title']} {solicitation['description']}".lower()
    for term in explanation["shared_terms"]:
        assert term.lower() in need_text and term.lower() in company["narrative"].lower()


def test_us_performers_and_closed_solicitations(
    client: TestClient, keys: Keys, world: dict
) -> None:
    url = f"/api/v1/solicitations/{world['solicitation']}/matches"
    headers = keys.headers("pichtr_analyst")
    # A short profile: shown whatever its fit, to check the role filter alone.
    us = client.get(url, params={"role": "us_performer", "min_fit": 0}, headers=headers).json()
    assert [m["company"]["id"] for m in us["items"]] == [world["us"]]
    client.patch(
        f"/api/v1/solicitations/{world['solicitation']}", json={"status": "closed"}, headers=headers
    )
    closed = client.get(
        url, params={"include_held_back": True, "min_fit": 0}, headers=headers
    ).json()
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
    body = client.get(url, headers=headers).json()
    ranked = [m["company"]["id"] for m in body["items"]]
    assert ranked[0] in (world["authorized"], world["unauthorized"])
    # The bakery fits too weakly for the default minimum; it is counted, not listed.
    assert world["bakery"] not in ranked and world["pending"] not in ranked
    assert body["below_min_fit"] == 1
    client.patch(f"/api/v1/companies/{world['bakery']}", json={"narrative": GAN}, headers=headers)
    client.delete(f"/api/v1/companies/{world['authorized']}", headers=headers)
    drain()
    items = client.get(url, headers=headers).json()["items"]
    assert [m["company"]["id"] for m in items] == [world["unauthorized"], world["bakery"]] or [
        m["company"]["id"] for m in items
    ] == [world["bakery"], world["unauthorized"]]
    items = [m for m in items if m["company"]["id"] == world["bakery"]]
    assert "GaN" in " ".join(p["capability"]["text"] for p in items[0]["explanation"]["passages"])


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
    need = passage["need"]["text"].lower()
    assert "pastries" in need or "bakery" in need


def test_one_pair_one_score_whichever_side_asks(
    client: TestClient, keys: Keys, world: dict
) -> None:
    headers = keys.headers("jetro_viewer")
    other = solicitation_payload(
        notice_id="OTHER-2",
        title="Ka-band amplifier test benches",
        description="Test benches for GaN amplifiers at Ka band, with thermal vacuum chambers.",
        export_control="none",
        foreign_participation="allowed",
        technology_areas=["trusted-microelectronics"],
    )
    other_id = post(client, keys, "/api/v1/solicitations", other, "pichtr_analyst")["id"]
    drain()
    by_need = client.get(
        f"/api/v1/solicitations/{other_id}/matches",
        params={"include_held_back": True, "min_fit": 0},
        headers=headers,
    ).json()
    need_side = {m["company"]["id"]: m for m in by_need["items"] + by_need["held_back"]}
    for company in ("authorized", "unauthorized", "bakery"):
        by_partner = client.get(
            f"/api/v1/companies/{world[company]}/matches",
            params={"include_held_back": True, "min_fit": 0},
            headers=headers,
        ).json()
        partner_side = {
            m["solicitation"]["id"]: m for m in by_partner["items"] + by_partner["held_back"]
        }
        pair = partner_side[other_id]
        assert pair["score"] == need_side[world[company]]["score"]
        assert pair["components"] == need_side[world[company]]["components"]


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
    solicitation = client.get(
        f"/api/v1/solicitations/{world['solicitation']}", headers=keys.headers("jetro_viewer")
    ).json()
    # Every need is quoted from its field: the title, then the description's windows.
    assert team["coverage"][0]["need"]["field"] == "title"
    for c in team["coverage"]:
        need = c["need"]
        assert solicitation[need["field"]][need["start"] : need["end"]] == need["text"]


def test_min_fit_leaves_weak_matches_out_and_counts_them(
    client: TestClient, keys: Keys, world: dict
) -> None:
    from matching.calibration import DEFAULT_MIN_FIT

    url = f"/api/v1/solicitations/{world['solicitation']}/matches"
    open_to_all = {"export_control": "none", "foreign_participation": "allowed"}
    patched = client.patch(
        f"/api/v1/solicitations/{world['solicitation']}",
        json=open_to_all,
        headers=keys.headers("pichtr_analyst"),
    )
    assert patched.status_code == 200
    headers = keys.headers("jetro_viewer")
    gan = {world["authorized"], world["unauthorized"]}

    body = client.get(url, params={"include_held_back": True}, headers=headers).json()
    assert (body["min_fit"], body["min_fit_source"]) == (DEFAULT_MIN_FIT, "platform")
    assert {m["company"]["id"] for m in body["items"]} == gan and body["below_min_fit"] == 1
    # The pending partner is a GaN house as well: held back, and above the minimum.
    assert [m["company"]["id"] for m in body["held_back"]] == [world["pending"]]
    assert body["held_back_below_min_fit"] == 0
    fits = [m["fit"] for m in body["items"]]
    assert all(DEFAULT_MIN_FIT <= f <= 1 for f in fits) and fits == sorted(fits, reverse=True)

    everything = client.get(url, params={"min_fit": 0}, headers=headers).json()
    assert [m["company"]["id"] for m in everything["items"]][-1] == world["bakery"]
    assert everything["below_min_fit"] == 0 and everything["min_fit_source"] == "request"
    weakest = everything["items"][-1]
    assert 0 <= weakest["fit"] < DEFAULT_MIN_FIT and weakest["score"] < min(
        m["score"] for m in body["items"]
    )

    nothing = client.get(
        url, params={"min_fit": 1, "include_held_back": True}, headers=headers
    ).json()
    assert nothing["items"] == [] and nothing["held_back"] == []
    assert (nothing["below_min_fit"], nothing["held_back_below_min_fit"]) == (3, 1)
    # Every candidate below the minimum is counted, not only those the limit would show.
    one = client.get(url, params={"min_fit": 1, "limit": 1}, headers=headers).json()
    assert one["below_min_fit"] == 3

    # An organization's own minimum applies to its keys only; a request overrides it.
    setting = client.patch(
        "/api/v1/organizations/me/settings",
        json={"min_fit": 0.0},
        headers=keys.headers("jetro_admin"),
    )
    assert setting.status_code == 200, setting.text
    jetro = client.get(url, headers=headers).json()
    assert (jetro["min_fit"], jetro["min_fit_source"]) == (0.0, "organization")
    assert world["bakery"] in [m["company"]["id"] for m in jetro["items"]]
    pichtr = client.get(url, headers=keys.headers("pichtr_viewer")).json()
    assert pichtr["min_fit_source"] == "platform" and pichtr["below_min_fit"] == 1
    strict = client.get(url, params={"min_fit": 0.5}, headers=headers).json()
    assert strict["min_fit_source"] == "request"
    assert all(m["fit"] >= 0.5 for m in strict["items"])

    # The reverse direction: the bakery solicitation is a weak fit for a GaN house.
    bakery_need = solicitation_payload(
        notice_id="BAKERY-1",
        title="Bakery automation for dining facilities",
        description="Robots that pack pastries and grade crust colour.",
        export_control="none",
        foreign_participation="allowed",
        technology_areas=["robotics"],
    )
    post(client, keys, "/api/v1/solicitations", bakery_need, "pichtr_analyst")
    drain()
    company_url = f"/api/v1/companies/{world['authorized']}/matches"
    pichtr_headers = keys.headers("pichtr_viewer")
    reverse = client.get(company_url, headers=pichtr_headers).json()
    assert [m["solicitation"]["id"] for m in reverse["items"]] == [world["solicitation"]]
    assert reverse["below_min_fit"] == 1 and reverse["min_fit_source"] == "platform"
    assert reverse["items"][0]["fit"] >= DEFAULT_MIN_FIT
    all_needs = client.get(company_url, params={"min_fit": 0}, headers=pichtr_headers).json()
    assert [m["solicitation"]["notice_id"] for m in all_needs["items"]][-1] == "BAKERY-1"


def test_teams_leave_out_members_below_the_minimum(
    client: TestClient, keys: Keys, world: dict
) -> None:
    url = f"/api/v1/solicitations/{world['solicitation']}/teams"
    headers = keys.headers("jetro_viewer")
    body = client.get(url, headers=headers).json()
    assert body["min_fit_source"] == "platform" and body["items"]
    for team in body["items"]:
        for member in (team["us_performer"], team["jp_partner"]):
            assert body["min_fit"] <= member["fit"] <= 1
    none = client.get(url, params={"min_fit": 1}, headers=headers).json()
    # The eligible pools: the US performer and the authorized partner.
    assert none["items"] == [] and none["below_min_fit"] == 2


def test_errors(client: TestClient, keys: Keys, world: dict) -> None:
    headers = keys.headers("jetro_viewer")
    assert client.get("/api/v1/solicitations/999/matches", headers=headers).status_code == 404
    assert client.get("/api/v1/companies/999/matches", headers=headers).status_code == 404
    assert client.get("/api/v1/solicitations/999/teams", headers=headers).status_code == 404
    url = f"/api/v1/solicitations/{world['solicitation']}/matches"
    assert client.get(url, params={"role": "broker"}, headers=headers).status_code == 422
    assert client.get(url, params={"limit": 0}, headers=headers).status_code == 422
    teams = f"/api/v1/solicitations/{world['solicitation']}/teams"
    for target in (url, f"/api/v1/companies/{world['authorized']}/matches", teams):
        for bad in ("-0.1", "1.5", "nan", "inf", "high"):
            response = client.get(target, params={"min_fit": bad}, headers=headers)
            assert response.status_code == 422, (target, bad, response.text)
            assert "min_fit" in response.text
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
