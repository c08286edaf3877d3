"""The solicitation pages: list and filters, create and edit forms, the matches page with its
workflow actions, and what another organization never sees."""

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.solicitations import pages
from tests.admin.solicitation_world import build_world, keys_for_people, post
from tests.conftest import Keys, People, sign_in
from tests.factories import solicitation_payload


@pytest.fixture
def api_keys(people: People) -> Keys:
    return keys_for_people()


@pytest.fixture
def api(database_url: str) -> Any:
    from app.main import create_app

    with TestClient(create_app()) as client:
        yield client


@pytest.fixture
def world(api: TestClient, api_keys: Keys) -> dict[str, int]:
    return build_world(api, api_keys)


def section(html: str, element_id: str) -> str:
    """The text from an element with this id to the end of the page."""
    start = html.find(f'id="{element_id}"')
    assert start >= 0, f"no #{element_id}"
    return html[start:]


def form_of(html: str, action: str) -> str:
    match = re.search(rf'<form[^>]*action="{re.escape(action)}".*?</form>', html, re.S)
    assert match, f"no form posting to {action}"
    return match.group(0)


def test_list_filters_and_pages(
    admin_client: TestClient, api: TestClient, api_keys: Keys, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = {
        "space": solicitation_payload(notice_id="N-1", title="Lunar relay radios"),
        "cyber": solicitation_payload(
            notice_id="N-2",
            title="Zero-trust edge gateways",
            technology_areas=["cyber"],
            export_control="none",
            foreign_participation="prohibited",
            response_deadline="2027-03-01",
        ),
        "cancelled": solicitation_payload(
            notice_id="N-3", title="Hypersonic seeker windows", status="cancelled"
        ),
    }
    for body in made.values():
        post(api, api_keys, "/solicitations", body, "pichtr_analyst")
    sign_in(admin_client, "alice")

    page = admin_client.get("/admin/solicitations")
    assert page.status_code == 200
    for title in ("Lunar relay radios", "Zero-trust edge gateways", "Hypersonic seeker windows"):
        assert title in page.text
    assert "Foreign participation prohibited" in page.text and ">ITAR<" in page.text
    # The deadline is shown in the user's zone (UTC for a new user): 17:00 EST is 22:00 UTC.
    assert "10:00:00\u202fPM UTC" in page.text or "10:00:00 PM UTC" in page.text

    def titles(query: str) -> set[str]:
        response = admin_client.get(f"/admin/solicitations?{query}")
        assert response.status_code == 200, response.text
        return {t for t in ("Lunar", "Zero-trust", "Hypersonic") if t in response.text}

    assert titles("status=open") == {"Lunar", "Zero-trust"}
    assert titles("status=cancelled") == {"Hypersonic"}
    assert titles("technology_area=cyber") == {"Zero-trust"}
    assert titles("q=lunar") == {"Lunar"}
    assert titles("deadline_from=2027-02-01") == {"Zero-trust"}
    assert titles("deadline_to=2027-01-31") == {"Lunar", "Hypersonic"}

    bad = admin_client.get("/admin/solicitations?deadline_from=tomorrow&q=lunar")
    assert bad.status_code == 422
    assert 'id="deadline_from-error"' in bad.text and 'value="lunar"' in bad.text
    backwards = admin_client.get(
        "/admin/solicitations?deadline_from=2027-02-01&deadline_to=2027-01-01"
    )
    assert backwards.status_code == 422 and 'id="deadline_to-error"' in backwards.text

    monkeypatch.setattr(pages, "PER_PAGE", 2)
    first = admin_client.get("/admin/solicitations?status=&q=")
    assert "1–2 of 3" in first.text and "offset=2" in first.text
    second = admin_client.get("/admin/solicitations?offset=2")
    assert "3–3 of 3" in second.text and "Zero-trust" in second.text


def test_create_keeps_what_was_typed_and_refuses_viewers(
    admin_client: TestClient, api: TestClient, api_keys: Keys, people: People
) -> None:
    token = sign_in(admin_client, "alice")
    form = admin_client.get("/admin/solicitations/new")
    assert form.status_code == 200 and 'name="response_deadline"' in form.text
    typed = {
        "csrf_token": token,
        "source": "manual",
        "notice_id": "FORM-1",
        "title": "",
        "agency": "DEPT OF THE NAVY",
        "description": "Subsea 宇宙 sensors",
        "naics": "3344X1, 541715",
        "technology_areas": ["space", "sensors"],
        "response_deadline": "2027-02-10T09:00",
        "status": "open",
        "export_control": "ear",
        "foreign_participation": "allowed",
    }
    refused = admin_client.post("/admin/solicitations/new", data=typed)
    assert refused.status_code == 422
    for field in ("title", "naics", "response_deadline"):
        assert f'id="{field}-error"' in refused.text, field
    assert 'aria-invalid="true" aria-describedby="title-error"' in refused.text
    assert 'value="DEPT OF THE NAVY"' in refused.text and "Subsea 宇宙 sensors" in refused.text
    assert 'value="3344X1, 541715"' in refused.text
    assert re.search(r'value="sensors"\s+checked', refused.text)
    assert re.search(r'<option value="ear"\s+selected', refused.text)

    fixed = {
        **typed,
        "title": "Subsea sensors",
        "naics": "334511",
        "response_deadline": "2027-02-10",
    }
    created = admin_client.post("/admin/solicitations/new", data=fixed)
    assert created.status_code == 303
    new_id = int(created.headers["location"].rsplit("/", 1)[1])
    record = api.get(f"/api/v1/solicitations/{new_id}", headers=api_keys.headers("jetro_viewer"))
    body = record.json()
    assert body["title"] == "Subsea sensors" and body["export_control"] == "ear"
    assert body["technology_areas"] == ["sensors", "space"] or set(body["technology_areas"]) == {
        "sensors",
        "space",
    }
    assert body["created_by"] == "pichtr" and body["response_deadline_date_only"]

    again = admin_client.post("/admin/solicitations/new", data=fixed)
    assert again.status_code == 422 and 'id="notice_id-error"' in again.text

    viewer = TestClient(admin_client.app, follow_redirects=False)
    viewer_token = sign_in(viewer, people.viewer)
    assert viewer.get("/admin/solicitations/new").status_code == 403
    refused_viewer = viewer.post(
        "/admin/solicitations/new", data={**fixed, "csrf_token": viewer_token}
    )
    assert refused_viewer.status_code == 403
    no_token = admin_client.post("/admin/solicitations/new", data={**fixed, "csrf_token": "x"})
    assert no_token.status_code == 403


def test_edit_owner_only_and_stale_edits_refused(
    admin_client: TestClient, api: TestClient, api_keys: Keys, people: People
) -> None:
    made = post(api, api_keys, "/solicitations", solicitation_payload(), "pichtr_analyst")
    token = sign_in(admin_client, "alice")
    url = f"/admin/solicitations/{made['id']}/edit"
    form = admin_client.get(url)
    assert form.status_code == 200
    assert 'name="version" value="1"' in form.text
    assert 'value="2027-01-15T17:00:00-05:00"' in form.text
    assert re.search(r'<option value="itar"\s+selected', form.text)

    fields = {
        "csrf_token": token,
        "version": "1",
        "title": "Rad-hard GaN amplifiers, amended",
        "agency": "",
        "description": made["description"],
        "technology_areas": made["technology_areas"],
        "naics": ", ".join(made["naics"]),
        "response_deadline": "2027-01-15T17:00:00-05:00",
        "posted_date": "2026-11-01",
        "status": "open",
        "export_control": "itar",
        "foreign_participation": "allowed_with_authorization",
    }
    saved = admin_client.post(url, data=fields)
    assert saved.status_code == 303, saved.text
    read = api.get(f"/api/v1/solicitations/{made['id']}", headers=api_keys.headers("pichtr_viewer"))
    assert read.json()["title"] == "Rad-hard GaN amplifiers, amended"
    assert read.json()["agency"] is None  # emptied in the form: cleared
    assert read.json()["version"] == 2

    # Someone else's form, loaded at version 1, is refused: nothing overwritten, text kept.
    stale = admin_client.post(url, data={**fields, "title": "My older idea"})
    assert stale.status_code == 412
    assert 'id="stale"' in stale.text and "version 2" in stale.text
    assert 'value="My older idea"' in stale.text
    read = api.get(f"/api/v1/solicitations/{made['id']}", headers=api_keys.headers("pichtr_viewer"))
    assert read.json()["title"] == "Rad-hard GaN amplifiers, amended"

    wrong = admin_client.post(url, data={**fields, "version": "2", "posted_date": "2027-02-01"})
    assert wrong.status_code == 422 and 'id="response_deadline-error"' in wrong.text

    # JETRO did not create it: no edit link, and the form is refused.
    other = TestClient(admin_client.app, follow_redirects=False)
    other_token = sign_in(other, people.other_org_analyst)
    assert other.get(url).status_code == 403
    assert other.post(url, data={**fields, "csrf_token": other_token}).status_code == 403
    assert f'href="{url}"' not in other.get(f"/admin/solicitations/{made['id']}").text


def test_matches_page_with_scores_explanations_and_held_back(
    admin_client: TestClient, world: dict[str, int]
) -> None:
    sign_in(admin_client, "alice")
    page = admin_client.get(f"/admin/solicitations/{world['solicitation']}")
    assert page.status_code == 200
    matches = section(page.text, "matches-heading").split('id="held-heading"')[0]
    held = section(page.text, "held-heading")
    assert "Aoi GaN Devices KK" in matches and "Hikari RF Modules KK" not in matches
    for component in ("semantic", "lexical", "areas", "naics"):
        assert f'class="component-{component}"' in matches, component
    assert re.search(r"<mark>[^<]*[Aa]mplifier[^<]*</mark>", matches)
    assert "Shared areas" in matches and "trusted-microelectronics" in matches
    # Held back, each with the reason; a distribution box only on eligible matches.
    assert "Hikari RF Modules KK" in held and "Ginga Amplifier KK" in held
    assert "authorization" in held.lower() and "vetting" in held.lower()
    assert f'name="company_ids" value="{world["authorized"]}"' in matches
    assert f'name="company_ids" value="{world["unauthorized"]}"' not in held
    assert 'id="teams-heading"' in page.text

    us = admin_client.get(f"/admin/solicitations/{world['solicitation']}?role=us_performer")
    assert us.status_code == 200 and "Aoi GaN Devices KK" not in us.text
    assert (
        admin_client.get(f"/admin/solicitations/{world['solicitation']}?role=x").status_code == 422
    )
    assert admin_client.get("/admin/solicitations/999999").status_code == 404


def test_highlight_splits_text_and_the_page_escapes_it() -> None:
    from app.matches.schemas import Quote

    passage = Quote(field="description", start=10, end=40, text="<b>one</b>. Two & three. Four")
    sentence = Quote(field="description", start=22, end=34, text="Two & three.")
    assert pages.highlight(passage, sentence) == [
        ("<b>one</b>. ", False),
        ("Two & three.", True),
        (" Four", False),
    ]
    elsewhere = Quote(field="title", start=0, end=3, text="Abc")
    assert pages.highlight(passage, elsewhere)[-1] == ("Abc", True)


def test_pin_pass_note_and_unhide(
    admin_client: TestClient, world: dict[str, int], people: People
) -> None:
    token = sign_in(admin_client, "alice")
    sid, cid = world["solicitation"], world["authorized"]
    base = f"/admin/solicitations/{sid}"
    review = f"{base}/matches/{cid}/review"

    pinned = admin_client.post(review, data={"csrf_token": token, "action": "pin", "next": base})
    assert pinned.status_code == 303 and pinned.headers["location"] == f"{base}#match-{cid}"
    page = admin_client.get(base).text
    assert ">Pinned<" in page and 'value="unpin"' in page

    noted = admin_client.post(
        review,
        data={"csrf_token": token, "action": "note", "note": "Call Aoi on Monday", "version": "1"},
    )
    assert noted.status_code == 303
    assert "Call Aoi on Monday" in admin_client.get(base).text

    # A pass needs a reason (and "other" a word on it): the error beside the form, 422.
    no_reason = admin_client.post(review, data={"csrf_token": token, "action": "hide"})
    assert no_reason.status_code == 422
    assert f'id="review-{cid}-error"' in no_reason.text
    other = admin_client.post(
        review, data={"csrf_token": token, "action": "hide", "hidden_reason": "other"}
    )
    assert other.status_code == 422 and "hidden_detail" in other.text
    assert re.search(r'<option value="other"\s+selected', other.text)

    # A stale review version is refused.
    stale = admin_client.post(review, data={"csrf_token": token, "action": "unpin", "version": "1"})
    assert stale.status_code == 412 and "changed this review meanwhile" in stale.text

    hidden = admin_client.post(
        review,
        data={
            "csrf_token": token,
            "action": "hide",
            "hidden_reason": "already_engaged",
            "hidden_detail": "Talking to them directly",
        },
    )
    assert hidden.status_code == 303
    page = admin_client.get(base).text
    assert "Aoi GaN Devices KK" not in section(page, "matches-heading").split("held-heading")[0]
    assert "1 hidden by your organization" in page
    shown = admin_client.get(f"{base}?include_hidden=on").text
    assert "Already engaged" in shown and 'value="unhide"' in shown
    unhidden = admin_client.post(
        review, data={"csrf_token": token, "action": "unhide", "version": "3"}
    )
    assert unhidden.status_code == 303
    page = admin_client.get(base).text
    assert "Aoi GaN Devices KK" in section(page, "matches-heading")
    assert "Call Aoi on Monday" in page  # the note outlives the pass

    # JETRO's analyst sees the same match but none of PICHTR's review.
    jetro = TestClient(admin_client.app, follow_redirects=False)
    sign_in(jetro, people.other_org_analyst)
    theirs = jetro.get(base).text
    assert "Aoi GaN Devices KK" in theirs
    assert "Call Aoi on Monday" not in theirs and ">Pinned<" not in theirs


def test_follow_distribute_and_outcome(
    admin_client: TestClient, api: TestClient, api_keys: Keys, world: dict[str, int], people: People
) -> None:
    token = sign_in(admin_client, "alice")
    sid = world["solicitation"]
    base = f"/admin/solicitations/{sid}"

    follow = admin_client.post(f"{base}/follow", data={"csrf_token": token, "action": "follow"})
    assert follow.status_code == 303
    assert "Your organization follows this solicitation" in admin_client.get(base).text
    api.patch(
        f"/api/v1/solicitations/{sid}",
        json={"response_deadline": "2027-01-20"},
        headers=api_keys.headers("pichtr_analyst"),
    )
    assert "deadline_moved" in section(admin_client.get(base).text, "changes")

    # Held back companies refuse the whole distribution, with every reason, and send nothing.
    refused = admin_client.post(
        f"{base}/distribute",
        data={
            "csrf_token": token,
            "company_ids": [
                str(world["authorized"]),
                str(world["unauthorized"]),
                str(world["pending"]),
            ],
            "channel": "manual",
            "message": "For your review",
        },
    )
    assert refused.status_code == 409
    held = section(refused.text, "held-companies")
    assert "Hikari RF Modules KK" in held and "Ginga Amplifier KK" in held
    assert "Aoi GaN Devices KK" not in held
    assert held.count("<code>") >= 2
    listed = api.get("/api/v1/distributions", headers=api_keys.headers("pichtr_viewer")).json()
    assert listed["total"] == 0

    no_message = admin_client.post(
        f"{base}/distribute",
        data={"csrf_token": token, "company_ids": [str(world["authorized"])], "channel": "manual"},
    )
    assert no_message.status_code == 422 and 'id="message-error"' in no_message.text
    assert re.search(rf'value="{world["authorized"]}" form="distribute"\s+checked', no_message.text)

    sent = admin_client.post(
        f"{base}/distribute",
        data={
            "csrf_token": token,
            "company_ids": [str(world["authorized"])],
            "channel": "manual",
            "message": "For your review",
        },
    )
    assert sent.status_code == 201
    assert "/respond/" in sent.text and "shown on this page only" in sent.text
    assert "ITAR-marked" in sent.text  # a foreign partner gets the public fields only

    outcome = f"{base}/matches/{world['authorized']}/outcome"
    empty = admin_client.post(outcome, data={"csrf_token": token, "reason": "asked twice"})
    assert empty.status_code == 422 and f'id="outcome-{world["authorized"]}-error"' in empty.text
    assert 'value="asked twice"' in empty.text
    recorded = admin_client.post(
        outcome, data={"csrf_token": token, "outcome": "interested", "reason": "Call booked"}
    )
    assert recorded.status_code == 303
    page = admin_client.get(base).text
    assert "Outcome: Interested" in page and "Aoi GaN Devices KK" in section(page, "sent-heading")
    history = api.get(
        f"/api/v1/solicitations/{sid}/matches/{world['authorized']}/outcomes",
        headers=api_keys.headers("pichtr_viewer"),
    ).json()
    assert history["current"]["outcome"] == "interested"

    # JETRO sees neither PICHTR's follow, its distribution nor its outcome.
    jetro = TestClient(admin_client.app, follow_redirects=False)
    sign_in(jetro, people.other_org_analyst)
    theirs = jetro.get(base).text
    assert "Your organization follows this solicitation" not in theirs
    assert "Outcome: Interested" not in theirs
    assert "has not sent it to anyone yet" in theirs
