"""The imports API beyond the upload: run history, and settling likely duplicates."""

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.db import session_scope
from tests.conftest import Keys
from tests.imports.test_service import FIXTURES, upload


def lookalike_of_first_company(client: TestClient, keys: Keys) -> tuple[dict, dict]:
    """Import the template, then a row that looks like its first company under a new key."""
    upload(client, keys, "companies_template.csv", kind="companies")
    existing = client.get(
        "/api/v1/companies", params={"limit": 1}, headers=keys.headers("pichtr_viewer")
    ).json()["items"][0]
    content = f"role,country,name\n{existing['role']},JP,{existing['name'].upper()}\n".encode()
    summary = upload(client, keys, "lookalike.csv", kind="companies", content=content)
    return existing, summary


def test_runs_are_listed_for_their_organization_only(client: TestClient, keys: Keys) -> None:
    first = upload(client, keys, "companies_bad_rows.csv", kind="companies")
    listed = client.get("/api/v1/imports", headers=keys.headers("pichtr_viewer")).json()
    assert listed["total"] == 1
    item = listed["items"][0]
    assert item["id"] == first["run_id"] and item["status"] == "finished"
    assert item["counts"]["rejected"] == first["rejected"] > 0
    detail = client.get(f"/api/v1/imports/{first['run_id']}", headers=keys.headers("pichtr_viewer"))
    assert detail.status_code == 200
    assert detail.json()["errors"] == first["errors"]
    assert client.get("/api/v1/imports", headers=keys.headers("jetro_admin")).json()["total"] == 0
    other = client.get(f"/api/v1/imports/{first['run_id']}", headers=keys.headers("jetro_admin"))
    assert other.status_code == 404


def test_archiving_the_imported_duplicate(client: TestClient, keys: Keys) -> None:
    existing, summary = lookalike_of_first_company(client, keys)
    flag = client.get("/api/v1/imports/duplicates", headers=keys.headers("pichtr_viewer")).json()
    assert flag["total"] == 1
    flag_id, imported_id = flag["items"][0]["id"], summary["duplicates"][0]["entity_id"]
    # The import's own response carries the flag's id, so a client can resolve it from there.
    assert summary["duplicates"][0]["id"] == flag_id is not None
    path = f"/api/v1/imports/duplicates/{flag_id}/resolve"
    body = {"resolution": "archived_imported"}
    assert client.post(path, json=body, headers=keys.headers("pichtr_viewer")).status_code == 403
    assert client.post(path, json=body, headers=keys.headers("jetro_analyst")).status_code == 404
    bad = client.post(path, json={"resolution": "merge"}, headers=keys.headers("pichtr_analyst"))
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "resolution"]
    settled = client.post(path, json=body, headers=keys.headers("pichtr_analyst"))
    assert settled.status_code == 200
    assert settled.json()["resolution"] == "archived_imported"
    assert settled.json()["resolved_by"].startswith("pichtr:")
    headers = keys.headers("pichtr_viewer")
    assert client.get(f"/api/v1/companies/{imported_id}", headers=headers).status_code == 404
    assert client.get(f"/api/v1/companies/{existing['id']}", headers=headers).status_code == 200
    again = client.post(path, json=body, headers=keys.headers("pichtr_analyst"))
    assert again.status_code == 409 and "already settled" in again.json()["detail"]
    assert client.get("/api/v1/imports/duplicates", headers=headers).json()["total"] == 0
    with session_scope() as session:
        actions = set(session.scalars(select(AuditEvent.action)))
    assert {"duplicate.resolve", "archive"} <= actions


def test_keeping_both_leaves_both_records(client: TestClient, keys: Keys) -> None:
    existing, summary = lookalike_of_first_company(client, keys)
    flag_id = client.get(
        "/api/v1/imports/duplicates", headers=keys.headers("pichtr_viewer")
    ).json()["items"][0]["id"]
    settled = client.post(
        f"/api/v1/imports/duplicates/{flag_id}/resolve",
        json={"resolution": "kept_both"},
        headers=keys.headers("pichtr_analyst"),
    )
    assert settled.status_code == 200
    imported_id = summary["duplicates"][0]["entity_id"]
    for company_id in (imported_id, existing["id"]):
        response = client.get(
            f"/api/v1/companies/{company_id}", headers=keys.headers("pichtr_viewer")
        )
        assert response.status_code == 200


def test_a_background_upload_answers_at_once_and_is_followed_by_its_run(
    client: TestClient, keys: Keys, upload_dir: Path
) -> None:
    from app.jobs.worker import drain

    data = (FIXTURES / "sam_extract_cp1252.csv").read_bytes()
    queued = client.post(
        "/api/v1/imports/background",
        files={"file": ("extract.csv", data)},
        data={"kind": "solicitations"},
        headers=keys.headers("pichtr_analyst"),
    )
    assert queued.status_code == 202, queued.text
    assert queued.json()["status"] == "queued" and queued.json()["bytes_total"] == len(data)
    location = queued.headers["location"]
    assert drain(kinds=["import"]) == 1
    run = client.get(location, headers=keys.headers("pichtr_viewer")).json()
    assert run["status"] == "finished" and run["bytes_done"] == len(data)
    assert run["counts"]["created"] == run["counts"]["rows"] > 0
    assert list(upload_dir.iterdir()) == []
    # A file that is not a table is refused now, and nothing waits for the worker.
    refused = client.post(
        "/api/v1/imports/background",
        files={"file": ("logo.png", (FIXTURES / "not_a_table.bin").read_bytes())},
        headers=keys.headers("pichtr_analyst"),
    )
    assert refused.status_code == 400 and "not CSV or JSON" in refused.json()["detail"]
    assert list(upload_dir.iterdir()) == [] and drain(kinds=["import"]) == 0
    viewer = client.post(
        "/api/v1/imports/background",
        files={"file": ("extract.csv", data)},
        headers=keys.headers("pichtr_viewer"),
    )
    assert viewer.status_code == 403
