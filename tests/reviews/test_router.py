"""Reviews: each rule of the write is a 422 naming its field with nothing written; If-Match is
honoured; hidden pairs leave the organization's lists and teams until un-hidden; pinned pairs
come first even below the minimum fit; another organization sees none of it."""

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Keys
from tests.factories import company_payload, solicitation_payload
from tests.matches.conftest import post

API = "/api/v1"


def review_url(solicitation_id: int, company_id: int) -> str:
    return f"{API}/solicitations/{solicitation_id}/matches/{company_id}/review"


def _audit(client: TestClient, keys: Keys, key: str) -> list[dict[str, Any]]:
    response = client.get(
        f"{API}/audit", params={"entity_type": "match_review"}, headers=keys.headers(key)
    )
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def test_each_rule_of_a_review_names_its_field_and_writes_nothing(
    client: TestClient, keys: Keys
) -> None:
    company = post(client, keys, f"{API}/companies", company_payload(), "jetro_analyst")["id"]
    sol = post(client, keys, f"{API}/solicitations", solicitation_payload(), "pichtr_analyst")["id"]
    url = review_url(sol, company)
    headers = keys.headers("pichtr_analyst")
    for body, field in (
        ({"hidden": True}, "hidden_reason"),
        ({"hidden": True, "hidden_reason": "bored"}, "hidden_reason"),
        ({"hidden": False, "hidden_reason": "not_a_fit"}, "hidden_reason"),
        ({"hidden": True, "hidden_reason": "other"}, "hidden_detail"),
        ({"hidden": True, "hidden_reason": "other", "hidden_detail": "   "}, "hidden_detail"),
        ({"hidden_detail": "why not"}, "hidden_detail"),
        ({"hidden": True, "hidden_reason": "no_capacity", "pinned": True}, "pinned"),
        (
            {"hidden": True, "hidden_reason": "other", "hidden_detail": "x" * 2001},
            "hidden_detail",
        ),
        ({"note": "x" * 20_001}, "note"),
        ({"pinned": "maybe"}, "pinned"),
        ({"pinned": True, "stars": 5}, "stars"),
    ):
        response = client.put(url, json=body, headers=headers)
        assert response.status_code == 422, (body, response.text)
        assert [e["loc"][-1] for e in response.json()["detail"]] == [field], body
    for target, status in (
        (review_url(999, company), 404),
        (review_url(sol, 999), 404),
        (review_url(0, company), 422),
    ):
        assert client.put(target, json={"pinned": True}, headers=headers).status_code == status
    assert client.put(url, json={}, headers=keys.headers("pichtr_viewer")).status_code == 403
    assert client.put(url, json={}).status_code == 401
    # An archived record takes no review.
    archived = post(
        client,
        keys,
        f"{API}/solicitations",
        solicitation_payload(notice_id="GONE-1"),
        "pichtr_analyst",
    )["id"]
    assert client.delete(f"{API}/solicitations/{archived}", headers=headers).status_code == 204
    assert client.put(review_url(archived, company), json={}, headers=headers).status_code == 404
    # If-Match naming a version of a review that does not exist yet.
    assert client.put(url, json={}, headers={**headers, "If-Match": '"1"'}).status_code == 412
    assert client.get(url, headers=headers).status_code == 404
    assert client.get(f"{API}/reviews", headers=headers).json()["total"] == 0
    assert _audit(client, keys, "pichtr_admin") == []


def test_review_write_read_list_version_and_audit(client: TestClient, keys: Keys) -> None:
    company = post(client, keys, f"{API}/companies", company_payload(), "jetro_analyst")["id"]
    sol = post(client, keys, f"{API}/solicitations", solicitation_payload(), "pichtr_analyst")["id"]
    url = review_url(sol, company)
    headers = keys.headers("pichtr_analyst")
    first = client.put(url, json={"pinned": True, "note": " Call Aiko first. "}, headers=headers)
    assert first.status_code == 201, first.text
    assert first.headers["ETag"] == '"1"'
    body = first.json()
    assert body["pinned"] and not body["hidden"] and body["note"] == "Call Aiko first."
    assert body["updated_by"].startswith("pichtr:") and body["version"] == 1
    assert (body["solicitation_id"], body["company_id"]) == (sol, company)

    hide = {"hidden": True, "hidden_reason": "other", "hidden_detail": "Works for a competitor."}
    stale = {**headers, "If-Match": '"7"'}
    assert client.put(url, json=hide, headers=stale).status_code == 412
    second = client.put(url, json=hide, headers={**headers, "If-Match": '"1"'})
    assert second.status_code == 200, second.text
    assert second.headers["ETag"] == '"2"'
    # The whole review is replaced: the note not sent is cleared, the pin dropped.
    assert second.json()["note"] == "" and not second.json()["pinned"]
    assert client.put(url, json=hide, headers={**headers, "If-Match": '"1"'}).status_code == 412
    # The same review again changes nothing: no new version, no audit event.
    assert client.put(url, json=hide, headers=headers).json()["version"] == 2

    got = client.get(url, headers=keys.headers("pichtr_viewer"))
    assert got.status_code == 200 and got.headers["ETag"] == '"2"'
    assert got.json()["hidden_reason"] == "other"

    listed = client.get(f"{API}/reviews", headers=headers).json()
    assert listed["total"] == 1 and listed["items"][0]["hidden"]
    for params, total in (
        ({"hidden": True}, 1),
        ({"hidden": False}, 0),
        ({"pinned": True}, 0),
        ({"solicitation_id": sol}, 1),
        ({"company_id": company + 1}, 0),
    ):
        found = client.get(f"{API}/reviews", params=params, headers=headers).json()
        assert found["total"] == total, params

    events = _audit(client, keys, "pichtr_admin")
    assert [e["action"] for e in events] == ["review.update", "review.create"]
    assert events[0]["changes"]["hidden"] == {"before": False, "after": True}
    assert events[0]["changes"]["pair"] == {"solicitation_id": sol, "company_id": company}

    # Private: JETRO sees no review of PICHTR's, on the pair or in its list or audit trail.
    other = keys.headers("jetro_analyst")
    assert client.get(url, headers=other).status_code == 404
    assert client.get(f"{API}/reviews", headers=other).json()["total"] == 0
    assert _audit(client, keys, "jetro_admin") == []
    # Its own review of the same pair is its own record.
    assert client.put(url, json={"note": "ours"}, headers=other).status_code == 201
    assert client.get(url, headers=headers).json()["note"] == ""


def _ids(items: list[dict[str, Any]], side: str = "company") -> list[int]:
    return [m[side]["id"] for m in items]


def test_hidden_leaves_lists_and_teams_and_pinned_comes_first(
    client: TestClient, keys: Keys, world: dict
) -> None:
    # Foreign participation allowed: every vetted partner is eligible.
    open_sol = post(
        client,
        keys,
        f"{API}/solicitations",
        solicitation_payload(
            notice_id="OPEN-1",
            description="Prototype radiation-hardened GaN power amplifiers for Ka-band "
            "crosslinks, in hermetic packages.",
            export_control="none",
            foreign_participation="allowed",
        ),
        "pichtr_analyst",
    )["id"]
    from app.jobs.worker import drain

    drain()
    pichtr, jetro = keys.headers("pichtr_analyst"), keys.headers("jetro_analyst")
    matches = f"{API}/solicitations/{open_sol}/matches"
    before = client.get(matches, headers=pichtr).json()
    ranked = _ids(before["items"])
    assert world["authorized"] in ranked and world["bakery"] not in ranked, ranked
    assert before["hidden"] == 0 and all(m["review"] is None for m in before["items"])
    top = ranked[0]

    # Hide the top partner: out of the list, counted; the list still fills up to its limit.
    hide = {"hidden": True, "hidden_reason": "already_engaged"}
    assert client.put(review_url(open_sol, top), json=hide, headers=pichtr).status_code == 201
    after = client.get(matches, headers=pichtr).json()
    assert top not in _ids(after["items"]) and after["hidden"] == 1
    assert _ids(after["items"]) == [i for i in ranked if i != top]
    one = client.get(matches, params={"limit": 1}, headers=pichtr).json()
    assert _ids(one["items"]) == [ranked[1]]
    # include_hidden shows it, marked, so it can be un-hidden.
    shown = client.get(matches, params={"include_hidden": True}, headers=pichtr).json()
    assert _ids(shown["items"]) == ranked and shown["hidden"] == 0
    assert shown["items"][0]["review"]["hidden_reason"] == "already_engaged"
    # The other organization's lists are untouched, and carry no review.
    theirs = client.get(matches, headers=jetro).json()
    assert _ids(theirs["items"]) == ranked and theirs["hidden"] == 0
    assert all(m["review"] is None for m in theirs["items"])

    # The company side: the solicitation leaves the hidden partner's list.
    company_matches = f"{API}/companies/{top}/matches"
    assert open_sol not in _ids(
        client.get(company_matches, headers=pichtr).json()["items"], "solicitation"
    )
    mine = client.get(company_matches, params={"include_hidden": True}, headers=pichtr).json()
    pair = {m["solicitation"]["id"]: m for m in mine["items"]}[open_sol]
    assert pair["review"]["hidden"]
    theirs_side = client.get(company_matches, headers=jetro).json()
    assert open_sol in _ids(theirs_side["items"], "solicitation")

    # Teams: a hidden US performer is in no suggested team of that solicitation.
    teams = f"{API}/solicitations/{open_sol}/teams"
    team_before = client.get(teams, headers=jetro).json()
    assert team_before["items"] and team_before["hidden"] == 0
    us_hide = {"hidden": True, "hidden_reason": "conflict_of_interest"}
    put = client.put(review_url(open_sol, world["us"]), json=us_hide, headers=pichtr)
    assert put.status_code == 201
    hidden_teams = client.get(teams, headers=pichtr).json()
    assert hidden_teams["hidden"] == 2
    members = {t["us_performer"]["company"]["id"] for t in hidden_teams["items"]} | {
        t["jp_partner"]["company"]["id"] for t in hidden_teams["items"]
    }
    assert world["us"] not in members and top not in members
    assert client.get(teams, headers=jetro).json()["items"] == team_before["items"]

    # Un-hidden, it comes back where it was.
    assert client.put(review_url(open_sol, top), json={}, headers=pichtr).status_code == 200
    back = client.get(matches, headers=pichtr).json()
    assert _ids(back["items"]) == ranked and back["hidden"] == 0
    assert back["items"][0]["review"]["hidden"] is False

    # Pinned: the weak bakery robot comes first although below the minimum fit.
    pin = client.put(review_url(open_sol, world["bakery"]), json={"pinned": True}, headers=pichtr)
    assert pin.status_code == 201
    pinned = client.get(matches, headers=pichtr).json()
    assert _ids(pinned["items"]) == [world["bakery"], *ranked]
    first = pinned["items"][0]
    assert first["rank"] == 1 and first["pinned_below_min_fit"] and first["review"]["pinned"]
    assert not any(m["pinned_below_min_fit"] for m in pinned["items"][1:])
    # Beyond the limit too: the pinned pair, then the best of the rest up to the limit.
    limited = client.get(matches, params={"limit": 1}, headers=pichtr).json()
    assert _ids(limited["items"]) == [world["bakery"]]
    two = client.get(matches, params={"limit": 2}, headers=pichtr).json()
    assert _ids(two["items"]) == [world["bakery"], ranked[0]]
    # The company side shows the pinned pair first as well.
    bakery_side = client.get(f"{API}/companies/{world['bakery']}/matches", headers=pichtr).json()
    assert _ids(bakery_side["items"], "solicitation")[0] == open_sol
    assert bakery_side["items"][0]["pinned_below_min_fit"]
    # JETRO does not see PICHTR's pin.
    assert world["bakery"] not in _ids(client.get(matches, headers=jetro).json()["items"])


def test_hidden_and_pinned_in_held_back(client: TestClient, keys: Keys, world: dict) -> None:
    # The ITAR solicitation holds back every partner without an authorization.
    url = f"{API}/solicitations/{world['solicitation']}/matches"
    pichtr = keys.headers("pichtr_analyst")
    params = {"include_held_back": True, "min_fit": 0}
    held = _ids(client.get(url, params=params, headers=pichtr).json()["held_back"])
    assert len(held) == 3
    hide = {"hidden": True, "hidden_reason": "not_a_fit"}
    client.put(review_url(world["solicitation"], held[0]), json=hide, headers=pichtr)
    client.put(review_url(world["solicitation"], held[-1]), json={"pinned": True}, headers=pichtr)
    body = client.get(url, params=params, headers=pichtr).json()
    assert _ids(body["held_back"]) == [held[-1], held[1]]
    assert body["hidden"] == 1 and body["held_back"][0]["held_back"]
    # Held back stays held back, pinned or not: the pin never moves a pair into `items`.
    assert held[-1] not in _ids(body["items"])
