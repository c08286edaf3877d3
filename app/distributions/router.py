"""Distribution endpoints: send, list, export, record answers; and the partner's response
link as JSON (no API key: the link's token is the credential)."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, status
from fastapi.responses import StreamingResponse

from app.common.schemas import FILTER_PATTERN, Page, RecordId
from app.companies import service as companies
from app.db import utcnow
from app.deps import AnalystDep, PageDep, PrincipalDep, SessionDep
from app.distributions import export, responses, service
from app.distributions.models import Channel, RecipientStatus
from app.distributions.schemas import (
    DateOrInstant,
    DistributionCreate,
    DistributionCreated,
    DistributionRead,
    HeldBackRead,
    RecipientItem,
    RecipientRead,
    ResponseAnswer,
    ResponseRead,
    StatusUpdate,
)
from app.errors import error_responses
from app.organizations.throttling import client_address, get_throttle
from app.solicitations import service as solicitations

router = APIRouter(tags=["distributions"])

AreaFilter = Annotated[
    str | None,
    Query(max_length=64, pattern=FILTER_PATTERN, description="technology area of the solicitation"),
]
SentBound = Annotated[
    DateOrInstant | None,
    Query(description="a date (whole days, UTC) or an ISO 8601 instant with its offset"),
]
Token = Annotated[str, Path(min_length=1, max_length=200, description="the link's token")]
PRIVATE = error_responses(401, 404)


def get_filters(
    status: RecipientStatus | None = None,
    channel: Channel | None = None,
    sent_from: SentBound = None,
    sent_until: SentBound = None,
    area: AreaFilter = None,
) -> service.Filters:
    """The filters every list and the export share."""
    return service.Filters(
        status=status, channel=channel, sent_from=sent_from, sent_until=sent_until, area=area
    )


FiltersDep = Annotated[service.Filters, Depends(get_filters)]


def _page(
    session: SessionDep, principal: PrincipalDep, page: PageDep, filters: service.Filters
) -> Page[RecipientItem]:
    items, total = service.list_recipients(
        session, principal=principal, filters=filters, limit=page.limit, offset=page.offset
    )
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.post(
    "/solicitations/{solicitation_id:int}/distributions",
    response_model=DistributionCreated,
    status_code=status.HTTP_201_CREATED,
    responses={
        **error_responses(400, 401, 403, 404, 413),
        409: {
            "model": HeldBackRead,
            "description": "The solicitation is not open, or companies are held back by the "
            "export-control gate (each with every reason): nothing was sent",
        },
    },
)
def create_distribution(
    solicitation_id: RecordId,
    data: DistributionCreate,
    request: Request,
    session: SessionDep,
    principal: AnalystDep,
) -> DistributionCreated:
    """Send a solicitation to companies. Each recipient's `response_url` is shown here only."""
    distribution, tokens = service.create(
        session, principal=principal, solicitation_id=solicitation_id, data=data
    )
    session.commit()
    return service.to_created(session, distribution, tokens=tokens, base_url=str(request.base_url))


@router.get(
    "/solicitations/{solicitation_id:int}/distributions",
    response_model=Page[RecipientItem],
    responses=PRIVATE,
)
def list_for_solicitation(
    solicitation_id: RecordId,
    session: SessionDep,
    principal: PrincipalDep,
    page: PageDep,
    filters: FiltersDep,
) -> Page[RecipientItem]:
    """The organization's recipients of this solicitation, newest first."""
    solicitations.get(session, solicitation_id=solicitation_id)
    return _page(session, principal, page, _with(filters, solicitation_id=solicitation_id))


@router.get(
    "/companies/{company_id:int}/distributions",
    response_model=Page[RecipientItem],
    responses=PRIVATE,
)
def list_for_company(
    company_id: RecordId,
    session: SessionDep,
    principal: PrincipalDep,
    page: PageDep,
    filters: FiltersDep,
) -> Page[RecipientItem]:
    """What the organization sent this company, newest first."""
    companies.get(session, company_id=company_id)
    return _page(session, principal, page, _with(filters, company_id=company_id))


def _with(filters: service.Filters, **more: Any) -> service.Filters:
    return service.Filters(**{**filters.__dict__, **more})


@router.get("/distributions", response_model=Page[RecipientItem], responses=PRIVATE)
def list_distributions(
    session: SessionDep,
    principal: PrincipalDep,
    page: PageDep,
    filters: FiltersDep,
    solicitation_id: RecordId | None = None,
    company_id: RecordId | None = None,
) -> Page[RecipientItem]:
    """The organization's recipients (one row per company a solicitation went to), newest
    first, each with its distribution, solicitation and company."""
    more = {"solicitation_id": solicitation_id, "company_id": company_id}
    return _page(session, principal, page, _with(filters, **more))


@router.get(
    "/distributions/export.csv",
    response_class=StreamingResponse,
    responses={
        **PRIVATE,
        200: {"content": {"text/csv": {}}, "description": "one row per recipient"},
    },
)
def export_distributions(
    session: SessionDep,
    principal: PrincipalDep,
    filters: FiltersDep,
    solicitation_id: RecordId | None = None,
    company_id: RecordId | None = None,
) -> StreamingResponse:
    """The same recipients as `GET /distributions` as CSV, oldest first."""
    more = {"solicitation_id": solicitation_id, "company_id": company_id}
    rows = service.export_rows(session, principal=principal, filters=_with(filters, **more))
    return export.csv_response(rows)


@router.get(
    "/distributions/{distribution_id:int}",
    response_model=DistributionRead,
    responses=PRIVATE,
)
def read_distribution(
    distribution_id: RecordId, session: SessionDep, principal: PrincipalDep
) -> DistributionRead:
    """A distribution with every recipient and each one's history."""
    distribution = service.get(session, principal=principal, distribution_id=distribution_id)
    return service.to_read(session, distribution)


@router.get(
    "/distributions/{distribution_id:int}/recipients/{recipient_id:int}",
    response_model=RecipientRead,
    responses=PRIVATE,
)
def read_recipient(
    distribution_id: RecordId, recipient_id: RecordId, session: SessionDep, principal: PrincipalDep
) -> RecipientRead:
    """One recipient: what it was sent, its status and history."""
    recipient = service.get_recipient(
        session, principal=principal, distribution_id=distribution_id, recipient_id=recipient_id
    )
    return service.recipient_read(session, recipient)


@router.post(
    "/distributions/{distribution_id:int}/recipients/{recipient_id:int}/status",
    response_model=RecipientRead,
    responses=error_responses(400, 401, 403, 404, 409, 412, 413),
)
def change_recipient_status(
    distribution_id: RecordId,
    recipient_id: RecordId,
    data: StatusUpdate,
    session: SessionDep,
    principal: AnalystDep,
) -> RecipientRead:
    """Record a recipient's answer (viewed, interested, declined with a reason, no_response).
    Allowed: sent -> any; viewed -> interested, declined, no_response; no_response -> viewed,
    interested, declined; interested <-> declined. Nothing goes back to sent."""
    recipient = service.change_status(
        session,
        principal=principal,
        distribution_id=distribution_id,
        recipient_id=recipient_id,
        data=data,
    )
    session.commit()
    return service.recipient_read(session, recipient)


# -- the partner's link, as JSON -----------------------------------------------------------


async def throttled(request: Request) -> None:
    """Links are answered without a key: count them per address like any API call."""
    get_throttle(request.app).check_api_address(client_address(request))


LINK = error_responses(400, 404, 409, 410, 413)


@router.get(
    "/responses/{token}",
    response_model=ResponseRead,
    responses=LINK,
    dependencies=[Depends(throttled)],
)
def read_response_link(token: Token, session: SessionDep) -> ResponseRead:
    """What a partner was sent, through its response link (no API key); the first read marks
    the recipient viewed. An expired link is a 410."""
    return responses.open_link(session, token=token)


@router.post(
    "/responses/{token}",
    response_model=ResponseRead,
    responses=LINK,
    dependencies=[Depends(throttled)],
)
def answer_response_link(token: Token, data: ResponseAnswer, session: SessionDep) -> ResponseRead:
    """A partner answers, interested or declined (with a reason), once; a used link is a 409,
    an expired one a 410."""
    recipient = responses.answer(session, token=token, data=data)
    session.commit()
    return responses.to_read(session, recipient, utcnow())
