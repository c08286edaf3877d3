"""Lists of recipients with every filter, the CSV export, and two organizations' privacy."""

import csv
import io
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import update

from app.db import session_scope, utcnow
from app.distributions.models import Distribution
from app.distributions.service import EXPORT_COLUMNS
from tests.conftest import Keys
from tests.distributions.conftest import API, post, send
from tests.factories import company_payload


def ids(
    client: TestClient, keys: Keys, url: str, key: str = "pichtr_viewer", **params
) -> list[int]:
    response = client.get(f"{API}{url}", params=params, headers=keys.headers(key))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == len(body["items"]) or params.get("limit")
    return [item["id"] for item in body["items"]]


def test_lists_filter_on_every_field(client: TestClient, keys: Keys, scene: dict[str, int]) -> None:
    itar = send(client, keys, scene["solicitation"], [scene["authorized"], scene["us"]]).json()
    plain = send(client, keys, scene["plain"], [scene["us"]], channel="email").json()
    old = send(client, keys, scene["plain"], [scene["unauthorized"]], channel="report").json()
    with session_scope() as session:
        session.execute(
            update(Distribution)
            .where(Distribution.id == old["id"])
            .values(created_at=utcnow() - timedelta(days=40))
        )
    a_itar, b_itar = (r["id"] for r in itar["recipients"])
    (r_plain,) = (r["id"] for r in plain["recipients"])
    (r_old,) = (r["id"] for r in old["recipients"])
    client.post(
        f"{API}/distributions/{itar['id']}/recipients/{a_itar}/status",
        json={"status": "interested"},
        headers=keys.headers("pichtr_analyst"),
    )
    today = utcnow().date()
    assert ids(client, keys, "/distributions") == [r_old, r_plain, b_itar, a_itar]
    assert ids(client, keys, "/distributions", status="interested") == [a_itar]
    assert ids(client, keys, "/distributions", status="sent") == [r_old, r_plain, b_itar]
    assert ids(client, keys, "/distributions", channel="email") == [r_plain]
    assert ids(client, keys, "/distributions", channel="report") == [r_old]
    assert ids(client, keys, "/distributions", area="space") == [b_itar, a_itar]
    assert ids(client, keys, "/distributions", area="additive-manufacturing") == [r_old, r_plain]
    assert ids(client, keys, "/distributions", solicitation_id=scene["plain"]) == [r_old, r_plain]
    assert ids(client, keys, "/distributions", company_id=scene["us"]) == [r_plain, b_itar]
    assert ids(client, keys, "/distributions", sent_from=str(today)) == [r_plain, b_itar, a_itar]
    assert ids(client, keys, "/distributions", sent_until=str(today - timedelta(days=1))) == [r_old]
    assert ids(client, keys, "/distributions", sent_until=str(today)) == [
        r_old,
        r_plain,
        b_itar,
        a_itar,
    ]
    window = {
        "sent_from": (utcnow() - timedelta(days=41)).isoformat(),
        "sent_until": (utcnow() - timedelta(days=39)).isoformat(),
    }
    assert ids(client, keys, "/distributions", **window) == [r_old]
    assert ids(client, keys, "/distributions", limit=2, offset=1) == [r_plain, b_itar]
    assert ids(client, keys, f"/solicitations/{scene['plain']}/distributions", channel="email") == [
        r_plain
    ]
    assert ids(client, keys, f"/companies/{scene['us']}/distributions") == [r_plain, b_itar]
    row = client.get(f"{API}/distributions", headers=keys.headers("pichtr_viewer")).json()["items"][
        -1
    ]
    assert (
        row["distribution"]["id"] == itar["id"]
        and row["solicitation"]["id"] == scene["solicitation"]
    )
    assert row["company"]["name"] == "Aoi GaN Devices KK" and row["withheld_reason"]

    viewer = keys.headers("pichtr_viewer")
    for params, text in (
        ({"sent_from": str(today), "sent_until": str(today - timedelta(days=1))}, "sent_from"),
        ({"area": "basket-weaving"}, "unknown technology area"),
        ({"status": "lost"}, "status"),
        ({"sent_from": "1700000000"}, "ISO 8601"),
        ({"sent_from": "2026-11-01T10:00:00"}, "sent_from"),
    ):
        refused = client.get(f"{API}/distributions", params=params, headers=viewer)
        assert refused.status_code == 422 and text in refused.text, (params, refused.text)
    for url in ("/solicitations/999999/distributions", "/companies/999999/distributions"):
        assert client.get(f"{API}{url}", headers=viewer).status_code == 404


def test_the_csv_export(client: TestClient, keys: Keys, scene: dict[str, int]) -> None:
    formula = post(
        client,
        keys,
        "/companies",
        company_payload(name='=HYPERLINK("http://x.example")', corporate_number=None),
        "jetro_analyst",
    )["id"]
    post(
        client,
        keys,
        f"/companies/{formula}/vetting",
        {"status": "vetted", "evidence": "Checked."},
        "pichtr_analyst",
    )
    sent = send(client, keys, scene["plain"], [formula, scene["us"]], message="-1+1").json()
    client.post(
        f"{API}/distributions/{sent['id']}/recipients/{sent['recipients'][1]['id']}/status",
        json={"status": "declined", "reason": "@SUM(A1:A2) too small"},
        headers=keys.headers("pichtr_analyst"),
    )
    send(client, keys, scene["solicitation"], [scene["us"]])
    response = client.get(
        f"{API}/distributions/export.csv",
        params={"solicitation_id": scene["plain"]},
        headers=keys.headers("pichtr_viewer"),
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"].startswith(
        'attachment; filename="distributions-'
    )
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert tuple(rows[0]) == EXPORT_COLUMNS
    assert len(rows) == 2
    first, second = rows
    assert first["company_name"] == '\'=HYPERLINK("http://x.example")'
    assert second["status_reason"] == "'@SUM(A1:A2) too small"
    assert (first["channel"], first["company_country"], first["company_role"]) == (
        "manual",
        "JP",
        "jp_partner",
    )
    assert first["notice_id"] == "W15QKN-27-9-0200" and first["areas"] == "additive-manufacturing"
    assert first["solicitation_title"] == "Additive repair of turbine blades"
    assert second["status"] == "declined" and second["responded_at"]
    assert first["withheld_reason"] == "" and first["deadline"].startswith("2027-01-15")
    everything = client.get(
        f"{API}/distributions/export.csv", headers=keys.headers("pichtr_viewer")
    ).text
    assert len(list(csv.DictReader(io.StringIO(everything)))) == 3
    refused = client.get(
        f"{API}/distributions/export.csv",
        params={"area": "nope"},
        headers=keys.headers("pichtr_viewer"),
    )
    assert refused.status_code == 422


def test_another_organization_sees_nothing_of_them(
    client: TestClient, keys: Keys, scene: dict[str, int]
) -> None:
    mine = send(client, keys, scene["plain"], [scene["us"]]).json()
    theirs = send(client, keys, scene["plain"], [scene["us"]], key="jetro_analyst").json()
    for org, own, other in (("pichtr", mine, theirs), ("jetro", theirs, mine)):
        for role in ("viewer", "admin"):
            headers = keys.headers(f"{org}_{role}")
            recipient = other["recipients"][0]["id"]
            for url in (
                f"/distributions/{other['id']}",
                f"/distributions/{other['id']}/recipients/{recipient}",
                f"/distributions/{own['id']}/recipients/{recipient}",
            ):
                response = client.get(f"{API}{url}", headers=headers)
                assert response.status_code == 404, (org, url, response.text)
            changed = client.post(
                f"{API}/distributions/{other['id']}/recipients/{recipient}/status",
                json={"status": "viewed"},
                headers=keys.headers(f"{org}_admin"),
            )
            assert changed.status_code == 404
            own_recipient = own["recipients"][0]["id"]
            for url in (
                "/distributions",
                f"/solicitations/{scene['plain']}/distributions",
                f"/companies/{scene['us']}/distributions",
            ):
                assert ids(client, keys, url, key=f"{org}_{role}") == [own_recipient]
            export = client.get(f"{API}/distributions/export.csv", headers=headers).text
            rows = list(csv.DictReader(io.StringIO(export)))
            assert [int(r["recipient_id"]) for r in rows] == [own_recipient]
    # Nothing changed on the other's recipient.
    read = client.get(
        f"{API}/distributions/{theirs['id']}", headers=keys.headers("jetro_viewer")
    ).json()
    assert read["recipients"][0]["status"] == "sent" and len(read["recipients"][0]["history"]) == 1
