"""Sending a solicitation: the export-control gate, every refusal (nothing written), and
what each recipient gets."""

from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.db import session_scope
from app.distributions.links import hash_token
from app.distributions.models import DistributionRecipient
from tests.conftest import Keys
from tests.distributions.conftest import API, counts, post, send, token_of
from tests.factories import company_payload, solicitation_payload


def test_the_gate_refuses_the_whole_distribution_with_every_reason(
    client: TestClient, keys: Keys, scene: dict[str, int]
) -> None:
    before = counts()
    everyone = [scene[k] for k in ("authorized", "us", "pending", "unauthorized")]
    response = send(client, keys, scene["solicitation"], everyone)
    assert response.status_code == 409, response.text
    body = response.json()
    assert body["code"] == "held_back" and "nothing was sent" in body["detail"]
    held = {c["company_id"]: c for c in body["companies"]}
    assert set(held) == {scene["pending"], scene["unauthorized"]}
    pending = {r["code"] for r in held[scene["pending"]]["reasons"]}
    assert {"vetting_pending", "authorization_required"} <= pending
    assert [r["code"] for r in held[scene["unauthorized"]]["reasons"]] == ["authorization_required"]
    assert all(r["message"] for c in body["companies"] for r in c["reasons"])
    assert held[scene["pending"]]["name"] == "Ginga Amplifier KK"
    assert counts() == before


def test_foreign_participation_prohibited_holds_back_even_the_authorized(
    client: TestClient, keys: Keys, scene: dict[str, int]
) -> None:
    prohibited = post(
        client,
        keys,
        "/solicitations",
        solicitation_payload(notice_id="W15QKN-27-9-0300", foreign_participation="prohibited"),
        "pichtr_analyst",
    )["id"]
    response = send(client, keys, prohibited, [scene["us"], scene["authorized"]])
    assert response.status_code == 409
    (company,) = response.json()["companies"]
    assert company["company_id"] == scene["authorized"]
    assert "foreign_participation_prohibited" in {r["code"] for r in company["reasons"]}


def test_an_itar_solicitation_sends_public_fields_only_to_a_japanese_partner(
    client: TestClient, keys: Keys, scene: dict[str, int]
) -> None:
    response = send(client, keys, scene["solicitation"], [scene["authorized"], scene["us"]])
    assert response.status_code == 201, response.text
    body = response.json()
    by_company = {r["company"]["id"]: r for r in body["recipients"]}
    jp, us = by_company[scene["authorized"]], by_company[scene["us"]]
    assert "description" not in jp["content"]["solicitation"]
    assert jp["withheld_reason"].startswith("ITAR-marked: only public fields go to a foreign")
    public = jp["content"]["solicitation"]
    assert public["title"] == "Rad-hard GaN power amplifiers for small-satellite crosslinks"
    assert public["agency"] == "DEPT OF DEFENSE"
    assert public["technology_areas"] == ["space", "trusted-microelectronics"]
    assert public["response_deadline"].startswith("2027-01-15T17:00:00")
    assert public["link"] == "https://sam.gov/opp/W15QKN-27-9-0101/view"
    assert public["solicitation_number"] == "FA8750-27-S-0101"
    assert us["withheld_reason"] is None
    assert us["content"]["solicitation"]["description"].startswith("Prototype radiation-hardened")
    for recipient in (jp, us):
        assert recipient["status"] == "sent"
        assert [(h["from_status"], h["to_status"]) for h in recipient["history"]] == [
            (None, "sent")
        ]
        assert recipient["content"]["message"] == "Worth a look: the deadline is close."
    # Read back: the reason shows on every read.
    read = client.get(
        f"{API}/distributions/{body['id']}", headers=keys.headers("pichtr_viewer")
    ).json()
    assert [r["withheld_reason"] for r in read["recipients"]] == [
        r["withheld_reason"] for r in body["recipients"]
    ]
    assert all("response_url" not in r for r in read["recipients"])


@pytest.mark.parametrize("marking", ["ear", "cui"])
def test_ear_and_cui_also_withhold_the_description_from_a_foreign_partner(
    client: TestClient, keys: Keys, scene: dict[str, int], marking: str
) -> None:
    sol = post(
        client,
        keys,
        "/solicitations",
        solicitation_payload(
            notice_id=f"W15QKN-27-9-{marking}",
            export_control=marking,
            foreign_participation="allowed",
        ),
        "pichtr_analyst",
    )["id"]
    post(
        client,
        keys,
        "/export-authorizations",
        {
            "company_id": scene["unauthorized"],
            "solicitation_id": sol,
            "authority": "bis",
            "reference": "D123456",
            "valid_from": "2026-01-01",
        },
        "pichtr_analyst",
    )
    body = send(client, keys, sol, [scene["unauthorized"], scene["us"]]).json()
    jp, us = body["recipients"]
    assert "description" not in jp["content"]["solicitation"]
    assert jp["withheld_reason"].startswith(f"{marking.upper()}-marked")
    assert us["content"]["solicitation"]["description"]


def test_an_unmarked_solicitation_sends_everything_to_everyone(
    client: TestClient, keys: Keys, scene: dict[str, int]
) -> None:
    body = send(client, keys, scene["plain"], [scene["unauthorized"], scene["us"]]).json()
    for recipient in body["recipients"]:
        assert recipient["withheld_reason"] is None
        assert recipient["content"]["solicitation"]["description"].startswith("Directed energy")


def test_email_records_the_addresses_for_the_outbox_and_links_are_hashed(
    client: TestClient, keys: Keys, scene: dict[str, int]
) -> None:
    response = send(
        client, keys, scene["plain"], [scene["authorized"], scene["us"]], channel="email"
    )
    assert response.status_code == 201, response.text
    body = response.json()
    deliveries = [r["content"]["delivery"] for r in body["recipients"]]
    assert deliveries == [
        {"channel": "email", "to": ["a.tanaka@example.jp"], "sent": False},
        {"channel": "email", "to": ["bd@kestrel.example.com"], "sent": False},
    ]
    urls = [r["response_url"] for r in body["recipients"]]
    assert all(u.startswith("http://testserver/respond/") for u in urls)
    tokens = [token_of(u) for u in urls]
    assert len(set(tokens)) == 2 and all(len(t) >= 43 for t in tokens)
    with session_scope() as session:
        stored = {r.token_hash for r in session.scalars(select(DistributionRecipient))}
        events = [e.changes for e in session.scalars(select(AuditEvent))]
    assert stored == {hash_token(t) for t in tokens}
    assert not any(t in str(events) for t in tokens)
    sent = datetime.fromisoformat(body["created_at"])
    expires = datetime.fromisoformat(body["recipients"][0]["link_expires_at"])
    assert expires - sent == timedelta(days=30)


def bad(
    client: TestClient, keys: Keys, url: str, body: dict[str, Any], key: str = "pichtr_analyst"
) -> httpx.Response:
    return client.post(f"{API}{url}", json=body, headers=keys.headers(key))


def test_every_bad_input_is_a_clear_4xx_and_writes_nothing(
    client: TestClient, keys: Keys, scene: dict[str, int]
) -> None:
    sol = scene["plain"]
    ok = {"company_ids": [scene["us"]], "channel": "manual", "message": "Hi"}
    archived_company = post(
        client,
        keys,
        "/companies",
        company_payload(name="Gone KK", corporate_number=None),
        "jetro_analyst",
    )["id"]
    client.delete(f"{API}/companies/{archived_company}", headers=keys.headers("jetro_admin"))
    archived_sol = post(
        client,
        keys,
        "/solicitations",
        solicitation_payload(notice_id="ARCHIVED-1"),
        "pichtr_analyst",
    )["id"]
    client.delete(f"{API}/solicitations/{archived_sol}", headers=keys.headers("pichtr_admin"))
    closed = post(
        client,
        keys,
        "/solicitations",
        solicitation_payload(notice_id="CLOSED-1", status="closed"),
        "pichtr_analyst",
    )["id"]
    lapsed = post(
        client,
        keys,
        "/solicitations",
        solicitation_payload(
            notice_id="LAPSED-1", posted_date="2026-09-01", response_deadline="2026-10-01"
        ),
        "pichtr_analyst",
    )["id"]
    before = counts()
    cases = [
        (f"/solicitations/{999_999}/distributions", ok, 404, "no solicitation with id 999999"),
        (f"/solicitations/{archived_sol}/distributions", ok, 404, "no solicitation"),
        (f"/solicitations/{closed}/distributions", ok, 409, "is not open (it is closed)"),
        (f"/solicitations/{lapsed}/distributions", ok, 409, "response deadline 2026-10-01"),
        (
            f"/solicitations/{sol}/distributions",
            {**ok, "company_ids": [scene["us"], 999_998, archived_company]},
            422,
            f"unknown or archived company ids: 999998, {archived_company}",
        ),
        (
            f"/solicitations/{sol}/distributions",
            {**ok, "company_ids": [scene["us"], scene["pending"], scene["us"], scene["pending"]]},
            422,
            "duplicate company ids: "
            + ", ".join(map(str, sorted([scene["us"], scene["pending"]]))),
        ),
        (
            f"/solicitations/{sol}/distributions",
            {**ok, "channel": "email", "company_ids": [scene["us"], scene["us_no_email"]]},
            422,
            f"none on record for {scene['us_no_email']} (Quiet Works LLC)",
        ),
        (f"/solicitations/{sol}/distributions", {**ok, "company_ids": []}, 422, "at least 1"),
        (
            f"/solicitations/{sol}/distributions",
            {**ok, "company_ids": list(range(1, 202))},
            422,
            "at most 200",
        ),
        (f"/solicitations/{sol}/distributions", {**ok, "channel": "fax"}, 422, "channel"),
        (f"/solicitations/{sol}/distributions", {**ok, "extra": 1}, 422, "extra"),
    ]
    for url, body, status, text in cases:
        response = bad(client, keys, url, body)
        assert response.status_code == status, (body, response.text)
        assert text in response.text, (text, response.text)
    refused = bad(client, keys, f"/solicitations/{sol}/distributions", ok, key="pichtr_viewer")
    assert refused.status_code == 403
    assert counts() == before
