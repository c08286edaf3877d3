"""Imports end to end on real fixture files: idempotent upserts, per-row errors, hand edits
that survive re-imports, duplicate flags, and files that are not tables at all."""

import csv
import io
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from app.audit.models import AuditEvent
from app.cli import cli
from app.db import get_sessionmaker
from app.imports import parsing, service
from app.imports.models import ImportRun
from app.jobs.models import Job
from app.solicitations import service as solicitations
from app.solicitations.models import Solicitation
from app.solicitations.schemas import SolicitationCreate
from tests.conftest import Keys

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "imports"
runner = CliRunner()


def upload(
    client: TestClient,
    keys: Keys,
    name: str,
    kind: str = "solicitations",
    key: str = "pichtr_analyst",
    content: bytes | None = None,
    **form: str,
) -> dict:
    data = content if content is not None else (FIXTURES / name).read_bytes()
    response = client.post(
        "/api/v1/imports",
        files={"file": (name, data)},
        data={"kind": kind, **form},
        headers=keys.headers(key),
    )
    assert response.status_code == 200, response.text
    return response.json()


def count(model: type) -> int:
    with get_sessionmaker()() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_reimport_changes_nothing_and_encodings_agree(client: TestClient, keys: Keys) -> None:
    first = upload(client, keys, "sam_extract_cp1252.csv")
    assert first["rejected"] == 0 and first["created"] == first["rows"] > 0
    again = upload(client, keys, "sam_extract_cp1252.csv")
    assert again["created"] == again["updated"] == 0
    assert again["unchanged"] == first["rows"]
    # The same extract saved as UTF-8 (with and without BOM) decodes to the same records.
    utf8 = upload(client, keys, "sam_extract_utf8.csv")
    assert utf8["updated"] == 0 and utf8["rejected"] == 0
    bom = upload(client, keys, "sam_extract_utf8_bom.csv")
    assert bom["updated"] == 0 and bom["rejected"] == 0
    assert count(Solicitation) == first["rows"] + utf8["created"]


def test_imported_values(client: TestClient, keys: Keys) -> None:
    upload(client, keys, "sam_extract_cp1252.csv")
    items = client.get(
        "/api/v1/solicitations", params={"limit": 100}, headers=keys.headers("pichtr_viewer")
    ).json()["items"]
    by_status = {s["status"] for s in items}
    assert "awarded" in by_status and "open" in by_status
    assert all(s["source"] == "sam.gov" for s in items)
    text = " ".join(
        client.get(
            f"/api/v1/solicitations/{s['id']}", headers=keys.headers("pichtr_viewer")
        ).json()["description"]
        for s in items
    )
    assert "<p>" not in text and "&amp;" not in text
    assert "@" in text  # addresses written as <name@host> survive cleaning
    assert any(
        len(n) < 6
        for s in items
        for n in client.get(
            f"/api/v1/solicitations/{s['id']}", headers=keys.headers("pichtr_viewer")
        ).json()["naics"]
    )


def test_changed_row_updates_and_hand_edits_win(client: TestClient, keys: Keys) -> None:
    source = (FIXTURES / "sam_extract_utf8.csv").read_text(encoding="utf-8")
    upload(client, keys, "x.csv", content=source.encode())
    first = client.get(
        "/api/v1/solicitations", params={"limit": 1}, headers=keys.headers("pichtr_viewer")
    ).json()["items"][0]
    record = client.get(
        f"/api/v1/solicitations/{first['id']}", headers=keys.headers("pichtr_viewer")
    ).json()
    # An analyst corrects the areas and the title by hand.
    client.patch(
        f"/api/v1/solicitations/{first['id']}",
        json={"technology_areas": ["quantum"], "title": "Corrected title"},
        headers=keys.headers("pichtr_analyst"),
    )
    rows = list(csv.DictReader(io.StringIO(source)))
    for row in rows:
        if row["NoticeId"] == record["notice_id"]:
            row["Description"] = row["Description"] + " Amendment 1 extends the deadline."
            row["Title"] = "Title from the file"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    summary = upload(client, keys, "x.csv", content=out.getvalue().encode())
    assert summary["updated"] == 1 and summary["unchanged"] == len(rows) - 1
    after = client.get(
        f"/api/v1/solicitations/{first['id']}", headers=keys.headers("pichtr_viewer")
    ).json()
    assert after["description"].endswith("Amendment 1 extends the deadline.")
    assert after["title"] == "Corrected title"
    assert after["technology_areas"] == ["quantum"]
    assert after["version"] == record["version"] + 2
    # One queued job re-embeds whatever the import changed.
    with get_sessionmaker()() as session:
        queued = list(session.scalars(select(Job.kind).where(Job.status == "queued")))
    assert queued.count("embed_all") == 1


def test_bad_rows_never_sink_good_ones(client: TestClient, keys: Keys) -> None:
    summary = upload(client, keys, "sam_malformed.csv")
    assert summary["created"] > 0 and summary["rejected"] > 0
    assert summary["created"] + summary["rejected"] == summary["rows"]
    fields = {(e["line"], e["field"]) for e in summary["errors"]}
    assert any(field == "notice_id" for _, field in fields)
    assert any(field == "naics" for _, field in fields)
    assert any("duplicate of line" in e["reason"] for e in summary["errors"])
    assert all(e["line"] > 1 for e in summary["errors"])
    listed = client.get("/api/v1/solicitations", headers=keys.headers("pichtr_viewer")).json()
    assert listed["total"] == summary["created"]


def test_unreadable_files_write_nothing(client: TestClient, keys: Keys) -> None:
    for name in ("not_a_table.bin", "sam_missing_columns.csv", "empty.csv"):
        response = client.post(
            "/api/v1/imports",
            files={"file": (name, (FIXTURES / name).read_bytes())},
            data={"kind": "solicitations"},
            headers=keys.headers("pichtr_analyst"),
        )
        assert response.status_code == 400, response.text
        assert "\n" not in response.json()["detail"]
    assert count(Solicitation) == 0 and count(ImportRun) == 0


def test_dry_run_and_roles(client: TestClient, keys: Keys) -> None:
    summary = upload(client, keys, "sam_extract_cp1252.csv", dry_run="true")
    assert summary["dry_run"] and summary["created"] > 0 and summary["run_id"] is None
    assert count(Solicitation) == 0
    viewer = client.post(
        "/api/v1/imports",
        files={"file": ("a.csv", b"NoticeId,Title\n")},
        headers=keys.headers("pichtr_viewer"),
    )
    assert viewer.status_code == 403
    bad_kind = client.post(
        "/api/v1/imports",
        files={"file": ("a.csv", b"NoticeId,Title\n")},
        data={"kind": "planets"},
        headers=keys.headers("pichtr_analyst"),
    )
    assert bad_kind.status_code == 422


def test_other_organizations_records_are_not_overwritten(client: TestClient, keys: Keys) -> None:
    upload(client, keys, "sam_extract_cp1252.csv", key="pichtr_analyst")
    theirs = upload(client, keys, "sam_extract_cp1252.csv", key="jetro_analyst")
    # Unchanged rows are fine; none may be changed by an organization that does not own them.
    assert theirs["updated"] == 0 and theirs["created"] == 0


def test_companies_and_duplicate_flags(client: TestClient, keys: Keys) -> None:
    first = upload(client, keys, "companies_template.csv", kind="companies")
    assert first["created"] > 0, first
    again = upload(client, keys, "companies_template.csv", kind="companies")
    assert again["created"] == 0 and again["updated"] == 0
    bad = upload(client, keys, "companies_bad_rows.csv", kind="companies")
    reasons = " ".join(e["reason"] for e in bad["errors"])
    assert "check digit" in reasons
    assert {e["field"] for e in bad["errors"]} >= {"corporate_number", "role"}
    existing = client.get(
        "/api/v1/companies", params={"limit": 1}, headers=keys.headers("pichtr_viewer")
    ).json()["items"][0]
    lookalike = (
        f"role,country,name\n{existing['role']},{existing['country']},{existing['name'].upper()}\n"
    ).encode()
    flagged = upload(client, keys, "lookalike.csv", kind="companies", content=lookalike)
    assert flagged["created"] == 1
    assert flagged["duplicates"][0]["other_id"] == existing["id"]
    review = client.get("/api/v1/imports/duplicates", headers=keys.headers("pichtr_viewer"))
    assert review.json()["total"] == 1


def test_cli_import(database_url: str, keys: Keys) -> None:
    path = str(FIXTURES / "sam_malformed.csv")
    result = runner.invoke(cli, ["import", "solicitations", path, "--org", "jetro"])
    assert result.exit_code == 0, result.output
    assert "created" in result.stdout and "line " in result.stderr
    dry = runner.invoke(
        cli, ["import", "solicitations", str(FIXTURES / "sam_api_response.json"), "--dry-run"]
    )
    assert dry.exit_code == 0 and "dry run" in dry.stdout
    binary = runner.invoke(cli, ["import", "solicitations", str(FIXTURES / "not_a_table.bin")])
    assert binary.exit_code == 1 and binary.stderr.strip().count("\n") == 0
    missing = runner.invoke(cli, ["import", "companies", "/nonexistent.csv"])
    assert missing.exit_code == 1 and "no such file" in missing.stderr


def test_imported_records_get_areas_and_a_person_overrides(client: TestClient, keys: Keys) -> None:
    from app.jobs.worker import drain

    upload(client, keys, "sam_extract_utf8.csv")
    assert drain() >= 1
    items = client.get(
        "/api/v1/solicitations", params={"limit": 100}, headers=keys.headers("pichtr_viewer")
    ).json()["items"]
    assert all(s["technology_areas"] for s in items)
    detail = client.get(
        f"/api/v1/solicitations/{items[0]['id']}", headers=keys.headers("pichtr_viewer")
    ).json()
    assert [a["slug"] for a in detail["suggested_areas"]] == sorted(
        detail["technology_areas"], key=[a["slug"] for a in detail["suggested_areas"]].index
    )
    client.patch(
        f"/api/v1/solicitations/{items[0]['id']}",
        json={"technology_areas": ["biotechnology"], "description": "Changed text."},
        headers=keys.headers("pichtr_analyst"),
    )
    drain()
    upload(client, keys, "sam_extract_utf8.csv")
    drain()
    after = client.get(
        f"/api/v1/solicitations/{items[0]['id']}", headers=keys.headers("pichtr_viewer")
    ).json()
    assert after["technology_areas"] == ["biotechnology"]


def test_a_dry_run_over_many_chunks_predicts_the_real_import(
    client: TestClient, keys: Keys
) -> None:
    # 1,300 rows span three 500-row chunks; repeats and look-alikes cross chunk borders.
    lines = ["NoticeId,Title,Department/Ind.Agency,NaicsCode"]
    for i in range(1300):
        title = f"Counter-UAS sensor fusion lot {i % 650}"  # row i and i+650 look alike
        lines.append(f"N{i:05d},{title},DEPT OF DEFENSE,{'541715' if i % 97 else 'abc'}")
    lines.append("N00010,A repeat of an earlier notice,DEPT OF DEFENSE,541715")
    content = "\n".join(lines).encode()
    dry = upload(client, keys, "lots.csv", content=content, dry_run="true")
    assert count(Solicitation) == 0
    real = upload(client, keys, "lots.csv", content=content)
    for field in ("rows", "created", "updated", "unchanged", "rejected"):
        assert dry[field] == real[field], field
    # 650 look-alike pairs, less the 14 whose one side is rejected for its NAICS code.
    assert len(dry["duplicates"]) == len(real["duplicates"]) == 636
    assert [e["line"] for e in dry["errors"]] == [e["line"] for e in real["errors"]]
    assert any("duplicate of line 12" in e["reason"] for e in real["errors"])


def _extract(rows: list[str]) -> bytes:
    header = "NoticeId,Title,Department/Ind.Agency,PostedDate,ResponseDeadLine"
    return "\n".join([header, *rows]).encode()


def test_new_and_changed_rows_of_one_chunk_are_reported_in_file_order(
    client: TestClient, keys: Keys
) -> None:
    upload(client, keys, "a.csv", content=_extract(["U1,Counter-UAS sensors,DEPT OF DEFENSE,,"]))
    content = _extract(
        [
            # New, and its deadline is before its posted date: a warning.
            "A1,Thermal protection,DEPT OF DEFENSE,2026-03-20,2026-03-19T17:00:00+09:00",
            # Changed, with the same oddity: updated, and a warning.
            "U1,Counter-UAS sensors v2,DEPT OF DEFENSE,2026-03-20,2026-03-19",
            # New, and it looks like line 2 under another notice id: flagged.
            "B1,Thermal protection,DEPT OF DEFENSE,,",
            # The notice id of line 2 again, in the same chunk: skipped.
            "A1,Another title,DEPT OF DEFENSE,,",
        ]
    )
    summary = upload(client, keys, "b.csv", content=content)
    assert (summary["created"], summary["updated"], summary["rejected"]) == (2, 1, 1)
    assert [(w["line"], w["field"]) for w in summary["warnings"]] == [
        (2, "response_deadline"),
        (3, "response_deadline"),
    ]
    assert [(e["line"], e["reason"]) for e in summary["errors"]] == [
        (5, "duplicate of line 2 in this file; skipped")
    ]
    with get_sessionmaker()() as session:
        ids = dict(session.execute(select(Solicitation.notice_id, Solicitation.id)).tuples().all())
        title = session.scalar(select(Solicitation.title).where(Solicitation.notice_id == "A1"))
        events = list(
            session.execute(
                select(AuditEvent.action, AuditEvent.entity_id)
                .where(AuditEvent.changes["import_run"].as_integer() == summary["run_id"])
                .order_by(AuditEvent.id)
            ).tuples()
        )
    assert title == "Thermal protection" and len(ids) == 3
    assert events == [
        ("import.create", ids["A1"]),
        ("import.update", ids["U1"]),
        ("import.create", ids["B1"]),
    ]
    [flag] = summary["duplicates"]
    assert (flag["entity_id"], flag["other_id"]) == (ids["B1"], ids["A1"])
    review = client.get("/api/v1/imports/duplicates", headers=keys.headers("pichtr_viewer"))
    assert [f["id"] for f in review.json()["items"]] == [flag["id"]]


def test_a_notice_id_another_writer_stores_meanwhile_rejects_only_that_row(
    client: TestClient, keys: Keys, monkeypatch: pytest.MonkeyPatch
) -> None:
    looked_up = service._Importer.prefetch_solicitations

    def look_up_then_another_writer_stores_b1(
        self: service._Importer, chunk: list[parsing.ParsedRow]
    ) -> None:
        looked_up(self, chunk)
        solicitations.create(
            self.session,
            principal=self.principal,
            data=SolicitationCreate(source="sam.gov", notice_id="B1", title="Stored meanwhile"),
            embed=False,
        )

    monkeypatch.setattr(
        service._Importer, "prefetch_solicitations", look_up_then_another_writer_stores_b1
    )
    content = _extract([f"{n},Title {n},DEPT OF DEFENSE,," for n in ("A1", "B1", "C1")])
    summary = upload(client, keys, "x.csv", content=content)
    assert (summary["created"], summary["rejected"]) == (2, 1)
    [error] = summary["errors"]
    assert error["line"] == 3 and "already has notice id 'B1'" in error["reason"]
    with get_sessionmaker()() as session:
        titles = dict(
            session.execute(select(Solicitation.notice_id, Solicitation.title)).tuples().all()
        )
    assert titles == {"A1": "Title A1", "B1": "Stored meanwhile", "C1": "Title C1"}
