"""Nightly report endpoints: the organization's recipients, the outbox of what was sent, and
previews rendered without sending."""

from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from fastapi.responses import HTMLResponse, PlainTextResponse

from app.common.schemas import Page, RecordId
from app.deps import AdminDep, IfMatchDep, PageDep, PrincipalDep, SessionDep
from app.errors import error_responses
from app.reports import messages, preview, recipients
from app.reports.api_schemas import (
    PreviewFormat,
    RecipientCreate,
    RecipientRead,
    RecipientUpdate,
    ReportDate,
    ReportMessageRead,
    ReportPreview,
)
from app.reports.models import ReportStatus

router = APIRouter(prefix="/reports", tags=["reports"], responses=error_responses(401))
PRIVATE = error_responses(404)
RECIPIENT = "/recipients/{recipient_id:int}"


# -- recipients -----------------------------------------------------------------------------


@router.get("/recipients", response_model=Page[RecipientRead])
def list_recipients(
    session: SessionDep,
    principal: PrincipalDep,
    page: PageDep,
    opted_out: bool | None = None,
) -> Page[RecipientRead]:
    """Your organization's report recipients, by email; `opted_out` narrows to those who
    stopped (true) or still get (false) the report."""
    rows, total = recipients.get_all(
        session,
        organization_id=principal.organization_id,
        opted_out=opted_out,
        limit=page.limit,
        offset=page.offset,
    )
    return Page(
        items=[recipients.to_read(r) for r in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.post(
    "/recipients",
    response_model=RecipientRead,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(400, 403, 409, 413),
)
def create_recipient(
    data: RecipientCreate, session: SessionDep, principal: AdminDep, response: Response
) -> RecipientRead:
    """Add a recipient of the nightly report (admin keys); an address already listed is a 409."""
    recipient = recipients.create(session, principal=principal, data=data)
    session.commit()
    response.headers["ETag"] = f'"{recipient.version}"'
    return recipients.to_read(recipient)


@router.get(RECIPIENT, response_model=RecipientRead, responses=PRIVATE)
def read_recipient(
    recipient_id: RecordId, session: SessionDep, principal: PrincipalDep, response: Response
) -> RecipientRead:
    """One of your organization's recipients; the ETag is the version for If-Match."""
    recipient = recipients.get(
        session, organization_id=principal.organization_id, recipient_id=recipient_id
    )
    response.headers["ETag"] = f'"{recipient.version}"'
    return recipients.to_read(recipient)


@router.patch(
    RECIPIENT,
    response_model=RecipientRead,
    responses=error_responses(400, 403, 404, 409, 412, 413),
)
def change_recipient(
    recipient_id: RecordId,
    data: RecipientUpdate,
    session: SessionDep,
    principal: AdminDep,
    expected_version: IfMatchDep,
    response: Response,
) -> RecipientRead:
    """Change a recipient's address or preferences, or opt them out (`"opted_out": true`)
    and in again (admin keys); a stale If-Match version gets 412."""
    recipient = recipients.update(
        session,
        principal=principal,
        recipient_id=recipient_id,
        data=data,
        expected_version=expected_version,
    )
    session.commit()
    response.headers["ETag"] = f'"{recipient.version}"'
    return recipients.to_read(recipient)


@router.delete(
    RECIPIENT,
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=error_responses(403, 404, 409),
)
def delete_recipient(recipient_id: RecordId, session: SessionDep, principal: AdminDep) -> Response:
    """Remove a recipient who has no report in the outbox yet (admin keys); one with reports
    is a 409: opt them out instead, so what was sent to them stays on record."""
    recipients.delete(session, principal=principal, recipient_id=recipient_id)
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# -- preview --------------------------------------------------------------------------------


@router.get(
    "/preview",
    response_model=ReportPreview,
    responses={
        **PRIVATE,
        200: {
            "description": "the report as JSON, or the mail's HTML or plain-text part",
            "content": {
                "text/html": {"schema": {"type": "string"}},
                "text/plain": {"schema": {"type": "string"}},
            },
        },
    },
)
def preview_report(
    session: SessionDep,
    principal: PrincipalDep,
    report_date: Annotated[
        ReportDate | None,
        Query(
            alias="date",
            description="the report date (YYYY-MM-DD); default: the latest whose send time "
            "has come in the organization's zone",
        ),
    ] = None,
    recipient_id: Annotated[
        RecordId | None,
        Query(description="a recipient of your organization; default: the organization's reader"),
    ] = None,
    format: Annotated[
        PreviewFormat, Query(description="json: the content; html or text: the mail's part")
    ] = "json",
) -> ReportPreview | Response:
    """The report as it would be written now, rendered and never sent: nothing is written."""
    built = preview.build(
        session,
        organization_id=principal.organization_id,
        report_date=report_date,
        recipient_id=recipient_id,
    )
    if format == "html":
        return HTMLResponse(built.rendered.html)
    if format == "text":
        return PlainTextResponse(built.rendered.text)
    return built.to_read()


# -- the outbox -----------------------------------------------------------------------------


@router.get("", response_model=Page[ReportMessageRead])
def list_reports(
    session: SessionDep,
    principal: PrincipalDep,
    page: PageDep,
    status: ReportStatus | None = None,
    recipient_id: RecordId | None = None,
    date_from: Annotated[
        ReportDate | None, Query(description="report dates from this day (inclusive)")
    ] = None,
    date_to: Annotated[
        ReportDate | None, Query(description="report dates up to this day (inclusive)")
    ] = None,
) -> Page[ReportMessageRead]:
    """Your organization's reports: what was sent (or is waiting, failed, was skipped or
    cancelled), to whom, for which night, with attempts and the last error; latest first."""
    filters = messages.Filters(
        status=status, recipient_id=recipient_id, date_from=date_from, date_to=date_to
    )
    rows, total = messages.get_all(
        session,
        organization_id=principal.organization_id,
        filters=filters,
        limit=page.limit,
        offset=page.offset,
    )
    return Page(
        items=[messages.to_read(m) for m in rows], total=total, limit=page.limit, offset=page.offset
    )


@router.get("/{message_id:int}", response_model=ReportMessageRead, responses=PRIVATE)
def read_report(
    message_id: RecordId, session: SessionDep, principal: PrincipalDep
) -> ReportMessageRead:
    """One report of your organization (its summary and delivery state, not the raw message)."""
    return messages.to_read(
        messages.get(session, organization_id=principal.organization_id, message_id=message_id)
    )
