"""File imports over HTTP (multipart upload)."""

from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, UploadFile

from app.common.schemas import Page
from app.deps import AnalystDep, PageDep, PrincipalDep, SessionDep
from app.errors import AppError
from app.imports import parsing, service
from app.imports.schemas import DuplicateFlagRead, ImportSummary

router = APIRouter(prefix="/imports", tags=["imports"])


class UnreadableFile(AppError):
    status_code = 400
    code = "unreadable_file"


@router.post("", response_model=ImportSummary)
def upload(
    session: SessionDep,
    principal: AnalystDep,
    file: Annotated[UploadFile, File(description="SAM.gov CSV/JSON, or the company template")],
    kind: Annotated[Literal["solicitations", "companies"], Form()] = "solicitations",
    source: Annotated[str | None, Form(max_length=64, pattern=r"^[A-Za-z0-9._-]+$")] = None,
    dry_run: Annotated[bool, Form()] = False,
) -> ImportSummary:
    """Import a file: good rows are saved, bad rows come back with line, field and reason."""
    importer = service.import_solicitations if kind == "solicitations" else service.import_companies
    try:
        return importer(
            session,
            principal=principal,
            stream=file.file,
            source=source or ("sam.gov" if kind == "solicitations" else "upload"),
            filename=file.filename,
            dry_run=dry_run,
        )
    except parsing.ImportFormatError as exc:
        raise UnreadableFile(str(exc)) from exc


@router.get("/duplicates", response_model=Page[DuplicateFlagRead])
def duplicates(
    session: SessionDep, _principal: PrincipalDep, page: PageDep
) -> Page[DuplicateFlagRead]:
    """Likely duplicates flagged by imports and not yet resolved, newest first."""
    rows, total = service.open_flags(session, limit=page.limit, offset=page.offset)
    return Page(
        items=[DuplicateFlagRead.model_validate(r) for r in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )
