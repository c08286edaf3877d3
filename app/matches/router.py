"""Match endpoints. Plain `def`: ranking (and encoding a query whose vector the worker has
not stored yet) is CPU work and runs in the thread pool. They read only and commit nothing."""

from typing import Annotated

from fastapi import APIRouter, Query

from app.common.schemas import RecordId
from app.companies.models import CompanyRole
from app.deps import PrincipalDep, RankerDep, SessionDep
from app.errors import error_responses
from app.matches import service
from app.matches.schemas import CompanyMatches, SolicitationMatches, TeamSuggestions

router = APIRouter(tags=["matches"], responses=error_responses(401, 404))
Limit = Annotated[int, Query(ge=1, le=200)]


@router.get("/solicitations/{solicitation_id:int}/matches", response_model=SolicitationMatches)
def solicitation_matches(
    solicitation_id: RecordId,
    session: SessionDep,
    _principal: PrincipalDep,
    ranker: RankerDep,
    role: CompanyRole = CompanyRole.JP_PARTNER,
    limit: Limit = 20,
    include_held_back: bool = False,
) -> SolicitationMatches:
    """Partners that fit a solicitation, best first, with the reasons; partners who must not
    receive it appear only with include_held_back=true, in `held_back`."""
    return service.match_solicitation(
        session,
        ranker=ranker,
        solicitation_id=solicitation_id,
        role=role,
        limit=limit,
        include_held_back=include_held_back,
    )


@router.get("/companies/{company_id:int}/matches", response_model=CompanyMatches)
def company_matches(
    company_id: RecordId,
    session: SessionDep,
    _principal: PrincipalDep,
    ranker: RankerDep,
    limit: Limit = 20,
    include_held_back: bool = False,
) -> CompanyMatches:
    """Open solicitations that fit a company, best first."""
    return service.match_company(
        session,
        ranker=ranker,
        company_id=company_id,
        limit=limit,
        include_held_back=include_held_back,
    )


@router.get("/solicitations/{solicitation_id:int}/teams", response_model=TeamSuggestions)
def solicitation_teams(
    solicitation_id: RecordId,
    session: SessionDep,
    _principal: PrincipalDep,
    ranker: RankerDep,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> TeamSuggestions:
    """Suggested pairs of an eligible US performer and an eligible Japanese partner."""
    return service.teams(session, ranker=ranker, solicitation_id=solicitation_id, limit=limit)
