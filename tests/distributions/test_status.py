"""Answers recorded by an analyst, the no-response sweep, and the organization's delay."""

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select, update
from typer.testing import CliRunner

from app.cli import cli
from app.db import session_scope, utcnow
from app.distributions import service
from app.distributions.models import Distribution, DistributionRecipient
from tests.conftest import Keys
from tests.distributions.conftest import API, counts, send


def status_url(distribution: dict, index: int = 0) -> str:
    recipient = distribution["recipients"][index]["id"]
    return f"{API}/distributions/{distribution['id']}/recipients/{recipient}/status"


def test_analyst_transitions_and_history(
    client: TestClient, keys: Keys, scene: dict[str, int]
) -> None:
    sent = send(client, keys, scene["plain"], [scene["us"]]).json()
    url = status_url(sent)
    analyst = keys.headers("pichtr_analyst")
    actor = "pichtr:" + keys.raw["pichtr_analyst"].split("_")[1]
    steps = [
        ({"status": "viewed"}, 200, "viewed"),
        ({"status": "declined"}, 422, "a decline needs a reason"),
        ({"status": "sent"}, 422, "status"),
        ({"status": "interested", "reason": "Call booked for Tuesday"}, 200, "interested"),
        (
            {"status": "viewed"},
            409,
            "cannot become viewed; from interested it may become: declined",
        ),
        ({"status": "no_response"}, 409, "cannot become no_response"),
        ({"status": "interested"}, 409, "cannot become interested"),
        ({"status": "declined", "reason": "Lost the prime"}, 200, "declined"),
    ]
    for body, code, text in steps:
        response = client.post(url, json=body, headers=analyst)
        assert response.status_code == code, (body, response.text)
        assert text in response.text
    assert (
        client.post(
            url, json={"status": "viewed"}, headers=keys.headers("pichtr_viewer")
        ).status_code
        == 403
    )
    read = client.get(url.removesuffix("/status"), headers=keys.headers("pichtr_viewer")).json()
    assert [
        (h["from_status"], h["to_status"], h["reason"], h["actor"]) for h in read["history"]
    ] == [
        (None, "sent", "", actor),
        ("sent", "viewed", "", actor),
        ("viewed", "interested", "Call booked for Tuesday", actor),
        ("interested", "declined", "Lost the prime", actor),
    ]
    assert read["status_reason"] == "Lost the prime" and read["responded_at"]
    audit = client.get(
        f"{API}/audit",
        params={"entity_type": "distribution_recipient"},
        headers=keys.headers("pichtr_admin"),
    ).json()
    assert [e["action"] for e in audit["items"]] == ["status"] * 3


def test_no_response_sweep_is_idempotent_and_follows_each_organizations_delay(
    client: TestClient, keys: Keys, scene: dict[str, int]
) -> None:
    pichtr = send(client, keys, scene["plain"], [scene["us"], scene["authorized"]]).json()
    jetro = send(client, keys, scene["plain"], [scene["us"]], key="jetro_analyst").json()
    # PICHTR's first recipient answered; both were sent 15 days ago, past PICHTR's 14 days.
    client.post(
        status_url(pichtr), json={"status": "interested"}, headers=keys.headers("pichtr_analyst")
    )
    settings = client.patch(
        f"{API}/organizations/me/settings",
        json={"no_response_days": 30},
        headers=keys.headers("jetro_admin"),
    )
    assert settings.status_code == 200 and settings.json()["no_response_days"] == 30
    with session_scope() as session:
        session.execute(update(Distribution).values(created_at=utcnow() - timedelta(days=15)))
    result = CliRunner().invoke(cli, ["distributions", "sweep"])
    assert result.exit_code == 0 and "marked 1 recipient(s) no_response" in result.output
    again = CliRunner().invoke(cli, ["distributions", "sweep"])
    assert again.exit_code == 0 and "marked 0 recipient(s)" in again.output
    read = client.get(
        f"{API}/distributions/{pichtr['id']}", headers=keys.headers("pichtr_viewer")
    ).json()
    assert [r["status"] for r in read["recipients"]] == ["interested", "no_response"]
    last = read["recipients"][1]["history"][-1]
    assert (last["from_status"], last["actor"], last["reason"]) == (
        "sent",
        "system",
        "no answer within 14 days",
    )
    jetro_read = client.get(
        f"{API}/distributions/{jetro['id']}", headers=keys.headers("jetro_viewer")
    ).json()
    assert jetro_read["recipients"][0]["status"] == "sent"
    with session_scope() as session:
        assert service.mark_no_response(session, now=utcnow() + timedelta(days=16)) == 1
        assert service.mark_no_response(session, now=utcnow() + timedelta(days=16)) == 0
        statuses = [r.status.value for r in session.scalars(select(DistributionRecipient))]
    assert sorted(statuses) == ["interested", "no_response", "no_response"]


def test_the_no_response_delay_is_a_setting_with_bounds_an_etag_and_an_audit(
    client: TestClient, keys: Keys
) -> None:
    url = f"{API}/organizations/me/settings"
    admin = keys.headers("jetro_admin")
    first = client.get(url, headers=admin)
    assert first.json()["no_response_days"] == 14
    for bad in (0, 366, None, "7", 1.5):
        response = client.patch(url, json={"no_response_days": bad}, headers=admin)
        assert response.status_code == 422, (bad, response.text)
        assert "no_response_days" in response.text
    before = counts()
    stale = client.patch(url, json={"no_response_days": 7}, headers={**admin, "If-Match": '"99"'})
    assert stale.status_code == 412 and counts() == before
    changed = client.patch(
        url, json={"no_response_days": 7}, headers={**admin, "If-Match": first.headers["ETag"]}
    )
    assert changed.status_code == 200 and changed.json()["no_response_days"] == 7
    assert changed.headers["ETag"] != first.headers["ETag"]
    assert changed.json()["min_fit"] is None
    events = client.get(
        f"{API}/audit", params={"entity_type": "organization"}, headers=admin
    ).json()["items"]
    assert events[0]["changes"] == {"no_response_days": {"before": 14, "after": 7}}
