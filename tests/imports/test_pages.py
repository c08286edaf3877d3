"""The import pages: upload through the form, the job imports it, the run page reports it."""

import csv
import io
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.companies.models import Company
from app.db import session_scope
from app.imports import service
from app.imports.models import ImportRun, ImportStatus
from app.jobs.worker import drain
from app.solicitations.models import Solicitation
from tests.conftest import People, sign_in

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "imports"


def post_file(
    client: TestClient,
    token: str,
    name: str,
    *,
    kind: str = "solicitations",
    content: bytes | None = None,
    **fields: str,
):  # type: ignore[no-untyped-def]
    data = content if content is not None else (FIXTURES / name).read_bytes()
    return client.post(
        "/admin/imports",
        data={"csrf_token": token, "kind": kind, **fields},
        files={"file": (name, data, "application/octet-stream")},
    )


def imported(client: TestClient, token: str, name: str, **kwargs: str) -> tuple[int, str]:
    """Upload, let the worker run the job, and return the run id and its page."""
    response = post_file(client, token, name, **kwargs)  # type: ignore[arg-type]
    assert response.status_code == 303, response.text
    run_id = int(response.headers["location"].rsplit("/", 1)[1])
    queued = client.get(response.headers["location"])
    assert "Waiting for the job worker" in queued.text
    assert '<meta http-equiv="refresh" content="2">' in queued.text
    assert drain(kinds=["import"]) == 1
    page = client.get(f"/admin/imports/{run_id}")
    assert page.status_code == 200
    assert 'http-equiv="refresh"' not in page.text
    return run_id, page.text


def count(model: type) -> int:
    with session_scope() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def run(run_id: int) -> ImportRun:
    with session_scope() as session:
        found = session.get(ImportRun, run_id)
        assert found is not None
        session.expunge(found)
        return found


def test_upload_is_imported_by_the_job_and_reported(
    admin_client: TestClient, people: People, upload_dir: Path
) -> None:
    token = sign_in(admin_client, people.analyst)
    run_id, page = imported(admin_client, token, "sam_extract_cp1252.csv")
    done = run(run_id)
    assert done.status is ImportStatus.FINISHED and done.actor == "pichtr:@alice"
    assert done.counts["created"] == done.counts["rows"] == count(Solicitation) > 0
    assert (
        done.bytes_done == done.bytes_total == (FIXTURES / "sam_extract_cp1252.csv").stat().st_size
    )
    assert done.upload_path is None and list(upload_dir.iterdir()) == []
    assert f'<span class="figure">{done.counts["created"]}</span> created' in page
    with session_scope() as session:
        actors = set(
            session.scalars(select(AuditEvent.actor).where(AuditEvent.action == "import.create"))
        )
    assert actors == {"pichtr:@alice"}
    # The same file again: every row unchanged, and both runs are in the history.
    again_id, _page = imported(admin_client, token, "sam_extract_cp1252.csv")
    assert run(again_id).counts["unchanged"] == done.counts["rows"]
    history = admin_client.get("/admin/imports").text
    assert (
        f'href="/admin/imports/{run_id}"' in history
        and f'href="/admin/imports/{again_id}"' in history
    )
    assert f'href="/admin/imports/{again_id}"' in admin_client.get("/admin").text


def test_bad_rows_are_listed_with_line_field_and_reason(
    admin_client: TestClient, people: People
) -> None:
    token = sign_in(admin_client, people.analyst)
    run_id, page = imported(admin_client, token, "companies_bad_rows.csv", kind="companies")
    done = run(run_id)
    assert done.counts["rejected"] > 0 and done.counts["created"] > 0
    assert count(Company) == done.counts["created"]
    assert 'id="row-errors"' in page
    for error in done.errors:
        assert f'<td class="num">{error["line"]}</td><td><code>{error["field"]}</code>' in page
    assert "check digit" in page
    download = admin_client.get(f"/admin/imports/{run_id}/errors.csv")
    assert download.headers["content-disposition"].startswith("attachment")
    rows = list(csv.DictReader(io.StringIO(download.text)))
    assert [(int(r["line"]), r["field"], r["reason"]) for r in rows] == [
        (e["line"], e["field"], e["reason"]) for e in done.errors
    ]


def test_dry_run_saves_nothing_but_reports_everything(
    admin_client: TestClient, people: People
) -> None:
    token = sign_in(admin_client, people.analyst)
    run_id, page = imported(
        admin_client, token, "companies_bad_rows.csv", kind="companies", dry_run="on"
    )
    done = run(run_id)
    assert done.dry_run and done.status is ImportStatus.FINISHED
    assert done.counts["created"] > 0 and done.counts["rejected"] > 0 and done.errors
    assert count(Company) == 0
    assert "Nothing was saved" in page and "dry run" in page


def test_the_company_template_imports_as_it_is(admin_client: TestClient, people: People) -> None:
    token = sign_in(admin_client, people.analyst)
    template = admin_client.get("/admin/imports/template.csv")
    assert template.status_code == 200 and "星空オービタルシステムズ株式会社" in template.text
    run_id, _page = imported(
        admin_client, token, "template.csv", kind="companies", content=template.content
    )
    assert run(run_id).counts == {
        "rows": 1,
        "created": 1,
        "updated": 0,
        "unchanged": 0,
        "rejected": 0,
        "duplicates": 0,
        "errors": 0,
        "warnings": 0,
    }
    with session_scope() as session:
        company = session.scalars(select(Company)).one()
        assert company.name_ja == "星空オービタルシステムズ株式会社"
        assert [c["name"] for c in company.contacts] == ["Sato Haruka", "Mori Aya"]


def test_likely_duplicates_are_shown_for_review(admin_client: TestClient, people: People) -> None:
    token = sign_in(admin_client, people.analyst)
    imported(admin_client, token, "companies_template.csv", kind="companies")
    with session_scope() as session:
        existing = session.scalars(select(Company).order_by(Company.id)).first()
        assert existing is not None
        lookalike = f"role,country,name\n{existing.role.value},JP,{existing.name.upper()}\n"
        name = existing.name
    run_id, page = imported(
        admin_client, token, "lookalike.csv", kind="companies", content=lookalike.encode()
    )
    assert run(run_id).counts["duplicates"] == 1
    assert 'id="duplicates"' in page and "similar name" in page and name.upper() in page


@pytest.mark.parametrize(
    ("fields", "name", "content", "field", "message"),
    [
        ({}, "logo.png", (FIXTURES / "not_a_table.bin").read_bytes(), "file", "not CSV or JSON"),
        ({}, "empty.csv", b"", "file", "the file is empty"),
        ({"kind": "vendors"}, "x.csv", b"a,b\n", "kind", "choose what the file holds"),
        ({"source": "sam gov!"}, "x.csv", b"NoticeId,Title\n", "source", "up to 64 letters"),
    ],
)
def test_bad_forms_show_the_error_beside_the_field_and_queue_nothing(
    admin_client: TestClient,
    people: People,
    upload_dir: Path,
    fields: dict[str, str],
    name: str,
    content: bytes,
    field: str,
    message: str,
) -> None:
    token = sign_in(admin_client, people.analyst)
    response = post_file(admin_client, token, name, content=content, **fields)  # type: ignore[arg-type]
    assert response.status_code == 422
    assert f'<p class="field-error" id="{field}-error">' in response.text
    assert message in response.text
    assert 'aria-invalid="true"' in response.text
    assert count(ImportRun) == 0
    assert not upload_dir.exists() or list(upload_dir.iterdir()) == []


def test_no_file_chosen(admin_client: TestClient, people: People) -> None:
    token = sign_in(admin_client, people.analyst)
    response = admin_client.post(
        "/admin/imports", data={"csrf_token": token, "kind": "companies"}, files={}
    )
    assert response.status_code == 422 and "choose a file to upload" in response.text


def test_an_upload_without_the_form_token_changes_nothing(
    admin_client: TestClient, people: People, upload_dir: Path
) -> None:
    sign_in(admin_client, people.analyst)
    response = post_file(admin_client, "forged", "sam_extract_utf8.csv")
    assert response.status_code == 403
    assert count(ImportRun) == 0 and count(Solicitation) == 0
    assert not upload_dir.exists() or list(upload_dir.iterdir()) == []


def test_viewers_see_the_history_but_cannot_upload(
    admin_client: TestClient, people: People
) -> None:
    token = sign_in(admin_client, people.viewer)
    page = admin_client.get("/admin/imports")
    assert page.status_code == 200 and 'action="/admin/imports"' not in page.text
    response = post_file(admin_client, token, "sam_extract_utf8.csv")
    assert response.status_code == 403 and "analyst role" in response.text
    assert count(ImportRun) == 0


def test_another_organizations_imports_are_not_found(
    database_url: str, people: People, upload_dir: Path
) -> None:
    from app.main import create_app

    with (
        TestClient(create_app(), follow_redirects=False) as pichtr,
        TestClient(create_app(), follow_redirects=False) as jetro,
    ):
        run_id, _page = imported(pichtr, sign_in(pichtr, people.analyst), "sam_extract_utf8.csv")
        sign_in(jetro, people.other_org_analyst)
        assert jetro.get(f"/admin/imports/{run_id}").status_code == 404
        assert jetro.get(f"/admin/imports/{run_id}/errors.csv").status_code == 404
        assert f"/admin/imports/{run_id}" not in jetro.get("/admin/imports").text


def test_a_crashed_import_can_be_run_again_to_finish(
    admin_client: TestClient, people: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = sign_in(admin_client, people.analyst)
    response = post_file(admin_client, token, "sam_extract_utf8.csv")
    run_id = int(response.headers["location"].rsplit("/", 1)[1])
    original = service._Importer.upsert_solicitation
    calls = {"n": 0}

    def crash_on_third_row(self, *args):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("disk went away")
        return original(self, *args)

    monkeypatch.setattr(service._Importer, "upsert_solicitation", crash_on_third_row)
    drain(kinds=["import"])
    failed = run(run_id)
    assert failed.status is ImportStatus.FAILED and failed.upload_path
    assert "importing the same file again finishes the rest" in (failed.failure or "")
    page = admin_client.get(f"/admin/imports/{run_id}").text
    assert "Run again to finish" in page
    monkeypatch.setattr(service._Importer, "upsert_solicitation", original)
    again = admin_client.post(f"/admin/imports/{run_id}/retry", data={"csrf_token": token})
    assert again.status_code == 303
    drain(kinds=["import"])
    finished = run(run_id)
    assert finished.status is ImportStatus.FINISHED and finished.failure is None
    assert finished.counts["rejected"] == 0 and count(Solicitation) == finished.counts["rows"]
    page = admin_client.get(f"/admin/imports/{run_id}").text
    assert "attempt 1 stopped after 0 rows: OSError: disk went away" in page
    assert "resumed by attempt 2" in page
    # The job's own retry, queued when it crashed, finds the run finished and does nothing.
    with session_scope() as session:
        from app.jobs.models import Job

        session.execute(Job.__table__.update().values(run_after=Job.created_at))
    drain(kinds=["import"])
    assert run(run_id).counts == finished.counts


def test_a_file_over_the_limit_gets_a_page_and_queues_nothing(
    database_url: str, people: People, upload_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.config import get_settings
    from app.main import create_app

    monkeypatch.setenv("KAKEHASHI_MAX_UPLOAD_BYTES", "4096")
    get_settings.cache_clear()
    with TestClient(create_app(), follow_redirects=False) as client:
        token = sign_in(client, people.analyst)
        response = post_file(client, token, "big.csv", content=b"NoticeId,Title\n" + b"x" * 8192)
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("text/html")
    assert "up to 4 KiB" in response.text and "File too large" in response.text
    assert count(ImportRun) == 0


def test_many_likely_duplicates_come_a_page_at_a_time(
    admin_client: TestClient, people: People
) -> None:
    token = sign_in(admin_client, people.analyst)
    lines = ["NoticeId,Title,Department/Ind.Agency"] + [
        f"N{i:04d},Counter-UAS sensor fusion,DEPT OF DEFENSE" for i in range(102)
    ]
    run_id, page = imported(admin_client, token, "repeats.csv", content="\n".join(lines).encode())
    assert run(run_id).counts["duplicates"] == 101
    assert page.count("same title and agency") == 100
    assert "1–100 of 101" in page and "?duplicates_offset=100" in page
    second = admin_client.get(f"/admin/imports/{run_id}?duplicates_offset=100").text
    assert second.count("same title and agency") == 1


def test_many_row_errors_come_a_page_at_a_time(admin_client: TestClient, people: People) -> None:
    token = sign_in(admin_client, people.analyst)
    lines = ["NoticeId,Title"] + [f"N{i:04d}," for i in range(120)]
    run_id, page = imported(admin_client, token, "untitled.csv", content="\n".join(lines).encode())
    assert run(run_id).counts["rejected"] == 120
    assert page.count("<td><code>title</code></td>") == 100
    assert "1–100 of 120" in page and 'href="?offset=100#errors-heading"' in page
    second = admin_client.get(f"/admin/imports/{run_id}?offset=100").text
    assert second.count("<td><code>title</code></td>") == 20
    assert '<td class="num">121</td>' in second  # header on line 1, last row on 121


def test_duplicates_are_settled_from_the_run_page_and_the_review_list(
    admin_client: TestClient, people: People
) -> None:
    token = sign_in(admin_client, people.analyst)
    imported(admin_client, token, "companies_template.csv", kind="companies")
    with session_scope() as session:
        companies = session.scalars(select(Company).order_by(Company.id)).all()
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["role", "country", "name"])
        writer.writerows([c.role.value, "JP", c.name.upper()] for c in companies[:2])
        lookalikes = buffer.getvalue()
    run_id, page = imported(
        admin_client, token, "lookalikes.csv", kind="companies", content=lookalikes.encode()
    )
    assert page.count('value="kept_both"') == 2
    review = admin_client.get("/admin/imports/duplicates").text
    assert review.count('value="archived_imported"') == 2
    with session_scope() as session:
        from app.imports.models import DuplicateFlag

        flag_ids = session.scalars(select(DuplicateFlag.id).order_by(DuplicateFlag.id)).all()
        imported_ids = session.scalars(
            select(DuplicateFlag.entity_id).order_by(DuplicateFlag.id)
        ).all()
    back = f"/admin/imports/{run_id}"
    kept = admin_client.post(
        f"/admin/imports/duplicates/{flag_ids[0]}",
        data={"csrf_token": token, "resolution": "kept_both", "back": back},
    )
    assert kept.status_code == 303 and kept.headers["location"] == back
    archived = admin_client.post(
        f"/admin/imports/duplicates/{flag_ids[1]}",
        data={
            "csrf_token": token,
            "resolution": "archived_imported",
            "back": "https://evil.example",
        },
    )
    assert archived.headers["location"] == "/admin"
    page = admin_client.get(back).text
    assert "kept both" in page and "imported one archived" in page
    assert "by pichtr:@alice" in page and 'value="kept_both"' not in page
    assert "Nothing to review." in admin_client.get("/admin/imports/duplicates").text
    with session_scope() as session:
        assert session.get(Company, imported_ids[1]).archived_at is not None  # type: ignore[union-attr]
        assert session.get(Company, imported_ids[0]).archived_at is None  # type: ignore[union-attr]
    twice = admin_client.post(
        f"/admin/imports/duplicates/{flag_ids[0]}",
        data={"csrf_token": token, "resolution": "kept_both"},
    )
    assert twice.status_code == 409 and "already settled" in twice.text
    forged = admin_client.post(
        f"/admin/imports/duplicates/{flag_ids[0]}", data={"resolution": "kept_both"}
    )
    assert forged.status_code == 403


def test_row_warnings_are_listed_apart_from_errors(
    admin_client: TestClient, people: People
) -> None:
    token = sign_in(admin_client, people.analyst)
    content = (
        b"NoticeId,Title,PostedDate,ResponseDeadLine\r\n"
        b"amended-1,Amendment 2: GaN MMIC prototypes,2026-03-20,2026-03-19T17:00:00+09:00\r\n"
    )
    run_id, page = imported(admin_client, token, "amended.csv", content=content)
    assert run(run_id).counts["warnings"] == 1 and run(run_id).counts["rejected"] == 0
    assert "Row warnings" in page and "Row errors" not in page
    assert "deadline_before_posted" in page
