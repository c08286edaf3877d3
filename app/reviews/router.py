"""Review endpoints: an organization's own pinned, hidden and noted matches."""

from fastapi import APIRouter, Response, status

from app.common.schemas import Page, RecordId
from app.deps import AnalystDep, IfMatchDep, PageDep, PrincipalDep, SessionDep
from app.errors import error_responses
from app.reviews import service
from app.reviews.schemas import ReviewRead, ReviewUpdate

router = APIRouter(tags=["reviews"], responses=error_responses(401))
PAIR = "/solicitations/{solicitation_id:int}/matches/{company_id:int}/review"


@router.put(
    PAIR,
    response_model=ReviewRead,
    responses={
        201: {"model": ReviewRead, "description": "The first review of this pair"},
        **error_responses(400, 403, 404, 412, 413),
    },
)
def put_review(
    solicitation_id: RecordId,
    company_id: RecordId,
    data: ReviewUpdate,
    session: SessionDep,
    principal: AnalystDep,
    expected_version: IfMatchDep,
    response: Response,
) -> ReviewRead:
    """Pin, hide (with a reason) or annotate a match for your organization: 201 for the first
    review of the pair, 200 after. A stale If-Match version gets 412."""
    review, created = service.put(
        session,
        principal=principal,
        solicitation_id=solicitation_id,
        company_id=company_id,
        data=data,
        expected_version=expected_version,
    )
    session.commit()
    if created:
        response.status_code = status.HTTP_201_CREATED
    response.headers["ETag"] = f'"{review.version}"'
    return service.to_read(review)


@router.get(PAIR, response_model=ReviewRead, responses=error_responses(404))
def get_review(
    solicitation_id: RecordId,
    company_id: RecordId,
    session: SessionDep,
    principal: PrincipalDep,
    response: Response,
) -> ReviewRead:
    """Your organization's review of a match (404 when it has none)."""
    review = service.get(
        session,
        organization_id=principal.organization_id,
        solicitation_id=solicitation_id,
        company_id=company_id,
    )
    response.headers["ETag"] = f'"{review.version}"'
    return service.to_read(review)


@router.get("/reviews", response_model=Page[ReviewRead])
def list_reviews(
    session: SessionDep,
    principal: PrincipalDep,
    page: PageDep,
    pinned: bool | None = None,
    hidden: bool | None = None,
    solicitation_id: RecordId | None = None,
    company_id: RecordId | None = None,
) -> Page[ReviewRead]:
    """Your organization's reviews, most recently changed first."""
    rows, total = service.get_all(
        session,
        organization_id=principal.organization_id,
        pinned=pinned,
        hidden=hidden,
        solicitation_id=solicitation_id,
        company_id=company_id,
        limit=page.limit,
        offset=page.offset,
    )
    return Page(
        items=[service.to_read(r) for r in rows], total=total, limit=page.limit, offset=page.offset
    )
