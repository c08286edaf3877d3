"""A screening hold reaches every gate at once: the match list holds the partner back with
`screening_hold`, a distribution to it is refused with that reason, and clearing the hit
lifts both (the real model ranks; the match index is built before the hold)."""

from fastapi.testclient import TestClient

from tests.conftest import Keys
from tests.distributions.conftest import send
from tests.matches.conftest import world  # noqa: F401  (the fixture)
from tests.screening.conftest import API, open_hits

EUL = (
    "no,company_name,aliases,country,type_of_concern\n"
    '1,Aoi GaN Devices Kabushiki Kaisha,Aoi Gallium Nitride Devices,JP,"Missile"\n'
)


def matches(client: TestClient, keys: Keys, solicitation_id: int) -> dict:
    response = client.get(
        f"{API}/solicitations/{solicitation_id}/matches",
        params={"include_held_back": True, "min_fit": 0},
        headers=keys.headers("pichtr_viewer"),
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_a_hold_reaches_matches_and_distributions_at_once(
    client: TestClient,
    keys: Keys,
    world: dict[str, int],  # noqa: F811
) -> None:
    partner, solicitation = world["authorized"], world["solicitation"]
    before = matches(client, keys, solicitation)
    assert partner in {m["company"]["id"] for m in before["items"]}
    loaded = client.post(
        f"{API}/screening/lists/meti_eul",
        files={"file": ("eul.csv", EUL.encode(), "text/csv")},
        headers=keys.headers("pichtr_admin"),
    )
    assert loaded.status_code == 201, loaded.text
    assert loaded.json()["hits_raised"] == 1

    held = matches(client, keys, solicitation)
    assert partner not in {m["company"]["id"] for m in held["items"]}
    [verdict] = [m["eligibility"] for m in held["held_back"] if m["company"]["id"] == partner]
    assert verdict["status"] == "ineligible"
    assert [r["code"] for r in verdict["reasons"]] == ["screening_hold", "authorized"]
    refused = send(client, keys, solicitation, [partner])
    assert refused.status_code == 409
    [gate] = refused.json()["companies"]
    assert gate["company_id"] == partner
    assert "screening_hold" in {r["code"] for r in gate["reasons"]}

    [hit] = open_hits(client, keys, partner)
    cleared = client.post(
        f"{API}/screening/hits/{hit['id']}/clear",
        json={"reason": "Aoi GaN Devices of Kyoto is not the listed Aoi; different address."},
        headers=keys.headers("pichtr_analyst"),
    )
    assert cleared.status_code == 200, cleared.text
    assert partner in {m["company"]["id"] for m in matches(client, keys, solicitation)["items"]}
    assert send(client, keys, solicitation, [partner]).status_code == 201


def test_a_confirmed_hit_blocks_with_its_own_reason(
    client: TestClient,
    keys: Keys,
    world: dict[str, int],  # noqa: F811
) -> None:
    partner, solicitation = world["authorized"], world["solicitation"]
    client.post(
        f"{API}/screening/lists/meti_eul",
        files={"file": ("eul.csv", EUL.encode(), "text/csv")},
        headers=keys.headers("pichtr_admin"),
    )
    [hit] = open_hits(client, keys, partner)
    confirmed = client.post(
        f"{API}/screening/hits/{hit['id']}/confirm",
        json={},
        headers=keys.headers("pichtr_analyst"),
    )
    assert confirmed.status_code == 200, confirmed.text
    held = matches(client, keys, solicitation)
    [verdict] = [m["eligibility"] for m in held["held_back"] if m["company"]["id"] == partner]
    codes = {r["code"] for r in verdict["reasons"]}
    assert {"screening_blocked", "vetting_suspended"} <= codes
    assert "screening_hold" not in codes
