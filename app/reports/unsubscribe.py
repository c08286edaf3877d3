"""One-click opt-out from the nightly report (RFC 8058): a signed link per recipient.

GET shows a confirmation page and writes nothing (mail scanners open every link in a mail);
POST, from that page's button or from a mail client's unsubscribe button, opts out."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.config import get_settings
from app.db import utcnow
from app.deps import SessionDep
from app.errors import AppError, NotFound, add_error_pages
from app.organizations.models import Role
from app.organizations.service import Principal
from app.reports.models import ReportRecipient

PREFIX = "/reports/unsubscribe"
SALT = "report-unsubscribe"
# opted_out_by of a recipient who used the link in a mail (an admin's opt-out names the admin).
LINK_ACTOR = "link"
AUDIT_ACTOR = "report-link"

templates = Jinja2Templates(directory=Path(__file__).resolve().parent / "unsubscribe_templates")
router = APIRouter(prefix=PREFIX, include_in_schema=False)


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(get_settings().secret_key, salt=SALT)


def token_for(recipient_id: int) -> str:
    """The signed token naming a recipient. It does not expire: an old mail's link works."""
    return str(_serializer().dumps(recipient_id))


def recipient_id_of(token: str) -> int | None:
    """The recipient a token names, or None when it was not signed by this service."""
    try:
        value = _serializer().loads(token)
    except BadSignature:
        return None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def unsubscribe_url(recipient: ReportRecipient) -> str:
    """The one-click opt-out link of a recipient, as the mail's footer and header carry it."""
    return f"{get_settings().public_url.rstrip('/')}{PREFIX}/{token_for(recipient.id)}"


UNKNOWN = "this unsubscribe link is not valid: check that the whole address was copied"


def find(session: Session, *, token: str, for_update: bool = False) -> ReportRecipient:
    """The recipient behind a link, or a 404 (the same for a forged and a removed one)."""
    recipient_id = recipient_id_of(token)
    if recipient_id is None:
        raise NotFound(UNKNOWN)
    query = select(ReportRecipient).where(ReportRecipient.id == recipient_id)
    if for_update:
        query = query.with_for_update(of=ReportRecipient)
    recipient = session.scalar(query)
    if recipient is None:
        raise NotFound(UNKNOWN)
    return recipient


def opt_out(session: Session, *, token: str) -> ReportRecipient:
    """Stop the reports of the recipient behind the link; doing it again changes nothing.
    Pending reports of the recipient are cancelled by the sender before it sends them."""
    recipient = find(session, token=token, for_update=True)
    if recipient.opted_out_at is not None:
        return recipient
    recipient.opted_out_at = utcnow()
    recipient.opted_out_by = LINK_ACTOR
    session.flush()
    org = recipient.organization
    audit.record(
        session,
        principal=Principal(
            organization_id=org.id,
            organization_slug=org.slug,
            is_platform=org.is_platform,
            role=Role.VIEWER,
            actor=AUDIT_ACTOR,
        ),
        action="opt_out",
        entity_type="report_recipient",
        entity_id=recipient.id,
        changes={
            "opted_out_at": {"before": None, "after": recipient.opted_out_at},
            "opted_out_by": {"before": None, "after": LINK_ACTOR},
        },
    )
    return recipient


# -- pages ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PageText:
    lang: str
    title: str
    message: str
    button: str = ""


def _confirm_texts(recipient: ReportRecipient) -> list[PageText]:
    org, email = recipient.organization.name, recipient.email
    if recipient.opted_out_at is not None:
        return [
            PageText("en", "Reports already stopped", f"{email} gets no report from {org}."),
            PageText(
                "ja", "配信は停止済みです", f"{email} には {org} のレポートは送信されません。"
            ),
        ]
    return [
        PageText(
            "en",
            "Stop the nightly report?",
            f"{org} sends its nightly match report to {email} through Kakehashi. Press the "
            f"button to stop it; an administrator of {org} can start it again.",
            "Stop the reports",
        ),
        PageText(
            "ja",
            "夜間レポートの配信を停止しますか？",
            f"{org} は Kakehashi を通じて夜間マッチングレポートを {email} に送信しています。"
            f"ボタンを押すと配信を停止します。再開は {org} の管理者が行えます。",
            "配信を停止する",
        ),
    ]


def _done_texts(recipient: ReportRecipient) -> list[PageText]:
    org, email = recipient.organization.name, recipient.email
    return [
        PageText(
            "en", "You will get no more reports", f"{org} no longer sends its report to {email}."
        ),
        PageText("ja", "配信を停止しました", f"{org} のレポートは今後 {email} に送信されません。"),
    ]


def _in_language(texts: list[PageText], locale: str) -> list[PageText]:
    """Both languages, the reader's first."""
    return sorted(texts, key=lambda text: text.lang != locale)


def _page(
    request: Request,
    texts: list[PageText],
    *,
    action: str | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    context: dict[str, Any] = {
        "texts": texts,
        "lang": texts[0].lang,
        "action": action,
        "status": status_code if status_code >= 400 else None,
    }
    response = templates.TemplateResponse(
        request, "unsubscribe.html", context, status_code=status_code, headers=headers
    )
    # The token is in the address: never cached, never sent on as a referrer, never framed.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; "
        "base-uri 'none'"
    )
    return response


@router.get("/{token}", response_class=HTMLResponse)
def confirm_page(token: str, request: Request, session: SessionDep) -> HTMLResponse:
    """Who the link stops reports for, and the button that does it. Writes nothing."""
    recipient = find(session, token=token)
    action = None if recipient.opted_out_at else request.url.path
    return _page(request, _in_language(_confirm_texts(recipient), recipient.locale), action=action)


@router.post("/{token}", response_class=HTMLResponse)
def one_click(token: str, request: Request, session: SessionDep) -> HTMLResponse:
    """RFC 8058 one-click opt-out (body `List-Unsubscribe=One-Click`) or the page's button.

    No CSRF token: the signed link is the credential, a mail client posts it from outside
    any page, and a forged post could only do what the link's holder may do anyway."""
    recipient = opt_out(session, token=token)
    session.commit()
    return _page(request, _in_language(_done_texts(recipient), recipient.locale))


ERROR_TITLES = {404: ("Link not found", "リンクが見つかりません")}


def error_page(request: Request, exc: AppError) -> HTMLResponse:
    """An unknown link (or a refused request) as a page in both languages."""
    title_en, title_ja = ERROR_TITLES.get(exc.status_code, ("Request refused", "処理できません"))
    message_ja = (
        "この配信停止リンクは無効です。アドレス全体がコピーされているか確認してください。"
        if exc.status_code == 404
        else "しばらくしてからもう一度お試しください。"
    )
    texts = [
        PageText("en", title_en, exc.message[:1].upper() + exc.message[1:]),
        PageText("ja", title_ja, message_ja),
    ]
    return _page(request, texts, status_code=exc.status_code, headers=exc.headers)


def install(app: FastAPI) -> None:
    """Serve the opt-out pages and answer their errors as pages."""
    app.include_router(router)
    add_error_pages(app, PREFIX, error_page)
