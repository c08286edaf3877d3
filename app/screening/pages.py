"""The screening review queue in the admin pages: open potential hits with the company, the
list entry, the score and what matched; clear one with a reason or confirm it; and (admins)
load a new edition of a list."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile

from app.admin import i18n
from app.admin.i18n import N_
from app.admin.web import PageError, UserDep, check_csrf, render, require_role
from app.common.schemas import Offset, RecordId
from app.db import get_sessionmaker
from app.deps import SessionDep
from app.errors import Conflict, Forbidden, InvalidField, NotFound, PreconditionFailed
from app.organizations.models import Role
from app.screening import service
from app.screening.models import HitStatus, ScreeningList
from app.users.service import SignedIn

router = APIRouter(prefix="/admin/screening", include_in_schema=False)
PER_PAGE = 25
REVIEW_HITS = N_("review screening hits")
LOAD_LISTS = N_("load screening lists")
LIST_NAMES = {
    "": N_("Tell by the file's header"),
    ScreeningList.CSL.value: N_("US Consolidated Screening List (CSV from trade.gov)"),
    ScreeningList.METI_EUL.value: N_("METI End User List (Kakehashi's CSV layout)"),
}
FIELD_NAMES = {"name": N_("name"), "alt_name": N_("alias"), "country": N_("country")}
REASON_REQUIRED = N_("write why this is not the listed party")
CHOOSE_A_FILE = N_("choose a list file to load")


def _queue(
    request: Request,
    session: Session,
    signed_in: SignedIn,
    *,
    offset: int = 0,
    status_code: int = 200,
    hit_form: dict[str, Any] | None = None,
    upload_form: dict[str, Any] | None = None,
) -> Response:
    hits, total = service.hits(
        session,
        principal=signed_in.principal,
        status=HitStatus.OPEN,
        limit=PER_PAGE,
        offset=offset,
    )
    snapshots, _ = service.snapshots(session, limit=10)
    loaded = request.query_params.get("loaded")
    return render(
        request,
        "screening/index.html",
        {
            "hits": hits,
            "total": total,
            "offset": offset,
            "per_page": PER_PAGE,
            "snapshots": snapshots,
            "loaded": next((s for s in snapshots if str(s.id) == loaded), None),
            "field_names": FIELD_NAMES,
            "list_names": LIST_NAMES,
            "may_decide": signed_in.user.role is not Role.VIEWER,
            "may_load": signed_in.user.role is Role.ADMIN and signed_in.principal.is_platform,
            "hit_form": hit_form or {"id": None, "errors": {}, "reason": ""},
            "upload_form": upload_form or {"list_name": "", "errors": {}},
        },
        signed_in=signed_in,
        status_code=status_code,
    )


@router.get("", response_class=HTMLResponse)
def queue_page(
    request: Request, session: SessionDep, signed_in: UserDep, offset: Offset = 0
) -> Response:
    """Open potential hits, newest first, with the forms to decide them and to load lists."""
    return _queue(request, session, signed_in, offset=offset)


@router.post("/hits/{hit_id:int}/{decision}", response_class=HTMLResponse)
async def decide(request: Request, signed_in: UserDep, hit_id: RecordId, decision: str) -> Response:
    """Clear a hit as a false positive (a reason is required) or confirm it."""
    if decision not in ("clear", "confirm"):
        raise PageError(404, N_("Page not found"), N_("There is no such page."))
    require_role(signed_in, Role.ANALYST, REVIEW_HITS)
    form = await request.form(max_files=0, max_fields=5)
    check_csrf(request, form, signed_in.session_token)
    return await run_in_threadpool(_decide, request, signed_in, hit_id, decision, form)


def _decide(
    request: Request, signed_in: SignedIn, hit_id: int, decision: str, form: FormData
) -> Response:
    reason = str(form.get("reason") or "").strip()
    version = str(form.get("version") or "")
    expected = int(version) if version.isdigit() else None
    session = get_sessionmaker()()
    user = signed_in.user
    try:
        with i18n.use(i18n.request_locale(request, user.locale), user.time_zone):
            errors: dict[str, str] = {}
            if decision == "clear" and not reason:
                errors["reason"] = REASON_REQUIRED
            else:
                try:
                    decide_hit = service.clear_hit if decision == "clear" else service.confirm_hit
                    decide_hit(
                        session,
                        principal=signed_in.principal,
                        hit_id=hit_id,
                        reason=reason,
                        expected_version=expected,
                    )
                except (Forbidden, NotFound, Conflict, PreconditionFailed):
                    session.rollback()
                    raise
                except InvalidField as exc:
                    errors["reason"] = exc.reason
                else:
                    session.commit()
                    return RedirectResponse("/admin/screening", status_code=303)
            session.rollback()
            form_state = {"id": hit_id, "errors": errors, "reason": reason}
            return _queue(request, session, signed_in, status_code=422, hit_form=form_state)
    finally:
        session.rollback()
        session.close()


@router.post("/lists", response_class=HTMLResponse)
async def load_list(request: Request, signed_in: UserDep) -> Response:
    """Load a list file as its list's new snapshot and screen every company against it."""
    require_role(signed_in, Role.ADMIN, LOAD_LISTS)
    form = await request.form(max_files=1, max_fields=5)
    try:
        check_csrf(request, form, signed_in.session_token)
        return await run_in_threadpool(_load, request, signed_in, form)
    finally:
        await form.close()


def _load(request: Request, signed_in: SignedIn, form: FormData) -> Response:
    list_name = str(form.get("list_name") or "")
    upload = form.get("file")
    errors: dict[str, str] = {}
    if list_name not in LIST_NAMES:
        errors["list_name"] = N_("choose one of the lists")
    if not isinstance(upload, UploadFile) or not upload.filename:
        errors["file"] = CHOOSE_A_FILE
    session = get_sessionmaker()()
    user = signed_in.user
    try:
        with i18n.use(i18n.request_locale(request, user.locale), user.time_zone):
            if not errors and isinstance(upload, UploadFile):
                try:
                    result = service.load_snapshot(
                        session,
                        list_name=ScreeningList(list_name) if list_name else None,
                        filename=upload.filename or "list.csv",
                        data=upload.file.read(),
                        principal=signed_in.principal,
                    )
                except Forbidden as exc:
                    raise PageError(403, N_("Not allowed"), exc.message) from exc
                except InvalidField as exc:
                    errors["file"] = exc.reason
                else:
                    session.commit()
                    return RedirectResponse(
                        f"/admin/screening?loaded={result.snapshot.id}", status_code=303
                    )
            session.rollback()
            state = {"list_name": list_name, "errors": errors}
            return _queue(request, session, signed_in, status_code=422, upload_form=state)
    finally:
        session.rollback()
        session.close()
