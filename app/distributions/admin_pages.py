"""Admin pages for distributions: the organization's recipients with the API's filters, the
CSV export of the same rows, and a form per recipient to record its answer."""

from datetime import date
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from app.admin.forms import parse_form
from app.admin.web import (
    UserDep,
    check_csrf,
    render,
    require_role,
    safe_next,
    security_headers,
)
from app.areas import service as areas
from app.common.schemas import Offset, RecordId, Slug, StrictModel
from app.db import get_sessionmaker
from app.deps import SessionDep
from app.distributions import export, service
from app.distributions.models import Channel, RecipientStatus
from app.distributions.schemas import StatusUpdate
from app.errors import Conflict, InvalidField
from app.organizations.models import Role
from app.users.service import SignedIn

router = APIRouter(prefix="/admin/distributions", include_in_schema=False)

PER_PAGE = 25


def N_(message: str) -> str:
    """Mark a text for translation where it is defined; translated where it is shown."""
    return message


STATUS_LABELS = {
    RecipientStatus.SENT: N_("Sent"),
    RecipientStatus.VIEWED: N_("Viewed"),
    RecipientStatus.INTERESTED: N_("Interested"),
    RecipientStatus.DECLINED: N_("Declined"),
    RecipientStatus.NO_RESPONSE: N_("No response"),
}
CHANNEL_LABELS = {
    Channel.EMAIL: N_("Email"),
    Channel.REPORT: N_("Nightly report"),
    Channel.MANUAL: N_("Manual (I send it myself)"),
}
# What an analyst may record (the partner's own link records interested or declined too).
ANSWERS = (
    RecipientStatus.VIEWED,
    RecipientStatus.INTERESTED,
    RecipientStatus.DECLINED,
    RecipientStatus.NO_RESPONSE,
)


class ListFilters(StrictModel):
    """The filters of GET /api/v1/distributions; dates are whole days (UTC) as there."""

    status: RecipientStatus | None = None
    channel: Channel | None = None
    sent_from: date | None = None
    sent_until: date | None = None
    area: Slug | None = None
    solicitation_id: RecordId | None = None
    company_id: RecordId | None = None
    offset: Offset = 0

    def to_filters(self) -> service.Filters:
        """The service's filters."""
        return service.Filters(
            status=self.status,
            channel=self.channel,
            sent_from=self.sent_from,
            sent_until=self.sent_until,
            area=self.area,
            solicitation_id=self.solicitation_id,
            company_id=self.company_id,
        )


def _context(
    request: Request,
    session: Session,
    signed_in: SignedIn,
    params: Any,
    **more: Any,
) -> tuple[dict[str, Any], bool]:
    parsed = parse_form(ListFilters, params)
    filters = parsed.model or ListFilters()
    errors = dict(parsed.errors)
    items: list[Any] = []
    total = 0
    histories: dict[int, list[Any]] = {}
    if not errors:
        try:
            items, total = service.list_recipients(
                session,
                principal=signed_in.principal,
                filters=filters.to_filters(),
                limit=PER_PAGE,
                offset=filters.offset,
            )
            histories = service.histories(session, recipient_ids=[i.id for i in items])
        except InvalidField as exc:
            errors = {exc.field: exc.reason}
    query = {k: v for k, v in parsed.values.items() if k != "offset"}
    context = {
        "items": items,
        "total": total,
        "offset": filters.offset,
        "per_page": PER_PAGE,
        "filters": parsed.values,
        "query": query,
        "export_query": urlencode(query),
        "errors": errors,
        "histories": histories,
        "areas": areas.get_all(session),
        "statuses": STATUS_LABELS,
        "channels": CHANNEL_LABELS,
        "answers": ANSWERS,
        "allowed": {s: service.TRANSITIONS[s] for s in RecipientStatus},
        "may_write": signed_in.user.role is not Role.VIEWER,
        "back": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        "form_errors": {},
        "form_values": {},
        **more,
    }
    return context, bool(errors)


@router.get("", response_class=HTMLResponse)
def index(request: Request, session: SessionDep, signed_in: UserDep) -> Response:
    """The organization's recipients, newest first, with their status and history."""
    context, invalid = _context(request, session, signed_in, request.query_params)
    return render(
        request,
        "distributions/index.html",
        context,
        signed_in=signed_in,
        status_code=422 if invalid else 200,
    )


@router.get("/export.csv")
def export_csv(request: Request, session: SessionDep, signed_in: UserDep) -> Response:
    """The same CSV as GET /api/v1/distributions/export.csv, for the same filters."""
    parsed = parse_form(ListFilters, request.query_params)
    if parsed.model is None:
        field, reason = next(iter(parsed.errors.items()))
        raise InvalidField(field, reason, location="query")
    rows = service.export_rows(
        session, principal=signed_in.principal, filters=parsed.model.to_filters()
    )
    response = export.csv_response(rows)
    security_headers(response)
    return response


@router.post(
    "/{distribution_id:int}/recipients/{recipient_id:int}/status", response_class=HTMLResponse
)
async def change_status(
    request: Request, signed_in: UserDep, distribution_id: RecordId, recipient_id: RecordId
) -> Response:
    """Record a recipient's answer; a decline without a reason comes back with the error
    beside the reason, and nothing is written."""
    require_role(signed_in, Role.ANALYST, "record answers")
    form = await request.form(max_files=0, max_fields=10)
    check_csrf(request, form, signed_in.session_token)
    return await run_in_threadpool(_change, request, signed_in, form, distribution_id, recipient_id)


def _change(
    request: Request,
    signed_in: SignedIn,
    form: FormData,
    distribution_id: int,
    recipient_id: int,
) -> Response:
    back = safe_next(str(form.get("next") or "/admin/distributions"))
    if not back.startswith("/admin/distributions"):
        back = "/admin/distributions"
    parsed = parse_form(StatusUpdate, form)
    status_code = 422
    with get_sessionmaker()() as session:
        errors = parsed.errors
        if parsed.model is not None:
            try:
                service.change_status(
                    session,
                    principal=signed_in.principal,
                    distribution_id=distribution_id,
                    recipient_id=recipient_id,
                    data=parsed.model,
                )
                session.commit()
                return RedirectResponse(f"{back}#recipient-{recipient_id}", status_code=303)
            except Conflict as exc:
                errors, status_code = {"status": exc.message}, 409
            session.rollback()
        params = dict(_query_params(back))
        context, _ = _context(
            request,
            session,
            signed_in,
            params,
            form_errors={recipient_id: errors},
            form_values={recipient_id: {k: form.get(k) for k in form}},
        )
        context["back"] = back
        return render(
            request,
            "distributions/index.html",
            context,
            signed_in=signed_in,
            status_code=status_code,
        )


def _query_params(path: str) -> list[tuple[str, str]]:
    from urllib.parse import parse_qsl, urlsplit

    return parse_qsl(urlsplit(path).query)
