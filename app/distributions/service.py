"""Distributing a solicitation to companies under the export-control gate, recording where
each recipient's answer stands, and listing and exporting what was sent."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, func, insert, select
from sqlalchemy.orm import Session, contains_eager, raiseload

from app.areas.models import TechnologyArea
from app.audit import service as audit
from app.audit.models import AuditEvent
from app.companies import service as companies
from app.companies.models import Company
from app.db import utcnow
from app.distributions import gate, links
from app.distributions.models import (
    Channel,
    Distribution,
    DistributionRecipient,
    RecipientStatus,
    RecipientStatusChange,
)
from app.distributions.schemas import (
    DistributionCreate,
    DistributionCreated,
    DistributionRead,
    DistributionSummary,
    HeldBackCompany,
    HeldBackReason,
    RecipientCreated,
    RecipientItem,
    RecipientRead,
    StatusChangeRead,
    StatusUpdate,
)
from app.errors import Conflict, InvalidField, NotFound
from app.organizations.models import Organization, Role
from app.organizations.service import Principal
from app.solicitations import service as solicitations
from app.solicitations.models import (
    ExportControl,
    Solicitation,
    SolicitationStatus,
    solicitation_technology_areas,
)

# Markings whose description never goes to a foreign company.
CONTROLLED = frozenset({ExportControl.ITAR, ExportControl.EAR, ExportControl.CUI})
SYSTEM_ACTOR = "system"
PARTNER_ACTOR = "partner-link"

# Where an analyst may move a recipient from each status. Nothing goes back to `sent`; an
# answer (interested, declined) may be corrected to the other answer, not undone; a late
# answer or a late view moves a recipient out of `no_response`.
TRANSITIONS: dict[RecipientStatus, frozenset[RecipientStatus]] = {
    RecipientStatus.SENT: frozenset(
        {
            RecipientStatus.VIEWED,
            RecipientStatus.INTERESTED,
            RecipientStatus.DECLINED,
            RecipientStatus.NO_RESPONSE,
        }
    ),
    RecipientStatus.VIEWED: frozenset(
        {RecipientStatus.INTERESTED, RecipientStatus.DECLINED, RecipientStatus.NO_RESPONSE}
    ),
    RecipientStatus.NO_RESPONSE: frozenset(
        {RecipientStatus.VIEWED, RecipientStatus.INTERESTED, RecipientStatus.DECLINED}
    ),
    RecipientStatus.INTERESTED: frozenset({RecipientStatus.DECLINED}),
    RecipientStatus.DECLINED: frozenset({RecipientStatus.INTERESTED}),
}
ANSWERS = frozenset({RecipientStatus.INTERESTED, RecipientStatus.DECLINED})


class HeldBackError(Conflict):
    """The whole distribution is refused: some companies may not receive the solicitation."""

    code = "held_back"

    def __init__(self, held: list[gate.HeldBack]) -> None:
        names = ", ".join(f"{h.company.id} ({h.company.name})" for h in held)
        super().__init__(
            f"nothing was sent: {len(held)} of the companies may not receive this solicitation "
            f"({names}); remove them or resolve every reason listed, then send again"
        )
        self.companies = [
            HeldBackCompany(
                company_id=h.company.id,
                name=h.company.name,
                country=h.company.country,
                role=h.company.role.value,
                reasons=[
                    HeldBackReason(code=r.code, message=r.message, status=r.status.value)
                    for r in h.reasons
                ],
            )
            for h in held
        ]

    def to_body(self) -> dict[str, Any]:
        """The house shape plus every held-back company with every reason."""
        return {**super().to_body(), "companies": [c.model_dump() for c in self.companies]}


def _fmt(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def emails_of(company: Company) -> list[str]:
    """The company's contact email addresses, in the order recorded, each once."""
    found = [str(c.get("email") or "").strip() for c in company.contacts or []]
    return list(dict.fromkeys(e for e in found if e))


def content_for(
    solicitation: Solicitation, company: Company, *, channel: Channel, message: str
) -> tuple[dict[str, Any], str | None]:
    """What one recipient is sent, and why anything was withheld (None when nothing was).

    A foreign company never gets the description of an ITAR, EAR or CUI solicitation, even
    with an authorization on record: the public fields only."""
    fields: dict[str, Any] = {
        "id": solicitation.id,
        "notice_id": solicitation.notice_id,
        "solicitation_number": solicitation.solicitation_number,
        "title": solicitation.title,
        "agency": solicitation.agency,
        "technology_areas": solicitation.area_slugs,
        "response_deadline": _fmt(solicitation.response_deadline),
        "link": solicitation.link,
    }
    withheld = None
    marking = solicitation.export_control
    if marking in CONTROLLED and company.country.upper() != "US":
        withheld = (
            f"{marking.value.upper()}-marked: only public fields go to a foreign partner "
            f"({company.country.upper()}); the description was withheld"
        )
    else:
        fields["description"] = solicitation.description
    content: dict[str, Any] = {"solicitation": fields, "message": message}
    if channel is Channel.EMAIL:
        # The outbox sends it later; nothing is mailed here.
        content["delivery"] = {"channel": "email", "to": emails_of(company), "sent": False}
    else:
        content["delivery"] = {"channel": channel.value}
    return content, withheld


def transition(
    recipient: DistributionRecipient,
    to: RecipientStatus,
    *,
    reason: str,
    actor: str,
    now: datetime,
) -> None:
    """Move a recipient to a status, appending the change to its history."""
    recipient.history.append(
        RecipientStatusChange(
            from_status=recipient.status, to_status=to, reason=reason, actor=actor, occurred_at=now
        )
    )
    recipient.status = to
    recipient.status_reason = reason
    recipient.status_changed_at = now
    if to is RecipientStatus.VIEWED and recipient.viewed_at is None:
        recipient.viewed_at = now
    if to in ANSWERS:
        recipient.responded_at = now


def _open_solicitation(session: Session, solicitation_id: int, now: datetime) -> Solicitation:
    solicitation = solicitations.get(session, solicitation_id=solicitation_id)
    status = solicitations.effective_status(solicitation, now=now)
    if status is not SolicitationStatus.OPEN:
        deadline = solicitation.response_deadline
        why = (
            f"its response deadline {deadline.isoformat()} has passed"
            if solicitation.status is SolicitationStatus.OPEN and deadline is not None
            else f"it is {solicitation.status.value}"
        )
        # 409, not 422: the request is well formed; the solicitation's state refuses it.
        raise Conflict(
            f"solicitation {solicitation_id} is not open ({why}): only an open solicitation "
            "can be distributed"
        )
    return solicitation


def _live_companies(session: Session, ids: list[int]) -> list[Company]:
    found = {
        c.id: c
        for c in session.scalars(
            select(Company).where(Company.id.in_(ids), Company.archived_at.is_(None))
        )
    }
    missing = [i for i in ids if i not in found]
    if missing:
        raise InvalidField(
            "company_ids", f"unknown or archived company ids: {', '.join(map(str, missing))}"
        )
    return [found[i] for i in ids]


def create(
    session: Session, *, principal: Principal, solicitation_id: int, data: DistributionCreate
) -> tuple[Distribution, dict[int, str]]:
    """Send a solicitation to companies: every recipient `sent`, with its own response link.
    Refused whole, with nothing written, when the solicitation is not open, a company is
    unknown, archived or (by email) has no address, or any company is held back by the gate.
    Returns the distribution and each recipient's link token (shown once, never stored)."""
    now = utcnow()
    solicitation = _open_solicitation(session, solicitation_id, now)
    recipients = _live_companies(session, data.company_ids)
    if data.channel is Channel.EMAIL:
        without = [c for c in recipients if not emails_of(c)]
        if without:
            names = ", ".join(f"{c.id} ({c.name})" for c in without)
            raise InvalidField(
                "company_ids", f"channel email needs a contact email; none on record for {names}"
            )
    held = gate.held_back(session, solicitation=solicitation, companies=recipients, now=now)
    if held:
        raise HeldBackError(held)
    distribution = Distribution(
        organization_id=principal.organization_id,
        solicitation_id=solicitation.id,
        channel=data.channel,
        message=data.message,
        created_by=principal.actor,
        created_at=now,
    )
    session.add(distribution)
    tokens: dict[int, str] = {}
    by_company: dict[int, str] = {}
    withheld_from: list[int] = []
    for company in recipients:
        content, withheld = content_for(
            solicitation, company, channel=data.channel, message=data.message
        )
        token = links.new_token()
        recipient = DistributionRecipient(
            organization_id=principal.organization_id,
            solicitation_id=solicitation.id,
            company_id=company.id,
            status=RecipientStatus.SENT,
            status_changed_at=now,
            content=content,
            withheld_reason=withheld,
            token_hash=links.hash_token(token),
            token_expires_at=links.expires_at(now),
        )
        recipient.history.append(
            RecipientStatusChange(
                from_status=None,
                to_status=RecipientStatus.SENT,
                actor=principal.actor,
                occurred_at=now,
            )
        )
        distribution.recipients.append(recipient)
        by_company[company.id] = token
        if withheld:
            withheld_from.append(company.id)
    session.flush()
    for recipient in distribution.recipients:
        tokens[recipient.id] = by_company[recipient.company_id]
    audit.record(
        session,
        principal=principal,
        action="create",
        entity_type="distribution",
        entity_id=distribution.id,
        changes={
            "solicitation_id": solicitation.id,
            "channel": data.channel,
            "company_ids": data.company_ids,
            "recipient_ids": [r.id for r in distribution.recipients],
            "description_withheld_from": withheld_from,
        },
    )
    return distribution, tokens


def get(session: Session, *, principal: Principal, distribution_id: int) -> Distribution:
    """One of the organization's distributions; another organization's is a 404."""
    distribution = session.get(Distribution, distribution_id)
    if distribution is None or distribution.organization_id != principal.organization_id:
        raise NotFound(f"no distribution with id {distribution_id}")
    return distribution


def get_recipient(
    session: Session,
    *,
    principal: Principal,
    distribution_id: int,
    recipient_id: int,
    for_update: bool = False,
) -> DistributionRecipient:
    """One recipient of one of the organization's distributions, or a 404."""
    get(session, principal=principal, distribution_id=distribution_id)
    recipient = session.get(
        DistributionRecipient,
        recipient_id,
        with_for_update={"of": DistributionRecipient} if for_update else None,
        populate_existing=for_update,
    )
    if recipient is None or recipient.distribution_id != distribution_id:
        raise NotFound(f"distribution {distribution_id} has no recipient with id {recipient_id}")
    return recipient


def change_status(
    session: Session,
    *,
    principal: Principal,
    distribution_id: int,
    recipient_id: int,
    data: StatusUpdate,
) -> DistributionRecipient:
    """Record an answer (or a view, or no response) for a recipient, within the allowed
    transitions; appended to its history and audited."""
    recipient = get_recipient(
        session,
        principal=principal,
        distribution_id=distribution_id,
        recipient_id=recipient_id,
        for_update=True,
    )
    to = RecipientStatus(data.status)
    allowed = TRANSITIONS[recipient.status]
    if to not in allowed:
        nexts = ", ".join(sorted(s.value for s in allowed))
        raise Conflict(
            f"recipient {recipient_id} is {recipient.status.value} and cannot become "
            f"{to.value}; from {recipient.status.value} it may become: {nexts}"
        )
    before = recipient.status
    transition(recipient, to, reason=data.reason, actor=principal.actor, now=utcnow())
    session.flush()
    audit.record(
        session,
        principal=principal,
        action="status",
        entity_type="distribution_recipient",
        entity_id=recipient.id,
        changes={"status": {"before": before, "after": to}, "reason": data.reason},
    )
    return recipient


def acting_for(org: Organization, actor: str) -> Principal:
    """The organization as the partner link or the system acts for it (in the audit trail)."""
    return Principal(
        organization_id=org.id,
        organization_slug=org.slug,
        is_platform=org.is_platform,
        role=Role.VIEWER,
        actor=actor,
    )


def mark_no_response(session: Session, *, now: datetime) -> int:
    """Mark every `sent` or `viewed` recipient sent longer ago than its organization's
    no_response_days as `no_response` (actor "system"); the number marked. Running it again
    marks nothing more."""
    marked = 0
    rows = []
    for org in session.scalars(select(Organization).order_by(Organization.id)):
        cutoff = now - timedelta(days=org.no_response_days)
        due = session.scalars(
            select(DistributionRecipient)
            .join(Distribution, Distribution.id == DistributionRecipient.distribution_id)
            .where(
                DistributionRecipient.organization_id == org.id,
                DistributionRecipient.status.in_([RecipientStatus.SENT, RecipientStatus.VIEWED]),
                Distribution.created_at <= cutoff,
            )
            .order_by(DistributionRecipient.id)
            .with_for_update(of=DistributionRecipient)
        )
        principal = acting_for(org, SYSTEM_ACTOR)
        for recipient in due:
            before = recipient.status
            reason = f"no answer within {org.no_response_days} days"
            transition(
                recipient, RecipientStatus.NO_RESPONSE, reason=reason, actor=SYSTEM_ACTOR, now=now
            )
            rows.append(
                audit.event_row(
                    principal=principal,
                    action="status",
                    entity_type="distribution_recipient",
                    entity_id=recipient.id,
                    changes={"status": {"before": before, "after": RecipientStatus.NO_RESPONSE}},
                )
            )
            marked += 1
    session.flush()
    if rows:
        session.execute(insert(AuditEvent), rows)
    return marked


# -- reading -------------------------------------------------------------------------------


def _history_read(change: RecipientStatusChange) -> StatusChangeRead:
    return StatusChangeRead(
        from_status=change.from_status,
        to_status=change.to_status,
        reason=change.reason,
        actor=change.actor,
        occurred_at=change.occurred_at,
    )


def recipient_read(
    session: Session, recipient: DistributionRecipient, *, now: datetime | None = None
) -> RecipientRead:
    """The API view of one recipient with its history."""
    summary = companies.summaries(session, ids=[recipient.company_id], now=now or utcnow())
    return _recipient_read(recipient, summary)


def _recipient_read(recipient: DistributionRecipient, summaries: dict[int, Any]) -> RecipientRead:
    return RecipientRead(
        id=recipient.id,
        distribution_id=recipient.distribution_id,
        company=summaries[recipient.company_id],
        status=recipient.status,
        status_reason=recipient.status_reason,
        status_changed_at=recipient.status_changed_at,
        content=recipient.content,
        withheld_reason=recipient.withheld_reason,
        viewed_at=recipient.viewed_at,
        responded_at=recipient.responded_at,
        link_expires_at=recipient.token_expires_at,
        link_used_at=recipient.token_used_at,
        history=[_history_read(c) for c in recipient.history],
    )


def to_read(session: Session, distribution: Distribution) -> DistributionRead:
    """The API view of a distribution with every recipient and its history."""
    now = utcnow()
    solicitation = session.get(Solicitation, distribution.solicitation_id)
    assert solicitation is not None  # a foreign key; solicitations are archived, not deleted
    by_id = companies.summaries(
        session, ids=[r.company_id for r in distribution.recipients], now=now
    )
    return DistributionRead(
        id=distribution.id,
        solicitation=solicitations.to_summary(solicitation, now=now),
        channel=distribution.channel,
        message=distribution.message,
        created_by=distribution.created_by,
        created_at=distribution.created_at,
        recipients=[_recipient_read(r, by_id) for r in distribution.recipients],
    )


def to_created(
    session: Session, distribution: Distribution, *, tokens: dict[int, str], base_url: str
) -> DistributionCreated:
    """The view of a new distribution: each recipient with its response link, this once."""
    read = to_read(session, distribution)
    return DistributionCreated(
        **read.model_dump(exclude={"recipients"}),
        recipients=[
            RecipientCreated(
                **r.model_dump(), response_url=links.response_url(base_url, tokens[r.id])
            )
            for r in read.recipients
        ],
    )


@dataclass(frozen=True)
class Filters:
    """What the lists and the export filter recipients on."""

    status: RecipientStatus | None = None
    channel: Channel | None = None
    sent_from: datetime | date | None = None
    sent_until: datetime | date | None = None
    area: str | None = None
    solicitation_id: int | None = None
    company_id: int | None = None


def _start(bound: datetime | date) -> datetime:
    if isinstance(bound, datetime):
        return bound
    return datetime.combine(bound, time(), tzinfo=UTC)


def _end(bound: datetime | date) -> tuple[datetime, bool]:
    """The upper bound as an instant, and whether it is exclusive (a whole day is)."""
    if isinstance(bound, datetime):
        return bound, False
    return datetime.combine(bound + timedelta(days=1), time(), tzinfo=UTC), True


def _check(session: Session, filters: Filters) -> None:
    if filters.sent_from is not None and filters.sent_until is not None:
        start, (end, exclusive) = _start(filters.sent_from), _end(filters.sent_until)
        if start > end or (exclusive and start == end):
            raise InvalidField(
                "sent_from", "is after sent_until: the range is empty", location="query"
            )
    if filters.area is not None and (
        session.scalar(select(TechnologyArea.id).where(TechnologyArea.slug == filters.area)) is None
    ):
        raise InvalidField("area", f"unknown technology area {filters.area!r}", location="query")


def _query(principal: Principal, filters: Filters) -> Select[DistributionRecipient]:
    query = (
        select(DistributionRecipient)
        .join(Distribution, Distribution.id == DistributionRecipient.distribution_id)
        .options(contains_eager(DistributionRecipient.distribution))
        .options(raiseload(DistributionRecipient.history))
        .where(DistributionRecipient.organization_id == principal.organization_id)
    )
    if filters.status is not None:
        query = query.where(DistributionRecipient.status == filters.status)
    if filters.channel is not None:
        query = query.where(Distribution.channel == filters.channel)
    if filters.sent_from is not None:
        query = query.where(Distribution.created_at >= _start(filters.sent_from))
    if filters.sent_until is not None:
        end, exclusive = _end(filters.sent_until)
        query = query.where(
            Distribution.created_at < end if exclusive else Distribution.created_at <= end
        )
    if filters.solicitation_id is not None:
        query = query.where(DistributionRecipient.solicitation_id == filters.solicitation_id)
    if filters.company_id is not None:
        query = query.where(DistributionRecipient.company_id == filters.company_id)
    if filters.area is not None:
        in_area = (
            select(solicitation_technology_areas.c.solicitation_id)
            .join(
                TechnologyArea,
                TechnologyArea.id == solicitation_technology_areas.c.technology_area_id,
            )
            .where(TechnologyArea.slug == filters.area)
        )
        query = query.where(DistributionRecipient.solicitation_id.in_(in_area))
    return query


def _solicitations(session: Session, ids: Iterable[int]) -> dict[int, Solicitation]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    return {
        s.id: s for s in session.scalars(select(Solicitation).where(Solicitation.id.in_(wanted)))
    }


def list_recipients(
    session: Session, *, principal: Principal, filters: Filters, limit: int, offset: int
) -> tuple[list[RecipientItem], int]:
    """The organization's recipients matching the filters, newest first, with their
    distribution, solicitation and company."""
    _check(session, filters)
    query = _query(principal, filters)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = list(
        session.scalars(query.order_by(DistributionRecipient.id.desc()).limit(limit).offset(offset))
    )
    now = utcnow()
    needs = _solicitations(session, (r.solicitation_id for r in rows))
    by_id = companies.summaries(session, ids={r.company_id for r in rows}, now=now)
    items = [
        RecipientItem(
            id=r.id,
            distribution=DistributionSummary(
                id=r.distribution.id,
                channel=r.distribution.channel,
                message=r.distribution.message,
                created_by=r.distribution.created_by,
                created_at=r.distribution.created_at,
            ),
            solicitation=solicitations.to_summary(needs[r.solicitation_id], now=now),
            company=by_id[r.company_id],
            status=r.status,
            status_reason=r.status_reason,
            status_changed_at=r.status_changed_at,
            withheld_reason=r.withheld_reason,
            viewed_at=r.viewed_at,
            responded_at=r.responded_at,
            link_expires_at=r.token_expires_at,
        )
        for r in rows
    ]
    return items, total


EXPORT_COLUMNS = (
    "distribution_id",
    "recipient_id",
    "sent_at",
    "channel",
    "sent_by",
    "solicitation_id",
    "notice_id",
    "solicitation_number",
    "solicitation_title",
    "agency",
    "areas",
    "deadline",
    "company_id",
    "company_name",
    "company_country",
    "company_role",
    "status",
    "status_changed_at",
    "status_reason",
    "withheld_reason",
    "viewed_at",
    "responded_at",
)


def export_rows(
    session: Session, *, principal: Principal, filters: Filters
) -> list[tuple[Any, ...]]:
    """One row per recipient matching the filters (columns: EXPORT_COLUMNS), oldest first."""
    _check(session, filters)
    rows = list(session.scalars(_query(principal, filters).order_by(DistributionRecipient.id)))
    needs = _solicitations(session, (r.solicitation_id for r in rows))
    names = {
        row.id: row
        for row in session.execute(
            select(Company.id, Company.name, Company.country, Company.role).where(
                Company.id.in_(sorted({r.company_id for r in rows}))
            )
        )
    }
    out = []
    for r in rows:
        need, company = needs[r.solicitation_id], names[r.company_id]
        out.append(
            (
                r.distribution_id,
                r.id,
                _fmt(r.distribution.created_at),
                r.distribution.channel.value,
                r.distribution.created_by,
                need.id,
                need.notice_id,
                need.solicitation_number or "",
                need.title,
                need.agency or "",
                ";".join(need.area_slugs),
                _fmt(need.response_deadline) or "",
                company.id,
                company.name,
                company.country,
                company.role.value,
                r.status.value,
                _fmt(r.status_changed_at),
                r.status_reason,
                r.withheld_reason or "",
                _fmt(r.viewed_at) or "",
                _fmt(r.responded_at) or "",
            )
        )
    return out


def histories(
    session: Session, *, recipient_ids: Iterable[int]
) -> dict[int, list[StatusChangeRead]]:
    """The status history of each of some recipients, oldest change first (one query)."""
    wanted = sorted(set(recipient_ids))
    found: dict[int, list[StatusChangeRead]] = {i: [] for i in wanted}
    if not wanted:
        return found
    changes = session.scalars(
        select(RecipientStatusChange)
        .where(RecipientStatusChange.recipient_id.in_(wanted))
        .order_by(RecipientStatusChange.occurred_at, RecipientStatusChange.id)
    )
    for change in changes:
        found[change.recipient_id].append(_history_read(change))
    return found
