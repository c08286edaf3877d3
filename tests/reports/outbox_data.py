"""Organizations, recipients and solicitations for the delivery tests, built through the
services (recipients as rows: their service lives elsewhere)."""

from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from app.db import session_scope
from app.organizations import service as organizations
from app.organizations.models import Organization, Side
from app.reports.models import ReportMessage, ReportRecipient, WhenNothingNew
from app.solicitations import service as solicitations
from app.solicitations.models import Solicitation
from app.solicitations.schemas import SolicitationCreate
from tests.factories import PLATFORM_ANALYST, solicitation_payload


def organization(
    slug: str, *, side: Side, send_time: str, zone: str, platform: bool = False
) -> int:
    """A new organization with its report send time and zone; its id."""
    with session_scope() as session:
        org = organizations.create_organization(
            session, slug=slug, name=slug.upper(), side=side, is_platform=platform
        )
        org.report_send_time = send_time
        org.report_time_zone = zone
        session.flush()
        return org.id


def recipient(
    organization_id: int,
    email: str,
    *,
    locale: str = "en",
    areas: list[str] | None = None,
    when_nothing_new: WhenNothingNew = WhenNothingNew.ONE_LINE,
    name: str | None = None,
) -> int:
    """A report recipient of the organization; its id."""
    with session_scope() as session:
        row = ReportRecipient(
            organization_id=organization_id,
            email=email,
            name=name,
            locale=locale,
            technology_areas=areas or [],
            when_nothing_new=when_nothing_new,
        )
        session.add(row)
        session.flush()
        return row.id


def solicitation_at(when: datetime, **overrides: Any) -> int:
    """An open solicitation (no export control) that appeared at `when`; its id."""
    payload = solicitation_payload(
        export_control="none", foreign_participation="allowed", **overrides
    )
    with session_scope() as session:
        created = solicitations.create(
            session,
            principal=PLATFORM_ANALYST,
            data=SolicitationCreate.model_validate(payload),
            embed=False,
        )
        session.execute(
            update(Solicitation)
            .where(Solicitation.id == created.id)
            .values(created_at=when, updated_at=when)
        )
        return created.id


def messages() -> list[ReportMessage]:
    """Every outbox row, oldest first."""
    with session_scope() as session:
        return list(session.scalars(select(ReportMessage).order_by(ReportMessage.id)).unique())


def org_named(slug: str) -> Organization:
    with session_scope() as session:
        return organizations.get_by_slug(session, slug=slug)
