"""The minimum fit: which ranked matches a list, a team suggestion or a report leaves out.

`fit` is the calibrated estimate (matching.calibration) that an analyst judges a pair a fit.
The minimum comes from the request, else the organization's setting, else the platform
default. Fit rises with the score, so the matches kept are always the head of a ranking."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.organizations.models import Organization
from matching.calibration import CALIBRATION, DEFAULT_MIN_FIT, estimate_fit

MinFitSource = Literal["request", "organization", "platform"]


class Scored(Protocol):
    @property
    def score(self) -> float: ...


S = TypeVar("S", bound=Scored)


@dataclass(frozen=True)
class MinFit:
    """The minimum fit applied, and where it came from."""

    value: float
    source: MinFitSource

    @property
    def min_score(self) -> float:
        """The same minimum on the fused score (fit rises with the score)."""
        return CALIBRATION.score_at(self.value)


def min_fit_for(
    session: Session, *, organization_id: int | None, requested: float | None
) -> MinFit:
    """The minimum for one request: `requested` when given, else the organization's own,
    else the platform default (also for a caller acting for no organization)."""
    if requested is not None:
        return MinFit(requested, "request")
    own = (
        session.scalar(select(Organization.min_fit).where(Organization.id == organization_id))
        if organization_id is not None
        else None
    )
    if own is not None:
        return MinFit(own, "organization")
    return MinFit(DEFAULT_MIN_FIT, "platform")


def fit_of(score: float) -> float:
    """The estimated fit of one fused score, rounded as the API shows it."""
    return round(float(estimate_fit(score)), 4)


def above_min_fit(ranked: Sequence[S], min_fit: MinFit) -> tuple[list[S], int]:
    """The ranked matches whose fit reaches the minimum, and how many were left out: the same
    test on the score as ``MatchIndex.rank_above`` makes."""
    kept = [hit for hit in ranked if hit.score >= min_fit.min_score]
    return kept, len(ranked) - len(kept)
