"""Real SAM.gov rows that used to be refused are kept as their source gives them: amended
notices whose deadline is before their posted date (a row warning and a record flag), very long
descriptions, date-only deadlines, and deadlines in any offset. And a run that stops part way
goes on from what it saved, so its counts cover the file exactly once."""

import csv
import importlib.util
import io
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.db import session_scope
from app.imports import service
from app.imports.models import DuplicateFlag, ImportRun, ImportStatus
from app.jobs.worker import drain
from app.solicitations.models import Solicitation
from tests.conftest import Keys
from tests.factories import PLATFORM_ANALYST, queue_extract

ROOT = Path(__file__).resolve().parents[2]
LONG = " ".join(["The prototype shall survive a 30 g shock and 2,000 thermal cycles."] * 400)
COLUMNS = ["NoticeId", "Title", "PostedDate", "Type", "ResponseDeadLine", "NaicsCode", "Active"]


def _bench_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "make_import_files", ROOT / "bench" / "make_import_files.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _crash_at_row_700(monkeypatch: pytest.MonkeyPatch, method: str) -> Any:
    """Make the importer's ``method`` raise on its 700th call; the original method."""
    original = getattr(service._Importer, method)
    calls = {"n": 0}

    def crash(self, *args):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 700:
            raise OSError("disk went away")
        return original(self, *args)

    monkeypatch.setattr(service._Importer, method, crash)
    return original


def _extract(rows: list[dict[str, str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=[*COLUMNS, "Description"], lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({"Type": "Solicitation", "Active": "Yes", "NaicsCode": "541715", **row})
    return buffer.getvalue().encode("utf-8")


QUIRKS = [
    # An amended notice: posted again after its original deadline.
    {
        "NoticeId": "amended-1",
        "Title": "Amendment 3: Hypersonic thermal protection prototypes",
        "PostedDate": "2026-03-20 09:12:00.0-04",
        "ResponseDeadLine": "2026-03-19T17:00:00+09:00",
    },
    {
        "NoticeId": "long-1",
        "Title": "Trusted microelectronics packaging prototypes",
        "PostedDate": "2026-03-01",
        "ResponseDeadLine": "2026-04-01T14:00:00-05:00",
        "Description": LONG,
    },
    {
        "NoticeId": "date-only-1",
        "Title": "Edge AI for contested logistics",
        "PostedDate": "2026-03-01",
        "ResponseDeadLine": "2026-03-19",
    },
    {
        "NoticeId": "eastern-1",
        "Title": "Private 5G networks for expeditionary bases",
        "PostedDate": "2026-03-01",
        "ResponseDeadLine": "2026-03-19T17:00:00-05:00",
    },
]


def _import(client: TestClient, keys: Keys, content: bytes) -> dict[str, Any]:
    response = client.post(
        "/api/v1/imports",
        files={"file": ("extract.csv", content)},
        data={"kind": "solicitations"},
        headers=keys.headers("pichtr_analyst"),
    )
    assert response.status_code == 200, response.text
    return response.json()


def _by_notice(client: TestClient, keys: Keys) -> dict[str, dict[str, Any]]:
    headers = keys.headers("jetro_viewer")
    items = client.get("/api/v1/solicitations", headers=headers).json()["items"]
    return {
        s["notice_id"]: client.get(f"/api/v1/solicitations/{s['id']}", headers=headers).json()
        for s in items
    }


def test_real_rows_are_kept_as_their_source_gives_them(client: TestClient, keys: Keys) -> None:
    summary = _import(client, keys, _extract(QUIRKS))
    assert (summary["rows"], summary["created"], summary["rejected"]) == (4, 4, 0)
    assert summary["errors"] == []
    [warning] = summary["warnings"]
    assert (warning["line"], warning["field"]) == (2, "response_deadline")
    assert "before posted_date 2026-03-20" in warning["reason"]

    records = _by_notice(client, keys)
    amended = records["amended-1"]
    assert amended["flags"] == ["deadline_before_posted"]
    assert amended["response_deadline"] == "2026-03-19T17:00:00+09:00"
    assert amended["response_deadline_utc"] == "2026-03-19T08:00:00Z"
    assert amended["posted_date"] == "2026-03-20"
    assert records["long-1"]["description"] == LONG and len(LONG) > 20_000
    assert records["long-1"]["flags"] == []
    date_only = records["date-only-1"]
    # The calendar date stays 19 March; it closes at the end of that day, US Eastern (EDT).
    assert date_only["response_deadline"] == "2026-03-19T23:59:59-04:00"
    assert date_only["response_deadline_utc"] == "2026-03-20T03:59:59Z"
    assert date_only["response_deadline_date_only"] is True
    assert records["eastern-1"]["response_deadline"] == "2026-03-19T17:00:00-05:00"
    assert records["eastern-1"]["response_deadline_date_only"] is False

    run = client.get(
        f"/api/v1/imports/{summary['run_id']}", headers=keys.headers("pichtr_viewer")
    ).json()
    assert run["counts"]["warnings"] == 1 and run["counts"]["errors"] == 0
    assert run["warnings"] == [warning] and run["errors"] == []

    # The same file again changes nothing (offsets and date-only deadlines compare equal),
    # and still warns about the amended notice.
    again = _import(client, keys, _extract(QUIRKS))
    assert (again["unchanged"], again["updated"], len(again["warnings"])) == (4, 0, 1)

    # The source corrects the posted date: the record is updated and the flag goes.
    fixed = [{**QUIRKS[0], "PostedDate": "2026-03-02"}, *QUIRKS[1:]]
    third = _import(client, keys, _extract(fixed))
    assert (third["updated"], third["unchanged"], third["warnings"]) == (1, 3, [])
    assert _by_notice(client, keys)["amended-1"]["flags"] == []


def test_hand_entered_deadlines_keep_their_offset_and_checks(
    client: TestClient, keys: Keys
) -> None:
    from tests.factories import solicitation_payload

    headers = keys.headers("pichtr_analyst")
    url = "/api/v1/solicitations"
    body = solicitation_payload(response_deadline="2026-12-15", posted_date="2026-11-01")
    created = client.post(url, json=body, headers=headers)
    assert created.status_code == 201, created.text
    record = created.json()
    assert record["response_deadline"] == "2026-12-15T23:59:59-05:00"  # EST in December
    assert record["response_deadline_date_only"] is True
    moved = client.patch(
        f"{url}/{record['id']}",
        json={"response_deadline": "2026-12-16T10:00:00+09:00"},
        headers=headers,
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["response_deadline"] == "2026-12-16T10:00:00+09:00"
    assert moved.json()["response_deadline_utc"] == "2026-12-16T01:00:00Z"
    assert moved.json()["response_deadline_date_only"] is False
    # Hand-typed bodies keep their checks: a deadline before the posted date, a time with no
    # offset, a description over 20,000 characters.
    for bad, field in (
        ({"response_deadline": "2026-10-31T10:00:00+09:00"}, "response_deadline"),
        ({"response_deadline": "2026-12-16T10:00:00"}, "response_deadline"),
        ({"description": LONG}, "description"),
    ):
        response = client.patch(f"{url}/{record['id']}", json=bad, headers=headers)
        assert response.status_code == 422 and field in response.text, response.text


def test_an_interrupted_run_goes_on_and_counts_each_row_once(
    database_url: str, keys: Keys, upload_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "extract.csv"
    _bench_module().write_sam_csv(path, rows=1_200, encoding="utf-8")
    # The last row repeats the first: reported as a duplicate although the first row was
    # imported by the attempt that stopped.
    lines = path.read_bytes().split(b"\r\n")
    path.write_bytes(b"\r\n".join([*lines[:-1], lines[1], b""]))
    principal = PLATFORM_ANALYST
    run_id = queue_extract(path, principal)

    original = _crash_at_row_700(monkeypatch, "upsert_solicitation")
    assert drain(kinds=["import"]) == 1
    with session_scope() as session:
        failed = session.get(ImportRun, run_id)
        assert failed is not None and failed.status is ImportStatus.FAILED
        assert failed.counts["rows"] == 500  # what the first chunk committed, nothing more
        assert session.scalar(select(func.count()).select_from(Solicitation)) == 500
        service.queue_run(session, run=failed, principal=principal)
    monkeypatch.setattr(service._Importer, "upsert_solicitation", original)
    assert drain(kinds=["import"]) == 1  # the failed job's own retry was merged into this one

    with session_scope() as session:
        done = session.get(ImportRun, run_id)
        assert done is not None and done.status is ImportStatus.FINISHED
        stored = session.scalar(select(func.count()).select_from(Solicitation))
        counts, errors, interruptions = done.counts, done.errors, done.interruptions
    assert counts["rows"] == 1_201 and counts["rejected"] == 1
    assert counts["created"] == stored == 1_200
    assert counts["created"] + counts["updated"] + counts["unchanged"] + 1 == counts["rows"]
    assert [e["reason"] for e in errors] == ["duplicate of line 2 in this file; skipped"]
    [stop] = interruptions
    assert (stop["attempt"], stop["rows"]) == (1, 500) and "OSError" in stop["reason"]
    assert stop["resumed_at"] is not None


def test_a_run_stopped_while_writing_a_chunk_keeps_none_of_it(
    database_url: str, keys: Keys, upload_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "extract.csv"
    _bench_module().write_sam_csv(path, rows=1_200, encoding="utf-8")
    principal = PLATFORM_ANALYST
    run_id = queue_extract(path, principal)

    # The second chunk's rows are inserted together; the run stops while they are audited.
    original = _crash_at_row_700(monkeypatch, "_created_solicitation")
    assert drain(kinds=["import"]) == 1
    with session_scope() as session:
        failed = session.get(ImportRun, run_id)
        assert failed is not None and failed.status is ImportStatus.FAILED
        assert failed.counts["rows"] == failed.counts["created"] == 500
        assert session.scalar(select(func.count()).select_from(Solicitation)) == 500
        service.queue_run(session, run=failed, principal=principal)
    monkeypatch.setattr(service._Importer, "_created_solicitation", original)
    assert drain(kinds=["import"]) == 1

    with session_scope() as session:
        done = session.get(ImportRun, run_id)
        assert done is not None and done.status is ImportStatus.FINISHED
        counts = done.counts
        stored = session.scalar(select(func.count(func.distinct(Solicitation.notice_id))))
        created_events = session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "import.create")
        )
        flags = session.scalar(
            select(func.count())
            .select_from(DuplicateFlag)
            .where(DuplicateFlag.import_run_id == run_id)
        )
        flagged = session.scalar(
            select(func.count(func.distinct(DuplicateFlag.entity_id))).where(
                DuplicateFlag.import_run_id == run_id
            )
        )
    assert counts["rows"] == counts["created"] == stored == created_events == 1_200
    # Each record is flagged at most once, and the run's count says how many were.
    assert flags == flagged == counts["duplicates"] > 0
