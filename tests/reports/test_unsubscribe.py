"""The one-click opt-out link: the page writes nothing, the POST (RFC 8058) opts out once."""

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.db import session_scope
from app.organizations import service as organizations
from app.organizations.models import Side
from app.reports.models import ReportRecipient
from app.reports.unsubscribe import recipient_id_of, token_for, unsubscribe_url


def make_recipient(locale: str = "en") -> ReportRecipient:
    with session_scope() as session:
        jetro = organizations.create_organization(session, slug="jetro", name="JETRO", side=Side.JP)
        recipient = ReportRecipient(
            organization_id=jetro.id, email="kenji@jetro.example", name="Kenji", locale=locale
        )
        session.add(recipient)
        session.flush()
        session.refresh(recipient)
        return recipient


def state(recipient_id: int) -> tuple[ReportRecipient, int]:
    with session_scope() as session:
        recipient = session.get(ReportRecipient, recipient_id)
        assert recipient is not None
        events = session.scalar(
            select(func.count()).where(
                AuditEvent.entity_type == "report_recipient", AuditEvent.entity_id == recipient_id
            )
        )
        return recipient, events or 0


def test_tokens_are_signed(database_url: str) -> None:
    recipient = make_recipient()
    token = token_for(recipient.id)
    assert recipient_id_of(token) == recipient.id
    assert unsubscribe_url(recipient) == f"http://127.0.0.1:8000/reports/unsubscribe/{token}"
    assert recipient_id_of(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert recipient_id_of("1") is None


def test_the_page_writes_nothing_and_the_one_click_post_opts_out(
    client: TestClient, database_url: str
) -> None:
    recipient = make_recipient(locale="ja")
    path = f"/reports/unsubscribe/{token_for(recipient.id)}"

    page = client.get(path)
    assert page.status_code == 200
    assert (
        "夜間レポートの配信を停止しますか" in page.text and "Stop the nightly report?" in page.text
    )
    assert page.text.index("配信を停止") < page.text.index("Stop the reports")  # reader's first
    assert f'action="{path}"' in page.text and "<script" not in page.text
    assert "style=" not in page.text
    assert page.headers["Cache-Control"] == "no-store"
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    after_get, events = state(recipient.id)
    assert after_get.opted_out_at is None and after_get.version == recipient.version
    assert events == 0

    # As a mail client sends it (RFC 8058): from no page at all, no cookie, no CSRF token.
    done = client.post(
        path,
        data={"List-Unsubscribe": "One-Click"},
        headers={"Sec-Fetch-Site": "cross-site", "Origin": "https://mail.example"},
    )
    assert done.status_code == 200, done.text
    assert "配信を停止しました" in done.text
    opted, events = state(recipient.id)
    assert opted.opted_out_at is not None and opted.opted_out_by == "link"
    assert events == 1

    # Again (a second click, or the page's button): nothing changes, and it still says done.
    again = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert again.status_code == 200
    same, events = state(recipient.id)
    assert same.opted_out_at == opted.opted_out_at and same.version == opted.version
    assert events == 1
    assert "already stopped" in client.get(path).text


def test_a_bad_link_is_a_404_page(client: TestClient, database_url: str) -> None:
    recipient = make_recipient()
    forged = token_for(recipient.id)[:-2] + "xx"
    for response in (
        client.get(f"/reports/unsubscribe/{forged}"),
        client.post(f"/reports/unsubscribe/{forged}", data={"List-Unsubscribe": "One-Click"}),
        client.get(f"/reports/unsubscribe/{token_for(recipient.id + 100)}"),
    ):
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("text/html")
        assert "Link not found" in response.text and "リンクが見つかりません" in response.text
    assert state(recipient.id)[0].opted_out_at is None
