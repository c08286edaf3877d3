"""The partner's response link: as JSON and as a page, viewed once, answered once, expired,
unknown."""

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from app.audit.models import AuditEvent
from app.db import session_scope, utcnow
from app.distributions.models import DistributionRecipient, RecipientStatusChange
from tests.conftest import Keys
from tests.distributions.conftest import API, counts, send, token_of


def links(client: TestClient, keys: Keys, scene: dict[str, int]) -> tuple[int, list[str]]:
    """Send the ITAR solicitation to the authorized partner and the US performer."""
    body = send(client, keys, scene["solicitation"], [scene["authorized"], scene["us"]]).json()
    return body["id"], [token_of(r["response_url"]) for r in body["recipients"]]


def history(distribution_id: int, client: TestClient, keys: Keys) -> list[list[tuple]]:
    read = client.get(
        f"{API}/distributions/{distribution_id}", headers=keys.headers("pichtr_viewer")
    ).json()
    return [
        [(h["from_status"], h["to_status"], h["actor"]) for h in r["history"]]
        for r in read["recipients"]
    ]


def test_the_link_flow_as_json(client: TestClient, keys: Keys, scene: dict[str, int]) -> None:
    distribution, (jp, us) = links(client, keys, scene)
    first = client.get(f"{API}/responses/{jp}")
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["status"] == "viewed" and body["can_answer"] and body["sender"] == "PICHTR"
    assert "description" not in body["content"]["solicitation"]
    assert body["withheld_reason"].startswith("ITAR-marked")
    again = client.get(f"{API}/responses/{jp}").json()
    assert again["status"] == "viewed"
    assert history(distribution, client, keys)[0] == [
        (None, "sent", "pichtr:" + keys.raw["pichtr_analyst"].split("_")[1]),
        ("sent", "viewed", "partner-link"),
    ]

    refused = client.post(f"{API}/responses/{jp}", json={"status": "declined"})
    assert refused.status_code == 422 and "a decline needs a reason" in refused.text
    answered = client.post(
        f"{API}/responses/{jp}", json={"status": "declined", "reason": "No rad-hard line yet."}
    )
    assert answered.status_code == 200, answered.text
    assert answered.json()["status"] == "declined" and not answered.json()["can_answer"]
    before = counts()
    reused = client.post(f"{API}/responses/{jp}", json={"status": "interested"})
    assert reused.status_code == 409
    assert "already answered on " + utcnow().strftime("%Y-%m-%d") in reused.json()["detail"]
    assert counts() == before

    # Answering straight away (never opened) also counts as viewed.
    assert client.post(f"{API}/responses/{us}", json={"status": "interested"}).status_code == 200
    assert history(distribution, client, keys) == [
        [
            (None, "sent", "pichtr:" + keys.raw["pichtr_analyst"].split("_")[1]),
            ("sent", "viewed", "partner-link"),
            ("viewed", "declined", "partner-link"),
        ],
        [
            (None, "sent", "pichtr:" + keys.raw["pichtr_analyst"].split("_")[1]),
            ("sent", "interested", "partner-link"),
        ],
    ]
    with session_scope() as session:
        recipients = list(session.scalars(select(DistributionRecipient)))
        events = [(e.action, str(e.changes)) for e in session.scalars(select(AuditEvent))]
    assert all(r.viewed_at and r.responded_at and r.token_used_at for r in recipients)
    assert recipients[0].status_reason == "No rad-hard line yet."
    assert ("viewed" in [a for a, _ in events]) and ("respond" in [a for a, _ in events])
    assert not any(token in text for token in (jp, us) for _, text in events)


def test_expired_and_unknown_links(client: TestClient, keys: Keys, scene: dict[str, int]) -> None:
    _distribution, (jp, _us) = links(client, keys, scene)
    with session_scope() as session:
        session.execute(
            update(DistributionRecipient).values(token_expires_at=utcnow() - timedelta(minutes=1))
        )
    before = counts()
    for method in ("GET", "POST"):
        gone = client.request(method, f"{API}/responses/{jp}", json={"status": "interested"})
        assert gone.status_code == 410, gone.text
        assert gone.json()["code"] == "gone" and "expired on" in gone.json()["detail"]
        unknown = client.request(
            method, f"{API}/responses/{jp[:-1]}x", json={"status": "interested"}
        )
        assert unknown.status_code == 404
    page = client.get(f"/respond/{jp}")
    assert page.status_code == 410 and "Link expired" in page.text
    assert client.get("/respond/nope").status_code == 404
    assert counts() == before
    with session_scope() as session:
        assert (
            session.scalar(
                select(RecipientStatusChange).where(RecipientStatusChange.to_status == "viewed")
            )
            is None
        )


def test_the_page_renders_and_answers_without_a_browser(
    client: TestClient, keys: Keys, scene: dict[str, int]
) -> None:
    _distribution, (jp, us) = links(client, keys, scene)
    page = client.get(f"/respond/{us}")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["referrer-policy"] == "no-referrer"
    html = page.text
    assert "Rad-hard GaN power amplifiers for small-satellite crosslinks" in html
    assert "Prototype radiation-hardened GaN power amplifiers" in html  # the US performer
    assert "Worth a look: the deadline is close." in html
    assert 'value="interested"' in html and 'value="declined"' in html and "辞退" in html
    jp_page = client.get(f"/respond/{jp}").text
    assert "Prototype radiation-hardened" not in jp_page and "ITAR-marked" in jp_page

    no_reason = client.post(f"/respond/{us}", data={"status": "declined", "reason": " "})
    assert no_reason.status_code == 422 and "a decline needs a reason" in no_reason.text
    done = client.post(f"/respond/{us}", data={"status": "interested", "reason": ""})
    assert done.status_code == 200 and "Thank you" in done.text
    used = client.post(f"/respond/{us}", data={"status": "declined", "reason": "Changed mind"})
    assert used.status_code == 409 and "Already answered" in used.text
    shown = client.get(f"/respond/{us}")
    assert shown.status_code == 200 and "Answered" in shown.text and "<form" not in shown.text
