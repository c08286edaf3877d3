"""The distribution gate holds back exactly whom the matcher holds back, for the same
reasons (the real model ranks; the gate needs none)."""

from fastapi.testclient import TestClient

from tests.conftest import Keys
from tests.distributions.conftest import API, send
from tests.matches.conftest import world  # noqa: F401  (the fixture)


def test_the_gate_agrees_with_the_match_list(
    client: TestClient,
    keys: Keys,
    world: dict[str, int],  # noqa: F811
) -> None:
    matches = client.get(
        f"{API}/solicitations/{world['solicitation']}/matches",
        params={"include_held_back": True, "min_fit": 0},
        headers=keys.headers("pichtr_viewer"),
    ).json()
    held = {m["company"]["id"]: m["eligibility"]["reasons"] for m in matches["held_back"]}
    eligible = {m["company"]["id"] for m in matches["items"]}
    assert held and eligible
    partners = [world[k] for k in ("authorized", "bakery", "pending", "unauthorized")]
    refused = send(client, keys, world["solicitation"], partners)
    assert refused.status_code == 409
    gate = {c["company_id"]: c["reasons"] for c in refused.json()["companies"]}
    assert gate == {i: held[i] for i in partners if i in held}
    sent = send(client, keys, world["solicitation"], sorted(eligible & set(partners)))
    assert sent.status_code == 201, sent.text
