"""Outcomes and passes read back as labels for the learner; only models are imported, so the
learner and the match lists can both use it."""

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.outcomes.models import POSITIVE_OUTCOMES, MatchOutcome, OutcomeKind
from app.reviews.models import HideReason, MatchReview


@dataclass(frozen=True)
class LabelledPair:
    """One organization's judgement of a pair, as the learner reads it."""

    organization_id: int
    solicitation_id: int
    company_id: int
    label: bool  # True: a fit (interested, teamed, awarded)
    source: str  # "outcome:<kind>" or "review:not_a_fit"


def labelled_pairs(session: Session) -> list[LabelledPair]:
    """Every organization's labelled pairs for the learner: the latest outcome of each pair
    (interested, teamed, awarded: positive; declined, not_a_fit: negative), and pairs hidden
    as not a fit (negative) that have no outcome. Ordered by organization and pair."""
    ranked = select(
        MatchOutcome.organization_id,
        MatchOutcome.solicitation_id,
        MatchOutcome.company_id,
        MatchOutcome.outcome,
        func.row_number()
        .over(
            partition_by=(
                MatchOutcome.organization_id,
                MatchOutcome.solicitation_id,
                MatchOutcome.company_id,
            ),
            order_by=(MatchOutcome.recorded_at.desc(), MatchOutcome.id.desc()),
        )
        .label("n"),
    ).subquery()
    labels: dict[tuple[int, int, int], LabelledPair] = {}
    hidden = session.execute(
        select(
            MatchReview.organization_id, MatchReview.solicitation_id, MatchReview.company_id
        ).where(MatchReview.hidden.is_(True), MatchReview.hidden_reason == HideReason.NOT_A_FIT)
    )
    for org, sol, company in hidden:
        labels[(org, sol, company)] = LabelledPair(org, sol, company, False, "review:not_a_fit")
    latest = session.execute(
        select(
            ranked.c.organization_id,
            ranked.c.solicitation_id,
            ranked.c.company_id,
            ranked.c.outcome,
        ).where(ranked.c.n == 1)
    )
    for org, sol, company, kind in latest:
        # An outcome, when there is one, wins over a review.
        kind = OutcomeKind(kind)
        labels[(org, sol, company)] = LabelledPair(
            org, sol, company, kind in POSITIVE_OUTCOMES, f"outcome:{kind.value}"
        )
    return [labels[key] for key in sorted(labels)]
