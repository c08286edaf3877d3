"""The dashboard, audit log, organization settings and preferences pages, with TestClient."""

import re
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.db import session_scope, utcnow
from app.organizations.models import ApiKey, Organization, Role
from app.organizations.service import get_by_slug
from app.users import service as users
from app.users.models import User
from tests.conftest import PASSWORD, Keys, csrf_of
from tests.factories import company_payload, solicitation_payload

API = "/api/v1"
# Who signs in: PICHTR (platform) has an admin, an analyst and a viewer; JETRO an admin.
STAFF = (
    ("pichtr", "ada", Role.ADMIN),
    ("pichtr", "alice", Role.ANALYST),
    ("pichtr", "val", Role.VIEWER),
    ("jetro", "kaori", Role.ADMIN),
)


@pytest.fixture
def staff(keys: Keys) -> Keys:
    """Users of the organizations that hold the API keys."""
    with session_scope() as session:
        for slug, name, role in STAFF:
            users.create_user(
                session,
                organization=get_by_slug(session, slug=slug),
                username=name,
                password=PASSWORD,
                role=role,
            )
    return keys


@pytest.fixture
def web(staff: Keys, admin_client: TestClient) -> TestClient:
    return admin_client


def sign_in(client: TestClient, username: str) -> str:
    """Sign in; the CSRF token of the session (read from a page every role may see)."""
    page = client.get("/admin/login")
    response = client.post(
        "/admin/login",
        data={"csrf_token": csrf_of(page.text), "username": username, "password": PASSWORD},
    )
    assert response.status_code == 303, response.text
    return csrf_of(client.get("/admin/preferences").text)


def post_api(client: TestClient, keys: Keys, url: str, body: dict[str, Any], key: str) -> Any:
    response = client.post(f"{API}{url}", json=body, headers=keys.headers(key))
    assert response.status_code == 201, response.text
    return response.json()


def section(html: str, element_id: str) -> str:
    """The HTML of one widget or table, by id."""
    match = re.search(rf'id="{element_id}".*?</(section|table)>', html, re.S)
    assert match, f"no #{element_id}"
    return match.group(0)


# -- layout and language -------------------------------------------------------------------


def test_navigation_marks_the_current_page_and_hides_admin_links_from_others(
    web: TestClient,
) -> None:
    sign_in(web, "alice")
    page = web.get("/admin/imports/duplicates").text
    assert '<a href="/admin/imports/duplicates" aria-current="page">' in page
    assert '<a href="/admin/imports" aria-current' not in page
    for path in ("/admin/companies", "/admin/solicitations", "/admin/distributions"):
        assert f'href="{path}"' in page
    assert 'href="/admin/settings"' not in page and 'href="/admin/audit"' not in page
    assert web.get("/admin/settings").status_code == 403
    assert web.get("/admin/audit").status_code == 403
    web.cookies.clear()
    sign_in(web, "ada")
    home = web.get("/admin").text
    assert '<a href="/admin" aria-current="page">Dashboard</a>' in home
    assert 'href="/admin/settings"' in home and 'href="/admin/audit"' in home
    assert 'class="skip" href="#main"' in home


def test_language_link_sets_only_the_cookie_and_the_sign_in_page_follows(
    web: TestClient,
) -> None:
    english = web.get("/admin/login")
    assert "User name" in english.text and 'href="/admin/language?to=ja&amp;next=' in english.text
    response = web.get("/admin/language", params={"to": "ja", "next": "/admin/imports"})
    assert response.status_code == 303 and response.headers["location"] == "/admin/imports"
    assert "kakehashi_lang=ja" in response.headers["set-cookie"]
    japanese = web.get("/admin/login")
    assert "ユーザー名" in japanese.text and '<html lang="ja">' in japanese.text
    # Off-site targets and unknown languages change nothing else.
    away = web.get("/admin/language", params={"to": "xx", "next": "https://evil.example/"})
    assert away.headers["location"] == "/admin" and "set-cookie" not in away.headers
    with session_scope() as session:
        assert {u.locale for u in session.scalars(select(User))} == {"en"}


def test_preferences_switch_the_pages_to_japanese_and_the_users_zone(web: TestClient) -> None:
    token = sign_in(web, "alice")
    form = web.get("/admin/preferences").text
    assert 'value="Pacific/Honolulu"' in form and 'value="Asia/Tokyo"' in form
    refused = web.post(
        "/admin/preferences",
        data={"csrf_token": token, "locale": "ja", "time_zone": "Mars/Olympus"},
    )
    assert refused.status_code == 422
    assert 'id="time_zone-error">choose one of the listed time zones' in refused.text
    assert 'aria-invalid="true"' in refused.text
    no_token = web.post("/admin/preferences", data={"locale": "ja", "time_zone": "Asia/Tokyo"})
    assert no_token.status_code == 403
    saved = web.post(
        "/admin/preferences",
        data={"csrf_token": token, "locale": "ja", "time_zone": "Asia/Tokyo"},
    )
    assert saved.status_code == 303 and "kakehashi_lang=ja" in saved.headers["set-cookie"]
    with session_scope() as session:
        alice = users.get_by_username(session, "alice")
        assert (alice.locale, alice.time_zone) == ("ja", "Asia/Tokyo")
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "user.preferences")
        ).one()
        assert event.changes["locale"] == {"before": "en", "after": "ja"}
    home = web.get("/admin").text
    assert "ダッシュボード" in home and "ログアウト" in home and 'lang="ja"' in home
    # An error page follows the language cookie, even when nobody is signed in.
    web.cookies.delete("kakehashi_session", path="/admin")
    missing = web.get("/admin/nowhere")
    assert missing.status_code == 404 and "ページが見つかりません" in missing.text


def test_sign_in_sets_the_language_cookie_from_the_users_choice(web: TestClient) -> None:
    with session_scope() as session:
        users.set_preferences(
            session, user=users.get_by_username(session, "val"), locale="ja", time_zone="UTC"
        )
    page = web.get("/admin/login")
    response = web.post(
        "/admin/login",
        data={"csrf_token": csrf_of(page.text), "username": "val", "password": PASSWORD},
    )
    cookies = response.headers.get_list("set-cookie")
    assert any(c.startswith("kakehashi_lang=ja") for c in cookies)


def test_a_refused_role_is_explained_in_the_readers_language(web: TestClient) -> None:
    token = sign_in(web, "val")
    saved = web.post(
        "/admin/preferences", data={"csrf_token": token, "locale": "ja", "time_zone": "UTC"}
    )
    assert saved.status_code == 303
    refused = web.get("/admin/settings")
    assert refused.status_code == 403
    assert "組織の設定の管理には管理者のロールが必要です（現在のロール: 閲覧者）" in refused.text


# -- dashboard -----------------------------------------------------------------------------


def test_dashboard_widgets_show_their_empty_states(web: TestClient) -> None:
    sign_in(web, "alice")
    page = web.get("/admin")
    assert page.status_code == 200
    for text in (
        "No open solicitation closes in the next 14 days.",
        "Nothing new or changed since then.",
        "No partner's vetting expires in the next 30 days.",
        "Every recipient of your distributions has answered.",
        "No imports yet.",
        "First visit: the last 7 days are shown.",
    ):
        assert text in page.text, text


def test_dashboard_widgets_with_data_made_through_the_api(web: TestClient, staff: Keys) -> None:
    keys = staff
    now = utcnow()
    soon = post_api(
        web,
        keys,
        "/solicitations",
        solicitation_payload(
            notice_id="SOON-1",
            title="Closing soon: GaN amplifiers",
            response_deadline=(now + timedelta(days=3)).isoformat(),
            export_control="none",
            foreign_participation="allowed",
        ),
        "pichtr_analyst",
    )
    later = post_api(
        web,
        keys,
        "/solicitations",
        solicitation_payload(
            notice_id="LATER-1",
            title="Closing later: turbine repair",
            response_deadline=(now + timedelta(days=40)).isoformat(),
        ),
        "pichtr_analyst",
    )
    partner = post_api(
        web,
        keys,
        "/companies",
        company_payload(name="Aoi GaN Devices KK", name_ja="アオイGaNデバイス株式会社"),
        "jetro_analyst",
    )
    post_api(
        web,
        keys,
        f"/companies/{partner['id']}/vetting",
        {
            "status": "vetted",
            "evidence": "Site visit.",
            "expires_at": (now + timedelta(days=10)).isoformat(),
        },
        "pichtr_analyst",
    )
    sent = web.post(
        f"{API}/solicitations/{soon['id']}/distributions",
        json={"company_ids": [partner["id"]], "channel": "manual", "message": "Worth a look."},
        headers=keys.headers("pichtr_analyst"),
    )
    assert sent.status_code == 201, sent.text

    sign_in(web, "alice")
    page = web.get("/admin").text
    closing = section(page, "closing")
    assert f'href="/admin/solicitations/{soon["id"]}"' in closing
    assert "Closing later" not in closing
    new = section(page, "new")
    assert "Closing soon: GaN amplifiers" in new and "Closing later: turbine repair" in new
    vetting = section(page, "vetting")
    assert f'href="/admin/companies/{partner["id"]}"' in vetting and "アオイGaN" in vetting
    waiting = section(page, "waiting")
    assert "Aoi GaN Devices KK" in waiting and "sent" in waiting

    # The visit is remembered: the next view counts from it, and says when it was.
    with session_scope() as session:
        seen = users.get_by_username(session, "alice").last_dashboard_at
    assert seen is not None and seen >= now
    again = web.get("/admin").text
    assert "Your last visit:" in again
    assert "Nothing new or changed since then." in again
    # An amendment after the visit brings the solicitation back.
    changed = web.patch(
        f"{API}/solicitations/{later['id']}",
        json={"description": "Amended: the scope now includes blisks."},
        headers={**keys.headers("pichtr_analyst"), "If-Match": f'"{later["version"]}"'},
    )
    assert changed.status_code == 200, changed.text
    third = section(web.get("/admin").text, "new")
    assert "Closing later: turbine repair" in third and "changed" in third
    assert "Closing soon" not in third

    # Another organization's distributions are not among JETRO's.
    web.cookies.clear()
    sign_in(web, "kaori")
    assert "Every recipient of your distributions has answered." in web.get("/admin").text


# -- audit ---------------------------------------------------------------------------------


def test_audit_lists_filters_and_shows_before_and_after(web: TestClient, staff: Keys) -> None:
    keys = staff
    company = post_api(web, keys, "/companies", company_payload(), "jetro_analyst")
    edited = web.patch(
        f"{API}/companies/{company['id']}",
        json={"name": "Kawasemi Microwave KK"},
        headers={**keys.headers("jetro_analyst"), "If-Match": f'"{company["version"]}"'},
    )
    assert edited.status_code == 200, edited.text

    sign_in(web, "kaori")
    page = web.get("/admin/audit", params={"entity_type": "company", "action": "update"})
    assert page.status_code == 200
    events = section(page.text, "events")
    assert "Kawasemi Microwave Devices Co., Ltd." in events and "Kawasemi Microwave KK" in events
    assert '<th scope="col">Before</th>' in events
    assert "<code>create</code>" not in page.text
    by_id = web.get("/admin/audit", params={"entity_id": str(company["id"])}).text
    assert "<code>create</code>" in by_id and "<code>update</code>" in by_id
    assert "GaN MMIC, hermetic packaging" in by_id and "[&#39;GaN" not in by_id
    none = web.get("/admin/audit", params={"actor": "nobody-at-all"}).text
    assert "No event matches these filters." in none
    tomorrow = (utcnow() + timedelta(days=2)).date().isoformat()
    assert "No event matches" in web.get("/admin/audit", params={"since": tomorrow}).text
    wrong = web.get("/admin/audit", params={"since": "2026-12-02", "until": "2026-12-01"})
    assert wrong.status_code == 422
    assert 'id="until-error">the end date is before the start date' in wrong.text
    bad_id = web.get("/admin/audit", params={"entity_id": "abc"})
    assert bad_id.status_code == 422 and 'id="entity_id-error"' in bad_id.text
    # JETRO's admin sees JETRO's events only; the platform admin sees them too.
    jetro_page = web.get("/admin/audit").text
    assert "pichtr:" not in jetro_page
    web.cookies.clear()
    sign_in(web, "ada")
    platform = web.get("/admin/audit", params={"actor": "jetro"}).text
    assert "Kawasemi Microwave KK" in platform


def test_audit_pages_keep_their_filters(web: TestClient) -> None:
    with session_scope() as session:
        org = session.scalars(select(Organization).where(Organization.slug == "pichtr")).one()
        for n in range(55):
            session.add(
                AuditEvent(
                    organization_id=org.id,
                    actor="pichtr:cli",
                    action="touch",
                    entity_type="thing",
                    entity_id=n + 1,
                    changes={},
                )
            )
    sign_in(web, "ada")
    page = web.get("/admin/audit", params={"entity_type": "thing"}).text
    assert "55 events" in page
    assert 'href="?entity_type=thing&amp;offset=50"' in page


# -- settings ------------------------------------------------------------------------------


def test_settings_need_the_admin_role_and_a_form_token(web: TestClient) -> None:
    token = sign_in(web, "alice")
    assert web.get("/admin/settings").status_code == 403
    refused = web.post("/admin/settings/keys", data={"csrf_token": token, "role": "viewer"})
    assert refused.status_code == 403
    web.cookies.clear()
    token = sign_in(web, "ada")
    assert web.post("/admin/settings/keys", data={"role": "viewer"}).status_code == 403
    cross = web.post(
        "/admin/settings/keys",
        data={"csrf_token": token, "role": "viewer"},
        headers={"Sec-Fetch-Site": "cross-site"},
    )
    assert cross.status_code == 403
    with session_scope() as session:
        assert (
            session.scalar(
                select(ApiKey).where(ApiKey.role == Role.VIEWER, ApiKey.label.is_not(None))
            )
            is None
        )


def test_a_new_key_is_shown_once_and_can_be_revoked(web: TestClient) -> None:
    token = sign_in(web, "ada")
    created = web.post(
        "/admin/settings/keys",
        data={"csrf_token": token, "role": "viewer", "label": "nightly import"},
    )
    assert created.status_code == 200
    raw = re.search(r'id="secret"[^>]*>(kk_[^<]+)</p>', created.text)
    assert raw, created.text
    key = raw.group(1)
    prefix = key.split("_")[1]
    assert (
        web.get(f"{API}/organizations/me", headers={"Authorization": f"Bearer {key}"}).status_code
        == 200
    )
    listing = web.get("/admin/settings").text
    assert f"kk_{prefix}_" in listing and key not in listing and "nightly import" in listing
    with session_scope() as session:
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "api_key.create")
        ).one()
        assert event.changes["prefix"] == prefix and key not in str(event.changes)
    revoked = web.post(f"/admin/settings/keys/{prefix}/revoke", data={"csrf_token": token})
    assert revoked.status_code == 303
    assert (
        web.get(f"{API}/organizations/me", headers={"Authorization": f"Bearer {key}"}).status_code
        == 401
    )
    # Another organization's key is not found.
    with session_scope() as session:
        jetro_key = session.scalars(
            select(ApiKey).join(Organization).where(Organization.slug == "jetro")
        ).first()
        assert jetro_key is not None
        other = jetro_key.prefix
    assert (
        web.post(f"/admin/settings/keys/{other}/revoke", data={"csrf_token": token}).status_code
        == 404
    )


def test_create_a_user_change_the_role_disable_and_enable(web: TestClient) -> None:
    token = sign_in(web, "ada")
    bad = web.post(
        "/admin/settings/users",
        data={"csrf_token": token, "username": "x", "role": "analyst", "display_name": "山田 花子"},
    )
    assert bad.status_code == 422 and 'id="new-username-error"' in bad.text
    assert 'value="山田 花子"' in bad.text
    taken = web.post(
        "/admin/settings/users", data={"csrf_token": token, "username": "alice", "role": "viewer"}
    )
    assert taken.status_code == 422 and "already exists" in taken.text
    created = web.post(
        "/admin/settings/users",
        data={
            "csrf_token": token,
            "username": "hanako",
            "display_name": "山田 花子",
            "role": "viewer",
            "locale": "ja",
            "time_zone": "Asia/Tokyo",
        },
    )
    assert created.status_code == 200
    password = re.search(r'id="secret"[^>]*>([^<]+)</p>', created.text)
    assert password
    assert password.group(1) not in web.get("/admin/settings").text
    with session_scope() as session:
        hanako = users.get_by_username(session, "hanako")
        assert (hanako.role, hanako.locale, hanako.time_zone) == (Role.VIEWER, "ja", "Asia/Tokyo")
        hanako_id = hanako.id
        users.authenticate(session, username="hanako", password=password.group(1))
    assert (
        web.post(
            f"/admin/settings/users/{hanako_id}/role", data={"csrf_token": token, "role": "analyst"}
        ).status_code
        == 303
    )
    assert (
        web.post(
            f"/admin/settings/users/{hanako_id}/disable", data={"csrf_token": token}
        ).status_code
        == 303
    )
    with session_scope() as session:
        hanako = users.get_by_username(session, "hanako")
        assert hanako.role is Role.ANALYST and hanako.disabled_at is not None
        actions = set(
            session.scalars(
                select(AuditEvent.action).where(
                    AuditEvent.entity_id == hanako_id, AuditEvent.entity_type == "user"
                )
            )
        )
        assert {"user.create", "user.role", "user.disable"} <= actions
    assert "disabled" in section(web.get("/admin/settings").text, "user-list")
    assert (
        web.post(
            f"/admin/settings/users/{hanako_id}/enable", data={"csrf_token": token}
        ).status_code
        == 303
    )
    # Not oneself, and not another organization's user.
    with session_scope() as session:
        ada_id = users.get_by_username(session, "ada").id
        kaori_id = users.get_by_username(session, "kaori").id
    assert (
        web.post(f"/admin/settings/users/{ada_id}/disable", data={"csrf_token": token}).status_code
        == 409
    )
    assert (
        web.post(
            f"/admin/settings/users/{ada_id}/role", data={"csrf_token": token, "role": "viewer"}
        ).status_code
        == 409
    )
    assert (
        web.post(
            f"/admin/settings/users/{kaori_id}/disable", data={"csrf_token": token}
        ).status_code
        == 404
    )


def test_matching_settings_saved_and_a_stale_form_refused(web: TestClient, staff: Keys) -> None:
    token = sign_in(web, "ada")
    page = web.get("/admin/settings").text
    version = re.search(r'name="version" value="(\d+)"', page)
    assert version
    saved = web.post(
        "/admin/settings/matching",
        data={
            "csrf_token": token,
            "version": version.group(1),
            "min_fit": "0.4",
            "no_response_days": "21",
        },
    )
    assert saved.status_code == 303
    current = web.get(
        f"{API}/organizations/me/settings", headers=staff.headers("pichtr_admin")
    ).json()
    assert (current["min_fit"], current["no_response_days"]) == (0.4, 21)
    # The same (now stale) form again: refused, typed values kept, nothing overwritten.
    stale = web.post(
        "/admin/settings/matching",
        data={
            "csrf_token": token,
            "version": version.group(1),
            "min_fit": "0.9",
            "no_response_days": "5",
        },
    )
    assert stale.status_code == 409 and 'id="matching-stale"' in stale.text
    assert 'value="0.9"' in stale.text and "minimum fit 0.4" in stale.text
    after = web.get(
        f"{API}/organizations/me/settings", headers=staff.headers("pichtr_admin")
    ).json()
    assert (after["min_fit"], after["no_response_days"]) == (0.4, 21)
    wrong = web.post(
        "/admin/settings/matching",
        data={
            "csrf_token": token,
            "version": str(after["version"]),
            "min_fit": "2",
            "no_response_days": "many",
        },
    )
    assert wrong.status_code == 422
    assert 'id="matching-no_response_days-error">enter a whole number of days' in wrong.text
    out_of_range = web.post(
        "/admin/settings/matching",
        data={
            "csrf_token": token,
            "version": str(after["version"]),
            "min_fit": "2",
            "no_response_days": "7",
        },
    )
    assert out_of_range.status_code == 422 and 'id="matching-min_fit-error"' in out_of_range.text
    default = web.post(
        "/admin/settings/matching",
        data={
            "csrf_token": token,
            "version": str(after["version"]),
            "min_fit": "",
            "no_response_days": "7",
        },
    )
    assert default.status_code == 303
    final = web.get(
        f"{API}/organizations/me/settings", headers=staff.headers("pichtr_admin")
    ).json()
    assert (final["min_fit"], final["no_response_days"]) == (None, 7)
    with session_scope() as session:
        assert session.scalars(
            select(AuditEvent).where(AuditEvent.entity_type == "organization")
        ).all()
    assert 'action="/admin/settings/report"' in web.get("/admin/settings").text
