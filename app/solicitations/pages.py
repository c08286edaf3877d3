"""Admin pages for solicitations: the list with the API's filters, the create and edit forms,
and a solicitation's page with its ranked, explained matches and the workflow's actions
(review, pass, pin, follow, distribute, record an outcome)."""

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import Field
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from app.admin.forms import field_error, form_values, parse_form
from app.admin.i18n import gettext, zone
from app.admin.web import (
    PageError,
    UserDep,
    check_csrf,
    handle_posted_form,
    render,
    require_role,
    safe_next,
)
from app.areas import service as areas
from app.common.schemas import FILTER_PATTERN, Offset, RecordId, Slug, StrictModel
from app.companies.models import CompanyRole
from app.db import get_sessionmaker
from app.deps import RankerDep, SessionDep
from app.distributions import service as distributions
from app.distributions.models import Channel
from app.distributions.schemas import DistributionCreate
from app.errors import AppError, Conflict, InvalidField, NotFound, PreconditionFailed
from app.follows import service as follows
from app.matches import service as matches
from app.matches.index import RankerState, get_ranker
from app.matches.schemas import CompanyMatch, Quote
from app.organizations.models import Role
from app.outcomes import service as outcomes
from app.outcomes.models import OutcomeKind
from app.outcomes.schemas import OutcomeCreate
from app.reviews import service as reviews
from app.reviews.models import HideReason
from app.reviews.schemas import ReviewUpdate
from app.solicitations import service
from app.solicitations.models import (
    ExportControl,
    ForeignParticipation,
    OtaType,
    Solicitation,
    SolicitationStatus,
)
from app.solicitations.schemas import SolicitationCreate, SolicitationUpdate
from app.users.service import SignedIn

router = APIRouter(prefix="/admin/solicitations", include_in_schema=False)

PER_PAGE = 25
MATCH_LIMIT = 20
TEAM_LIMIT = 5
LISTS = ("technology_areas", "naics")
COMPONENTS = ("semantic", "lexical", "areas", "naics")


def N_(message: str) -> str:
    """Mark a text for translation where it is defined; translated where it is shown."""
    return message


STATUS_LABELS = {
    SolicitationStatus.OPEN: N_("Open"),
    SolicitationStatus.CLOSED: N_("Closed"),
    SolicitationStatus.AWARDED: N_("Awarded"),
    SolicitationStatus.CANCELLED: N_("Cancelled"),
}
MARKING_LABELS = {
    ExportControl.NONE: N_("No marking"),
    ExportControl.EAR: N_("EAR"),
    ExportControl.ITAR: N_("ITAR"),
    ExportControl.CUI: N_("CUI"),
}
FOREIGN_LABELS = {
    ForeignParticipation.ALLOWED: N_("Foreign participation allowed"),
    ForeignParticipation.ALLOWED_WITH_AUTHORIZATION: N_("Allowed with an authorization"),
    ForeignParticipation.PROHIBITED: N_("Foreign participation prohibited"),
}
OTA_LABELS = {
    OtaType.PROTOTYPE: N_("Prototype"),
    OtaType.PRODUCTION: N_("Production"),
    OtaType.RESEARCH: N_("Research"),
}
ROLE_LABELS = {
    CompanyRole.JP_PARTNER: N_("Japanese partners"),
    CompanyRole.US_PERFORMER: N_("US performers"),
}
HIDE_LABELS = {
    HideReason.NOT_A_FIT: N_("Not a fit"),
    HideReason.ALREADY_ENGAGED: N_("Already engaged"),
    HideReason.NO_CAPACITY: N_("No capacity"),
    HideReason.CONFLICT_OF_INTEREST: N_("Conflict of interest"),
    HideReason.OTHER: N_("Other (say why)"),
}
CHANNEL_LABELS = {
    Channel.EMAIL: N_("Email"),
    Channel.REPORT: N_("Nightly report"),
    Channel.MANUAL: N_("Manual (I send it myself)"),
}
OUTCOME_LABELS = {
    OutcomeKind.INTERESTED: N_("Interested"),
    OutcomeKind.DECLINED: N_("Declined"),
    OutcomeKind.NOT_A_FIT: N_("Not a fit"),
    OutcomeKind.TEAMED: N_("Teamed"),
    OutcomeKind.AWARDED: N_("Awarded"),
}
COMPONENT_LABELS = {
    "semantic": N_("Meaning"),
    "lexical": N_("Shared words"),
    "areas": N_("Technology areas"),
    "naics": N_("NAICS codes"),
}
LABELS = {
    "statuses": STATUS_LABELS,
    "markings": MARKING_LABELS,
    "foreign": FOREIGN_LABELS,
    "ota_types": OTA_LABELS,
    "roles": ROLE_LABELS,
    "hide_reasons": HIDE_LABELS,
    "channels": CHANNEL_LABELS,
    "outcomes": OUTCOME_LABELS,
    "components": COMPONENT_LABELS,
}


# -- the list ------------------------------------------------------------------------------


class ListFilters(StrictModel):
    """The list's query: the API's filters, with the deadline range as days in the reader's
    zone."""

    status: SolicitationStatus | None = None
    technology_area: Slug | None = None
    deadline_from: date | None = None
    deadline_to: date | None = None
    q: Annotated[str | None, Field(max_length=200, pattern=FILTER_PATTERN)] = None
    offset: Offset = 0


def _day_start(day: date, time_zone: str) -> datetime:
    return datetime.combine(day, time(), tzinfo=zone(time_zone)).astimezone(UTC)


@router.get("", response_class=HTMLResponse)
def index(request: Request, session: SessionDep, signed_in: UserDep) -> Response:
    """Solicitations, soonest deadline first, filtered as in the API."""
    parsed = parse_form(ListFilters, request.query_params)
    filters = parsed.model or ListFilters()
    errors = dict(parsed.errors)
    rows: list[Solicitation] = []
    total = 0
    if not errors:
        time_zone = signed_in.user.time_zone
        after = _day_start(filters.deadline_from, time_zone) if filters.deadline_from else None
        before = (
            _day_start(filters.deadline_to + timedelta(days=1), time_zone)
            - timedelta(microseconds=1)
            if filters.deadline_to
            else None
        )
        try:
            rows, total = service.get_all(
                session,
                status=filters.status,
                technology_area=filters.technology_area,
                deadline_after=after,
                deadline_before=before,
                q=filters.q,
                limit=PER_PAGE,
                offset=filters.offset,
            )
        except InvalidField as exc:
            errors = {
                {"deadline_before": "deadline_to"}.get(exc.field, exc.field): exc.reason,
            }
    query = {k: v for k, v in parsed.values.items() if k != "offset"}
    now = datetime.now(UTC)
    return render(
        request,
        "solicitations/index.html",
        {
            "rows": [(s, service.effective_status(s, now=now)) for s in rows],
            "total": total,
            "offset": filters.offset,
            "per_page": PER_PAGE,
            "filters": parsed.values,
            "query": query,
            "errors": errors,
            "areas": areas.get_all(session),
            "labels": LABELS,
            "may_write": signed_in.user.role is not Role.VIEWER,
        },
        signed_in=signed_in,
        status_code=422 if errors else 200,
    )


# -- create and edit -----------------------------------------------------------------------


def _form_context(session: Session, **more: Any) -> dict[str, Any]:
    return {
        "areas": areas.get_all(session),
        "labels": LABELS,
        "errors": {},
        "stale": None,
        **more,
    }


def _values_of(solicitation: Solicitation) -> dict[str, Any]:
    """What the edit form starts with: the record as the API reads it."""
    read = service.to_read(solicitation)
    values = read.model_dump(mode="json")
    if read.response_deadline is not None:
        values["response_deadline"] = (
            read.response_deadline.date().isoformat()
            if read.response_deadline_date_only
            else read.response_deadline.isoformat()
        )
    values["technology_areas"] = read.technology_areas
    values["status"] = solicitation.status.value  # stored, not the effective status
    values["naics"] = ", ".join(read.naics)
    return values


@router.get("/new", response_class=HTMLResponse)
def new_form(request: Request, session: SessionDep, signed_in: UserDep) -> Response:
    """An empty form for a new solicitation."""
    require_role(signed_in, Role.ANALYST, "add solicitations")
    values = {"source": "manual", "status": "open", "export_control": "none"}
    return render(
        request,
        "solicitations/form.html",
        _form_context(session, values=values, solicitation=None),
        signed_in=signed_in,
    )


@router.post("/new", response_class=HTMLResponse)
async def create(request: Request, signed_in: UserDep) -> Response:
    """Save a new solicitation; errors beside their fields, what was typed kept."""
    require_role(signed_in, Role.ANALYST, "add solicitations")
    form = await request.form(max_files=0, max_fields=60)
    check_csrf(request, form, signed_in.session_token)
    return await run_in_threadpool(_create, request, signed_in, form)


def _create(request: Request, signed_in: SignedIn, form: FormData) -> Response:
    parsed = parse_form(SolicitationCreate, form, lists=LISTS)
    with get_sessionmaker()() as session:
        errors = parsed.errors
        if parsed.model is not None:
            try:
                created = service.create(session, principal=signed_in.principal, data=parsed.model)
                session.commit()
                return RedirectResponse(f"/admin/solicitations/{created.id}", status_code=303)
            except InvalidField as exc:
                errors = field_error(exc)
            except Conflict as exc:
                errors = {"notice_id": exc.message}
            session.rollback()
        return render(
            request,
            "solicitations/form.html",
            _form_context(
                session,
                values={**parsed.values, "naics": str(form.get("naics") or "")},
                errors=errors,
                solicitation=None,
            ),
            signed_in=signed_in,
            status_code=422,
        )


def _owned(session: Session, signed_in: SignedIn, solicitation_id: int) -> Solicitation:
    solicitation = service.get(session, solicitation_id=solicitation_id)
    signed_in.principal.require_owner(solicitation.created_by_id, "solicitation")
    return solicitation


@router.get("/{solicitation_id:int}/edit", response_class=HTMLResponse)
def edit_form(
    request: Request, session: SessionDep, signed_in: UserDep, solicitation_id: RecordId
) -> Response:
    """The edit form with every field, for the organization that owns the record."""
    require_role(signed_in, Role.ANALYST, "edit solicitations")
    solicitation = _owned(session, signed_in, solicitation_id)
    return render(
        request,
        "solicitations/form.html",
        _form_context(
            session,
            values=_values_of(solicitation),
            solicitation=solicitation,
            version=solicitation.version,
        ),
        signed_in=signed_in,
    )


@router.post("/{solicitation_id:int}/edit", response_class=HTMLResponse)
async def update(request: Request, signed_in: UserDep, solicitation_id: RecordId) -> Response:
    """Save an edit made on the version the form was loaded with; a stale one is refused."""
    require_role(signed_in, Role.ANALYST, "edit solicitations")
    form = await request.form(max_files=0, max_fields=60)
    check_csrf(request, form, signed_in.session_token)
    return await run_in_threadpool(_update, request, signed_in, form, solicitation_id)


def _cleared(form: FormData, model: SolicitationUpdate) -> SolicitationUpdate:
    """The edit with every field emptied in the form cleared (sent as null), not left as it
    was: the form sends every field, the schema drops empty text."""
    values = {name: getattr(model, name) for name in model.model_fields_set}
    for name in SolicitationUpdate.model_fields:
        if name in form and name not in values:
            values[name] = "" if name == "description" else None
    return SolicitationUpdate.model_validate(values)


def _update(
    request: Request, signed_in: SignedIn, form: FormData, solicitation_id: int
) -> Response:
    parsed = parse_form(SolicitationUpdate, form, lists=LISTS)
    shown = {**form_values(form, lists=LISTS), "naics": str(form.get("naics") or "")}
    version_text = str(form.get("version") or "")
    expected = int(version_text) if version_text.isdigit() else None
    with get_sessionmaker()() as session:
        errors = parsed.errors
        stale: int | None = None
        if parsed.model is not None:
            try:
                service.update(
                    session,
                    principal=signed_in.principal,
                    solicitation_id=solicitation_id,
                    data=_cleared(form, parsed.model),
                    expected_version=expected,
                )
                session.commit()
                return RedirectResponse(f"/admin/solicitations/{solicitation_id}", status_code=303)
            except InvalidField as exc:
                errors = field_error(exc)
            except PreconditionFailed:
                session.rollback()
                stale = service.get(session, solicitation_id=solicitation_id).version
            session.rollback()
        solicitation = _owned(session, signed_in, solicitation_id)
        return render(
            request,
            "solicitations/form.html",
            _form_context(
                session,
                values=shown,
                errors=errors,
                stale=stale,
                solicitation=solicitation,
                version=expected,
            ),
            signed_in=signed_in,
            status_code=412 if stale is not None else 422,
        )


# -- one solicitation with its matches -------------------------------------------------------


def highlight(passage: Quote, sentence: Quote) -> list[tuple[str, bool]]:
    """The passage's text in segments, the matched sentence's marked True, so the template
    escapes each and wraps the marked one in <mark> (no HTML is built from the text here)."""
    text = passage.text
    inside = (
        sentence.field == passage.field
        and sentence.item == passage.item
        and passage.start <= sentence.start <= sentence.end <= passage.end
    )
    if not inside:
        return [(text, False), (" … ", False), (sentence.text, True)]
    start, end = sentence.start - passage.start, sentence.end - passage.start
    return [
        (part, marked)
        for part, marked in ((text[:start], False), (text[start:end], True), (text[end:], False))
        if part
    ]


def _matches_view(items: list[CompanyMatch]) -> list[dict[str, Any]]:
    view = []
    for match in items:
        passages = [
            {
                "need": highlight(p.need, p.need_sentence),
                "capability": highlight(p.capability, p.capability_sentence),
                "similarity": p.similarity,
            }
            for p in match.explanation.passages
        ]
        view.append({"match": match, "passages": passages})
    return view


class DetailQuery(StrictModel):
    role: CompanyRole = CompanyRole.JP_PARTNER
    include_hidden: bool = False


def _detail_context(
    session: Session,
    ranker: RankerState,
    signed_in: SignedIn,
    solicitation_id: int,
    query: DetailQuery,
    **more: Any,
) -> dict[str, Any]:
    """Everything the solicitation page shows, for this organization only."""
    principal = signed_in.principal
    solicitation = service.get(session, solicitation_id=solicitation_id)
    ranked = matches.match_solicitation(
        session,
        ranker=ranker,
        solicitation_id=solicitation_id,
        role=query.role,
        limit=MATCH_LIMIT,
        include_held_back=True,
        organization_id=principal.organization_id,
        include_hidden=query.include_hidden,
    )
    team_list = matches.teams(
        session,
        ranker=ranker,
        solicitation_id=solicitation_id,
        limit=TEAM_LIMIT,
        organization_id=principal.organization_id,
    )
    try:
        followed = follows.get_one(
            session, organization_id=principal.organization_id, solicitation_id=solicitation_id
        )
    except NotFound:
        followed = None
    changes, changes_total = follows.history(session, solicitation_id=solicitation_id, limit=20)
    recorded, _ = outcomes.get_all(
        session,
        organization_id=principal.organization_id,
        solicitation_id=solicitation_id,
        limit=500,
    )
    latest_outcome: dict[int, Any] = {}
    for outcome in recorded:  # newest first: the first of each company is its current one
        latest_outcome.setdefault(outcome.company_id, outcome)
    sent, sent_total = distributions.list_recipients(
        session,
        principal=principal,
        filters=distributions.Filters(solicitation_id=solicitation_id),
        limit=50,
        offset=0,
    )
    now = datetime.now(UTC)
    return {
        "solicitation": solicitation,
        "read": service.to_read(solicitation, now=now),
        "status": service.effective_status(solicitation, now=now),
        "ranked": ranked,
        "items": _matches_view(ranked.items),
        "held": _matches_view(ranked.held_back),
        "teams": team_list,
        "followed": followed,
        "changes": changes,
        "changes_total": changes_total,
        "latest_outcome": latest_outcome,
        "sent": sent,
        "sent_total": sent_total,
        "query": query,
        "labels": LABELS,
        "components": COMPONENTS,
        "may_write": signed_in.user.role is not Role.VIEWER,
        "may_edit": signed_in.user.role is not Role.VIEWER
        and principal.may_change(solicitation.created_by_id),
        "form_errors": {},
        "form_values": {},
        **more,
    }


@router.get("/{solicitation_id:int}", response_class=HTMLResponse)
def detail(
    request: Request,
    session: SessionDep,
    signed_in: UserDep,
    ranker: RankerDep,
    solicitation_id: RecordId,
) -> Response:
    """The record, its ranked matches with the reasons, held-back partners, teams, and the
    actions of the workflow."""
    parsed = parse_form(DetailQuery, request.query_params, booleans={"include_hidden"})
    if parsed.model is None:
        raise PageError(422, gettext("Not valid"), "; ".join(parsed.errors.values()))
    context = _detail_context(session, ranker, signed_in, solicitation_id, parsed.model)
    return render(request, "solicitations/detail.html", context, signed_in=signed_in)


def _back(form: FormData, solicitation_id: int) -> str:
    fallback = f"/admin/solicitations/{solicitation_id}"
    target = safe_next(str(form.get("next") or fallback))
    return target if target.startswith(fallback) else fallback


def _query_of(back: str) -> DetailQuery:
    from urllib.parse import parse_qs, urlsplit

    params = {k: v[-1] for k, v in parse_qs(urlsplit(back).query).items()}
    parsed = parse_form(DetailQuery, params, booleans={"include_hidden"})
    return parsed.model or DetailQuery()


async def _post(
    request: Request,
    signed_in: SignedIn,
    solicitation_id: int,
    action: str,
    handler: Any,
    *args: Any,
) -> Response:
    require_role(signed_in, Role.ANALYST, action)
    return await handle_posted_form(
        request, signed_in, handler, solicitation_id, *args, max_fields=250
    )


def _refused(
    request: Request,
    session: Session,
    signed_in: SignedIn,
    form: FormData,
    solicitation_id: int,
    *,
    key: str,
    errors: dict[str, str],
    status_code: int = 422,
) -> Response:
    """The solicitation page again, the error beside the field of the form that was sent."""
    session.rollback()
    context = _detail_context(
        session,
        get_ranker(),
        signed_in,
        solicitation_id,
        _query_of(_back(form, solicitation_id)),
        form_errors={key: errors},
        form_values={
            key: {k: form.getlist(k) if k == "company_ids" else form.get(k) for k in form}
        },
    )
    return render(
        request, "solicitations/detail.html", context, signed_in=signed_in, status_code=status_code
    )


@router.post("/{solicitation_id:int}/matches/{company_id:int}/review")
async def review(
    request: Request, signed_in: UserDep, solicitation_id: RecordId, company_id: RecordId
) -> Response:
    """Pin, un-pin, pass (hide with a reason), un-hide, or note a match."""
    return await _post(request, signed_in, solicitation_id, "review matches", _review, company_id)


def _review(
    request: Request, signed_in: SignedIn, form: FormData, solicitation_id: int, company_id: int
) -> Response:
    action = str(form.get("action") or "")
    principal = signed_in.principal
    with get_sessionmaker()() as session:
        current = reviews.find(
            session,
            organization_id=principal.organization_id,
            solicitation_id=solicitation_id,
            company_id=company_id,
        )
        values: dict[str, Any] = (
            reviews.snapshot(current)
            if current is not None
            else {"pinned": False, "hidden": False, "hidden_reason": None, "hidden_detail": ""}
        )
        values.setdefault("note", "")
        if action in ("pin", "unpin"):
            values["pinned"] = action == "pin"
        elif action == "hide":
            values.update(
                pinned=False,
                hidden=True,
                hidden_reason=form.get("hidden_reason") or None,
                hidden_detail=str(form.get("hidden_detail") or ""),
            )
        elif action == "unhide":
            values.update(hidden=False, hidden_reason=None, hidden_detail="")
        elif action == "note":
            values["note"] = str(form.get("note") or "")
        else:
            raise PageError(422, gettext("Not valid"), gettext("Choose an action."))
        key = f"review-{company_id}"
        parsed = parse_form(ReviewUpdate, values, booleans=())
        if parsed.model is None:
            return _refused(
                request, session, signed_in, form, solicitation_id, key=key, errors=parsed.errors
            )
        version_text = str(form.get("version") or "")
        try:
            reviews.put(
                session,
                principal=principal,
                solicitation_id=solicitation_id,
                company_id=company_id,
                data=parsed.model,
                expected_version=int(version_text) if version_text.isdigit() else None,
            )
        except InvalidField as exc:
            return _refused(
                request, session, signed_in, form, solicitation_id, key=key, errors=field_error(exc)
            )
        except PreconditionFailed:
            message = gettext(
                "Someone changed this review meanwhile; nothing was saved. Here it is as it "
                "stands now: try again."
            )
            return _refused(
                request,
                session,
                signed_in,
                form,
                solicitation_id,
                key=key,
                errors={"action": message},
                status_code=412,
            )
        session.commit()
    return RedirectResponse(f"{_back(form, solicitation_id)}#match-{company_id}", status_code=303)


@router.post("/{solicitation_id:int}/follow")
async def follow(request: Request, signed_in: UserDep, solicitation_id: RecordId) -> Response:
    """Follow or stop following the solicitation."""
    return await _post(request, signed_in, solicitation_id, "follow solicitations", _follow)


def _follow(
    _request: Request, signed_in: SignedIn, form: FormData, solicitation_id: int
) -> Response:
    with get_sessionmaker()() as session:
        try:
            if form.get("action") == "unfollow":
                follows.unfollow(
                    session, principal=signed_in.principal, solicitation_id=solicitation_id
                )
            else:
                follows.follow(
                    session, principal=signed_in.principal, solicitation_id=solicitation_id
                )
        except NotFound:
            pass  # not followed already: what was asked holds
        session.commit()
    return RedirectResponse(f"{_back(form, solicitation_id)}#follow", status_code=303)


@router.post("/{solicitation_id:int}/distribute", response_class=HTMLResponse)
async def distribute(request: Request, signed_in: UserDep, solicitation_id: RecordId) -> Response:
    """Send the solicitation to the checked partners; the result page shows each one's
    response link, once. Refused whole (409, every reason per company) when any is held
    back."""
    return await _post(request, signed_in, solicitation_id, "distribute", _distribute)


def _distribute(
    request: Request, signed_in: SignedIn, form: FormData, solicitation_id: int
) -> Response:
    parsed = parse_form(DistributionCreate, form, lists={"company_ids"})
    with get_sessionmaker()() as session:
        errors = parsed.errors
        if parsed.model is not None:
            try:
                created, tokens = distributions.create(
                    session,
                    principal=signed_in.principal,
                    solicitation_id=solicitation_id,
                    data=parsed.model,
                )
                session.commit()
                result = distributions.to_created(
                    session, created, tokens=tokens, base_url=str(request.base_url)
                )
                return render(
                    request,
                    "distributions/sent.html",
                    {"result": result, "labels": LABELS},
                    signed_in=signed_in,
                    status_code=201,
                )
            except distributions.HeldBackError as exc:
                session.rollback()
                return render(
                    request,
                    "distributions/refused.html",
                    {
                        "solicitation": service.get(session, solicitation_id=solicitation_id),
                        "companies": exc.companies,
                        "message": exc.message,
                    },
                    signed_in=signed_in,
                    status_code=409,
                )
            except InvalidField as exc:
                errors = field_error(exc)
            except Conflict as exc:
                errors = {"company_ids": exc.message}
        return _refused(
            request, session, signed_in, form, solicitation_id, key="distribute", errors=errors
        )


@router.post("/{solicitation_id:int}/matches/{company_id:int}/outcome")
async def outcome(
    request: Request, signed_in: UserDep, solicitation_id: RecordId, company_id: RecordId
) -> Response:
    """Record what came of a match (interested, declined, not a fit, teamed, awarded)."""
    return await _post(request, signed_in, solicitation_id, "record outcomes", _outcome, company_id)


def _outcome(
    request: Request, signed_in: SignedIn, form: FormData, solicitation_id: int, company_id: int
) -> Response:
    parsed = parse_form(OutcomeCreate, form)
    key = f"outcome-{company_id}"
    with get_sessionmaker()() as session:
        errors = parsed.errors
        if parsed.model is not None:
            try:
                outcomes.record(
                    session,
                    principal=signed_in.principal,
                    ranker=get_ranker(),
                    solicitation_id=solicitation_id,
                    company_id=company_id,
                    data=parsed.model,
                )
                session.commit()
                back = _back(form, solicitation_id)
                return RedirectResponse(f"{back}#match-{company_id}", status_code=303)
            except InvalidField as exc:
                errors = {"outcome": exc.reason}
            except AppError as exc:
                errors = {"outcome": exc.message}
        return _refused(request, session, signed_in, form, solicitation_id, key=key, errors=errors)
