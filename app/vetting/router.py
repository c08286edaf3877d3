"""Vetting endpoints under a company."""

from fastapi import APIRouter, status

from app.common.schemas import RecordId
from app.deps import AnalystDep, PrincipalDep, SessionDep
from app.errors import error_responses
from app.vetting import service
from app.vetting.schemas import VettingDecisionCreate, VettingDecisionRead

router = APIRouter(
    prefix="/companies/{company_id:int}/vetting",
    tags=["vetting"],
    responses=error_responses(401, 404),
)


@router.get("", response_model=list[VettingDecisionRead])
def vetting_history(
    company_id: RecordId, session: SessionDep, _principal: PrincipalDep
) -> list[VettingDecisionRead]:
    """The full decision history, newest first; the first is the current one."""
    return [service.to_read(d) for d in service.get_history(session, company_id=company_id)]


@router.post(
    "",
    response_model=VettingDecisionRead,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(400, 403, 409, 413),
)
def record_decision(
    company_id: RecordId, data: VettingDecisionCreate, session: SessionDep, principal: AnalystDep
) -> VettingDecisionRead:
    """Record a new decision (analyst or admin); earlier ones are kept."""
    decision = service.decide(session, principal=principal, company_id=company_id, data=data)
    session.commit()
    return service.to_read(decision)
