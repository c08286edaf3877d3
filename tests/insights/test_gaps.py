"""Capability gaps on a world whose gaps are known in advance, through the public API: an area
with needs and no partner, an area one authorization unlocks, a half-covered solicitation;
the filters, the CSV, and what a Japan-side organization may read."""

import csv
import io

from fastapi.testclient import TestClient

from tests.conftest import Keys
from tests.insights.conftest import API, CLOCK_NEED, PASTRY_NEED, authorize

GAPS = f"{API}/insights/gaps"


def areas(client: TestClient, keys: Keys, key: str = "pichtr_viewer", **params: object) -> dict:
    response = client.get(GAPS, params=params, headers=keys.headers(key))
    assert response.status_code == 200, response.text
    return {a["area"]: a for a in response.json()["areas"]}


def test_an_area_with_needs_and_no_partner_is_uncovered(
    client: TestClient, keys: Keys, world: dict[str, int]
) -> None:
    quantum = areas(client, keys)["quantum"]
    assert quantum["open_solicitations"] == 1
    assert (quantum["vetted_partners"], quantum["eligible_partners"]) == (0, 0)
    assert quantum["uncovered_share"] == 1.0 and quantum["authorization_locked_share"] == 0.0
    assert [s["id"] for s in quantum["uncovered_solicitations"]["items"]] == [world["clock"]]
    assert quantum["unlocks"] == []
    # An area with neither needs nor partners has no shares at all.
    cyber = areas(client, keys)["cyber"]
    assert cyber["open_solicitations"] == 0 and cyber["uncovered_share"] is None


def test_an_area_one_authorization_unlocks(
    client: TestClient, keys: Keys, world: dict[str, int]
) -> None:
    space = areas(client, keys)["space"]
    assert space["open_solicitations"] == 1 and space["vetted_partners"] == 1
    # Vetted, but not eligible for the ITAR need: held back only for want of an authorization.
    assert space["eligible_partners"] == 0
    assert space["uncovered_share"] == 1.0 and space["authorization_locked_share"] == 1.0
    (unlock,) = space["unlocks"]
    assert unlock["company"]["id"] == world["gan"]
    assert [s["id"] for s in unlock["solicitations"]["items"]] == [world["itar"]]
    body = client.get(GAPS, headers=keys.headers("pichtr_viewer")).json()
    assert body["authorization_requests"][0]["company"]["id"] == world["gan"]

    authorize(client, keys, world["gan"], world["itar"])
    space = areas(client, keys)["space"]
    assert space["uncovered_share"] == 0.0 and space["authorization_locked_share"] == 0.0
    assert space["eligible_partners"] == 1 and space["median_best_fit"] is not None


def test_a_covered_area_names_its_partners(
    client: TestClient, keys: Keys, world: dict[str, int]
) -> None:
    robotics = areas(client, keys)["robotics"]
    assert robotics["uncovered_share"] == 0.0
    assert [c["id"] for c in robotics["eligible"]["items"]] == [world["bakery"]]
    assert robotics["median_best_score"] is not None


def test_a_half_covered_solicitation_shows_what_is_missing(
    client: TestClient, keys: Keys, world: dict[str, int]
) -> None:
    url = f"{GAPS}/solicitations/{world['half']}"
    response = client.get(url, headers=keys.headers("pichtr_viewer"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["covered"] and not body["authorization_locked"]
    assert body["best_eligible"][0]["company"]["id"] == world["bakery"]
    by_text = {s["text"]: s for s in body["sentences"]}
    pastry, clock = by_text[PASTRY_NEED], by_text[CLOCK_NEED]
    assert pastry["covered"] and pastry["best_partner"]["id"] == world["bakery"]
    assert pastry["field"] == "description"
    assert not clock["covered"] and clock["best_similarity"] < body["similarity_threshold"]
    # The nearest partners of the missing need, with where each stands.
    assert {n["company"]["id"] for n in clock["nearest"]} == {world["gan"], world["bakery"]}
    assert all(n["status"] == "eligible" for n in clock["nearest"])
    assert body["uncovered_sentences"] >= 1 and 0 < body["covered_sentence_share"] < 1

    # The ITAR need: nobody eligible; its partner held back, named with the reason.
    locked = client.get(
        f"{GAPS}/solicitations/{world['itar']}", headers=keys.headers("pichtr_viewer")
    ).json()
    assert not locked["covered"] and locked["authorization_locked"]
    (held,) = locked["unlocking"]
    assert held["company"]["id"] == world["gan"] and held["status"] == "needs_authorization"
    assert "authorization_required" in {r["code"] for r in held["reasons"]}
    assert all(s["best_partner"] is None for s in locked["sentences"])
    assert any(s["nearest"][0]["company"]["id"] == world["gan"] for s in locked["sentences"])


def test_a_japan_side_organization_reads_only_the_title_of_a_controlled_need(
    client: TestClient, keys: Keys, world: dict[str, int]
) -> None:
    body = client.get(
        f"{GAPS}/solicitations/{world['itar']}", headers=keys.headers("jetro_viewer")
    ).json()
    assert body["withheld_reason"].startswith("ITAR-marked")
    assert {s["field"] for s in body["sentences"]} == {"title"}
    assert "100 krad" not in str(body)


def test_filters_and_the_minimum(client: TestClient, keys: Keys, world: dict[str, int]) -> None:
    assert list(areas(client, keys, technology_area="quantum")) == ["quantum"]
    navy = areas(client, keys, agency="navy")
    assert navy["quantum"]["open_solicitations"] == 1 and navy["space"]["open_solicitations"] == 0
    # A minimum of 0: any eligible partner covers the quantum need.
    assert areas(client, keys, min_fit=0)["quantum"]["uncovered_share"] == 0.0
    response = client.get(
        GAPS, params={"technology_area": "warp-drives"}, headers=keys.headers("pichtr_viewer")
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "technology_area"]
    response = client.get(GAPS, params={"min_fit": 2}, headers=keys.headers("pichtr_viewer"))
    assert response.status_code == 422


def test_csv_has_one_row_per_area(client: TestClient, keys: Keys, world: dict[str, int]) -> None:
    response = client.get(
        f"{GAPS}.csv", params={"technology_area": "space"}, headers=keys.headers("jetro_viewer")
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [r["area"] for r in rows] == ["space"]
    assert rows[0]["label_ja"] == "宇宙" and rows[0]["uncovered_share"] == "1.0"
    assert rows[0]["authorization_locked_solicitation_ids"] == str(world["itar"])
    everything = client.get(f"{GAPS}.csv", headers=keys.headers("jetro_viewer")).text
    assert len(everything.strip().splitlines()) == 1 + 14  # header and every area
