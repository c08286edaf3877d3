"""The nightly report in the admin pages: the outbox (what was sent, to whom, how it went), a
preview of a night's report for a recipient, and the forms that add, change and opt out the
organization's recipients (listed on the settings page).

The preview's HTML part is served by its own route into a sandboxed frame, under a policy that
allows the mail's inline styles and nothing else: the mail is shown as a mail client would."""

from collections.abc import Callable
from typing import Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import model_validator
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from app.admin.forms import field_error, parse_form
from app.admin.i18n import N_
from app.admin.web import (
    PageError,
    UserDep,
    form_writer,
    handle_posted_form,
    render,
    require_role,
)
from app.areas import service as areas
from app.common.schemas import Offset, RecordId, StrictModel
from app.deps import SessionDep
from app.errors import Conflict, InvalidField, NotFound, PreconditionFailed
from app.organizations.models import Role
from app.reports import messages, preview, recipients
from app.reports.api_schemas import RecipientCreate, RecipientUpdate, ReportDate
from app.reports.models import MAX_MATCHES_LIMIT, ReportRecipient, ReportStatus, WhenNothingNew
from app.users.service import SignedIn

router = APIRouter(prefix="/admin/reports", include_in_schema=False)
PER_PAGE = 50
FILTERS = ("status", "recipient_id", "date_from", "date_to")
READ_REPORTS = N_("read the nightly reports")
MANAGE_RECIPIENTS = N_("manage the report's recipients")
NOT_A_NUMBER = N_("enter a number")
NOT_A_WHOLE_NUMBER = N_("enter a whole number")
DATES_OUT_OF_ORDER = N_("the end date is before the start date")
STATUS_NAMES = {
    ReportStatus.PENDING: N_("pending"),
    ReportStatus.SENDING: N_("sending"),
    ReportStatus.SENT: N_("sent"),
    ReportStatus.FAILED: N_("failed"),
    ReportStatus.SKIPPED: N_("skipped"),
    ReportStatus.CANCELLED: N_("cancelled"),
}
NOTHING_NEW_NAMES = {
    WhenNothingNew.ONE_LINE: N_("a one-line mail"),
    WhenNothingNew.NO_MAIL: N_("no mail"),
}
MAIL_NAMES = {
    "report": N_("the report"),
    "nothing_new": N_("the one-line “nothing new” mail"),
    "none": N_("no mail (the recipient wants none when there is nothing new)"),
}
# The mail's own HTML, framed: its inline styles and data images, no script, no fetch, no form.
MAIL_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "frame-ancestors 'self'; base-uri 'none'; form-action 'none'"
)


class OutboxFilters(StrictModel):
    """The outbox list's filters, as its form sends them."""

    status: ReportStatus | None = None
    recipient_id: RecordId | None = None
    date_from: ReportDate | None = None
    date_to: ReportDate | None = None

    @model_validator(mode="after")
    def _in_order(self) -> "OutboxFilters":
        if self.date_from and self.date_to and self.date_to < self.date_from:
            raise ValueError(DATES_OUT_OF_ORDER)
        return self


class PreviewChoice(StrictModel):
    """Which night and reader the preview shows (no recipient: the organization's reader)."""

    date: ReportDate | None = None
    recipient_id: RecordId | None = None


def _reader(signed_in: SignedIn) -> None:
    require_role(signed_in, Role.VIEWER, READ_REPORTS)


def _admin(signed_in: SignedIn) -> None:
    require_role(signed_in, Role.ADMIN, MANAGE_RECIPIENTS)


def _all_recipients(session: Session, organization_id: int) -> list[ReportRecipient]:
    rows, _total = recipients.get_all(session, organization_id=organization_id, limit=500)
    return rows


# -- the outbox -----------------------------------------------------------------------------


@router.get("", response_class=HTMLResponse)
def outbox_page(
    request: Request, session: SessionDep, signed_in: UserDep, offset: Offset = 0
) -> Response:
    """The organization's reports, latest night first: status, recipient, attempts, last error."""
    _reader(signed_in)
    org_id = signed_in.user.organization_id
    values = {k: request.query_params.get(k, "") for k in FILTERS}
    parsed = parse_form(OutboxFilters, values)
    context: dict[str, Any] = {
        "values": values,
        "errors": {},
        "reports": [],
        "total": 0,
        "counts": messages.status_counts(session, organization_id=org_id),
        "recipients": _all_recipients(session, org_id),
        "statuses": STATUS_NAMES,
        "offset": offset,
        "per_page": PER_PAGE,
    }
    kept = {k: v for k, v in values.items() if v}
    context["query"] = urlencode(kept) + "&" if kept else ""
    context["filtered"] = bool(kept)
    if parsed.model is None:
        context["errors"] = {k if k in FILTERS else "date_to": v for k, v in parsed.errors.items()}
        return render(request, "reports/outbox.html", context, signed_in=signed_in, status_code=422)
    chosen = parsed.model
    rows, total = messages.get_all(
        session,
        organization_id=org_id,
        filters=messages.Filters(
            status=chosen.status,
            recipient_id=chosen.recipient_id,
            date_from=chosen.date_from,
            date_to=chosen.date_to,
        ),
        limit=PER_PAGE,
        offset=offset,
    )
    context.update(reports=rows, total=total)
    return render(request, "reports/outbox.html", context, signed_in=signed_in)


# -- the preview ----------------------------------------------------------------------------


def _choice(request: Request) -> tuple[dict[str, str], PreviewChoice | None, dict[str, str]]:
    values = {k: request.query_params.get(k, "") for k in ("date", "recipient_id")}
    parsed = parse_form(PreviewChoice, values)
    return values, parsed.model, parsed.errors


def _build(session: Session, signed_in: SignedIn, choice: PreviewChoice) -> preview.Preview:
    try:
        return preview.build(
            session,
            organization_id=signed_in.user.organization_id,
            report_date=choice.date,
            recipient_id=choice.recipient_id,
        )
    except NotFound:
        raise PageError(
            404,
            N_("Recipient not found"),
            N_("Your organization has no report recipient %(id)s."),
            id=choice.recipient_id,
        ) from None


@router.get("/preview", response_class=HTMLResponse)
def preview_page(request: Request, session: SessionDep, signed_in: UserDep) -> Response:
    """A night's report for a recipient (or the organization's reader) as it would be sent
    now: the subject, the plain-text part and the HTML part. Nothing is sent or written."""
    _reader(signed_in)
    values, choice, errors = _choice(request)
    context: dict[str, Any] = {
        "values": values,
        "errors": errors,
        "recipients": _all_recipients(session, signed_in.user.organization_id),
        "shown": None,
        "mail_names": MAIL_NAMES,
    }
    if choice is None:
        return render(
            request, "reports/preview.html", context, signed_in=signed_in, status_code=422
        )
    shown = _build(session, signed_in, choice)
    query = {"date": shown.report.report_date.isoformat()}
    if choice.recipient_id is not None:
        query["recipient_id"] = str(choice.recipient_id)
    context.update(shown=shown, frame_query=urlencode(query))
    return render(request, "reports/preview.html", context, signed_in=signed_in)


@router.get("/preview/mail.html", response_class=HTMLResponse)
def preview_mail(request: Request, session: SessionDep, signed_in: UserDep) -> Response:
    """The preview's HTML part alone, for the sandboxed frame of the preview page."""
    _reader(signed_in)
    _values, choice, errors = _choice(request)
    if choice is None:
        name, reason = next(iter(errors.items()))
        raise InvalidField(name, reason, location="query")
    shown = _build(session, signed_in, choice)
    response = HTMLResponse(shown.rendered.html)
    response.headers["Content-Security-Policy"] = MAIL_POLICY
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


# -- recipients -----------------------------------------------------------------------------


async def _post(
    request: Request, signed_in: SignedIn, handle: Callable[..., Response], *args: Any
) -> Response:
    """Admins only: check the role, then the form and its token."""
    _admin(signed_in)
    return await handle_posted_form(request, signed_in, handle, *args, max_fields=50)


def _form_page(
    request: Request,
    session: Session,
    signed_in: SignedIn,
    *,
    mode: Literal["new", "edit"],
    values: dict[str, Any],
    errors: dict[str, str],
    recipient: ReportRecipient | None = None,
    stale: bool = False,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "reports/recipient.html",
        {
            "mode": mode,
            "values": values,
            "errors": errors,
            "recipient": recipient,
            "stale": stale,
            "areas": areas.get_all(session),
            "nothing_new_names": NOTHING_NEW_NAMES,
            "max_matches_limit": MAX_MATCHES_LIMIT,
        },
        signed_in=signed_in,
        status_code=status_code,
    )


def _values_of(recipient: ReportRecipient) -> dict[str, Any]:
    """A recipient's fields as the form shows them."""
    return {
        "email": recipient.email,
        "name": recipient.name or "",
        "locale": recipient.locale,
        "technology_areas": list(recipient.technology_areas),
        "min_fit": "" if recipient.min_fit is None else str(recipient.min_fit),
        "max_matches": str(recipient.max_matches),
        "when_nothing_new": recipient.when_nothing_new.value,
        "version": recipient.version,
    }


def _typed(form: FormData) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
    """What was typed (to show again), the values the API schema takes, and the errors of
    text that is not a number. The API's numbers are strict: a form's text is converted here."""
    typed: dict[str, Any] = {
        k: str(form.get(k) or "").strip()
        for k in ("email", "name", "locale", "min_fit", "max_matches", "when_nothing_new")
    }
    typed["technology_areas"] = [str(v) for v in form.getlist("technology_areas")]
    typed["version"] = str(form.get("version") or "")
    data: dict[str, Any] = {
        "email": typed["email"],
        "name": typed["name"] or None,
        "locale": typed["locale"] or "en",
        "technology_areas": typed["technology_areas"],
        "when_nothing_new": typed["when_nothing_new"] or WhenNothingNew.ONE_LINE.value,
    }
    errors: dict[str, str] = {}
    try:
        data["min_fit"] = float(typed["min_fit"]) if typed["min_fit"] else None
    except ValueError:
        errors["min_fit"] = NOT_A_NUMBER
    try:
        data["max_matches"] = int(typed["max_matches"]) if typed["max_matches"] else 10
    except ValueError:
        errors["max_matches"] = NOT_A_WHOLE_NUMBER
    return typed, data, errors


def _saved(anchor: str = "report") -> RedirectResponse:
    return RedirectResponse(f"/admin/settings?saved=recipients#{anchor}", status_code=303)


@router.get("/recipients/new", response_class=HTMLResponse)
def new_recipient_page(request: Request, session: SessionDep, signed_in: UserDep) -> Response:
    """The form that adds a recipient of the nightly report."""
    _admin(signed_in)
    defaults = {"locale": "en", "max_matches": "10", "when_nothing_new": "one_line"}
    return _form_page(request, session, signed_in, mode="new", values=defaults, errors={})


@router.post("/recipients", response_class=HTMLResponse)
async def create_recipient(request: Request, signed_in: UserDep) -> Response:
    """Add a recipient, as POST /reports/recipients does."""
    return await _post(request, signed_in, _create_recipient)


def _create_recipient(request: Request, signed_in: SignedIn, form: FormData) -> Response:
    typed, data, errors = _typed(form)
    with form_writer() as session:
        parsed = parse_form(RecipientCreate, {} if errors else data)
        if errors or parsed.model is None:
            errors = errors or parsed.errors
            return _form_page(
                request,
                session,
                signed_in,
                mode="new",
                values=typed,
                errors=errors,
                status_code=422,
            )
        try:
            recipients.create(session, principal=signed_in.principal, data=parsed.model)
        except (InvalidField, Conflict) as exc:
            session.rollback()
            refused = field_error(exc) if isinstance(exc, InvalidField) else {"email": exc.message}
            return _form_page(
                request,
                session,
                signed_in,
                mode="new",
                values=typed,
                errors=refused,
                status_code=422,
            )
        session.commit()
    return _saved()


def _own(session: Session, signed_in: SignedIn, recipient_id: int) -> ReportRecipient:
    """One of the organization's recipients; another organization's is a 404 page."""
    try:
        return recipients.get(
            session, organization_id=signed_in.user.organization_id, recipient_id=recipient_id
        )
    except NotFound:
        raise PageError(
            404,
            N_("Recipient not found"),
            N_("Your organization has no report recipient %(id)s."),
            id=recipient_id,
        ) from None


@router.get("/recipients/{recipient_id:int}", response_class=HTMLResponse)
def edit_recipient_page(
    request: Request, session: SessionDep, signed_in: UserDep, recipient_id: RecordId
) -> Response:
    """The form that changes a recipient's address and preferences."""
    _admin(signed_in)
    recipient = _own(session, signed_in, recipient_id)
    return _form_page(
        request,
        session,
        signed_in,
        mode="edit",
        values=_values_of(recipient),
        errors={},
        recipient=recipient,
    )


@router.post("/recipients/{recipient_id:int}", response_class=HTMLResponse)
async def change_recipient(
    request: Request, signed_in: UserDep, recipient_id: RecordId
) -> Response:
    """Change a recipient, as PATCH /reports/recipients/{id} does; a form older than the
    recipient is refused, nothing overwritten."""
    return await _post(request, signed_in, _change_recipient, recipient_id)


def _change_recipient(
    request: Request, signed_in: SignedIn, form: FormData, recipient_id: int
) -> Response:
    typed, data, errors = _typed(form)
    with form_writer() as session:
        recipient = _own(session, signed_in, recipient_id)
        parsed = parse_form(RecipientUpdate, {} if errors else data)
        if errors or parsed.model is None:
            return _form_page(
                request,
                session,
                signed_in,
                mode="edit",
                values=typed,
                errors=errors or parsed.errors,
                recipient=recipient,
                status_code=422,
            )
        update = parsed.model
        # Cleared fields go back to their defaults (the parser leaves empty text out).
        for cleared in ("name", "min_fit"):
            if data[cleared] is None:
                setattr(update, cleared, None)
        try:
            expected = int(typed["version"])
        except ValueError:
            expected = -1
        try:
            recipients.update(
                session,
                principal=signed_in.principal,
                recipient_id=recipient_id,
                data=update,
                expected_version=expected,
            )
        except PreconditionFailed:
            session.rollback()
            return _form_page(
                request,
                session,
                signed_in,
                mode="edit",
                values=typed,
                errors={},
                recipient=_own(session, signed_in, recipient_id),
                stale=True,
                status_code=409,
            )
        except (InvalidField, Conflict) as exc:
            session.rollback()
            refused = field_error(exc) if isinstance(exc, InvalidField) else {"email": exc.message}
            return _form_page(
                request,
                session,
                signed_in,
                mode="edit",
                values=typed,
                errors=refused,
                recipient=_own(session, signed_in, recipient_id),
                status_code=422,
            )
        session.commit()
    return _saved()


@router.post("/recipients/{recipient_id:int}/opt-out")
async def opt_out(request: Request, signed_in: UserDep, recipient_id: RecordId) -> Response:
    """Stop a recipient's reports from the next run; the admin is recorded as who did it."""
    return await _post(request, signed_in, _switch, recipient_id, True)


@router.post("/recipients/{recipient_id:int}/opt-in")
async def opt_in(request: Request, signed_in: UserDep, recipient_id: RecordId) -> Response:
    """Start a recipient's reports again."""
    return await _post(request, signed_in, _switch, recipient_id, False)


def _switch(
    request: Request, signed_in: SignedIn, form: FormData, recipient_id: int, opted_out: bool
) -> Response:
    with form_writer() as session:
        _own(session, signed_in, recipient_id)
        recipients.update(
            session,
            principal=signed_in.principal,
            recipient_id=recipient_id,
            data=RecipientUpdate(opted_out=opted_out),
            expected_version=None,
        )
        session.commit()
    return _saved()


@router.post("/recipients/{recipient_id:int}/delete")
async def delete_recipient(
    request: Request, signed_in: UserDep, recipient_id: RecordId
) -> Response:
    """Remove a recipient who has had no report yet."""
    return await _post(request, signed_in, _delete, recipient_id)


def _delete(request: Request, signed_in: SignedIn, form: FormData, recipient_id: int) -> Response:
    with form_writer() as session:
        recipient = _own(session, signed_in, recipient_id)
        try:
            recipients.delete(session, principal=signed_in.principal, recipient_id=recipient_id)
        except Conflict:
            raise PageError(
                409,
                N_("Recipient kept"),
                N_(
                    "%(email)s has already had reports: opt them out instead, so what was sent "
                    "to them stays on record."
                ),
                email=recipient.email,
            ) from None
        session.commit()
    return _saved()
