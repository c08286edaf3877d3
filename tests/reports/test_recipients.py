"""The recipients service: each change audited with the actor, an address listed once per
organization, opt-out recorded with who did it, and a recipient with reports kept."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.db import session_scope, utcnow
from app.errors import Conflict, InvalidField, NotFound, PreconditionFailed
from app.organizations import service as organizations
from app.organizations.models import Side
from app.organizations.service import Principal
from app.reports import recipients
from app.reports.api_schemas import RecipientCreate, RecipientUpdate
from app.reports.models import ReportMessage, ReportRecipient, ReportStatus


@pytest.fixture
def admins(database_url: str) -> dict[str, Principal]:
    """The operator principals (admins) of PICHTR and JETRO."""
    with session_scope() as session:
        pichtr = organizations.create_organization(
            session, slug="pichtr", name="PICHTR", side=Side.US, is_platform=True
        )
        jetro = organizations.create_organization(session, slug="jetro", name="JETRO", side=Side.JP)
        return {org.slug: organizations.operator_principal(org) for org in (pichtr, jetro)}


def add(principal: Principal, **fields: object) -> int:
    """Create a recipient, committed; its id."""
    with session_scope() as session:
        data = RecipientCreate.model_validate({"email": "desk@example.org", **fields})
        return recipients.create(session, principal=principal, data=data).id


def events(recipient_id: int) -> list[AuditEvent]:
    with session_scope() as session:
        rows = list(
            session.scalars(
                select(AuditEvent)
                .where(
                    AuditEvent.entity_type == "report_recipient",
                    AuditEvent.entity_id == recipient_id,
                )
                .order_by(AuditEvent.id)
            )
        )
        session.expunge_all()
        return rows


def test_create_update_and_delete_are_audited_with_the_actor(
    admins: dict[str, Principal],
) -> None:
    pichtr = admins["pichtr"]
    recipient_id = add(pichtr, technology_areas=["space", "quantum"], max_matches=5)
    with session_scope() as session:
        recipients.update(
            session,
            principal=pichtr,
            recipient_id=recipient_id,
            data=RecipientUpdate(locale="ja", min_fit=0.4),
            expected_version=1,
        )
        # A change to what it already is writes no event.
        recipients.update(
            session,
            principal=pichtr,
            recipient_id=recipient_id,
            data=RecipientUpdate(locale="ja"),
            expected_version=None,
        )
    with session_scope() as session:
        recipients.delete(session, principal=pichtr, recipient_id=recipient_id)
    logged = events(recipient_id)
    assert [e.action for e in logged] == [
        "report_recipient.create",
        "report_recipient.update",
        "report_recipient.delete",
    ]
    assert {e.actor for e in logged} == {pichtr.actor}
    assert logged[0].changes["technology_areas"] == {"before": None, "after": ["space", "quantum"]}
    assert logged[1].changes == {
        "locale": {"before": "en", "after": "ja"},
        "min_fit": {"before": None, "after": 0.4},
    }
    assert logged[2].changes["email"] == {"before": "desk@example.org", "after": None}
    with session_scope() as session:
        assert session.get(ReportRecipient, recipient_id) is None


def test_an_address_is_listed_once_per_organization_whatever_its_case(
    admins: dict[str, Principal],
) -> None:
    add(admins["pichtr"], email="desk@example.org")
    with pytest.raises(Conflict, match="already has a report recipient"):
        add(admins["pichtr"], email="DESK@Example.org")
    # Another organization may send its own report to the same person.
    other = add(admins["jetro"], email="desk@example.org")
    second = add(admins["pichtr"], email="second@example.org")
    with session_scope() as session, pytest.raises(Conflict):
        recipients.update(
            session,
            principal=admins["pichtr"],
            recipient_id=second,
            data=RecipientUpdate(email="Desk@example.org"),
            expected_version=None,
        )
    with session_scope() as session:
        assert session.get(ReportRecipient, other) is not None
        assert session.get(ReportRecipient, second).email == "second@example.org"  # type: ignore[union-attr]


def test_unknown_area_and_stale_version_are_refused_with_nothing_written(
    admins: dict[str, Principal],
) -> None:
    with pytest.raises(InvalidField) as refused:
        add(admins["pichtr"], technology_areas=["space", "time-travel"])
    assert refused.value.field == "technology_areas" and "time-travel" in refused.value.reason
    recipient_id = add(admins["pichtr"])
    with session_scope() as session, pytest.raises(PreconditionFailed):
        recipients.update(
            session,
            principal=admins["pichtr"],
            recipient_id=recipient_id,
            data=RecipientUpdate(max_matches=3),
            expected_version=7,
        )
    with session_scope() as session:
        stored = session.get(ReportRecipient, recipient_id)
        assert stored is not None and (stored.max_matches, stored.version) == (10, 1)


def test_opting_out_records_the_admin_and_opting_in_clears_it(
    admins: dict[str, Principal],
) -> None:
    pichtr = admins["pichtr"]
    recipient_id = add(pichtr)
    with session_scope() as session:
        recipients.update(
            session,
            principal=pichtr,
            recipient_id=recipient_id,
            data=RecipientUpdate(opted_out=True),
            expected_version=None,
        )
    with session_scope() as session:
        stored = session.get(ReportRecipient, recipient_id)
        assert stored is not None and stored.opted_out_by == pichtr.actor
        first_stop = stored.opted_out_at
        assert first_stop is not None
    with session_scope() as session:
        # Opting out again keeps the first stop's time and author.
        recipients.update(
            session,
            principal=pichtr,
            recipient_id=recipient_id,
            data=RecipientUpdate(opted_out=True),
            expected_version=None,
        )
        assert session.get(ReportRecipient, recipient_id).opted_out_at == first_stop  # type: ignore[union-attr]
    with session_scope() as session:
        recipients.update(
            session,
            principal=pichtr,
            recipient_id=recipient_id,
            data=RecipientUpdate(opted_out=False),
            expected_version=None,
        )
    with session_scope() as session:
        stored = session.get(ReportRecipient, recipient_id)
        assert stored is not None and (stored.opted_out_at, stored.opted_out_by) == (None, None)
    changes = [e.changes for e in events(recipient_id)][1:]
    assert changes[0]["opted_out_by"] == {"before": None, "after": pichtr.actor}
    assert changes[-1]["opted_out_by"] == {"before": pichtr.actor, "after": None}
    assert len(changes) == 2  # the repeated opt-out changed nothing


def test_another_organizations_recipient_is_not_found(admins: dict[str, Principal]) -> None:
    recipient_id = add(admins["pichtr"])
    with session_scope() as session:
        with pytest.raises(NotFound):
            recipients.get(
                session, organization_id=admins["jetro"].organization_id, recipient_id=recipient_id
            )
        with pytest.raises(NotFound):
            recipients.delete(session, principal=admins["jetro"], recipient_id=recipient_id)
        assert recipients.get_all(session, organization_id=admins["jetro"].organization_id) == (
            [],
            0,
        )


def test_a_recipient_with_reports_is_kept_and_can_be_opted_out(
    admins: dict[str, Principal],
) -> None:
    recipient_id = add(admins["pichtr"])
    now = utcnow()
    with session_scope() as session:
        session.add(
            ReportMessage(
                organization_id=admins["pichtr"].organization_id,
                recipient_id=recipient_id,
                report_date=date(2026, 11, 30),
                window_start=now - timedelta(days=1),
                window_end=now,
                to_address="desk@example.org",
                locale="en",
                subject="Kakehashi report",
                message_id="report-1@kakehashi.test",
                status=ReportStatus.SENT,
            )
        )
    with session_scope() as session, pytest.raises(Conflict, match="opt the recipient out"):
        recipients.delete(session, principal=admins["pichtr"], recipient_id=recipient_id)
    with session_scope() as session:
        assert session.get(ReportRecipient, recipient_id) is not None
        rows, total = recipients.get_all(
            session, organization_id=admins["pichtr"].organization_id, opted_out=False
        )
        assert total == 1 and rows[0].id == recipient_id
