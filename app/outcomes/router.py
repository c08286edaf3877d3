"""Outcome endpoints: what came of a match, per organization."""

from fastapi import APIRouter, Response, status

from app.common.schemas import Page, RecordId, UtcDatetime
from app.deps import AnalystDep, PageDep, PrincipalDep, RankerDep, SessionDep
from app.errors import error_responses
from app.outcomes import service
from app.outcomes.models import OutcomeKind
from app.outcomes.schemas import OutcomeCreate, OutcomeHistory, OutcomeRead

router = APIRouter(tags=["outcomes"], responses=error_responses(401))
PAIR = "/solicitations/{solicitation_id:int}/matches/{company_id:int}/outcomes"


@router.post(
    PAIR,
    response_model=OutcomeRead,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(400, 403, 404, 409, 413),
)
def record_outcome(
    solicitation_id: RecordId,
    company_id: RecordId,
    data: OutcomeCreate,
    session: SessionDep,
    principal: AnalystDep,
    ranker: RankerDep,
    response: Response,
) -> OutcomeRead:
    """Record what came of a match your organization distributed, reviewed or ranked at or
    above its minimum fit (a 422 for a pair it never matched). Plain `def`: checking the
    ranking may encode text."""
    outcome = service.record(
        session,
        principal=principal,
        ranker=ranker,
        solicitation_id=solicitation_id,
        company_id=company_id,
        data=data,
    )
    session.commit()
    response.headers["Location"] = (
        f"/api/v1/solicitations/{solicitation_id}/matches/{company_id}/outcomes"
    )
    return OutcomeRead.model_validate(outcome)


@router.get(PAIR, response_model=OutcomeHistory, responses=error_responses(404))
def outcome_history(
    solicitation_id: RecordId, company_id: RecordId, session: SessionDep, principal: PrincipalDep
) -> OutcomeHistory:
    """A pair's outcomes recorded by your organization, newest (current) first; 404 when it
    recorded none."""
    rows = service.history(
        session,
        organization_id=principal.organization_id,
        solicitation_id=solicitation_id,
        company_id=company_id,
    )
    reads = [OutcomeRead.model_validate(r) for r in rows]
    return OutcomeHistory(
        solicitation_id=solicitation_id, company_id=company_id, current=reads[0], history=reads
    )


@router.get("/outcomes", response_model=Page[OutcomeRead])
def list_outcomes(
    session: SessionDep,
    principal: PrincipalDep,
    page: PageDep,
    outcome: OutcomeKind | None = None,
    solicitation_id: RecordId | None = None,
    company_id: RecordId | None = None,
    recorded_from: UtcDatetime | None = None,
    recorded_until: UtcDatetime | None = None,
) -> Page[OutcomeRead]:
    """Your organization's outcomes, every record (history included), newest first."""
    rows, total = service.get_all(
        session,
        organization_id=principal.organization_id,
        outcome=outcome,
        solicitation_id=solicitation_id,
        company_id=company_id,
        recorded_from=recorded_from,
        recorded_until=recorded_until,
        limit=page.limit,
        offset=page.offset,
    )
    return Page(
        items=[OutcomeRead.model_validate(r) for r in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )
