"""The companies pages: the filtered list, create and edit forms (errors beside their field,
what was typed kept, stale edits refused), who may do what, vetting and authorization forms,
matches on a partner's page, and distributions seen only by the organization that sent them."""

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.companies.models import Company
from app.db import session_scope
from app.organizations.models import Organization, Role
from app.users import service as users
from app.vetting.models import VettingDecision
from tests.conftest import PASSWORD, Keys, sign_in
from tests.factories import company_payload, us_company_payload
from tests.matches.conftest import world  # noqa: F401  (the shared match records)

API = "/api/v1"
GOOD_NUMBER = "7000012050002"
BAD_NUMBER = "8000012050002"  # the same number with a wrong check digit


@pytest.fixture
def staff(keys: Keys) -> Keys:
    """Users beside the API keys: alice (PICHTR analyst), val (PICHTR viewer), kenji (JETRO
    analyst)."""
    with session_scope() as session:
        orgs = {o.slug: o for o in session.scalars(select(Organization))}
        for slug, name, role in (
            ("pichtr", "alice", Role.ANALYST),
            ("pichtr", "val", Role.VIEWER),
            ("jetro", "kenji", Role.ANALYST),
        ):
            users.create_user(
                session, organization=orgs[slug], username=name, password=PASSWORD, role=role
            )
    return keys


def api_post(client: TestClient, keys: Keys, url: str, body: dict[str, Any], key: str) -> dict:
    response = client.post(f"{API}{url}", json=body, headers=keys.headers(key))
    assert response.status_code == 201, response.text
    return response.json()


def partner_form(token: str, **overrides: str) -> dict[str, Any]:
    """A filled-in Japanese partner form, as the browser sends it."""
    form: dict[str, Any] = {
        "csrf_token": token,
        "role": "jp_partner",
        "country": "JP",
        "name": "Tsubame Photonics K.K.",
        "name_ja": "ツバメフォトニクス株式会社",
        "website": "https://tsubame.example.jp",
        "narrative": "Space-qualified laser diodes for optical inter-satellite links.",
        "keywords": "laser diode\noptical ISL",
        "naics": "334413",
        "corporate_number": GOOD_NUMBER,
        "uei": "",
        "cage": "",
        "certifications": "ISO 9001:2015",
        "consortia": "",
        "technology_areas": ["space", "sensors"],
        "contact-0-name": "Haruto Sato",
        "contact-0-title": "CTO",
        "contact-0-email": "sato@tsubame.example.jp",
        "contact-0-phone": "+81 3 1234 5678",
        "contact-1-name": "",
        "contact-2-name": "",
    }
    form.update(overrides)
    return form


def error_of(html: str, field: str) -> str:
    """The error shown beside a field, or '' when there is none."""
    found = re.search(rf'<p class="field-error" id="{field}-error">([^<]*)</p>', html)
    return found.group(1) if found else ""


def company_count() -> int:
    with session_scope() as session:
        return session.scalar(select(func.count()).select_from(Company)) or 0


def test_the_list_filters_like_the_api(
    client: TestClient, admin_client: TestClient, staff: Keys
) -> None:
    jp = api_post(client, staff, "/companies", company_payload(), "jetro_analyst")
    api_post(
        client,
        staff,
        "/companies",
        company_payload(
            name="Hibari Additive KK",
            name_ja=None,
            corporate_number=None,
            technology_areas=["additive-manufacturing"],
        ),
        "jetro_analyst",
    )
    api_post(client, staff, "/companies", us_company_payload(), "pichtr_analyst")
    api_post(
        client,
        staff,
        f"/companies/{jp['id']}/vetting",
        {"status": "vetted", "evidence": "Site visit.", "expires_at": "2099-03-31T00:00:00Z"},
        "pichtr_analyst",
    )
    sign_in(admin_client, "val")

    every = admin_client.get("/admin/companies")
    assert every.status_code == 200
    assert "Companies found: 3" in every.text
    # The Japanese name beside the English one, the vetting with its expiry, a link to the page.
    assert "カワセミマイクロ波デバイス株式会社" in every.text
    assert f'href="/admin/companies/{jp["id"]}"' in every.text
    assert "until Mar 31, 2099" in every.text or "until Mar 30, 2099" in every.text
    assert "Add a Japanese partner" not in every.text  # a viewer adds nothing

    def names(query: str) -> set[str]:
        page = admin_client.get(f"/admin/companies?{query}")
        assert page.status_code == 200, page.text
        return set(re.findall(r'<a href="/admin/companies/\d+">([^<]+)</a>', page.text))

    assert names("role=us_performer") == {"Kestrel Forge Systems LLC"}
    assert names("country=jp") == {"Kawasemi Microwave Devices Co., Ltd.", "Hibari Additive KK"}
    assert names("technology_area=additive-manufacturing") == {
        "Hibari Additive KK",
        "Kestrel Forge Systems LLC",
    }
    assert names("vetting_status=vetted") == {"Kawasemi Microwave Devices Co., Ltd."}
    assert names("vetting_status=unvetted") == {"Hibari Additive KK"}
    assert names("q=カワセミ") == {"Kawasemi Microwave Devices Co., Ltd."}
    assert names("q=hibari&role=jp_partner") == {"Hibari Additive KK"}

    wrong = admin_client.get("/admin/companies?country=JPN&vetting_status=maybe")
    assert wrong.status_code == 422
    assert "two-letter country code" in error_of(wrong.text, "country")
    assert error_of(wrong.text, "vetting_status")
    assert 'value="JPN"' in wrong.text


def test_the_list_pages_through_many_companies(
    client: TestClient, admin_client: TestClient, staff: Keys
) -> None:
    for n in range(52):
        body = us_company_payload(name=f"Performer {n:02d}", uei=None, cage=None)
        api_post(client, staff, "/companies", body, "pichtr_analyst")
    sign_in(admin_client, "alice")
    first = admin_client.get("/admin/companies?role=us_performer")
    assert "1–50 of 52" in first.text and "Performer 49" in first.text
    assert 'href="?role=us_performer&amp;offset=50"' in first.text
    second = admin_client.get("/admin/companies?role=us_performer&offset=50")
    assert "Performer 50" in second.text and "Performer 00" not in second.text


def test_a_wrong_check_digit_is_shown_beside_its_field_with_what_was_typed(
    admin_client: TestClient, staff: Keys
) -> None:
    token = sign_in(admin_client, "alice")
    form = admin_client.get("/admin/companies/new?role=jp_partner")
    assert form.status_code == 200
    assert len(re.findall(r'name="contact-\d-email"', form.text)) >= 3
    assert 'name="technology_areas" value="space"' in form.text

    refused = admin_client.post(
        "/admin/companies/new", data=partner_form(token, corporate_number=BAD_NUMBER)
    )
    assert refused.status_code == 422
    assert "check digit" in error_of(refused.text, "corporate_number")
    assert re.search(r'id="f-corporate_number"[^>]*aria-invalid="true"', refused.text)
    for typed in (
        f'value="{BAD_NUMBER}"',
        'value="ツバメフォトニクス株式会社"',
        'value="Haruto Sato"',
        'value="+81 3 1234 5678"',
        "laser diode\noptical ISL",
        'value="space" checked',
    ):
        assert typed in refused.text, typed
    assert company_count() == 0

    created = admin_client.post("/admin/companies/new", data=partner_form(token))
    assert created.status_code == 303
    page = admin_client.get(created.headers["location"])
    assert page.status_code == 200 and "ツバメフォトニクス株式会社" in page.text
    with session_scope() as session:
        company = session.scalars(select(Company)).one()
        assert company.corporate_number == GOOD_NUMBER
        assert company.keywords == ["laser diode", "optical ISL"]
        assert company.area_slugs == ["sensors", "space"]
        assert company.contacts == [
            {
                "name": "Haruto Sato",
                "title": "CTO",
                "email": "sato@tsubame.example.jp",
                "phone": "+81 3 1234 5678",
            }
        ]
        assert company.created_by.slug == "pichtr"
        assert session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "create")
        )


def test_several_errors_each_beside_its_field(admin_client: TestClient, staff: Keys) -> None:
    token = sign_in(admin_client, "alice")
    refused = admin_client.post(
        "/admin/companies/new",
        data=partner_form(
            token,
            name="",
            country="Japan",
            naics="3344X",
            website="not a site",
            **{"contact-1-email": "nobody@example.jp"},
        ),
    )
    assert refused.status_code == 422
    for field in ("name", "country", "naics", "website", "contacts"):
        assert error_of(refused.text, field), field
    assert "Contact 2 needs a name" in error_of(refused.text, "contacts")
    assert "http:// or https://" in error_of(refused.text, "website")
    assert 'value="nobody@example.jp"' in refused.text


def test_a_natural_key_clash_is_shown_beside_its_field(
    client: TestClient, admin_client: TestClient, staff: Keys
) -> None:
    api_post(client, staff, "/companies", us_company_payload(), "pichtr_analyst")
    token = sign_in(admin_client, "alice")
    clash = admin_client.post(
        "/admin/companies/new",
        data=partner_form(
            token,
            role="us_performer",
            country="US",
            name="Other Forge LLC",
            name_ja="",
            corporate_number="",
            uei="K3LMNPQRST12",
        ),
    )
    assert clash.status_code == 409
    assert "Another company already has this value" in error_of(clash.text, "uei")
    assert not error_of(clash.text, "cage")
    assert 'value="Other Forge LLC"' in clash.text
    assert company_count() == 1


def test_an_edit_saves_and_clears_fields(
    client: TestClient, admin_client: TestClient, staff: Keys
) -> None:
    made = api_post(client, staff, "/companies", company_payload(), "jetro_analyst")
    token = sign_in(admin_client, "kenji")
    form = admin_client.get(f"/admin/companies/{made['id']}/edit")
    assert form.status_code == 200
    assert 'name="version" value="1"' in form.text
    assert 'value="カワセミマイクロ波デバイス株式会社"' in form.text
    saved = admin_client.post(
        f"/admin/companies/{made['id']}/edit",
        data=partner_form(
            token, version="1", name="Kawasemi MW", name_ja="", corporate_number=GOOD_NUMBER
        ),
    )
    assert saved.status_code == 303, saved.text
    read = client.get(f"{API}/companies/{made['id']}", headers=staff.headers("jetro_viewer"))
    body = read.json()
    assert body["name"] == "Kawasemi MW" and body["name_ja"] is None
    assert body["version"] == 2 and body["technology_areas"] == ["sensors", "space"]


def test_a_stale_edit_is_refused_and_nothing_is_overwritten(
    client: TestClient, admin_client: TestClient, staff: Keys
) -> None:
    made = api_post(client, staff, "/companies", company_payload(), "jetro_analyst")
    token = sign_in(admin_client, "kenji")
    assert (
        'name="version" value="1"' in admin_client.get(f"/admin/companies/{made['id']}/edit").text
    )
    # Someone else saves meanwhile.
    changed = client.patch(
        f"{API}/companies/{made['id']}",
        json={"narrative": "Changed by a colleague."},
        headers={**staff.headers("jetro_analyst"), "If-Match": '"1"'},
    )
    assert changed.status_code == 200
    stale = admin_client.post(
        f"/admin/companies/{made['id']}/edit",
        data=partner_form(token, version="1", name="My new name"),
    )
    assert stale.status_code == 409
    assert "changed by someone else meanwhile" in stale.text
    assert f'href="/admin/companies/{made["id"]}/edit"' in stale.text
    assert 'value="My new name"' in stale.text
    with session_scope() as session:
        company = session.get(Company, made["id"])
        assert company is not None
        assert company.name == made["name"] and company.narrative == "Changed by a colleague."
        assert company.version == 2


def test_who_may_add_and_edit(client: TestClient, admin_client: TestClient, staff: Keys) -> None:
    jetro_partner = api_post(client, staff, "/companies", company_payload(), "jetro_analyst")
    sign_in(admin_client, "val")
    assert admin_client.get("/admin/companies/new").status_code == 403
    assert admin_client.get(f"/admin/companies/{jetro_partner['id']}/edit").status_code == 403
    page = admin_client.get(f"/admin/companies/{jetro_partner['id']}")
    assert page.status_code == 200 and "/edit" not in page.text
    assert "Record a vetting decision" not in page.text

    admin_client.cookies.clear()
    token = sign_in(admin_client, "alice")  # PICHTR's analyst: not the owner, not an admin
    refused = admin_client.get(f"/admin/companies/{jetro_partner['id']}/edit")
    assert refused.status_code == 403 and "JETRO" in refused.text
    posted = admin_client.post(
        f"/admin/companies/{jetro_partner['id']}/edit",
        data=partner_form(token, version="1", name="Taken over"),
    )
    assert posted.status_code == 403
    assert admin_client.get("/admin/companies/999999").status_code == 404
    with session_scope() as session:
        assert session.get(Company, jetro_partner["id"]).name == jetro_partner["name"]  # type: ignore[union-attr]


def test_forms_without_the_token_are_refused(admin_client: TestClient, staff: Keys) -> None:
    token = sign_in(admin_client, "alice")
    form = partner_form(token)
    del form["csrf_token"]
    assert admin_client.post("/admin/companies/new", data=form).status_code == 403
    cross = admin_client.post(
        "/admin/companies/new",
        data=partner_form(token),
        headers={"Sec-Fetch-Site": "cross-site"},
    )
    assert cross.status_code == 403
    assert company_count() == 0


def test_vetting_and_authorization_forms(
    client: TestClient, admin_client: TestClient, staff: Keys
) -> None:
    made = api_post(
        client, staff, "/companies", company_payload(corporate_number=None), "jetro_analyst"
    )
    url = f"/admin/companies/{made['id']}"
    token = sign_in(admin_client, "alice")  # the platform records decisions on any partner
    page = admin_client.get(url)
    assert "Record a vetting decision" in page.text and "No vetting decision yet" in page.text

    missing = admin_client.post(
        f"{url}/vetting", data={"csrf_token": token, "status": "vetted", "expires_on": "2099-01-31"}
    )
    assert missing.status_code == 422
    assert "evidence is required" in error_of(missing.text, "evidence")
    assert 'value="2099-01-31"' in missing.text
    wrong_date = admin_client.post(
        f"{url}/vetting",
        data={"csrf_token": token, "status": "pending", "expires_on": "soon", "evidence": ""},
    )
    assert wrong_date.status_code == 422 and error_of(wrong_date.text, "expires_at")

    vetted = admin_client.post(
        f"{url}/vetting",
        data={
            "csrf_token": token,
            "status": "vetted",
            "expires_on": "2099-01-31",
            "evidence": "Site visit in Kawasaki; METI screening clear.",
        },
    )
    assert vetted.status_code == 303
    page = admin_client.get(url)
    assert re.search(r'id="vetting-now"[^>]*>Vetted<', page.text)
    assert "Site visit in Kawasaki" in page.text
    with session_scope() as session:
        decision = session.scalars(select(VettingDecision)).one()
        assert decision.actor.startswith("pichtr:") and decision.expires_at is not None

    neither = admin_client.post(
        f"{url}/authorizations",
        data={
            "csrf_token": token,
            "authority": "meti",
            "reference": "M-1",
            "valid_from": "2026-01-01",
        },
    )
    assert neither.status_code == 422
    assert "exactly one of" in error_of(neither.text, "solicitation_id")
    assert 'value="M-1"' in neither.text
    unknown = admin_client.post(
        f"{url}/authorizations",
        data={
            "csrf_token": token,
            "authority": "meti",
            "reference": "M-1",
            "solicitation_id": "424242",
            "valid_from": "2026-01-01",
        },
    )
    assert unknown.status_code == 422 and error_of(unknown.text, "solicitation_id")
    added = admin_client.post(
        f"{url}/authorizations",
        data={
            "csrf_token": token,
            "authority": "meti",
            "reference": "METI-2026-0042",
            "technology_area": "space",
            "valid_from": "2026-01-01",
            "valid_until": "2099-12-31",
        },
    )
    assert added.status_code == 303
    page = admin_client.get(url)
    assert "METI-2026-0042" in page.text and "Active" in page.text

    # A third organization's analyst may not vouch for PICHTR's partner.
    pichtr_partner = api_post(
        client,
        staff,
        "/companies",
        company_payload(name="Pichtr Partner KK", corporate_number=None),
        "pichtr_analyst",
    )
    admin_client.cookies.clear()
    kenji = sign_in(admin_client, "kenji")
    assert (
        "Record a vetting decision"
        not in admin_client.get(f"/admin/companies/{pichtr_partner['id']}").text
    )
    refused = admin_client.post(
        f"/admin/companies/{pichtr_partner['id']}/vetting",
        data={"csrf_token": kenji, "status": "vetted", "evidence": "Trust me."},
    )
    assert refused.status_code == 403
    no_token = admin_client.post(
        f"/admin/companies/{made['id']}/vetting", data={"status": "rejected", "evidence": "x"}
    )
    assert no_token.status_code == 403
    with session_scope() as session:
        assert session.scalar(select(func.count()).select_from(VettingDecision)) == 1


def test_a_partners_page_ranks_open_solicitations_and_shows_only_our_distributions(
    client: TestClient,
    admin_client: TestClient,
    staff: Keys,
    world: dict[str, int],  # noqa: F811  (the fixture imported above)
) -> None:
    partner, solicitation = world["authorized"], world["solicitation"]
    sent = client.post(
        f"{API}/solicitations/{solicitation}/distributions",
        json={"company_ids": [partner], "channel": "manual", "message": "Worth a look."},
        headers=staff.headers("pichtr_analyst"),
    )
    assert sent.status_code == 201, sent.text
    distribution = sent.json()
    recipient = distribution["recipients"][0]["id"]
    answered = client.post(
        f"{API}/distributions/{distribution['id']}/recipients/{recipient}/status",
        json={"status": "declined", "reason": "No capacity before March."},
        headers=staff.headers("pichtr_analyst"),
    )
    assert answered.status_code == 200, answered.text
    reviewed = client.put(
        f"{API}/solicitations/{solicitation}/matches/{partner}/review",
        json={"pinned": True, "note": "Call Aoi first."},
        headers=staff.headers("pichtr_analyst"),
    )
    assert reviewed.status_code in (200, 201), reviewed.text

    sign_in(admin_client, "alice")
    page = admin_client.get(f"/admin/companies/{partner}")
    assert page.status_code == 200, page.text
    # The real model ranks the GaN solicitation for the GaN partner, with a score meter.
    matches = page.text.split('id="matches"')[1].split('id="received"')[0]
    assert "Prototype" in matches or "GaN" in matches
    meter = re.search(r'<meter id="score-(\d+)"[^>]*value="([0-9.]+)"', matches)
    assert meter and int(meter.group(1)) == solicitation and 0 < float(meter.group(2)) <= 1
    assert "Call Aoi first." in matches and "Pinned" in matches
    received = page.text.split('id="received"')[1]
    assert "Declined" in received and "No capacity before March." in received

    # The unauthorized partner is held back from the ITAR solicitation, with the reason.
    held = admin_client.get(f"/admin/companies/{world['unauthorized']}")
    assert "Held back:" in held.text
    # A US performer's page ranks the same open solicitation; it has no vetting to record.
    performer = admin_client.get(f"/admin/companies/{world['us']}")
    assert performer.status_code == 200
    assert f'id="score-{solicitation}"' in performer.text
    assert "Record a vetting decision" not in performer.text

    admin_client.cookies.clear()
    sign_in(admin_client, "kenji")
    theirs = admin_client.get(f"/admin/companies/{partner}")
    assert theirs.status_code == 200
    assert "No capacity before March." not in theirs.text
    assert "Call Aoi first." not in theirs.text
    assert "Your organization has sent this company nothing yet." in theirs.text
