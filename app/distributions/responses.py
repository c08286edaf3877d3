"""A partner's side of a distribution: the response link, opened and answered without an
account. A token is found by its hash only, and never written anywhere."""

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.companies.models import Company
from app.db import best_effort, utcnow
from app.distributions import links
from app.distributions.models import DistributionRecipient, RecipientStatus, RecipientStatusChange
from app.distributions.schemas import ResponseAnswer, ResponseRead
from app.distributions.service import PARTNER_ACTOR, acting_for, transition
from app.errors import Conflict, Gone, NotFound
from app.organizations.models import Organization

# The same answer for a token never issued and one that was: nothing tells them apart.
UNKNOWN = "this response link is not valid: check that the whole address was copied"


def find(session: Session, *, token: str, for_update: bool = False) -> DistributionRecipient:
    """The recipient a token belongs to (looked up by the token's hash), or a 404."""
    query = select(DistributionRecipient).where(
        DistributionRecipient.token_hash == links.hash_token(token)
    )
    if for_update:
        query = query.with_for_update(of=DistributionRecipient)
    recipient = session.scalar(query)
    if recipient is None:
        raise NotFound(UNKNOWN)
    return recipient


def _refuse_expired(recipient: DistributionRecipient, now: datetime) -> None:
    if recipient.token_expires_at <= now:
        raise Gone(
            f"this response link expired on {recipient.token_expires_at:%Y-%m-%d}; ask the "
            "intermediary that sent it for a new one"
        )


def _refuse_used(recipient: DistributionRecipient) -> None:
    if recipient.token_used_at is not None:
        raise Conflict(
            f"this link was already answered on {recipient.token_used_at:%Y-%m-%d %H:%M} UTC "
            f"({recipient.status.value}); a link answers once, so nothing was changed"
        )


def to_read(session: Session, recipient: DistributionRecipient, now: datetime) -> ResponseRead:
    """What the partner sees: what it was sent, the message, and where its answer stands."""
    sender = session.scalar(
        select(Organization.name).where(Organization.id == recipient.organization_id)
    )
    company = session.scalar(select(Company.name).where(Company.id == recipient.company_id))
    distribution = recipient.distribution
    return ResponseRead(
        sender=sender or "",
        company_name=company or "",
        channel=distribution.channel,
        message=distribution.message,
        content=recipient.content,
        withheld_reason=recipient.withheld_reason,
        sent_at=distribution.created_at,
        status=recipient.status,
        status_reason=recipient.status_reason,
        expires_at=recipient.token_expires_at,
        answered_at=recipient.token_used_at,
        can_answer=recipient.token_used_at is None and recipient.token_expires_at > now,
    )


def open_link(session: Session, *, token: str) -> ResponseRead:
    """Read a link (an expired one is a 410) and mark its recipient `viewed` the first time.

    `session` only reads (a GET); the mark is a separate short write that is skipped, not
    failed, when the database is busy: the partner sees its page either way."""
    now = utcnow()
    recipient = find(session, token=token)
    _refuse_expired(recipient, now)
    read = to_read(session, recipient, now)
    if recipient.status is RecipientStatus.SENT and _mark_viewed(recipient, now):
        read = read.model_copy(update={"status": RecipientStatus.VIEWED})
    return read


def _mark_viewed(recipient: DistributionRecipient, now: datetime) -> bool:
    """Move a `sent` recipient to `viewed` (only if it still is), with history and audit."""
    marked = False
    with best_effort() as writer:
        changed = writer.execute(
            update(DistributionRecipient)
            .where(
                DistributionRecipient.id == recipient.id,
                DistributionRecipient.status == RecipientStatus.SENT,
            )
            .values(
                status=RecipientStatus.VIEWED,
                status_changed_at=now,
                viewed_at=now,
                version=DistributionRecipient.version + 1,
            )
            .execution_options(synchronize_session=False)
        )
        if changed.rowcount == 1:  # type: ignore[attr-defined]
            writer.add(
                RecipientStatusChange(
                    recipient_id=recipient.id,
                    from_status=RecipientStatus.SENT,
                    to_status=RecipientStatus.VIEWED,
                    reason="opened the response link",
                    actor=PARTNER_ACTOR,
                    occurred_at=now,
                )
            )
            org = writer.get(Organization, recipient.organization_id)
            assert org is not None
            audit.record(
                writer,
                principal=acting_for(org, PARTNER_ACTOR),
                action="viewed",
                entity_type="distribution_recipient",
                entity_id=recipient.id,
                changes={"status": {"before": "sent", "after": "viewed"}},
            )
            marked = True
    return marked


def answer(session: Session, *, token: str, data: ResponseAnswer) -> DistributionRecipient:
    """Record the partner's answer and use the link up. A used link is a 409, an expired one
    a 410; either way nothing is written."""
    now = utcnow()
    recipient = find(session, token=token, for_update=True)
    _refuse_used(recipient)
    _refuse_expired(recipient, now)
    to = RecipientStatus(data.status)
    before = recipient.status
    if before is to:
        # The analyst already recorded this answer: the partner's own reason completes it.
        recipient.status_reason = data.reason or recipient.status_reason
        recipient.responded_at = now
    else:
        transition(recipient, to, reason=data.reason, actor=PARTNER_ACTOR, now=now)
    if recipient.viewed_at is None:
        recipient.viewed_at = now
    recipient.token_used_at = now
    session.flush()
    org = session.get(Organization, recipient.organization_id)
    assert org is not None
    audit.record(
        session,
        principal=acting_for(org, PARTNER_ACTOR),
        action="respond",
        entity_type="distribution_recipient",
        entity_id=recipient.id,
        changes={"status": {"before": before, "after": to}, "reason": data.reason},
    )
    return recipient
