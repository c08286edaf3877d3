"""File imports over HTTP (multipart upload)."""

from typing import Annotated

from fastapi import APIRouter, File, Form, Response, UploadFile

from app.common.schemas import Page, RecordId
from app.deps import AnalystDep, PageDep, PrincipalDep, SessionDep
from app.errors import AppError, error_responses
from app.imports import parsing, service
from app.imports.schemas import (
    DuplicateFlagRead,
    FlagResolve,
    ImportRunDetail,
    ImportRunRead,
    ImportSummary,
)

router = APIRouter(prefix="/imports", tags=["imports"], responses=error_responses(401))


UploadedFile = Annotated[UploadFile, File(description="SAM.gov CSV/JSON, or the company template")]
KindField = Annotated[service.Kind, Form()]
SourceField = Annotated[str | None, Form(pattern=f"^{service.SOURCE_PATTERN}$")]
DryRunField = Annotated[bool, Form()]


class UnreadableFile(AppError):
    status_code = 400
    code = "unreadable_file"


@router.post("", response_model=ImportSummary, responses=error_responses(400, 403, 409, 413))
def upload(
    session: SessionDep,
    principal: AnalystDep,
    file: UploadedFile,
    kind: KindField = "solicitations",
    source: SourceField = None,
    dry_run: DryRunField = False,
) -> ImportSummary:
    """Import a file: good rows are saved, bad rows come back with line, field and reason."""
    try:
        return service.import_file(
            session,
            kind=kind,
            principal=principal,
            stream=file.file,
            source=source or service.DEFAULT_SOURCE[kind],
            filename=file.filename,
            dry_run=dry_run,
        )
    except parsing.ImportFormatError as exc:
        raise UnreadableFile(str(exc)) from exc


@router.post(
    "/background",
    response_model=ImportRunRead,
    status_code=202,
    responses=error_responses(400, 403, 409, 413),
)
def upload_in_background(
    session: SessionDep,
    principal: AnalystDep,
    response: Response,
    file: UploadedFile,
    kind: KindField = "solicitations",
    source: SourceField = None,
    dry_run: DryRunField = False,
) -> ImportRunRead:
    """Queue a large file and answer at once (202); follow the run at its Location until its
    status is finished or failed. The file's head is checked now: a file that is not a table
    is refused with 400 and nothing is queued."""
    try:
        run = service.queue_upload(
            session,
            principal=principal,
            kind=kind,
            stream=file.file,
            filename=file.filename,
            source=source or service.DEFAULT_SOURCE[kind],
            dry_run=dry_run,
        )
    except parsing.ImportFormatError as exc:
        raise UnreadableFile(str(exc)) from exc
    session.commit()
    response.headers["Location"] = f"/api/v1/imports/{run.id}"
    return ImportRunRead.model_validate(run)


@router.get("", response_model=Page[ImportRunRead])
def runs(session: SessionDep, principal: PrincipalDep, page: PageDep) -> Page[ImportRunRead]:
    """The organization's imports (API, CLI and admin uploads), newest first."""
    rows, total = service.runs(session, principal=principal, limit=page.limit, offset=page.offset)
    return Page(
        items=[ImportRunRead.model_validate(r) for r in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.get("/duplicates", response_model=Page[DuplicateFlagRead])
def duplicates(
    session: SessionDep, principal: PrincipalDep, page: PageDep
) -> Page[DuplicateFlagRead]:
    """Likely duplicates flagged by the organization's imports and not yet settled, newest
    first."""
    rows, total = service.open_flags(
        session, principal=principal, limit=page.limit, offset=page.offset
    )
    return Page(
        items=[DuplicateFlagRead.model_validate(r) for r in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.post(
    "/duplicates/{flag_id:int}/resolve",
    response_model=DuplicateFlagRead,
    responses=error_responses(400, 403, 404, 409, 413),
)
def resolve_duplicate(
    session: SessionDep, principal: AnalystDep, flag_id: RecordId, body: FlagResolve
) -> DuplicateFlagRead:
    """Settle a likely duplicate: keep both records, or archive the one the import created."""
    flag = service.resolve_flag(
        session, principal=principal, flag_id=flag_id, resolution=body.resolution
    )
    session.commit()
    return DuplicateFlagRead.model_validate(flag)


@router.get("/{run_id:int}", response_model=ImportRunDetail, responses=error_responses(404))
def run(session: SessionDep, principal: PrincipalDep, run_id: RecordId) -> ImportRunDetail:
    """One import with its status, progress, counts and first 1,000 row errors."""
    return ImportRunDetail.model_validate(
        service.get_run(session, principal=principal, run_id=run_id)
    )
