"""Screening through the API on both backends: list snapshots and their diffs, hits raised on
create and change, the hold and its decisions, and who may do what."""

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.db import session_scope
from app.screening import service
from app.screening.models import ScreeningEntry, ScreeningSnapshot
from tests.conftest import Keys
from tests.factories import us_company_payload
from tests.screening.conftest import (
    API,
    FIXTURES,
    KAWASEMI_ENTRY,
    company,
    load,
    new_company,
    open_hits,
)


def test_load_counts_what_changed_between_snapshots(client: TestClient, keys: Keys) -> None:
    first = load(client, keys, "csl_excerpt.csv")
    assert first.status_code == 201, first.text
    body = first.json()
    assert (body["entry_count"], body["added_count"], body["removed_count"]) == (3, 3, 0)
    assert body["list_name"] == "csl" and body["loaded_by"].startswith("pichtr:")
    again = load(client, keys, "csl_excerpt.csv").json()
    assert (again["added_count"], again["removed_count"], again["changed_count"]) == (0, 0, 0)
    assert again["id"] > body["id"]
    # The next edition: one new entry, one gone, one whose addresses changed.
    nxt = load(client, keys, "csl_next_edition.csv").json()
    assert (nxt["added_count"], nxt["removed_count"], nxt["changed_count"]) == (1, 1, 1)
    meti = load(client, keys, "meti_eul.csv", "meti_eul").json()
    assert (meti["list_name"], meti["added_count"]) == ("meti_eul", 3)
    listed = client.get(f"{API}/screening/snapshots", headers=keys.headers("jetro_viewer")).json()
    assert listed["total"] == 4
    assert [s["id"] for s in listed["items"]] == sorted(
        (s["id"] for s in listed["items"]), reverse=True
    )


def test_a_bad_file_changes_nothing_and_names_the_line(client: TestClient, keys: Keys) -> None:
    good = (FIXTURES / "meti_eul.csv").read_bytes()
    bad = good + b"4,Only Two Fields\n"
    response = client.post(
        f"{API}/screening/lists/meti_eul",
        files={"file": ("eul.csv", bad, "text/csv")},
        headers=keys.headers("pichtr_admin"),
    )
    assert response.status_code == 422
    detail = response.json()["detail"][0]
    assert detail["loc"] == ["body", "file"]
    assert detail["msg"] == "line 5: expected 5 fields, found 2"
    wrong = client.post(
        f"{API}/screening/lists/csl",
        files={"file": ("eul.csv", good, "text/csv")},
        headers=keys.headers("pichtr_admin"),
    )
    assert wrong.status_code == 422
    assert wrong.json()["detail"][0]["msg"].startswith("missing columns: _id, source, type")
    with session_scope() as session:
        assert session.scalar(select(func.count()).select_from(ScreeningSnapshot)) == 0
        assert session.scalar(select(func.count()).select_from(ScreeningEntry)) == 0


def test_a_company_is_held_on_create_and_on_change(client: TestClient, keys: Keys) -> None:
    clean = new_company(client, keys, name="Tsubame Optics K.K.", name_ja=None)
    assert load(client, keys, "csl_excerpt.csv").json()["hits_raised"] == 0
    created = new_company(client, keys)  # Kawasemi Microwave Devices Co., Ltd.
    assert created["screening_status"] == "hold"
    [hit] = open_hits(client, keys, created["id"])
    assert hit["entry_key"] == KAWASEMI_ENTRY
    assert hit["list_name"] == "csl"
    assert "name" in hit["matched_fields"] or "alt_name" in hit["matched_fields"]
    assert hit["entry"]["countries"] == ["JP"]
    assert 0 < hit["score"] <= 1
    assert company(client, keys, clean["id"])["screening_status"] is None
    # A change that leaves names and country alone screens nothing new.
    client.patch(
        f"{API}/companies/{clean['id']}",
        json={"narrative": "Infrared lenses."},
        headers=keys.headers("jetro_analyst"),
    )
    assert open_hits(client, keys, clean["id"]) == []
    renamed = client.patch(
        f"{API}/companies/{clean['id']}",
        json={"name": "Volga Precision Optics JSC", "country": "RU"},
        headers=keys.headers("jetro_analyst"),
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["screening_status"] == "hold"
    assert [h["entry_name"] for h in open_hits(client, keys, clean["id"])] != []


def test_loading_a_list_screens_existing_companies(client: TestClient, keys: Keys) -> None:
    held = new_company(client, keys, name="Hikari Trading Co., Ltd.", country="IR")
    new_company(client, keys, name="Tsubame Optics K.K.", name_ja=None)
    loaded = load(client, keys, "meti_eul.csv", "meti_eul").json()
    assert loaded["hits_raised"] == 1
    [hit] = open_hits(client, keys, held["id"])
    assert hit["list_name"] == "meti_eul"
    assert "country" in hit["matched_fields"]
    with session_scope() as session:
        raised = service.new_hits(session, loaded_at(loaded), far_future())
        assert [h.company_id for h in raised] == [held["id"]]


def loaded_at(snapshot: dict) -> datetime:
    return datetime.fromisoformat(snapshot["loaded_at"]) - timedelta(seconds=1)


def far_future() -> datetime:
    return datetime.now(UTC) + timedelta(days=1)


def test_clear_needs_a_reason_lifts_the_hold_and_holds_across_reloads(
    client: TestClient, keys: Keys
) -> None:
    load(client, keys, "csl_excerpt.csv")
    held = new_company(client, keys)
    [hit] = open_hits(client, keys, held["id"])
    url = f"{API}/screening/hits/{hit['id']}"
    for body in ({}, {"reason": "   "}):
        refused = client.post(f"{url}/clear", json=body, headers=keys.headers("pichtr_analyst"))
        assert refused.status_code == 422
        assert refused.json()["detail"][0]["loc"][-1] == "reason"
    stale = client.post(
        f"{url}/clear",
        json={"reason": "Different company"},
        headers={**keys.headers("pichtr_analyst"), "If-Match": '"7"'},
    )
    assert stale.status_code == 412
    etag = client.get(url, headers=keys.headers("pichtr_viewer")).headers["ETag"]
    cleared = client.post(
        f"{url}/clear",
        json={"reason": "Kawasemi Microwave is a Tokyo firm; the listed one is in Yokohama."},
        headers={**keys.headers("pichtr_analyst"), "If-Match": etag},
    )
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["status"] == "cleared"
    assert cleared.json()["decided_by"].startswith("pichtr:")
    assert company(client, keys, held["id"])["screening_status"] is None
    twice = client.post(
        f"{url}/clear", json={"reason": "x"}, headers=keys.headers("pichtr_analyst")
    )
    assert twice.status_code == 409
    # The same entry in a new snapshot: not raised again.
    assert load(client, keys, "csl_excerpt.csv").json()["hits_raised"] == 0
    assert company(client, keys, held["id"])["screening_status"] is None
    # The list changes the entry: raised again, held again.
    changed = (
        (FIXTURES / "csl_excerpt.csv")
        .read_text()
        .replace("KMD Japan", "KMD Japan; Kawasemi Devices")
    )
    reloaded = client.post(
        f"{API}/screening/lists/csl",
        files={"file": ("csl.csv", changed.encode(), "text/csv")},
        headers=keys.headers("pichtr_admin"),
    ).json()
    assert (reloaded["changed_count"], reloaded["hits_raised"]) == (1, 1)
    assert company(client, keys, held["id"])["screening_status"] == "hold"
    history = client.get(
        f"{API}/companies/{held['id']}/screening", headers=keys.headers("jetro_viewer")
    ).json()
    assert [h["status"] for h in history] == ["open", "cleared"]
    with session_scope() as session:
        actions = session.scalars(
            select(AuditEvent.action).where(AuditEvent.action.like("screening.%"))
        ).all()
    assert sorted(actions) == [
        "screening.clear",
        "screening.load",
        "screening.load",
        "screening.load",
    ]


def test_confirm_blocks_and_suspends_vetting(client: TestClient, keys: Keys) -> None:
    load(client, keys, "csl_excerpt.csv")
    held = new_company(client, keys)
    vetted = client.post(
        f"{API}/companies/{held['id']}/vetting",
        json={"status": "vetted", "evidence": "Site visit."},
        headers=keys.headers("pichtr_analyst"),
    )
    assert vetted.status_code == 201
    [hit] = open_hits(client, keys, held["id"])
    confirmed = client.post(
        f"{API}/screening/hits/{hit['id']}/confirm",
        json={"reason": "Same address in Shin-Yokohama."},
        headers=keys.headers("pichtr_analyst"),
    )
    assert confirmed.status_code == 200, confirmed.text
    after = company(client, keys, held["id"])
    assert after["screening_status"] == "blocked"
    assert after["vetting"]["status"] == "suspended"
    history = client.get(
        f"{API}/companies/{held['id']}/vetting", headers=keys.headers("jetro_viewer")
    ).json()
    assert [d["status"] for d in history] == ["suspended", "vetted"]
    assert KAWASEMI_ENTRY in history[0]["evidence"]
    with session_scope() as session:
        actions = set(
            session.scalars(
                select(AuditEvent.action).where(
                    AuditEvent.entity_type == "company", AuditEvent.entity_id == held["id"]
                )
            )
        )
    assert {"screening.confirm", "vetting.decide"} <= actions


def test_roles_and_organizations(client: TestClient, keys: Keys) -> None:
    assert load(client, keys, "csl_excerpt.csv", key="pichtr_analyst").status_code == 403
    assert load(client, keys, "csl_excerpt.csv", key="jetro_admin").status_code == 403
    assert load(client, keys, "csl_excerpt.csv", "ofac").status_code == 422
    assert load(client, keys, "csl_excerpt.csv").status_code == 201
    held = new_company(client, keys)
    [hit] = open_hits(client, keys, held["id"])
    url = f"{API}/screening/hits/{hit['id']}"
    viewer = client.post(
        f"{url}/clear", json={"reason": "x"}, headers=keys.headers("pichtr_viewer")
    )
    assert viewer.status_code == 403
    # The owner of the company sees and decides its hits; a stranger to it does not.
    assert client.get(url, headers=keys.headers("jetro_viewer")).status_code == 200
    platform_owned = client.post(
        f"{API}/companies",
        json=us_company_payload(name="Volga Precision Optics"),
        headers=keys.headers("pichtr_analyst"),
    ).json()
    [other] = open_hits(client, keys, platform_owned["id"])
    assert (
        client.get(
            f"{API}/screening/hits/{other['id']}", headers=keys.headers("jetro_viewer")
        ).status_code
        == 404
    )
    assert client.get(f"{API}/screening/hits", headers={}).status_code == 401
