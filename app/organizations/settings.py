"""An organization's own settings: the minimum fit of its match lists, the days before
an unanswered distribution is marked no_response, and when its nightly report is sent."""

from sqlalchemy.orm import Session

from app.audit import service as audit
from app.errors import NotFound, PreconditionFailed
from app.organizations.models import Organization
from app.organizations.schemas import OrganizationSettingsRead, OrganizationSettingsUpdate
from app.organizations.service import Principal
from matching.calibration import DEFAULT_MIN_FIT

AUDITED = ("min_fit", "no_response_days", "report_send_time", "report_time_zone")


def get(session: Session, *, organization_id: int, for_update: bool = False) -> Organization:
    """The organization whose settings these are; `for_update` locks its row (PostgreSQL)."""
    org = session.get(
        Organization,
        organization_id,
        with_for_update={"of": Organization} if for_update else None,
        populate_existing=for_update,
    )
    if org is None:
        raise NotFound(f"no organization with id {organization_id}")
    return org


def to_read(org: Organization) -> OrganizationSettingsRead:
    """The settings as the API shows them, with the minimum that applies."""
    return OrganizationSettingsRead(
        min_fit=org.min_fit,
        applied_min_fit=DEFAULT_MIN_FIT if org.min_fit is None else org.min_fit,
        platform_min_fit=DEFAULT_MIN_FIT,
        no_response_days=org.no_response_days,
        report_send_time=org.report_send_time,
        report_time_zone=org.report_time_zone,
        version=org.version,
    )


def update(
    session: Session,
    *,
    principal: Principal,
    data: OrganizationSettingsUpdate,
    expected_version: int | None,
) -> Organization:
    """Change the settings sent (admins of the organization only, checked by the route);
    a stale If-Match version is a 412; a change is audited."""
    org = get(session, organization_id=principal.organization_id, for_update=True)
    if expected_version is not None and expected_version != org.version:
        raise PreconditionFailed(
            f"the settings are at version {org.version}, not {expected_version}"
        )
    before = {field: getattr(org, field) for field in AUDITED}
    for field in data.model_fields_set:
        setattr(org, field, getattr(data, field))
    changed = audit.diff(before, {field: getattr(org, field) for field in AUDITED})
    if changed:
        session.flush()
        audit.record(
            session,
            principal=principal,
            action="update",
            entity_type="organization",
            entity_id=org.id,
            changes=changed,
        )
    return org
