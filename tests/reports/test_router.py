"""The reports API: recipients (admins manage, every role reads, private to the organization),
the send time and zone in the settings, the outbox listing, and previews that write nothing."""

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.db import Base, session_scope
from app.reports.models import ReportMessage, ReportStatus
from tests.conftest import Keys
from tests.reports.conftest import SECRET, World

API = "/api/v1"
RECIPIENTS = f"{API}/reports/recipients"


def add_recipient(client: TestClient, keys: Keys, key: str = "pichtr_admin", **body: Any) -> dict:
    response = client.post(
        RECIPIENTS, json={"email": "desk@example.org", **body}, headers=keys.headers(key)
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


# -- recipients -----------------------------------------------------------------------------


def test_recipient_crud_with_etags(client: TestClient, keys: Keys) -> None:
    admin = keys.headers("pichtr_admin")
    created = client.post(
        RECIPIENTS,
        json={
            "email": "ota-desk@example.org",
            "name": "OTA desk",
            "locale": "ja",
            "technology_areas": ["space", "quantum"],
            "min_fit": 0.35,
            "max_matches": 5,
            "when_nothing_new": "no_mail",
        },
        headers=admin,
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert created.headers["ETag"] == '"1"'
    assert {k: body[k] for k in ("locale", "technology_areas", "min_fit", "max_matches")} == {
        "locale": "ja",
        "technology_areas": ["space", "quantum"],
        "min_fit": 0.35,
        "max_matches": 5,
    }
    assert body["when_nothing_new"] == "no_mail" and body["opted_out_at"] is None
    url = f"{RECIPIENTS}/{body['id']}"
    read = client.get(url, headers=keys.headers("pichtr_viewer"))
    assert read.status_code == 200 and read.headers["ETag"] == '"1"'
    # Defaults: English, every area, the organization's minimum, ten matches, a one-line mail.
    plain = add_recipient(client, keys, email="second@example.org")
    assert (plain["locale"], plain["technology_areas"], plain["min_fit"]) == ("en", [], None)
    assert (plain["max_matches"], plain["when_nothing_new"]) == (10, "one_line")

    changed = client.patch(
        url, json={"min_fit": None, "max_matches": 20}, headers={**admin, "If-Match": '"1"'}
    )
    assert changed.status_code == 200, changed.text
    assert changed.headers["ETag"] == '"2"'
    assert (changed.json()["min_fit"], changed.json()["max_matches"]) == (None, 20)
    assert changed.json()["locale"] == "ja"  # fields not sent stay
    stale = client.patch(url, json={"max_matches": 3}, headers={**admin, "If-Match": '"1"'})
    assert stale.status_code == 412
    assert client.get(url, headers=admin).json()["max_matches"] == 20

    listing = client.get(RECIPIENTS, headers=keys.headers("pichtr_analyst"))
    assert listing.status_code == 200
    assert [r["email"] for r in listing.json()["items"]] == [
        "ota-desk@example.org",
        "second@example.org",
    ]
    assert listing.json()["total"] == 2
    page = client.get(RECIPIENTS, params={"limit": 1, "offset": 1}, headers=admin).json()
    assert [r["email"] for r in page["items"]] == ["second@example.org"] and page["total"] == 2

    assert client.delete(url, headers=admin).status_code == 204
    assert client.get(url, headers=admin).status_code == 404
    assert client.get(RECIPIENTS, headers=admin).json()["total"] == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not-an-address"}, "email"),
        ({"email": "desk@example.org", "locale": "fr"}, "locale"),
        ({"email": "desk@example.org", "technology_areas": ["space", "time-travel"]}, None),
        ({"email": "desk@example.org", "min_fit": 1.5}, "min_fit"),
        ({"email": "desk@example.org", "min_fit": -0.1}, "min_fit"),
        ({"email": "desk@example.org", "max_matches": 0}, "max_matches"),
        ({"email": "desk@example.org", "max_matches": 51}, "max_matches"),
        ({"email": "desk@example.org", "when_nothing_new": "sometimes"}, "when_nothing_new"),
        ({"email": "desk@example.org", "colour": "blue"}, "colour"),
        ({"name": "No address"}, "email"),
    ],
)
def test_each_invalid_recipient_is_a_422_naming_the_field(
    client: TestClient, keys: Keys, body: dict[str, Any], field: str | None
) -> None:
    response = client.post(RECIPIENTS, json=body, headers=keys.headers("pichtr_admin"))
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    named = [error["loc"][-1] for error in detail]
    # An unknown area is refused by the service, naming the list and the slug.
    assert named == [field or "technology_areas"], detail
    if field is None:
        assert "time-travel" in detail[0]["msg"]
    assert client.get(RECIPIENTS, headers=keys.headers("pichtr_admin")).json()["total"] == 0


def test_updates_refuse_nulls_bad_values_and_a_taken_address(
    client: TestClient, keys: Keys
) -> None:
    admin = keys.headers("pichtr_admin")
    first = add_recipient(client, keys)
    add_recipient(client, keys, email="other@example.org")
    url = f"{RECIPIENTS}/{first['id']}"
    for body, field in (
        ({"locale": None}, "locale"),
        ({"max_matches": None}, "max_matches"),
        ({"technology_areas": ["warp-drive"]}, "technology_areas"),
        ({"opted_out": "yes"}, "opted_out"),
        ({"email": "x@y"}, "email"),
    ):
        response = client.patch(url, json=body, headers=admin)
        assert response.status_code == 422, (body, response.text)
        assert [e["loc"][-1] for e in response.json()["detail"]] == [field]
    taken = client.patch(url, json={"email": "OTHER@example.org"}, headers=admin)
    assert taken.status_code == 409 and "other@example.org" in taken.json()["detail"]
    duplicate = client.post(RECIPIENTS, json={"email": "Desk@Example.org"}, headers=admin)
    assert duplicate.status_code == 409
    assert client.get(url, headers=admin).json()["version"] == 1


def test_admins_manage_and_analysts_and_viewers_only_read(client: TestClient, keys: Keys) -> None:
    recipient = add_recipient(client, keys)
    url = f"{RECIPIENTS}/{recipient['id']}"
    for key in ("pichtr_analyst", "pichtr_viewer"):
        headers = keys.headers(key)
        assert client.get(RECIPIENTS, headers=headers).status_code == 200
        assert client.get(url, headers=headers).status_code == 200
        assert client.get(f"{API}/reports", headers=headers).status_code == 200
        refused = client.post(RECIPIENTS, json={"email": "new@example.org"}, headers=headers)
        assert refused.status_code == 403
        assert client.patch(url, json={"opted_out": True}, headers=headers).status_code == 403
        assert client.delete(url, headers=headers).status_code == 403
    assert client.get(RECIPIENTS).status_code == 401
    assert client.get(url, headers=keys.headers("pichtr_admin")).json()["opted_out_at"] is None


def test_recipients_are_private_to_their_organization(client: TestClient, keys: Keys) -> None:
    pichtr = add_recipient(client, keys, email="ota-desk@pichtr.example.org")
    jetro = add_recipient(client, keys, "jetro_admin", email="desk@jetro.example.jp")
    url = f"{RECIPIENTS}/{pichtr['id']}"
    jetro_admin = keys.headers("jetro_admin")
    listing = client.get(RECIPIENTS, headers=jetro_admin).json()
    assert [r["email"] for r in listing["items"]] == ["desk@jetro.example.jp"]
    assert client.get(url, headers=jetro_admin).status_code == 404
    assert client.patch(url, json={"opted_out": True}, headers=jetro_admin).status_code == 404
    assert client.delete(url, headers=jetro_admin).status_code == 404
    # Each organization may list the same person: the address is unique per organization.
    add_recipient(client, keys, "jetro_admin", email="ota-desk@pichtr.example.org")
    pichtr_view = client.get(url, headers=keys.headers("pichtr_admin")).json()
    assert pichtr_view["opted_out_at"] is None and pichtr_view["version"] == 1
    assert (
        client.get(f"{RECIPIENTS}/{jetro['id']}", headers=keys.headers("pichtr_admin")).status_code
        == 404
    )


def test_an_admin_opts_a_recipient_out_and_in(client: TestClient, keys: Keys) -> None:
    admin = keys.headers("pichtr_admin")
    recipient = add_recipient(client, keys)
    url = f"{RECIPIENTS}/{recipient['id']}"
    out = client.patch(url, json={"opted_out": True}, headers=admin).json()
    assert out["opted_out_at"] is not None and out["opted_out_by"].startswith("pichtr:")
    stopped = client.get(RECIPIENTS, params={"opted_out": True}, headers=admin).json()
    assert [r["id"] for r in stopped["items"]] == [recipient["id"]]
    assert client.get(RECIPIENTS, params={"opted_out": False}, headers=admin).json()["total"] == 0
    back = client.patch(url, json={"opted_out": False}, headers=admin).json()
    assert (back["opted_out_at"], back["opted_out_by"]) == (None, None)
    audit = client.get(
        f"{API}/audit", params={"entity_type": "report_recipient"}, headers=admin
    ).json()
    assert {e["action"] for e in audit["items"]} == {
        "report_recipient.create",
        "report_recipient.update",
    }


# -- organization settings ------------------------------------------------------------------


def test_send_time_and_zone_are_settings_validated_and_audited(
    client: TestClient, keys: Keys
) -> None:
    admin = keys.headers("pichtr_admin")
    url = f"{API}/organizations/me/settings"
    current = client.get(url, headers=admin)
    assert current.status_code == 200
    assert set(current.json()) >= {"report_send_time", "report_time_zone"}
    saved = client.patch(
        url,
        json={"report_send_time": "06:30", "report_time_zone": "Pacific/Honolulu"},
        headers={**admin, "If-Match": current.headers["ETag"]},
    )
    assert saved.status_code == 200, saved.text
    assert (saved.json()["report_send_time"], saved.json()["report_time_zone"]) == (
        "06:30",
        "Pacific/Honolulu",
    )
    for body, field in (
        ({"report_send_time": "7:00"}, "report_send_time"),
        ({"report_send_time": "24:00"}, "report_send_time"),
        ({"report_send_time": None}, "report_send_time"),
        ({"report_time_zone": "Mars/Olympus_Mons"}, "report_time_zone"),
        ({"report_time_zone": "../etc/passwd"}, "report_time_zone"),
    ):
        refused = client.patch(url, json=body, headers=admin)
        assert refused.status_code == 422, (body, refused.text)
        assert [e["loc"][-1] for e in refused.json()["detail"]] == [field]
    assert client.get(url, headers=admin).json()["report_send_time"] == "06:30"
    assert (
        client.patch(
            url, json={"report_send_time": "05:00"}, headers=keys.headers("pichtr_analyst")
        ).status_code
        == 403
    )
    audit = client.get(
        f"{API}/audit", params={"entity_type": "organization"}, headers=admin
    ).json()["items"]
    assert any(
        e["changes"].get("report_time_zone", {}).get("after") == "Pacific/Honolulu" for e in audit
    )


# -- the outbox -----------------------------------------------------------------------------


def insert_report(
    recipient_id: int,
    organization_id: int,
    report_date: date,
    status: ReportStatus,
    **fields: Any,
) -> int:
    """An outbox row as the nightly run writes it."""
    end = datetime.combine(report_date, datetime.min.time(), tzinfo=UTC) + timedelta(hours=17)
    with session_scope() as session:
        message = ReportMessage(
            organization_id=organization_id,
            recipient_id=recipient_id,
            report_date=report_date,
            window_start=end - timedelta(days=1),
            window_end=end,
            to_address="desk@example.org",
            locale="en",
            subject=f"Kakehashi nightly report {report_date}",
            message_id=f"report-{recipient_id}-{report_date}@kakehashi.test",
            mime="Subject: secret body\r\n\r\nthe whole message",
            summary={"solicitations": 2, "matches": 7},
            status=status,
            **fields,
        )
        session.add(message)
        session.flush()
        return message.id


def test_the_outbox_lists_filters_and_pages_the_organizations_reports(
    client: TestClient, keys: Keys
) -> None:
    admin = keys.headers("pichtr_admin")
    first = add_recipient(client, keys)
    second = add_recipient(client, keys, email="second@example.org")
    jetro = add_recipient(client, keys, "jetro_admin", email="desk@jetro.example.jp")
    pichtr_id = client.get(f"{API}/organizations/me", headers=admin).json()["id"]
    jetro_id = client.get(f"{API}/organizations/me", headers=keys.headers("jetro_admin")).json()[
        "id"
    ]
    sent = insert_report(
        first["id"],
        pichtr_id,
        date(2026, 11, 28),
        ReportStatus.SENT,
        attempts=1,
        sent_at=datetime(2026, 11, 28, 17, 0, 3, tzinfo=UTC),
    )
    failed = insert_report(
        first["id"],
        pichtr_id,
        date(2026, 11, 29),
        ReportStatus.FAILED,
        attempts=5,
        last_error="550 mailbox unavailable",
    )
    insert_report(second["id"], pichtr_id, date(2026, 11, 29), ReportStatus.SKIPPED)
    insert_report(jetro["id"], jetro_id, date(2026, 11, 29), ReportStatus.PENDING)

    listing = client.get(f"{API}/reports", headers=keys.headers("pichtr_viewer"))
    assert listing.status_code == 200
    items = listing.json()["items"]
    assert listing.json()["total"] == 3  # JETRO's report is not PICHTR's to see
    assert [i["report_date"] for i in items] == ["2026-11-29", "2026-11-29", "2026-11-28"]
    by_id = {i["id"]: i for i in items}
    assert by_id[failed]["status"] == "failed" and by_id[failed]["attempts"] == 5
    assert by_id[failed]["last_error"] == "550 mailbox unavailable"
    assert by_id[sent]["summary"] == {"solicitations": 2, "matches": 7}
    assert by_id[sent]["sent_at"].startswith("2026-11-28T17:00:03")
    assert "mime" not in by_id[sent]  # the raw message stays in the outbox

    def ids(**params: Any) -> list[int]:
        response = client.get(f"{API}/reports", params=params, headers=admin)
        assert response.status_code == 200, response.text
        return [i["id"] for i in response.json()["items"]]

    assert ids(status="failed") == [failed]
    assert ids(recipient_id=first["id"]) == [failed, sent]
    assert ids(date_from="2026-11-29") == ids(date_to="2026-11-29", date_from="2026-11-29")
    assert ids(date_to="2026-11-28") == [sent]
    assert ids(limit=1, offset=2) == [sent]

    one = client.get(f"{API}/reports/{failed}", headers=admin)
    assert one.status_code == 200 and one.json()["to_address"] == "desk@example.org"
    assert one.json()["window_end"] > one.json()["window_start"]
    assert (
        client.get(f"{API}/reports/{sent}", headers=keys.headers("jetro_admin")).status_code == 404
    )
    for params, field in (
        ({"status": "lost"}, "status"),
        ({"date_from": "2026-02-30"}, "date_from"),
        ({"date_to": "1700000000"}, "date_to"),
    ):
        refused = client.get(f"{API}/reports", params=params, headers=admin)
        assert refused.status_code == 422
        assert [e["loc"][-1] for e in refused.json()["detail"]] == [field]
    # A recipient with reports is kept: opting out is how they stop.
    kept = client.delete(f"{RECIPIENTS}/{first['id']}", headers=admin)
    assert kept.status_code == 409 and "opt" in kept.json()["detail"]


def row_counts() -> dict[str, int]:
    """Rows in every table, to show a request wrote nothing."""
    with session_scope() as session:
        return {
            table.name: session.scalar(select(func.count()).select_from(table)) or 0
            for table in Base.metadata.sorted_tables
        }


# -- preview --------------------------------------------------------------------------------


def ahead(days: int = 2) -> str:
    """A report date ahead of now in every zone: written now, its window ends now and starts a
    day earlier (the recipient's first report), so it holds what the test just made."""
    return (datetime.now(UTC).date() + timedelta(days=days)).isoformat()


def test_preview_shows_a_new_solicitation_in_json_html_and_text_and_writes_nothing(
    client: TestClient, keys: Keys, world: World
) -> None:
    admin = keys.headers("pichtr_admin")
    recipient = add_recipient(client, keys, locale="en", max_matches=2)
    before = row_counts()
    url = f"{API}/reports/preview"
    params = {"date": ahead(), "recipient_id": recipient["id"]}
    response = client.get(url, params=params, headers=keys.headers("pichtr_viewer"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["mail"] == "report" and body["recipient_id"] == recipient["id"]
    assert body["report_date"] == params["date"]
    listed = {s["notice_id"]: s for s in body["report"]["solicitations"]}
    assert listed["N-new"]["kind"] == "new"
    assert all(len(s["matches"]) <= 2 for s in listed.values())
    assert body["subject"]
    window = datetime.fromisoformat(body["window_end"]) - datetime.fromisoformat(
        body["window_start"]
    )
    assert window == timedelta(days=1)

    html = client.get(url, params={**params, "format": "html"}, headers=admin)
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert "Ka-band GaN amplifiers" in html.text and "<html" in html.text.lower()
    text = client.get(url, params={**params, "format": "text"}, headers=admin)
    assert text.status_code == 200 and text.headers["content-type"].startswith("text/plain")
    assert "Ka-band GaN amplifiers" in text.text and "<" not in text.text.split("\n")[0]
    # The organization's default reader: every area, the organization's language.
    default = client.get(url, params={"date": ahead()}, headers=admin).json()
    assert default["recipient_id"] is None and default["report"]["locale"] == "en"
    assert "N-robots" in {s["notice_id"] for s in default["report"]["solicitations"]}
    assert row_counts() == before


def test_a_japan_side_preview_never_holds_an_itar_description(
    client: TestClient, keys: Keys, world: World
) -> None:
    jetro = keys.headers("jetro_admin")
    recipient = add_recipient(
        client, keys, "jetro_admin", email="desk@jetro.example.jp", locale="ja"
    )
    params = {"date": ahead(), "recipient_id": recipient["id"]}
    body = client.get(f"{API}/reports/preview", params=params, headers=jetro).json()
    itar = next(s for s in body["report"]["solicitations"] if s["notice_id"] == "N-itar")
    assert itar["description"] is None and itar["withheld_reason"]
    for part in ("html", "text"):
        rendered = client.get(
            f"{API}/reports/preview", params={**params, "format": part}, headers=jetro
        ).text
        assert SECRET not in rendered and "27.5 GHz" not in rendered
    # The US side reads it whole.
    us = client.get(
        f"{API}/reports/preview", params={"date": ahead()}, headers=keys.headers("pichtr_admin")
    ).json()
    us_itar = next(s for s in us["report"]["solicitations"] if s["notice_id"] == "N-itar")
    assert us_itar["withheld_reason"] is None and "27.5 GHz" in (us_itar["description"] or "")


def test_a_preview_starts_where_the_recipients_last_report_ended(
    client: TestClient, keys: Keys, world: World
) -> None:
    admin = keys.headers("pichtr_admin")
    recipient = add_recipient(client, keys)
    pichtr_id = client.get(f"{API}/organizations/me", headers=admin).json()["id"]
    last_end = datetime.now(UTC)
    with session_scope() as session:
        session.add(
            ReportMessage(
                organization_id=pichtr_id,
                recipient_id=recipient["id"],
                report_date=last_end.date(),
                window_start=last_end - timedelta(days=1),
                window_end=last_end,
                to_address="desk@example.org",
                locale="en",
                subject="last night",
                message_id="last-night@kakehashi.test",
                status=ReportStatus.SENT,
            )
        )
    params = {"date": ahead(), "recipient_id": recipient["id"]}
    body = client.get(f"{API}/reports/preview", params=params, headers=admin).json()
    # Everything the world made was in last night's report: no solicitation is new since.
    assert datetime.fromisoformat(body["window_start"]) == last_end
    assert body["report"]["solicitations"] == []


def test_preview_refuses_bad_dates_and_other_organizations_recipients(
    client: TestClient, keys: Keys
) -> None:
    jetro_recipient = add_recipient(client, keys, "jetro_admin", email="desk@jetro.example.jp")
    admin = keys.headers("pichtr_admin")
    url = f"{API}/reports/preview"
    for params, field in (
        ({"date": "2026-13-01"}, "date"),
        ({"date": "tomorrow"}, "date"),
        ({"date": "1999-12-31"}, "date"),
        ({"date": "2026-11-30", "format": "pdf"}, "format"),
        ({"date": "2026-11-30", "recipient_id": 0}, "recipient_id"),
    ):
        response = client.get(url, params=params, headers=admin)
        assert response.status_code == 422, (params, response.text)
        assert [e["loc"][-1] for e in response.json()["detail"]] == [field]
    hidden = client.get(
        url, params={"date": "2026-11-30", "recipient_id": jetro_recipient["id"]}, headers=admin
    )
    assert hidden.status_code == 404
    assert client.get(url, params={"date": "2026-11-30"}).status_code == 401
