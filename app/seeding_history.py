"""The demo's month of intermediary work (seed_data/history.json), recorded through the same
services the API uses, then dated back: distributions, partners' answers, outcomes, reviews
and follows, so lists, exports and `kakehashi train` have something to show."""

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from app.companies.models import Company, CompanyRole
from app.db import utcnow
from app.distributions import links, responses
from app.distributions import service as distributions
from app.distributions.models import Distribution, RecipientStatus
from app.distributions.schemas import DistributionCreate, ResponseAnswer, StatusUpdate
from app.follows import service as follows
from app.organizations.service import Principal
from app.outcomes import service as outcomes
from app.outcomes.models import MatchOutcome, OutcomeKind
from app.outcomes.schemas import OutcomeCreate
from app.reviews import service as reviews
from app.reviews.schemas import ReviewUpdate

# Days after sending that the demo's partners look, answer, and the analyst records an outcome.
VIEWED_AFTER = timedelta(days=1)
ANSWERED_AFTER = timedelta(days=2)
OUTCOME_AFTER = timedelta(days=4)


def load(
    session: Session,
    *,
    rows: dict[str, Any],
    principals: dict[str, Principal],
    company_ids: dict[str, int],
    solicitation_ids: dict[str, int],
) -> dict[str, int]:
    """Record the history once: nothing when any distribution exists already."""
    counts = {"distributions": 0, "recipients": 0, "outcomes": 0, "reviews": 0, "follows": 0}
    if session.scalar(select(exists().where(Distribution.id.is_not(None)))):
        return counts
    now = utcnow()
    for spec in rows["distributions"]:
        principal = principals[spec["org"]]
        sent_at = now - timedelta(days=spec["days_ago"])
        distribution, tokens = distributions.create(
            session,
            principal=principal,
            solicitation_id=solicitation_ids[spec["solicitation"]],
            data=DistributionCreate(
                company_ids=[company_ids[r["company"]] for r in spec["recipients"]],
                channel=spec["channel"],
                message=spec["message"],
            ),
        )
        counts["distributions"] += 1
        by_company = {r.company_id: r for r in distribution.recipients}
        for answer in spec["recipients"]:
            recipient = by_company[company_ids[answer["company"]]]
            _answer(session, principal, distribution.id, recipient.id, tokens, answer)
            if answer.get("outcome"):
                outcomes.record(
                    session,
                    principal=principal,
                    ranker=None,
                    solicitation_id=distribution.solicitation_id,
                    company_id=recipient.company_id,
                    data=OutcomeCreate(
                        outcome=OutcomeKind(answer["outcome"]),
                        reason=answer.get("outcome_reason", ""),
                    ),
                )
                counts["outcomes"] += 1
            counts["recipients"] += 1
        _date_back(session, distribution, sent_at, now=now)
    for spec in rows.get("reviews", []):
        reviews.put(
            session,
            principal=principals[spec["org"]],
            solicitation_id=solicitation_ids[spec["solicitation"]],
            company_id=company_ids[spec["company"]],
            data=ReviewUpdate.model_validate(
                {k: v for k, v in spec.items() if k not in {"org", "solicitation", "company"}}
            ),
            expected_version=None,
        )
        counts["reviews"] += 1
    for spec in rows.get("follows", []):
        follows.follow(
            session,
            principal=principals[spec["org"]],
            solicitation_id=solicitation_ids[spec["solicitation"]],
        )
        counts["follows"] += 1
    session.flush()
    # Answers still missing after the organization's delay, as the nightly sweep would mark them.
    counts["no_response"] = distributions.mark_no_response(session, now=now)
    return counts


def _answer(
    session: Session,
    principal: Principal,
    distribution_id: int,
    recipient_id: int,
    tokens: dict[int, str],
    answer: dict[str, Any],
) -> None:
    """A Japanese partner answers through its link; the analyst records a US performer's
    answer, as happens on a call."""
    status = answer.get("response")
    if status in (None, "no_response"):
        return
    record = StatusUpdate(status=RecipientStatus.VIEWED)
    distributions.change_status(
        session,
        principal=principal,
        distribution_id=distribution_id,
        recipient_id=recipient_id,
        data=record,
    )
    if status == "viewed":
        return
    reason = answer.get("reason", "")
    recipient = distributions.get_recipient(
        session, principal=principal, distribution_id=distribution_id, recipient_id=recipient_id
    )
    company = session.get(Company, recipient.company_id)
    if company is not None and company.role is CompanyRole.JP_PARTNER:
        responses.answer(
            session,
            token=tokens[recipient_id],
            data=ResponseAnswer(status=RecipientStatus(status), reason=reason),
        )
    else:
        distributions.change_status(
            session,
            principal=principal,
            distribution_id=distribution_id,
            recipient_id=recipient_id,
            data=StatusUpdate(status=RecipientStatus(status), reason=reason),
        )


def _date_back(
    session: Session, distribution: Distribution, sent_at: datetime, *, now: datetime
) -> None:
    """Move a distribution just recorded to when the history says it was sent: its
    recipients' status changes and their outcomes keep their order, days apart, and none
    lands after `now`."""
    distribution.created_at = sent_at
    for recipient in distribution.recipients:
        recipient.token_expires_at = links.expires_at(sent_at)
        for step, change in enumerate(recipient.history):
            change.occurred_at = sent_at + (
                timedelta() if step == 0 else VIEWED_AFTER if step == 1 else ANSWERED_AFTER
            )
        recipient.status_changed_at = recipient.history[-1].occurred_at
        if recipient.viewed_at is not None:
            recipient.viewed_at = sent_at + VIEWED_AFTER
        if recipient.responded_at is not None:
            recipient.responded_at = sent_at + ANSWERED_AFTER
        if recipient.token_used_at is not None:
            recipient.token_used_at = sent_at + ANSWERED_AFTER
        for outcome in session.scalars(
            select(MatchOutcome).where(
                MatchOutcome.organization_id == distribution.organization_id,
                MatchOutcome.solicitation_id == distribution.solicitation_id,
                MatchOutcome.company_id == recipient.company_id,
            )
        ):
            outcome.recorded_at = min(sent_at + OUTCOME_AFTER, now)


def load_insight_trend(
    session: Session, *, spec: dict[str, Any], organization_ids: list[int], now: datetime
) -> int:
    """Weekly capability-gap snapshots of the weeks before `now`, as `spec` draws them, for
    every organization (marked `demo_history`), so the trend chart has lines from the first
    day; nothing when an organization has any snapshot of those weeks. Rows written."""
    from app.areas.models import TechnologyArea
    from app.companies.models import company_technology_areas
    from app.insights.models import InsightSnapshot
    from app.insights.snapshots import week_of
    from app.matches import thresholds
    from app.solicitations.models import Solicitation, solicitation_technology_areas

    areas: dict[str, dict[str, list[float]]] = spec["areas"]
    weeks = len(next(iter(areas.values()))["uncovered"])
    this_week = week_of(now)
    starts = [this_week - timedelta(weeks=weeks - i) for i in range(weeks)]
    ids = dict(
        session.execute(
            select(TechnologyArea.slug, TechnologyArea.id).where(TechnologyArea.slug.in_(areas))
        ).all()
    )

    def count(table: Any, column: Any, model: Any, area_id: int, *where: Any) -> int:
        return len(
            session.scalars(
                select(column)
                .join(model, model.id == column)
                .where(table.c.technology_area_id == area_id, model.archived_at.is_(None), *where)
            ).all()
        )

    written = 0
    for organization_id in organization_ids:
        if session.scalar(
            select(
                exists().where(
                    InsightSnapshot.organization_id == organization_id,
                    InsightSnapshot.week_start.in_(starts),
                )
            )
        ):
            continue
        min_score = thresholds.min_fit_for(
            session, organization_id=organization_id, requested=None
        ).min_score
        for slug, figures in areas.items():
            if slug not in ids:
                continue
            needs = count(
                solicitation_technology_areas,
                solicitation_technology_areas.c.solicitation_id,
                Solicitation,
                ids[slug],
            )
            partners = count(
                company_technology_areas,
                company_technology_areas.c.company_id,
                Company,
                ids[slug],
                Company.role == CompanyRole.JP_PARTNER,
            )
            for week, uncovered, locked in zip(
                starts, figures["uncovered"], figures["locked"], strict=True
            ):
                session.add(
                    InsightSnapshot(
                        organization_id=organization_id,
                        week_start=week,
                        area_slug=slug,
                        open_solicitations=needs,
                        vetted_partners=partners,
                        eligible_partners=round(partners * (1 - uncovered)),
                        median_best_score=None,
                        uncovered_share=uncovered,
                        authorization_locked_share=locked,
                        min_score=round(min_score, 4),
                        details={"demo_history": True},
                        taken_at=datetime.combine(week, datetime.min.time(), tzinfo=now.tzinfo),
                    )
                )
                written += 1
    session.flush()
    return written
