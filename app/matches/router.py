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
MinFit = Annotated[
    float | None,
    Query(
        ge=0,
        le=1,
        allow_inf_nan=False,
        description="leave out matches whose `fit` is below this, for this request only; "
        "default: the organization's setting, else the platform default (0 keeps all)",
    ),
]
IncludeHidden = Annotated[
    bool,
    Query(
        description="also list the matches your organization hid (marked by their `review`), "
        "so they can be un-hidden"
    ),
]


@router.get("/solicitations/{solicitation_id:int}/matches", response_model=SolicitationMatches)
def solicitation_matches(
    solicitation_id: RecordId,
    session: SessionDep,
    principal: PrincipalDep,
    ranker: RankerDep,
    role: CompanyRole = CompanyRole.JP_PARTNER,
    limit: Limit = 20,
    include_held_back: bool = False,
    min_fit: MinFit = None,
    include_hidden: IncludeHidden = False,
) -> SolicitationMatches:
    """Partners that fit a solicitation, best first, with the reasons; partners who must not
    receive it appear only with include_held_back=true, in `held_back`. Matches whose `fit`
    is below the minimum are left out of both, and counted."""
    return service.match_solicitation(
        session,
        ranker=ranker,
        solicitation_id=solicitation_id,
        role=role,
        limit=limit,
        include_held_back=include_held_back,
        organization_id=principal.organization_id,
        min_fit=min_fit,
        include_hidden=include_hidden,
    )


@router.get("/companies/{company_id:int}/matches", response_model=CompanyMatches)
def company_matches(
    company_id: RecordId,
    session: SessionDep,
    principal: PrincipalDep,
    ranker: RankerDep,
    limit: Limit = 20,
    include_held_back: bool = False,
    min_fit: MinFit = None,
    include_hidden: IncludeHidden = False,
) -> CompanyMatches:
    """Open solicitations that fit a company, best first; those below the minimum fit are
    left out, and counted."""
    return service.match_company(
        session,
        ranker=ranker,
        company_id=company_id,
        limit=limit,
        include_held_back=include_held_back,
        organization_id=principal.organization_id,
        min_fit=min_fit,
        include_hidden=include_hidden,
    )


@router.get("/solicitations/{solicitation_id:int}/teams", response_model=TeamSuggestions)
def solicitation_teams(
    solicitation_id: RecordId,
    session: SessionDep,
    principal: PrincipalDep,
    ranker: RankerDep,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
    min_fit: MinFit = None,
) -> TeamSuggestions:
    """Suggested pairs of an eligible US performer and an eligible Japanese partner, both
    reaching the minimum fit."""
    return service.teams(
        session,
        ranker=ranker,
        solicitation_id=solicitation_id,
        limit=limit,
        organization_id=principal.organization_id,
        min_fit=min_fit,
    )
