"""The match index kept current change by change: a PATCH, an archive or a vetting decision
reaches the next request through an update in place (the rebuild counter stays put), API
processes share one saved index under the cache directory, and a damaged saved index is
ignored and rebuilt."""

import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from app.companies.models import Company
from app.db import get_read_sessionmaker, session_scope, utcnow
from app.jobs.worker import drain
from app.matches.index import RankerState, ReadWriteLock, get_ranker
from matching.store import current_version, mapped_file
from tests.conftest import Keys
from tests.matches.conftest import GAN, vet


def _open_to_all(client: TestClient, keys: Keys, world: dict) -> str:
    """Make the solicitation one every vetted partner may receive; return its match URL."""
    client.patch(
        f"/api/v1/solicitations/{world['solicitation']}",
        json={"export_control": "none", "foreign_participation": "allowed"},
        headers=keys.headers("pichtr_analyst"),
    )
    return f"/api/v1/solicitations/{world['solicitation']}/matches"


def _matches(client: TestClient, keys: Keys, url: str) -> dict[str, Any]:
    # Every candidate, however weak its fit: these tests follow one record through the index.
    response = client.get(
        url, params={"include_held_back": True, "min_fit": 0}, headers=keys.headers("jetro_viewer")
    )
    assert response.status_code == 200, response.text
    return response.json()


def _ids(items: list[dict[str, Any]]) -> list[int]:
    return [m["company"]["id"] for m in items]


def test_a_patch_updates_the_index_in_place(client: TestClient, keys: Keys, world: dict) -> None:
    ranker = get_ranker()
    url = _open_to_all(client, keys, world)
    before = _matches(client, keys, url)
    assert _ids(before["items"])[-1] == world["bakery"]
    builds, updates = ranker.builds["company"], ranker.updates["company"]
    client.patch(
        f"/api/v1/companies/{world['bakery']}",
        json={"narrative": GAN},
        headers=keys.headers("jetro_analyst"),
    )
    drain()  # the worker stores the new vector
    after = _matches(client, keys, url)
    bakery = next(m for m in after["items"] if m["company"]["id"] == world["bakery"])
    assert bakery["score"] > next(
        m["score"] for m in before["items"] if m["company"]["id"] == world["bakery"]
    )
    assert "GaN" in " ".join(p["capability"]["text"] for p in bakery["explanation"]["passages"])
    # The shared terms come from the new text too ("GaN" itself is in most profiles now).
    assert "amplifiers" in bakery["explanation"]["shared_terms"]
    assert ranker.builds["company"] == builds
    assert ranker.updates["company"] > updates


def test_an_archived_company_disappears_at_once(
    client: TestClient, keys: Keys, world: dict
) -> None:
    ranker = get_ranker()
    url = _open_to_all(client, keys, world)
    before = _matches(client, keys, url)
    assert world["authorized"] in _ids(before["items"])
    builds = ranker.builds["company"]
    response = client.delete(
        f"/api/v1/companies/{world['authorized']}", headers=keys.headers("jetro_analyst")
    )
    assert response.status_code == 204
    after = _matches(client, keys, url)
    assert world["authorized"] not in _ids(after["items"]) + _ids(after["held_back"])
    assert after["candidates"] == before["candidates"] - 1
    assert ranker.builds["company"] == builds


def test_a_vetting_decision_reaches_eligibility_at_once(
    client: TestClient, keys: Keys, world: dict
) -> None:
    url = _open_to_all(client, keys, world)
    assert world["bakery"] in _ids(_matches(client, keys, url)["items"])
    vet(client, keys, world["bakery"], "suspended")
    after = _matches(client, keys, url)
    assert world["bakery"] not in _ids(after["items"])
    held = next(m for m in after["held_back"] if m["company"]["id"] == world["bakery"])
    assert held["eligibility"]["status"] == "ineligible"


def test_a_change_stamped_in_the_past_is_still_found(
    client: TestClient, keys: Keys, world: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A transaction that stamped its change before others that committed first falls outside
    the window of recent changes a sync re-reads; the exact signature still sees it."""
    monkeypatch.setattr("app.matches.index.CHANGE_MARGIN_US", 0)
    ranker = get_ranker()
    url = _open_to_all(client, keys, world)
    assert world["bakery"] in _ids(_matches(client, keys, url)["items"])
    builds, updates = ranker.builds["company"], ranker.updates["company"]
    with session_scope() as session:
        bakery = session.get(Company, world["bakery"])
        assert bakery is not None
        stamped = bakery.updated_at + timedelta(microseconds=1)
        session.execute(
            update(Company)
            .where(Company.id == world["bakery"])
            .values(archived_at=utcnow(), version=Company.version + 1, updated_at=stamped)
            .execution_options(synchronize_session=False)
        )
    after = _matches(client, keys, url)
    assert world["bakery"] not in _ids(after["items"]) + _ids(after["held_back"])
    assert ranker.builds["company"] == builds
    assert ranker.updates["company"] == updates + 1


def _read_ids(ranker: RankerState) -> tuple[list[str], Any]:
    with get_read_sessionmaker()() as session, ranker.read(session, entity="company") as view:
        return sorted(view.index.ids_), view


def test_two_workers_share_one_saved_index(
    client: TestClient, keys: Keys, world: dict, tmp_path: Path
) -> None:
    cache = tmp_path / "shared"
    first, second = RankerState(cache_dir=cache), RankerState(cache_dir=cache)
    ids_first, view_first = _read_ids(first)
    ids_second, view_second = _read_ids(second)
    assert ids_first == ids_second and len(ids_first) == 5
    assert (first.builds["company"], first.loads["company"]) == (1, 1)
    assert (second.builds["company"], second.loads["company"]) == (0, 1)
    with get_read_sessionmaker()() as session:
        root = first.index_root(session, entity="company")
    assert root == second.index_root(session, entity="company")
    assert len(list(root.glob("v*"))) == 1 and current_version(root) is not None
    pooled = root / str(current_version(root)) / "store.pooled.npy"
    for view in (view_first, view_second):
        assert mapped_file(view.index.store_.a["pooled"]) == str(pooled)

    client.patch(
        f"/api/v1/companies/{world['bakery']}",
        json={"narrative": GAN},
        headers=keys.headers("jetro_analyst"),
    )
    drain()
    for ranker in (first, second):
        with get_read_sessionmaker()() as session, ranker.read(session, entity="company") as view:
            assert "GaN" in view.index.profile(str(world["bakery"])).text
        assert ranker.updates["company"] == 1
    assert first.builds["company"] == 1 and second.builds["company"] == 0


@pytest.mark.parametrize("damage", ["half-written", "corrupt"])
def test_a_damaged_saved_index_is_ignored_and_rebuilt(
    client: TestClient, keys: Keys, world: dict, tmp_path: Path, damage: str
) -> None:
    cache = tmp_path / "damaged"
    ids, _ = _read_ids(RankerState(cache_dir=cache))
    with get_read_sessionmaker()() as session:
        root = RankerState(cache_dir=cache).index_root(session, entity="company")
    damaged = current_version(root)
    assert damaged is not None
    target = root / damaged / "store.units.npy"
    data = target.read_bytes()
    if damage == "half-written":
        target.write_bytes(data[: len(data) // 2])
    else:
        target.write_bytes(data[:-64] + bytes(b ^ 0xFF for b in data[-64:]))
    fresh = RankerState(cache_dir=cache)
    again, view = _read_ids(fresh)
    assert again == ids
    assert fresh.builds["company"] == 1
    assert current_version(root) not in (None, damaged)
    assert mapped_file(view.index.store_.a["units"]) is not None


def test_a_large_index_is_built_in_a_child_process(
    client: TestClient, keys: Keys, world: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.config import get_settings

    monkeypatch.setenv("KAKEHASHI_INDEX_BUILD_CHILD_FROM", "0")
    get_settings.cache_clear()
    ranker = RankerState(cache_dir=tmp_path / "child")
    ids, view = _read_ids(ranker)
    assert len(ids) == 5
    assert (ranker.builds["company"], ranker.loads["company"]) == (1, 1)
    assert mapped_file(view.index.store_.a["pooled"]) is not None


def test_an_update_waits_for_readers_and_goes_before_later_ones() -> None:
    """Requests rank while holding the index; an update in place waits for them, and requests
    that come while it waits read the updated index."""
    lock = ReadWriteLock()
    order: list[str] = []
    inside, leave = threading.Event(), threading.Event()

    def first_reader() -> None:
        with lock.read():
            order.append("first reader in")
            inside.set()
            leave.wait()
            order.append("first reader out")

    def writer() -> None:
        with lock.write():
            order.append("update")

    def later_reader() -> None:
        with lock.read():
            order.append("later reader")

    threads = [threading.Thread(target=first_reader)]
    threads[0].start()
    inside.wait()
    threads.append(threading.Thread(target=writer))
    threads[1].start()
    while not lock.writers_waiting():
        threading.Event().wait(0.001)
    threads.append(threading.Thread(target=later_reader))
    threads[2].start()
    leave.set()
    for thread in threads:
        thread.join()
    assert order == ["first reader in", "first reader out", "update", "later reader"]


def test_enough_changes_refit_the_index_in_the_background(
    client: TestClient, keys: Keys, world: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Updates keep the fitted vocabulary; once enough records changed, the index is rebuilt
    and published in the background, and the next request switches to it."""
    monkeypatch.setattr("app.matches.index.refit_after", lambda n: 0)
    ranker = get_ranker()
    url = _open_to_all(client, keys, world)
    _matches(client, keys, url)
    builds, loads = ranker.builds["company"], ranker.loads["company"]
    client.patch(
        f"/api/v1/companies/{world['bakery']}",
        json={"narrative": GAN},
        headers=keys.headers("jetro_analyst"),
    )
    drain()
    updated = _matches(client, keys, url)
    ranker.wait_for_refits()
    assert ranker.builds["company"] == builds + 1
    refitted = _matches(client, keys, url)
    assert ranker.loads["company"] == loads + 1
    assert sorted(_ids(refitted["items"])) == sorted(_ids(updated["items"]))
    bakery = next(m for m in refitted["items"] if m["company"]["id"] == world["bakery"])
    # "GaN" is in most profiles now, so it is no shared term; the quotes still show it.
    assert "GaN" in " ".join(p["capability"]["text"] for p in bakery["explanation"]["passages"])


def test_the_first_partner_joins_an_index_that_had_none(client: TestClient, keys: Keys) -> None:
    from tests.factories import company_payload, solicitation_payload

    analyst = keys.headers("pichtr_analyst")
    need = client.post(
        "/api/v1/solicitations",
        json={
            **solicitation_payload(),
            "export_control": "none",
            "foreign_participation": "allowed",
        },
        headers=analyst,
    ).json()
    drain()
    url = f"/api/v1/solicitations/{need['id']}/matches"
    assert _matches(client, keys, url)["items"] == []  # read while no company exists
    partner = client.post(
        "/api/v1/companies",
        json=company_payload(name="First Partner KK", narrative=GAN, corporate_number=None),
        headers=analyst,
    ).json()
    client.post(
        f"/api/v1/companies/{partner['id']}/vetting",
        json={"status": "vetted", "evidence": "Site visit."},
        headers=analyst,
    )
    drain()
    assert _ids(_matches(client, keys, url)["items"]) == [partner["id"]]
