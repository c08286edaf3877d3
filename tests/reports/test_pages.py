"""The nightly report's admin pages: the send time and the recipients on the settings page
(who opted out and when), the recipient forms, the outbox list and the preview with its
sandboxed HTML part."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from app.db import session_scope
from app.organizations.models import Role
from app.organizations.service import get_by_slug
from app.reports.models import ReportRecipient, ReportStatus
from app.users import service as users
from tests.conftest import PASSWORD, Keys, csrf_of
from tests.reports.conftest import SECRET, World
from tests.reports.test_router import add_recipient, insert_report

API = "/api/v1"
STAFF = (
    ("pichtr", "ada", Role.ADMIN, "en"),
    ("pichtr", "val", Role.VIEWER, "en"),
    ("jetro", "kaori", Role.ADMIN, "ja"),
)


@pytest.fixture
def web(keys: Keys, admin_client: TestClient) -> TestClient:
    """A browser-like client; the organizations hold the API keys and these users."""
    with session_scope() as session:
        for slug, name, role, locale in STAFF:
            users.create_user(
                session,
                organization=get_by_slug(session, slug=slug),
                username=name,
                password=PASSWORD,
                role=role,
                locale=locale,
            )
    return admin_client


def sign_in(client: TestClient, username: str) -> str:
    """Sign in; the CSRF token of the session."""
    page = client.get("/admin/login")
    response = client.post(
        "/admin/login",
        data={"csrf_token": csrf_of(page.text), "username": username, "password": PASSWORD},
    )
    assert response.status_code == 303, response.text
    return csrf_of(client.get("/admin/preferences").text)


def section(html: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}".*?</(section|table)>', html, re.S)
    assert match, f"no #{element_id}"
    return match.group(0)


def test_settings_page_saves_the_send_time_and_refuses_a_bad_zone(
    web: TestClient, keys: Keys
) -> None:
    token = sign_in(web, "ada")
    page = web.get("/admin/settings")
    assert page.status_code == 200
    report = section(page.text, "report")
    assert "not set up yet" not in report and 'value="07:00"' in report
    version = re.search(
        r'action="/admin/settings/report".*?name="version" value="(\d+)"', report, re.S
    )
    assert version
    saved = web.post(
        "/admin/settings/report",
        data={
            "csrf_token": token,
            "version": version.group(1),
            "report_send_time": "06:45",
            "report_time_zone": "Pacific/Honolulu",
        },
    )
    assert saved.status_code == 303 and saved.headers["location"].endswith("#report")
    current = web.get(f"{API}/organizations/me/settings", headers=keys.headers("pichtr_admin"))
    assert (current.json()["report_send_time"], current.json()["report_time_zone"]) == (
        "06:45",
        "Pacific/Honolulu",
    )
    refused = web.post(
        "/admin/settings/report",
        data={
            "csrf_token": token,
            "version": str(current.json()["version"]),
            "report_send_time": "6.45",
            "report_time_zone": "Moon/Tranquility",
        },
    )
    assert refused.status_code == 422
    assert 'id="report-report_send_time-error"' in refused.text
    assert 'id="report-report_time_zone-error"' in refused.text
    assert 'value="Moon/Tranquility"' in refused.text  # what was typed is kept
    stale = web.post(
        "/admin/settings/report",
        data={
            "csrf_token": token,
            "version": version.group(1),
            "report_send_time": "05:00",
            "report_time_zone": "UTC",
        },
    )
    assert stale.status_code == 409 and 'id="report-stale"' in stale.text
    after = web.get(f"{API}/organizations/me/settings", headers=keys.headers("pichtr_admin"))
    assert after.json()["report_send_time"] == "06:45"
    no_token = web.post("/admin/settings/report", data={"report_send_time": "05:00"})
    assert no_token.status_code == 403


def test_recipients_are_added_changed_opted_out_and_removed_through_the_pages(
    web: TestClient, keys: Keys
) -> None:
    token = sign_in(web, "ada")
    form = web.get("/admin/reports/recipients/new")
    assert form.status_code == 200 and 'name="technology_areas" value="space"' in form.text
    wrong = web.post(
        "/admin/reports/recipients",
        data={"csrf_token": token, "email": "not an address", "max_matches": "many"},
    )
    assert wrong.status_code == 422
    assert 'id="r-max_matches-error"' in wrong.text and 'value="not an address"' in wrong.text
    out_of_range = web.post(
        "/admin/reports/recipients",
        data={"csrf_token": token, "email": "x@example", "max_matches": "99"},
    )
    assert out_of_range.status_code == 422
    assert 'id="r-email-error"' in out_of_range.text
    assert 'id="r-max_matches-error"' in out_of_range.text
    created = web.post(
        "/admin/reports/recipients",
        data={
            "csrf_token": token,
            "email": "ota-desk@pichtr.example.org",
            "name": "OTA desk",
            "locale": "ja",
            "technology_areas": ["space", "sensors"],
            "min_fit": "0.3",
            "max_matches": "5",
            "when_nothing_new": "no_mail",
        },
    )
    assert created.status_code == 303, created.text
    listed = web.get("/api/v1/reports/recipients", headers=keys.headers("pichtr_admin")).json()
    recipient = listed["items"][0]
    assert (recipient["locale"], recipient["technology_areas"], recipient["min_fit"]) == (
        "ja",
        ["space", "sensors"],
        0.3,
    )
    assert (recipient["max_matches"], recipient["when_nothing_new"]) == (5, "no_mail")
    taken = web.post(
        "/admin/reports/recipients",
        data={"csrf_token": token, "email": "OTA-desk@pichtr.example.org"},
    )
    assert taken.status_code == 422 and 'id="r-email-error"' in taken.text

    edit_url = f"/admin/reports/recipients/{recipient['id']}"
    edit = web.get(edit_url)
    assert edit.status_code == 200 and 'value="ota-desk@pichtr.example.org"' in edit.text
    changed = web.post(
        edit_url,
        data={
            "csrf_token": token,
            "version": "1",
            "email": "ota-desk@pichtr.example.org",
            "name": "",
            "locale": "en",
            "min_fit": "",
            "max_matches": "12",
            "when_nothing_new": "one_line",
        },
    )
    assert changed.status_code == 303, changed.text
    now = web.get(
        f"/api/v1/reports/recipients/{recipient['id']}", headers=keys.headers("pichtr_admin")
    ).json()
    assert (now["name"], now["min_fit"], now["technology_areas"], now["max_matches"]) == (
        None,
        None,
        [],
        12,
    )
    stale = web.post(
        edit_url,
        data={"csrf_token": token, "version": "1", "email": "late@example.org"},
    )
    assert stale.status_code == 409 and 'id="recipient-stale"' in stale.text

    opted = web.post(f"{edit_url}/opt-out", data={"csrf_token": token})
    assert opted.status_code == 303
    row = section(web.get("/admin/settings").text, "recipient-list")
    assert "opted out" in row and "pichtr:@ada" in row
    assert f'action="{edit_url}/opt-in"' in row
    assert web.post(f"{edit_url}/opt-in", data={"csrf_token": token}).status_code == 303
    row = section(web.get("/admin/settings").text, "recipient-list")
    assert "receives the report" in row and "pichtr:@ada" not in row
    assert web.post(f"{edit_url}/delete", data={"csrf_token": token}).status_code == 303
    assert "Nobody receives the nightly report yet." in web.get("/admin/settings").text


def test_an_opt_out_by_link_and_another_organizations_recipient(
    web: TestClient, keys: Keys
) -> None:
    mine = add_recipient(client=web, keys=keys, email="reader@example.org")
    theirs = add_recipient(web, keys, "jetro_admin", email="desk@jetro.example.jp")
    with session_scope() as session:
        stored = session.get(ReportRecipient, mine["id"])
        assert stored is not None
        stored.opted_out_at = datetime(2026, 11, 29, 20, 15, tzinfo=UTC)
        stored.opted_out_by = "link"
    token = sign_in(web, "ada")
    row = section(web.get("/admin/settings").text, "recipient-list")
    assert "opted out 11/29/26" in row and "UTC by the recipient (link in a mail)" in row
    assert "desk@jetro.example.jp" not in row
    other = f"/admin/reports/recipients/{theirs['id']}"
    assert web.get(other).status_code == 404
    assert web.post(f"{other}/opt-out", data={"csrf_token": token}).status_code == 404
    # A viewer reads the outbox but manages no recipient.
    web.post("/admin/logout", data={"csrf_token": token})
    token = sign_in(web, "val")
    assert web.get("/admin/reports").status_code == 200
    assert web.get("/admin/reports/recipients/new").status_code == 403
    refused = web.post(f"/admin/reports/recipients/{mine['id']}/opt-in", data={"csrf_token": token})
    assert refused.status_code == 403


def test_the_outbox_page_lists_and_filters_the_organizations_reports(
    web: TestClient, keys: Keys
) -> None:
    admin = keys.headers("pichtr_admin")
    recipient = add_recipient(web, keys)
    jetro = add_recipient(web, keys, "jetro_admin", email="desk@jetro.example.jp")
    pichtr_id = web.get(f"{API}/organizations/me", headers=admin).json()["id"]
    jetro_id = web.get(f"{API}/organizations/me", headers=keys.headers("jetro_admin")).json()["id"]
    sent = insert_report(
        recipient["id"],
        pichtr_id,
        date(2026, 11, 28),
        ReportStatus.SENT,
        attempts=1,
        sent_at=datetime(2026, 11, 28, 17, 0, tzinfo=UTC),
    )
    failed = insert_report(
        recipient["id"],
        pichtr_id,
        date(2026, 11, 29),
        ReportStatus.FAILED,
        attempts=5,
        last_error="550 5.1.1 mailbox unavailable",
    )
    hidden = insert_report(jetro["id"], jetro_id, date(2026, 11, 29), ReportStatus.PENDING)
    sign_in(web, "val")
    page = web.get("/admin/reports")
    assert page.status_code == 200
    assert 'href="/admin/reports" aria-current="page"' in page.text
    table = section(page.text, "reports")
    assert f'id="report-{sent}"' in table and f'id="report-{failed}"' in table
    assert f'id="report-{hidden}"' not in table
    assert "550 5.1.1 mailbox unavailable" in table and "2 solicitations, 7 matches" in table
    assert table.index(f'id="report-{failed}"') < table.index(f'id="report-{sent}"')
    only_failed = section(web.get("/admin/reports", params={"status": "failed"}).text, "reports")
    assert f'id="report-{sent}"' not in only_failed and f'id="report-{failed}"' in only_failed
    wrong = web.get("/admin/reports", params={"date_from": "2026-11-29", "date_to": "2026-11-01"})
    assert wrong.status_code == 422 and 'id="date_to-error"' in wrong.text
    assert (
        "No report matches these filters."
        in web.get("/admin/reports", params={"date_from": "2027-01-01"}).text
    )


def test_the_preview_page_shows_both_parts_and_frames_the_html_safely(
    web: TestClient, keys: Keys, world: World
) -> None:
    recipient = add_recipient(web, keys, "jetro_admin", email="desk@jetro.example.jp", locale="ja")
    sign_in(web, "kaori")  # JETRO, reading the pages in Japanese
    day = (datetime.now(UTC).date() + timedelta(days=2)).isoformat()
    page = web.get("/admin/reports/preview", params={"date": day, "recipient_id": recipient["id"]})
    assert page.status_code == 200, page.text
    assert "レポートのプレビュー" in page.text and "テキストパート" in page.text
    text_part = section(page.text, "preview")
    assert "Ka-band GaN amplifiers" in text_part and SECRET not in text_part
    frame = re.search(r'<iframe id="preview-html"[^>]*src="([^"]+)"[^>]*>', page.text)
    assert frame and " sandbox " in frame.group(0)
    assert "script-src 'none'" in page.headers["content-security-policy"]
    mail = web.get(frame.group(1).replace("&amp;", "&"))
    assert mail.status_code == 200 and "Ka-band GaN amplifiers" in mail.text
    assert SECRET not in mail.text
    policy = mail.headers["content-security-policy"]
    assert "style-src 'unsafe-inline'" in policy and "default-src 'none'" in policy
    assert "script" not in policy and "frame-ancestors 'self'" in policy
    assert mail.headers["x-frame-options"] == "SAMEORIGIN"
    # The organization's default reader, and a date that is not one.
    default = web.get("/admin/reports/preview", params={"date": day})
    assert default.status_code == 200 and 'id="preview-html"' in default.text
    bad = web.get("/admin/reports/preview", params={"date": "2026-02-30"})
    assert bad.status_code == 422 and 'id="date-error"' in bad.text
    assert web.get("/admin/reports/preview/mail.html", params={"date": "x"}).status_code == 422
    missing = web.get("/admin/reports/preview", params={"date": day, "recipient_id": 999})
    assert missing.status_code == 404
