"""Screening endpoints: list snapshots, potential hits, and the decisions on them."""

from typing import Annotated

from fastapi import APIRouter, File, Query, Response, UploadFile, status

from app.common.schemas import Page, RecordId
from app.deps import AdminDep, AnalystDep, IfMatchDep, PageDep, PrincipalDep, SessionDep
from app.errors import error_responses
from app.screening import service
from app.screening.models import HitStatus, ScreeningHit, ScreeningList
from app.screening.schemas import HitClear, HitConfirm, HitRead, LoadRead, SnapshotRead

router = APIRouter(tags=["screening"], responses=error_responses(401))

ListFile = Annotated[
    UploadFile, File(description="the CSL CSV as trade.gov publishes it, or METI's list")
]


def _hit_read(hit: ScreeningHit, response: Response | None = None) -> HitRead:
    if response is not None:
        response.headers["ETag"] = f'"{hit.version}"'
    return HitRead.model_validate(hit)


@router.post(
    "/screening/lists/{list_name}",
    response_model=LoadRead,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(400, 403, 404, 409, 413),
)
def load_list(
    list_name: ScreeningList, file: ListFile, session: SessionDep, principal: AdminDep
) -> LoadRead:
    """Load a list file as the list's new snapshot (admin) and screen every company against
    it; the counts say what changed since the previous snapshot. A bad file changes nothing."""
    result = service.load_snapshot(
        session,
        list_name=list_name,
        filename=file.filename or list_name.value,
        data=file.file.read(),
        principal=principal,
    )
    session.commit()
    return LoadRead(
        **SnapshotRead.model_validate(result.snapshot).model_dump(),
        hits_raised=result.hits_raised,
    )


@router.get("/screening/snapshots", response_model=Page[SnapshotRead])
def list_snapshots(
    session: SessionDep, _principal: PrincipalDep, page: PageDep
) -> Page[SnapshotRead]:
    """Every snapshot loaded, newest first."""
    rows, total = service.snapshots(session, limit=page.limit, offset=page.offset)
    return Page(
        items=[SnapshotRead.model_validate(s) for s in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.get("/screening/hits", response_model=Page[HitRead])
def list_hits(
    session: SessionDep,
    principal: PrincipalDep,
    page: PageDep,
    hit_status: Annotated[HitStatus | None, Query(alias="status")] = None,
    company_id: Annotated[RecordId | None, Query()] = None,
) -> Page[HitRead]:
    """Potential hits, newest first, by status and company."""
    rows, total = service.hits(
        session,
        principal=principal,
        status=hit_status,
        company_id=company_id,
        limit=page.limit,
        offset=page.offset,
    )
    return Page(
        items=[_hit_read(h) for h in rows], total=total, limit=page.limit, offset=page.offset
    )


@router.get("/screening/hits/{hit_id:int}", response_model=HitRead, responses=error_responses(404))
def get_hit(
    hit_id: RecordId, session: SessionDep, principal: PrincipalDep, response: Response
) -> HitRead:
    """One hit; its ETag is the version to send back in If-Match when deciding it."""
    return _hit_read(service.get_hit(session, principal=principal, hit_id=hit_id), response)


@router.post(
    "/screening/hits/{hit_id:int}/clear",
    response_model=HitRead,
    responses=error_responses(400, 403, 404, 409, 412, 413),
)
def clear_hit(
    hit_id: RecordId,
    data: HitClear,
    session: SessionDep,
    principal: AnalystDep,
    expected_version: IfMatchDep,
    response: Response,
) -> HitRead:
    """Clear an open hit as a false positive, with a written reason: the hold lifts, and the
    hit is not raised again unless the list entry changes."""
    hit = service.clear_hit(
        session,
        principal=principal,
        hit_id=hit_id,
        reason=data.reason,
        expected_version=expected_version,
    )
    session.commit()
    return _hit_read(hit, response)


@router.post(
    "/screening/hits/{hit_id:int}/confirm",
    response_model=HitRead,
    responses=error_responses(400, 403, 404, 409, 412, 413),
)
def confirm_hit(
    hit_id: RecordId,
    data: HitConfirm,
    session: SessionDep,
    principal: AnalystDep,
    expected_version: IfMatchDep,
    response: Response,
) -> HitRead:
    """Confirm an open hit: the company is blocked and a partner's vetting suspended."""
    hit = service.confirm_hit(
        session,
        principal=principal,
        hit_id=hit_id,
        reason=data.reason,
        expected_version=expected_version,
    )
    session.commit()
    return _hit_read(hit, response)


@router.get(
    "/companies/{company_id:int}/screening",
    response_model=list[HitRead],
    responses=error_responses(404),
)
def company_screening(
    company_id: RecordId, session: SessionDep, principal: PrincipalDep
) -> list[HitRead]:
    """A company's screening history: every hit raised on it and what was decided."""
    return [
        _hit_read(h) for h in service.history(session, principal=principal, company_id=company_id)
    ]
