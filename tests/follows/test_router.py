"""Follows and change events: an edit, an archive and an import record what changed (and an
import that changes nothing records nothing); a follower sees only what changed while it
followed; the deadline sweep records one `closed` event per passed deadline; another
organization sees none of an organization's follows."""

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from app.cli import cli
from app.db import get_sessionmaker, session_scope
from app.follows import service
from app.follows.models import SolicitationChange
from tests.conftest import Keys
from tests.factories import solicitation_payload

API = "/api/v1"
EPOCH = "2000-01-01T00:00:00Z"
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "imports"


def create(client: TestClient, keys: Keys, **overrides: Any) -> int:
    body = solicitation_payload(response_deadline="2099-01-15T17:00:00Z", **overrides)
    response = client.post(
        f"{API}/solicitations", json=body, headers=keys.headers("pichtr_analyst")
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def changes_count() -> int:
    with get_sessionmaker()() as session:
        return int(session.scalar(select(func.count()).select_from(SolicitationChange)) or 0)


def test_follow_unfollow_and_privacy(client: TestClient, keys: Keys) -> None:
    sol = create(client, keys)
    url = f"{API}/solicitations/{sol}/follow"
    jetro, pichtr = keys.headers("jetro_analyst"), keys.headers("pichtr_analyst")
    first = client.put(url, headers=jetro)
    assert first.status_code == 201, first.text
    assert first.json()["solicitation"]["id"] == sol and first.json()["latest_change"] is None
    assert first.json()["followed_by"].startswith("jetro:")
    assert client.put(url, headers=jetro).status_code == 200  # idempotent
    assert client.get(f"{API}/follows", headers=jetro).json()["total"] == 1
    # PICHTR does not see JETRO's follow, and cannot unfollow it.
    assert client.get(f"{API}/follows", headers=pichtr).json()["total"] == 0
    assert client.delete(url, headers=pichtr).status_code == 404
    assert client.get(f"{API}/follows", headers=jetro).json()["total"] == 1
    for target, key, status in (
        (f"{API}/solicitations/999/follow", "jetro_analyst", 404),
        (url, "jetro_viewer", 403),
    ):
        assert client.put(target, headers=keys.headers(key)).status_code == status
    assert client.put(url).status_code == 401
    assert client.delete(url, headers=jetro).status_code == 204
    assert client.delete(url, headers=jetro).status_code == 404
    assert client.get(f"{API}/follows", headers=jetro).json()["total"] == 0
    archived = create(client, keys, notice_id="GONE-1")
    assert client.delete(f"{API}/solicitations/{archived}", headers=pichtr).status_code == 204
    assert client.put(f"{API}/solicitations/{archived}/follow", headers=jetro).status_code == 404
    events = client.get(
        f"{API}/audit", params={"entity_type": "follow"}, headers=keys.headers("jetro_admin")
    ).json()["items"]
    assert [e["action"] for e in events] == ["follow.delete", "follow.create"]


def test_edits_record_change_events_that_followers_see(client: TestClient, keys: Keys) -> None:
    sol = create(client, keys)
    pichtr, jetro = keys.headers("pichtr_analyst"), keys.headers("jetro_analyst")
    url = f"{API}/solicitations/{sol}"
    assert client.put(f"{url}/follow", headers=pichtr).status_code == 201

    def patch(body: dict[str, Any]) -> None:
        response = client.patch(url, json=body, headers=pichtr)
        assert response.status_code == 200, response.text

    patch({"title": "Rad-hard GaN amplifiers, amended", "export_control": "ear"})
    patch({"title": "Rad-hard GaN amplifiers, amended"})  # nothing changes: no event
    patch({"response_deadline": "2099-02-15T17:00:00Z"})
    assert client.put(f"{url}/follow", headers=jetro).status_code == 201
    patch({"status": "closed"})
    patch({"status": "open", "description": "Now with Q-band."})

    history = client.get(f"{url}/changes", headers=keys.headers("jetro_viewer")).json()
    kinds = [c["kind"] for c in history["items"]]
    # One write's events share its time, newest (last recorded) first.
    assert kinds == ["amended", "reopened", "closed", "deadline_moved", "amended"], kinds
    oldest = history["items"][-1]
    assert oldest["changes"] == {
        "title": {
            "before": "Rad-hard GaN power amplifiers for small-satellite crosslinks",
            "after": "Rad-hard GaN amplifiers, amended",
        },
        "export_control": {"before": "itar", "after": "ear"},
    }
    # The editing organization, never its key.
    assert {c["source"] for c in history["items"]} == {"pichtr"}
    assert history["items"][1]["changes"] == {"status": {"before": "closed", "after": "open"}}
    assert history["items"][0]["changes"] == {
        "description": {
            "before": "Prototype radiation-hardened GaN power amplifiers for Ka-band links.",
            "after": "Now with Q-band.",
        }
    }
    moved = history["items"][3]["changes"]["response_deadline"]
    assert moved["after"].startswith("2099-02-15")

    # Each follower sees what changed while it followed.
    mine = client.get(f"{API}/follows/changes", params={"since": EPOCH}, headers=pichtr).json()
    theirs = client.get(f"{API}/follows/changes", params={"since": EPOCH}, headers=jetro).json()
    assert mine["total"] == 5 and theirs["total"] == 3
    assert [c["kind"] for c in theirs["items"]] == ["amended", "reopened", "closed"]
    assert theirs["items"][0]["solicitation"]["id"] == sol
    later = (datetime.now(UTC) + timedelta(minutes=1)).isoformat()
    window = {"since": EPOCH, "until": later, "limit": 2}
    page = client.get(f"{API}/follows/changes", params=window, headers=pichtr).json()
    assert page["total"] == 5 and len(page["items"]) == 2
    future = client.get(f"{API}/follows/changes", params={"since": later}, headers=pichtr).json()
    assert future["total"] == 0
    for params, field in (({"since": later, "until": EPOCH}, "until"), ({}, "since")):
        bad = client.get(f"{API}/follows/changes", params=params, headers=pichtr)
        assert bad.status_code == 422 and field in bad.text
    listed = client.get(f"{API}/follows", headers=jetro).json()["items"]
    assert listed[0]["latest_change"]["kind"] == "amended"
    with get_sessionmaker()() as session:
        rows = service.changes_for_organization(
            session,
            organization_id=2,
            since=datetime(2000, 1, 1, tzinfo=UTC),
        )
    assert [r.kind.value for r in rows] == ["amended", "reopened", "closed"]
    assert rows[0].source.startswith("pichtr:") and rows[0].notice_id == "W15QKN-27-9-0101"

    # Archived: closed for its followers, and gone from the lists.
    assert client.delete(url, headers=pichtr).status_code == 204
    feed = client.get(f"{API}/follows/changes", params={"since": EPOCH}, headers=jetro).json()
    assert feed["items"][0]["kind"] == "closed"
    assert feed["items"][0]["changes"]["archived"] == {"before": False, "after": True}
    assert client.get(f"{url}/changes", headers=jetro).status_code == 404
    assert client.get(f"{API}/follows", headers=jetro).json()["total"] == 0


def _upload(client: TestClient, keys: Keys, content: bytes) -> dict[str, Any]:
    response = client.post(
        f"{API}/imports",
        files={"file": ("x.csv", content)},
        data={"kind": "solicitations"},
        headers=keys.headers("pichtr_analyst"),
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_imports_record_what_they_change_and_nothing_else(client: TestClient, keys: Keys) -> None:
    source = (FIXTURES / "sam_extract_utf8.csv").read_text(encoding="utf-8")
    _upload(client, keys, source.encode())
    again = _upload(client, keys, source.encode())
    assert again["updated"] == 0 and changes_count() == 0
    rows = list(csv.DictReader(io.StringIO(source)))
    target = rows[0]
    target["Description"] += " Amendment 1 adds a Q-band option."
    target["ResponseDeadLine"] = "2099-03-01"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    summary = _upload(client, keys, out.getvalue().encode())
    assert summary["updated"] == 1
    with get_sessionmaker()() as session:
        changes = list(session.scalars(select(SolicitationChange).order_by(SolicitationChange.id)))
    kinds = {c.kind.value for c in changes}
    # The old deadline had passed: the new one reopens it.
    assert {"deadline_moved", "amended"} <= kinds <= {"deadline_moved", "amended", "reopened"}
    assert {c.source for c in changes} == {f"import:{summary['run_id']}"}
    amended = next(c for c in changes if c.kind.value == "amended")
    assert amended.changes["description"]["after"].endswith("adds a Q-band option.")
    # The same file again: nothing more.
    assert _upload(client, keys, out.getvalue().encode())["updated"] == 0
    assert changes_count() == len(changes)
    history = client.get(
        f"{API}/solicitations/{changes[0].solicitation_id}/changes",
        headers=keys.headers("jetro_viewer"),
    ).json()
    assert history["total"] == len(changes) and history["items"][0]["source"] == "import"


def test_deadline_sweep_is_idempotent(client: TestClient, keys: Keys) -> None:
    pichtr = keys.headers("pichtr_analyst")
    followed = create(client, keys)
    create(client, keys, notice_id="NOT-FOLLOWED")
    assert client.put(f"{API}/solicitations/{followed}/follow", headers=pichtr).status_code == 201
    after = datetime(2099, 1, 16, tzinfo=UTC)
    with session_scope() as session:
        assert service.record_deadline_closures(session, now=after) == 1
    with session_scope() as session:
        assert service.record_deadline_closures(session, now=after) == 0
    feed = client.get(f"{API}/follows/changes", params={"since": EPOCH}, headers=pichtr).json()
    assert [(c["kind"], c["source"]) for c in feed["items"]] == [("closed", "deadline")]
    assert feed["items"][0]["occurred_at"].startswith("2099-01-15T17:00")
    assert changes_count() == 1

    # Through the CLI, on a deadline that really passed; the follower came after it closed.
    past = solicitation_payload(
        notice_id="PAST-1", posted_date="2020-01-01", response_deadline="2020-02-01T17:00:00Z"
    )
    old = client.post(f"{API}/solicitations", json=past, headers=pichtr).json()["id"]
    assert client.put(f"{API}/solicitations/{old}/follow", headers=pichtr).status_code == 201
    runner = CliRunner()
    first = runner.invoke(cli, ["follows", "sweep"])
    assert first.exit_code == 0, first.output
    assert first.stdout.startswith("1 ")
    second = runner.invoke(cli, ["follows", "sweep"])
    assert second.exit_code == 0 and second.stdout.startswith("0 ")
    history = client.get(f"{API}/solicitations/{old}/changes", headers=pichtr).json()["items"]
    assert [c["kind"] for c in history] == ["closed"]
    # A deadline moved (still past) and passed again closes it again, once.
    moved = {"response_deadline": "2020-03-01T17:00:00Z"}
    assert client.patch(f"{API}/solicitations/{old}", json=moved, headers=pichtr).status_code == 200
    assert runner.invoke(cli, ["follows", "sweep"]).stdout.startswith("1 ")
    assert runner.invoke(cli, ["follows", "sweep"]).stdout.startswith("0 ")
    kinds = [
        c["kind"]
        for c in client.get(f"{API}/solicitations/{old}/changes", headers=pichtr).json()["items"]
    ]
    # Newest first by when each happened: a closing is dated at its deadline.
    assert kinds == ["deadline_moved", "closed", "closed"]
