"""Admin pages for imports: upload a file, watch it import, read its errors and duplicates.

An upload is saved to the upload directory and imported by the job worker, so a 100,000-row
file does not hold a browser request open; the run page follows its progress.
"""

import csv
import io
import re
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile

from app.admin.i18n import N_
from app.admin.web import (
    PageError,
    UserDep,
    check_csrf,
    current_path,
    render,
    require_role,
    safe_next,
    security_headers,
)
from app.common.schemas import Offset, RecordId
from app.companies.models import Company
from app.config import get_settings
from app.db import get_sessionmaker
from app.deps import SessionDep
from app.errors import AppError
from app.imports import parsing, service
from app.imports.models import DuplicateFlag, FlagResolution, ImportRun, ImportStatus
from app.imports.schemas import InterruptionRead
from app.organizations.models import Role
from app.solicitations.models import Solicitation
from app.users.service import SignedIn

router = APIRouter(prefix="/admin/imports", include_in_schema=False)

KINDS = {
    "solicitations": N_("Solicitations: SAM.gov CSV extract or opportunities API JSON"),
    "companies": N_("Company profiles: Kakehashi CSV template or JSON lines"),
}
# Words the templates show from the data (a run's kind and status, a flag's entity type),
# marked here so that they are translated.
SHOWN_VALUES = (
    N_("solicitations"),
    N_("companies"),
    N_("queued"),
    N_("running"),
    N_("finished"),
    N_("failed"),
    N_("company"),
    N_("solicitation"),
)
IMPORT_FILES = N_("import files")
RUNS_PER_PAGE = 25
ERRORS_PER_PAGE = 100
DUPLICATES_PER_PAGE = 100
ACTIVE = (ImportStatus.QUEUED, ImportStatus.RUNNING)


@dataclass
class UploadForm:
    """What the upload form was sent with, and what is wrong with it, field by field."""

    kind: str = "solicitations"
    source: str = ""
    dry_run: bool = False
    errors: dict[str, str] = field(default_factory=dict)


def _runs_page(session: Session, signed_in: SignedIn, offset: int) -> dict[str, Any]:
    runs, total = service.runs(
        session, principal=signed_in.principal, limit=RUNS_PER_PAGE, offset=offset
    )
    return {"runs": runs, "total": total, "offset": offset, "per_page": RUNS_PER_PAGE}


def _render_index(
    request: Request,
    session: Session,
    signed_in: SignedIn,
    form: UploadForm,
    *,
    offset: int = 0,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "imports/index.html",
        {
            **_runs_page(session, signed_in, offset),
            "form": form,
            "kinds": KINDS,
            "may_upload": signed_in.user.role is not Role.VIEWER,
            "max_upload_mib": get_settings().max_upload_bytes // 1_048_576,
        },
        signed_in=signed_in,
        status_code=status_code,
    )


@router.get("", response_class=HTMLResponse)
def index(
    request: Request,
    session: SessionDep,
    signed_in: UserDep,
    offset: Offset = 0,
) -> Response:
    """The upload form and the organization's import history."""
    return _render_index(request, session, signed_in, UploadForm(), offset=offset)


@router.post("", response_class=HTMLResponse)
async def upload(request: Request, signed_in: UserDep) -> Response:
    """Check the form and the file's first row, then queue the import and show its page."""
    require_role(signed_in, Role.ANALYST, IMPORT_FILES)
    form_data = await request.form(max_files=1, max_fields=10)
    try:
        check_csrf(request, form_data, signed_in.session_token)
        return await run_in_threadpool(_queue_upload, request, signed_in, form_data)
    finally:
        await form_data.close()


def _queue_upload(request: Request, signed_in: SignedIn, form_data: FormData) -> Response:
    kind = str(form_data.get("kind") or "")
    form = UploadForm(
        kind=kind,
        source=str(form_data.get("source") or "").strip(),
        dry_run=form_data.get("dry_run") in {"on", "true", "1"},
    )
    if kind not in KINDS:
        form.errors["kind"] = N_("choose what the file holds: solicitations or companies")
    if form.source and not re.fullmatch(service.SOURCE_PATTERN, form.source):
        form.errors["source"] = N_("use up to 64 letters, digits, '.', '_' or '-'")
    upload = form_data.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        form.errors["file"] = N_("choose a file to upload")
    session = get_sessionmaker()()
    try:
        if form.errors or not isinstance(upload, UploadFile):
            return _render_index(request, session, signed_in, form, status_code=422)
        upload.file.seek(0)
        try:
            run = service.queue_upload(
                session,
                principal=signed_in.principal,
                kind="companies" if form.kind == "companies" else "solicitations",
                stream=upload.file,
                filename=upload.filename,
                source=form.source or service.DEFAULT_SOURCE[form.kind],
                dry_run=form.dry_run,
            )
        except parsing.ImportFormatError as exc:
            form.errors["file"] = str(exc)
            return _render_index(request, session, signed_in, form, status_code=422)
        session.commit()
        return RedirectResponse(f"/admin/imports/{run.id}", status_code=303)
    finally:
        session.rollback()
        session.close()


@router.get("/template.csv")
def company_template(_signed_in: UserDep) -> Response:
    """The company CSV template: every column, and one example row."""
    response = Response(
        parsing.company_template_csv(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="kakehashi-companies.csv"'},
    )
    security_headers(response)
    return response


def _own_run(session: Session, signed_in: SignedIn, run_id: int) -> ImportRun:
    """The run, if it belongs to the user's organization; another's is not found (404)."""
    try:
        return service.get_run(session, principal=signed_in.principal, run_id=run_id)
    except AppError as exc:
        raise PageError(
            404,
            N_("Import not found"),
            N_("There is no import %(id)s for you to see."),
            id=run_id,
        ) from exc


def _named(session: Session, flags: list[DuplicateFlag]) -> list[dict[str, Any]]:
    """Flags with the names of both records, for people to judge them by."""
    names: dict[tuple[str, int], str] = {}
    for entity, model, label in (
        ("company", Company, Company.name),
        ("solicitation", Solicitation, Solicitation.title),
    ):
        ids = {i for f in flags if f.entity_type == entity for i in (f.entity_id, f.other_id)}
        if ids:
            found = session.execute(select(model.id, label).where(model.id.in_(ids)))
            names.update({(entity, i): n for i, n in found})
    return [
        {
            "flag": f,
            "name": names.get((f.entity_type, f.entity_id), f"#{f.entity_id}"),
            "other": names.get((f.entity_type, f.other_id), f"#{f.other_id}"),
        }
        for f in flags
    ]


def _run_duplicates(
    session: Session, run: ImportRun, offset: int
) -> tuple[list[dict[str, Any]], int]:
    """One page of the run's duplicate flags, named, and how many there are."""
    query = select(DuplicateFlag).where(DuplicateFlag.import_run_id == run.id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    flags = session.scalars(
        query.order_by(DuplicateFlag.id).limit(DUPLICATES_PER_PAGE).offset(offset)
    ).all()
    return _named(session, list(flags)), total


@router.get("/duplicates", response_class=HTMLResponse)
def duplicates_page(
    request: Request,
    session: SessionDep,
    signed_in: UserDep,
    offset: Offset = 0,
) -> Response:
    """Every likely duplicate the organization's imports flagged and nobody has settled."""
    flags, total = service.open_flags(
        session, principal=signed_in.principal, limit=DUPLICATES_PER_PAGE, offset=offset
    )
    return render(
        request,
        "imports/duplicates.html",
        {
            "duplicates": _named(session, flags),
            "duplicates_total": total,
            "duplicates_offset": offset,
            "duplicates_per_page": DUPLICATES_PER_PAGE,
            "may_settle": signed_in.user.role is not Role.VIEWER,
            "back": current_path(request),
        },
        signed_in=signed_in,
    )


@router.post("/duplicates/{flag_id:int}")
async def settle_duplicate(request: Request, signed_in: UserDep, flag_id: RecordId) -> Response:
    """Keep both records, or archive the one the import created; then go back."""
    form = await request.form(max_files=0, max_fields=5)
    check_csrf(request, form, signed_in.session_token)
    try:
        resolution = FlagResolution(str(form.get("resolution") or ""))
    except ValueError:
        raise PageError(
            422, N_("Choose how to settle it"), N_("Keep both, or archive the imported one.")
        ) from None
    await run_in_threadpool(_settle, signed_in, flag_id, resolution)
    return RedirectResponse(safe_next(str(form.get("back") or "")), status_code=303)


def _settle(signed_in: SignedIn, flag_id: int, resolution: FlagResolution) -> None:
    session = get_sessionmaker()()
    try:
        service.resolve_flag(
            session, principal=signed_in.principal, flag_id=flag_id, resolution=resolution
        )
        session.commit()
    except AppError as exc:
        raise PageError(exc.status_code, N_("Not settled"), exc.message) from exc
    finally:
        session.rollback()
        session.close()


@router.get("/{run_id:int}", response_class=HTMLResponse)
def run_page(
    request: Request,
    session: SessionDep,
    signed_in: UserDep,
    run_id: RecordId,
    offset: Offset = 0,
    duplicates_offset: Offset = 0,
) -> Response:
    """One import: progress while it runs, then counts, row errors and flagged duplicates."""
    run = _own_run(session, signed_in, run_id)
    duplicates, duplicates_total = _run_duplicates(session, run, duplicates_offset)
    errors = run.errors[offset : offset + ERRORS_PER_PAGE]
    progress = None
    if run.bytes_total:
        progress = min(100, round(100 * (run.bytes_done or 0) / run.bytes_total))
    return render(
        request,
        "imports/run.html",
        {
            "run": run,
            "active": run.status in ACTIVE,
            "progress": progress,
            "errors": errors,
            "errors_offset": offset,
            "errors_per_page": ERRORS_PER_PAGE,
            "duplicates": duplicates,
            "duplicates_total": duplicates_total,
            "duplicates_offset": duplicates_offset,
            "duplicates_per_page": DUPLICATES_PER_PAGE,
            "may_settle": signed_in.user.role is not Role.VIEWER,
            "back": current_path(request),
            "may_retry": run.status is ImportStatus.FAILED
            and bool(run.upload_path)
            and signed_in.user.role is not Role.VIEWER,
            "queue_waiting": run.status is ImportStatus.QUEUED,
            "interruptions": [
                InterruptionRead.model_validate(i) for i in run.interruptions if i.get("resumed_at")
            ],
        },
        signed_in=signed_in,
    )


@router.get("/{run_id:int}/errors.csv")
def errors_csv(session: SessionDep, signed_in: UserDep, run_id: RecordId) -> Response:
    """The run's row errors as CSV (line, field, reason), to fix the file with."""
    run = _own_run(session, signed_in, run_id)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["line", "field", "reason"])
    writer.writerows([e["line"], e["field"], e["reason"]] for e in run.errors)
    response = Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="import-{run.id}-errors.csv"'},
    )
    security_headers(response)
    return response


@router.post("/{run_id:int}/retry")
async def retry(
    request: Request, session: SessionDep, signed_in: UserDep, run_id: RecordId
) -> Response:
    """Queue a failed import again; rows it already saved come out unchanged."""
    require_role(signed_in, Role.ANALYST, IMPORT_FILES)
    form_data = await request.form(max_files=0, max_fields=5)
    check_csrf(request, form_data, signed_in.session_token)
    run = _own_run(session, signed_in, run_id)
    if run.status is not ImportStatus.FAILED or not run.upload_path:
        raise PageError(
            409, N_("Cannot run again"), N_("Only a failed import whose file is kept can.")
        )
    service.queue_run(session, run=run, principal=signed_in.principal)
    session.commit()
    return RedirectResponse(f"/admin/imports/{run.id}", status_code=303)
