"""The job that imports a file uploaded through the admin pages."""

from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from app.db import utcnow
from app.imports import parsing, service
from app.imports.models import ImportRun, ImportStatus
from app.jobs.service import handler
from app.organizations.models import Organization, Role
from app.organizations.service import Principal


@handler("import")
def import_upload(session: Session, payload: dict[str, Any]) -> None:
    """Import a queued upload into its run. A crash leaves the file in place, so the retry
    (or the "run again" button) finishes the import; unchanged rows are skipped."""
    run = session.get(ImportRun, int(payload["run_id"]))
    if run is None or run.status is ImportStatus.FINISHED:
        return
    path = Path(run.upload_path) if run.upload_path else None
    if path is None or not path.is_file():
        _fail(session, run, "the uploaded file is no longer on the server; upload it again")
        return
    organization = session.get(Organization, run.organization_id)
    assert organization is not None
    principal = Principal(
        organization_id=organization.id,
        organization_slug=organization.slug,
        is_platform=organization.is_platform,
        role=Role(payload["role"]),
        actor=run.actor,
    )
    kind: service.Kind = "companies" if run.kind == "companies" else "solicitations"
    with path.open("rb") as stream:
        try:
            service.import_file(
                session,
                kind=kind,
                principal=principal,
                stream=stream,
                source=run.source or service.DEFAULT_SOURCE[kind],
                filename=run.filename,
                dry_run=run.dry_run,
                run=run,
                position=stream.tell,
            )
        except parsing.ImportFormatError as exc:
            session.rollback()
            _fail(session, run, str(exc))
    path.unlink(missing_ok=True)


def _fail(session: Session, run: ImportRun, reason: str) -> None:
    run.status = ImportStatus.FAILED
    run.failure = reason[:1000]
    run.finished_at = utcnow()
    run.upload_path = None
    session.commit()
