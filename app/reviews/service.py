"""Reviews: each organization's own pinned, hidden and noted matches."""

from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.companies import service as companies
from app.db import utcnow
from app.errors import InvalidField, NotFound, PreconditionFailed
from app.organizations.service import Principal
from app.reviews.models import HideReason, MatchReview
from app.reviews.schemas import ReviewRead, ReviewUpdate
from app.solicitations import service as solicitations

AUDITED = ("pinned", "hidden", "hidden_reason", "hidden_detail", "note")


def snapshot(review: MatchReview) -> dict[str, Any]:
    """The audited fields of a review."""
    return {field: getattr(review, field) for field in AUDITED}


def to_read(review: MatchReview) -> ReviewRead:
    """The API view of a review."""
    return ReviewRead.model_validate(review)


def find(
    session: Session, *, organization_id: int, solicitation_id: int, company_id: int
) -> MatchReview | None:
    """The organization's review of one pair, if it wrote one."""
    return session.scalar(
        select(MatchReview).where(
            MatchReview.organization_id == organization_id,
            MatchReview.solicitation_id == solicitation_id,
            MatchReview.company_id == company_id,
        )
    )


def get(
    session: Session, *, organization_id: int, solicitation_id: int, company_id: int
) -> MatchReview:
    """The organization's review of a live pair, or NotFound (also for another's review)."""
    solicitations.get(session, solicitation_id=solicitation_id)
    companies.get(session, company_id=company_id)
    review = find(
        session,
        organization_id=organization_id,
        solicitation_id=solicitation_id,
        company_id=company_id,
    )
    if review is None:
        raise NotFound(
            f"no review of company {company_id} for solicitation {solicitation_id} by this "
            "organization"
        )
    return review


def _check(data: ReviewUpdate) -> None:
    """Rules between fields, each a 422 naming the field."""
    if data.hidden:
        if data.hidden_reason is None:
            raise InvalidField("hidden_reason", "is required when hidden is true")
        if data.hidden_reason is HideReason.OTHER and not data.hidden_detail:
            raise InvalidField("hidden_detail", "is required when hidden_reason is other")
        if data.pinned:
            raise InvalidField("pinned", "a hidden match cannot be pinned; un-hide it first")
    else:
        if data.hidden_reason is not None:
            raise InvalidField("hidden_reason", "must be null when hidden is false")
        if data.hidden_detail:
            raise InvalidField("hidden_detail", "must be empty when hidden is false")


def put(
    session: Session,
    *,
    principal: Principal,
    solicitation_id: int,
    company_id: int,
    data: ReviewUpdate,
    expected_version: int | None,
) -> tuple[MatchReview, bool]:
    """Create or replace the organization's review of a pair; (review, created). Audited."""
    _check(data)
    solicitations.get(session, solicitation_id=solicitation_id)
    companies.get(session, company_id=company_id)
    review = find(
        session,
        organization_id=principal.organization_id,
        solicitation_id=solicitation_id,
        company_id=company_id,
    )
    created = review is None
    if review is None:
        if expected_version is not None:
            raise PreconditionFailed(
                f"there is no review of company {company_id} for solicitation "
                f"{solicitation_id} yet, so no version {expected_version}"
            )
        review = MatchReview(
            organization_id=principal.organization_id,
            solicitation_id=solicitation_id,
            company_id=company_id,
        )
        before: dict[str, Any] = {}
    else:
        if expected_version is not None and expected_version != review.version:
            raise PreconditionFailed(
                f"the review is at version {review.version}, not {expected_version}"
            )
        before = snapshot(review)
    values = data.model_dump()
    with session.no_autoflush:
        for field in AUDITED:
            setattr(review, field, values[field])
    changed = audit.diff(before, snapshot(review))
    if created or changed:
        review.updated_by = principal.actor
        review.updated_at = utcnow()
        session.add(review)
        session.flush()
        audit.record(
            session,
            principal=principal,
            action="review.create" if created else "review.update",
            entity_type="match_review",
            entity_id=review.id,
            changes={
                **changed,
                "pair": {"solicitation_id": solicitation_id, "company_id": company_id},
            },
        )
    return review, created


def get_all(
    session: Session,
    *,
    organization_id: int,
    pinned: bool | None = None,
    hidden: bool | None = None,
    solicitation_id: int | None = None,
    company_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[MatchReview], int]:
    """The organization's reviews, most recently changed first, with the total."""
    query = select(MatchReview).where(MatchReview.organization_id == organization_id)
    if pinned is not None:
        query = query.where(MatchReview.pinned == pinned)
    if hidden is not None:
        query = query.where(MatchReview.hidden == hidden)
    if solicitation_id is not None:
        query = query.where(MatchReview.solicitation_id == solicitation_id)
    if company_id is not None:
        query = query.where(MatchReview.company_id == company_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(MatchReview.updated_at.desc(), MatchReview.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(rows), total


def for_solicitation(
    session: Session, *, organization_id: int | None, solicitation_id: int
) -> dict[int, MatchReview]:
    """The organization's reviews of one solicitation's pairs, by company id (one query)."""
    rows = _reviews_of(session, organization_id, MatchReview.solicitation_id == solicitation_id)
    return {r.company_id: r for r in rows}


def for_company(
    session: Session, *, organization_id: int | None, company_id: int
) -> dict[int, MatchReview]:
    """The organization's reviews of one company's pairs, by solicitation id (one query)."""
    rows = _reviews_of(session, organization_id, MatchReview.company_id == company_id)
    return {r.solicitation_id: r for r in rows}


def _reviews_of(
    session: Session, organization_id: int | None, side: ColumnElement[bool]
) -> Sequence[MatchReview]:
    if organization_id is None:  # a caller acting for no organization has no reviews
        return []
    return session.scalars(
        select(MatchReview).where(MatchReview.organization_id == organization_id, side)
    ).all()


def hidden_ids(reviews: dict[int, MatchReview]) -> Collection[int]:
    """The ids (of the other side) whose pair the organization hid."""
    return {other for other, review in reviews.items() if review.hidden}


def pinned_ids(reviews: dict[int, MatchReview]) -> Collection[int]:
    """The ids (of the other side) whose pair the organization pinned."""
    return {other for other, review in reviews.items() if review.pinned}
