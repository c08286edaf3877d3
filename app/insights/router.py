"""Capability-gap endpoints: read-only, for any role of the organization. Plain `def`:
ranking every partner for every solicitation, and encoding sentences, is CPU work."""

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from app.common.schemas import FILTER_PATTERN, RecordId
from app.deps import PrincipalDep, RankerDep, SessionDep
from app.errors import error_responses
from app.insights import export, service, snapshots
from app.insights.schemas import GapsRead, SolicitationGap, TrendRead

router = APIRouter(prefix="/insights", tags=["insights"], responses=error_responses(401))
MinFit = Annotated[
    float | None,
    Query(
        ge=0,
        le=1,
        allow_inf_nan=False,
        description="the minimum fit for this request only; default: the organization's "
        "setting, else the platform default",
    ),
]
Area = Annotated[
    str | None,
    Query(max_length=64, pattern=FILTER_PATTERN, description="one technology area's slug"),
]


@dataclass(frozen=True)
class GapQuery:
    """The filters every gaps view shares."""

    filters: service.GapFilters


def gap_query(
    technology_area: Area = None,
    agency: Annotated[
        str | None,
        Query(
            max_length=300,
            pattern=FILTER_PATTERN,
            description="solicitations whose agency contains this (any case)",
        ),
    ] = None,
    include_closed: Annotated[
        bool,
        Query(description="also closed solicitations, assessed as if still open"),
    ] = False,
    min_fit: MinFit = None,
) -> GapQuery:
    """The gaps filters from the query string."""
    return GapQuery(
        service.GapFilters(
            technology_area=technology_area or None,
            agency=agency.strip() or None if agency else None,
            include_closed=include_closed,
            min_fit=min_fit,
        )
    )


GapQueryDep = Annotated[GapQuery, Depends(gap_query)]


@router.get("/gaps", response_model=GapsRead)
def gaps(
    session: SessionDep, principal: PrincipalDep, ranker: RankerDep, query: GapQueryDep
) -> GapsRead:
    """Per technology area: solicitations, vetted and eligible partners, the median best
    match, the share of solicitations no eligible partner covers at the minimum fit and the
    share an export authorization would unlock, with the records behind every figure."""
    return service.gaps(
        session, ranker=ranker, organization_id=principal.organization_id, filters=query.filters
    )


@router.get(
    "/gaps.csv",
    response_class=Response,
    responses={
        200: {"content": {"text/csv": {}}, "description": "one row per area"},
    },
)
def gaps_csv(
    session: SessionDep, principal: PrincipalDep, ranker: RankerDep, query: GapQueryDep
) -> Response:
    """The gaps per area as CSV (UTF-8 with a byte-order mark), the same filters."""
    found = service.gaps(
        session, ranker=ranker, organization_id=principal.organization_id, filters=query.filters
    )
    return export.csv_response(found)


@router.get("/gaps/trend", response_model=TrendRead)
def gaps_trend(
    session: SessionDep,
    principal: PrincipalDep,
    technology_area: Area = None,
    weeks: Annotated[int, Query(ge=1, le=520)] = snapshots.DEFAULT_WEEKS,
) -> TrendRead:
    """The organization's weekly snapshots per area, oldest first: are gaps closing?"""
    return snapshots.trend(
        session,
        organization_id=principal.organization_id,
        technology_area=technology_area or None,
        weeks=weeks,
    )


@router.get(
    "/gaps/solicitations/{solicitation_id:int}",
    response_model=SolicitationGap,
    responses=error_responses(404),
)
def solicitation_gap(
    solicitation_id: RecordId,
    session: SessionDep,
    principal: PrincipalDep,
    ranker: RankerDep,
    min_fit: MinFit = None,
) -> SolicitationGap:
    """The sentences of a solicitation no eligible partner answers well, and the partners
    nearest to each, held back or not."""
    return service.solicitation_gap(
        session,
        ranker=ranker,
        organization_id=principal.organization_id,
        solicitation_id=solicitation_id,
        min_fit=min_fit,
    )
