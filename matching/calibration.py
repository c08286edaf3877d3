"""What a score means: the fused ranking score mapped to the estimated probability that an
analyst judges the pair a fit.

The estimate ("fit") is Platt scaling, a logistic curve over the fused score:
``fit = 1 / (1 + exp(-(PLATT_SLOPE * score + PLATT_INTERCEPT)))``. It rises with the score, so
it never reorders a ranking; it says where in a ranking the fits run out.

What it estimates. The probability that an analyst reading the solicitation and the profile
judges the company able to do at least part of the work: grade 1 ("partially fits") or 2
("clearly fits") in the demo relevance set, ``seed_data/eval``. All 30 x 73 pairs of that set
were read, so an unjudged pair is a judged "no fit". Partial fits count because they are the
subsystem, test and material suppliers a team is built from.

Refit with ``kakehashi calibrate`` whenever the ranker's scores change, and paste the constants
it prints. The figures below are those of the fit in this file (fused ranker of 2026-11-30,
with Japanese-only profiles ranked through the multilingual encoder);
every one is out of fold, 10 folds grouped by query (no query's pairs on both sides).

Demo set, solicitation to companies: 112 fits among 2,190 pairs.

    method                          log-loss   Brier
    prior (base rate, 5.1%)           0.2021  0.0485
    Platt on the fused score          0.0723  0.0196   <- used
    isotonic on the fused score       0.0851  0.0197
    logistic on the 4 components      0.0739  0.0197

Isotonic ties on Brier but loses on log-loss: its steps put 0 on some pairs that are fits. The
four components (semantic, lexical, areas, NAICS) as separate inputs do no better than the fused
score (0.0739 against 0.0723), so the curve takes the fused score alone.

    fit band     pairs  mean fit  observed        minimum  fits kept  clear fits  non-fits
    0.00 - 0.01   1566     0.003     0.003                             kept        dropped
    0.01 - 0.02    199     0.014     0.005        0.02         0.946       1.000     0.846
    0.02 - 0.05    177     0.031     0.023        0.05         0.911       1.000     0.930
    0.05 - 0.10     75     0.069     0.053        0.10         0.875       1.000     0.964
    0.10 - 0.20     42     0.145     0.190        0.20         0.804       1.000     0.980
    0.20 - 0.50     50     0.319     0.480        0.50         0.589       0.978     0.993
    0.50 - 1.00     81     0.890     0.815

DEFAULT_MIN_FIT = 0.05 is the highest minimum that keeps at least 90% of the fits: it keeps
every clear fit and 91% of the fits, drops 93% of the non-fits, and leaves 8.3 companies a
solicitation (of 73). The reverse direction (company to solicitations, the same judgements,
not fitted on) gets log-loss 0.0744 with this curve and at 0.05 keeps 91% of the fits and
drops 92% of the non-fits.

eval-real (1,284 US firms, 59 SBIR topics, 63 labelled winners, `--check`; measured with the
previous constants, whose curve differs by under 0.01 of fit): the labels mark
the firm that won the award, not every firm able to do the work, so there the estimate is not
a probability of the label. The curve expects 3,523 "fits" against 63 labels, and pairs with
a fit above 0.5 (44 a topic) hold a labelled winner 1.4% of the time: dozens of defence firms
per topic look at least partly capable by the demo analysts' standard. 78% of the winners
reach 0.05, and 151 firms a topic do, so the default minimum cuts nothing from a 20-item list
there. A curve fitted on eval-real itself would estimate the chance of being the labelled
winner, a different quantity (about 0.09 for a typical top-ranked firm).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
from numpy.typing import ArrayLike

from matching.evaluation import plain_table

__all__ = [
    "CALIBRATION",
    "DEFAULT_MIN_FIT",
    "FIT_GRADE",
    "Calibration",
    "CalibrationCheck",
    "CalibrationReport",
    "MethodScore",
    "ReliabilityBin",
    "TradeOff",
    "calibrate",
    "check",
    "estimate_fit",
    "fit_calibration",
    "fit_labels",
    "reliability",
    "render_check",
    "render_report",
    "trade_off",
]

# The smallest grade that counts as a fit ("partially fits" in the demo set).
FIT_GRADE = 1
# Fitted by `kakehashi calibrate` on seed_data/eval; refit whenever the ranker's scores change.
PLATT_SLOPE = 16.9385
PLATT_INTERCEPT = -8.5757
# Matches below this estimated fit are left out unless an organization sets its own minimum.
DEFAULT_MIN_FIT = 0.05
# A share of the fits that the suggested minimum keeps, out of fold.
KEEP_FITS = 0.9

RELIABILITY_EDGES = (0.0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0)
CANDIDATE_MINIMUMS = (0.01, 0.02, 0.03, 0.05, 0.08, 0.1, 0.15, 0.2, 0.3, 0.5)
COMPONENT_NAMES = ("semantic", "lexical", "areas", "naics")


@dataclass(frozen=True)
class Calibration:
    """A logistic curve from fused score to estimated fit."""

    slope: float
    intercept: float

    def estimate(self, scores: ArrayLike) -> np.ndarray:
        """Estimated fit in [0, 1] for each score; increasing in the score when slope > 0."""
        z = self.slope * np.asarray(scores, dtype=np.float64) + self.intercept
        # exp of a large positive value overflows; the two halves keep it finite.
        out = np.empty_like(z)
        positive = z >= 0
        out[positive] = 1.0 / (1.0 + np.exp(-z[positive]))
        e = np.exp(z[~positive])
        out[~positive] = e / (1.0 + e)
        return out

    def score_at(self, fit: float) -> float:
        """The fused score whose estimated fit is `fit` (the threshold on the score)."""
        if fit <= 0:
            return float("-inf")
        if fit >= 1:
            return float("inf")
        return (float(np.log(fit / (1 - fit))) - self.intercept) / self.slope


CALIBRATION = Calibration(slope=PLATT_SLOPE, intercept=PLATT_INTERCEPT)


def estimate_fit(scores: ArrayLike, calibration: Calibration = CALIBRATION) -> np.ndarray:
    """Estimated probability that an analyst judges each scored pair a fit."""
    return calibration.estimate(scores)


def fit_labels(grades: ArrayLike, *, fit_grade: int = FIT_GRADE) -> np.ndarray:
    """1 where a judged grade counts as a fit, else 0 (unjudged pairs have grade 0)."""
    return (np.asarray(grades) >= fit_grade).astype(np.int64)


def _logistic(features: np.ndarray, labels: np.ndarray):  # type: ignore[no-untyped-def]
    from sklearn.linear_model import LogisticRegression

    # Nearly unpenalised (Platt scaling); the tiny penalty keeps a separable sample finite.
    return LogisticRegression(C=1e4, max_iter=1000).fit(features, labels)


def fit_calibration(scores: ArrayLike, labels: ArrayLike) -> Calibration:
    """Platt scaling: the logistic curve that best predicts `labels` (0/1) from `scores`."""
    x = np.asarray(scores, dtype=np.float64).reshape(-1, 1)
    y = np.asarray(labels).ravel()
    if x.shape[0] != y.shape[0]:
        raise ValueError(f"{x.shape[0]} scores but {y.shape[0]} labels")
    if len(set(y.tolist())) < 2:
        raise ValueError("calibration needs both fits and non-fits")
    model = _logistic(x, y)
    return Calibration(slope=float(model.coef_[0, 0]), intercept=float(model.intercept_[0]))


@dataclass(frozen=True)
class MethodScore:
    """Out-of-fold log-loss and Brier score of one way to estimate the fit."""

    method: str
    log_loss: float
    brier: float


@dataclass(frozen=True)
class ReliabilityBin:
    """Pairs whose estimate falls in [low, high): their mean estimate and share of fits."""

    low: float
    high: float
    pairs: int
    mean_fit: float
    observed: float


@dataclass(frozen=True)
class TradeOff:
    """What a minimum fit keeps and drops."""

    minimum: float
    score: float
    fits_kept: float
    clear_fits_kept: float
    non_fits_dropped: float
    kept_per_query: float


@dataclass(frozen=True)
class CalibrationReport:
    """A refit: the curve on all pairs, and how it and the alternatives did out of fold."""

    calibration: Calibration
    pairs: int
    fits: int
    folds: int
    methods: list[MethodScore]
    reliability: list[ReliabilityBin]
    trade_off: list[TradeOff]
    suggested_minimum: float


def _scores(probabilities: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    p = np.clip(probabilities, 1e-6, 1 - 1e-6)
    log_loss = -float(np.mean(labels * np.log(p) + (1 - labels) * np.log(1 - p)))
    return log_loss, float(np.mean((probabilities - labels) ** 2))


def reliability(
    probabilities: ArrayLike, labels: ArrayLike, edges: Sequence[float] = RELIABILITY_EDGES
) -> list[ReliabilityBin]:
    """Mean estimate against observed share of fits, per band of estimates (empty bands left
    out)."""
    p, y = np.asarray(probabilities, dtype=np.float64).ravel(), np.asarray(labels).ravel()
    out = []
    for i, (low, high) in enumerate(pairwise(edges)):
        last = i == len(edges) - 2
        inside = (p >= low) & ((p <= high) if last else (p < high))
        if inside.any():
            out.append(
                ReliabilityBin(
                    low, high, int(inside.sum()), float(p[inside].mean()), float(y[inside].mean())
                )
            )
    return out


def trade_off(
    probabilities: ArrayLike,
    grades: ArrayLike,
    *,
    calibration: Calibration,
    minimums: Sequence[float] = CANDIDATE_MINIMUMS,
    fit_grade: int = FIT_GRADE,
) -> list[TradeOff]:
    """For each minimum: the share of fits and of the best-graded fits kept, the share of
    non-fits dropped, and how many pairs a query keeps on average. `grades` is (queries,
    documents)."""
    p = np.asarray(probabilities, dtype=np.float64)
    g = np.asarray(grades)
    if p.shape != g.shape or g.ndim != 2:
        raise ValueError("probabilities and grades must be (queries, documents) arrays alike")
    fits, clear, non_fits = g >= fit_grade, g >= max(int(g.max()), fit_grade), g < fit_grade
    out = []
    for minimum in minimums:
        kept = p >= minimum
        out.append(
            TradeOff(
                minimum=minimum,
                score=calibration.score_at(minimum),
                fits_kept=float((kept & fits).sum() / max(fits.sum(), 1)),
                clear_fits_kept=float((kept & clear).sum() / max(clear.sum(), 1)),
                non_fits_dropped=float((~kept & non_fits).sum() / max(non_fits.sum(), 1)),
                kept_per_query=float(kept.sum() / max(g.shape[0], 1)),
            )
        )
    return out


def suggest_minimum(rows: Sequence[TradeOff], *, keep: float = KEEP_FITS) -> float:
    """The highest minimum that still keeps `keep` of the fits (the lowest one when none does)."""
    keeping = [r.minimum for r in rows if r.fits_kept >= keep]
    return max(keeping) if keeping else min(r.minimum for r in rows)


def calibrate(
    fused: ArrayLike,
    grades: ArrayLike,
    *,
    components: Mapping[str, ArrayLike] | None = None,
    folds: int = 10,
    fit_grade: int = FIT_GRADE,
) -> CalibrationReport:
    """Fit the curve on every pair and measure it, and the alternatives, with cross-validation
    grouped by query. `fused`, `grades` and each component are (queries, documents) arrays."""
    from sklearn.isotonic import IsotonicRegression
    from sklearn.model_selection import GroupKFold

    scores = np.asarray(fused, dtype=np.float64)
    g = np.asarray(grades)
    if scores.shape != g.shape or scores.ndim != 2:
        raise ValueError("scores and grades must be (queries, documents) arrays of one shape")
    x, y = scores.ravel(), fit_labels(g, fit_grade=fit_grade).ravel()
    groups = np.repeat(np.arange(scores.shape[0]), scores.shape[1])
    parts = [
        np.asarray(components[name], dtype=np.float64).ravel()
        for name in COMPONENT_NAMES
        if components is not None and name in components
    ]
    predictions = {
        "prior (base rate)": np.zeros_like(x),
        "Platt on the fused score": np.zeros_like(x),
        "isotonic on the fused score": np.zeros_like(x),
    }
    if parts:
        predictions[f"logistic on the {len(parts)} components"] = np.zeros_like(x)
    folds = min(folds, scores.shape[0])
    for train, test in GroupKFold(n_splits=folds).split(x, y, groups):
        predictions["prior (base rate)"][test] = y[train].mean()
        curve = fit_calibration(x[train], y[train])
        predictions["Platt on the fused score"][test] = curve.estimate(x[test])
        isotonic = IsotonicRegression(y_min=0, y_max=1, out_of_bounds="clip")
        predictions["isotonic on the fused score"][test] = isotonic.fit(x[train], y[train]).predict(
            x[test]
        )
        if parts:
            stacked = np.stack(parts, axis=1)
            model = _logistic(stacked[train], y[train])
            predictions[f"logistic on the {len(parts)} components"][test] = model.predict_proba(
                stacked[test]
            )[:, 1]
    methods = [MethodScore(name, *_scores(p, y)) for name, p in predictions.items()]
    out_of_fold = predictions["Platt on the fused score"]
    calibration = fit_calibration(x, y)
    rows = trade_off(
        out_of_fold.reshape(scores.shape), g, calibration=calibration, fit_grade=fit_grade
    )
    return CalibrationReport(
        calibration=calibration,
        pairs=int(y.size),
        fits=int(y.sum()),
        folds=folds,
        methods=methods,
        reliability=reliability(out_of_fold, y),
        trade_off=rows,
        suggested_minimum=suggest_minimum(rows),
    )


@dataclass(frozen=True)
class CalibrationCheck:
    """How a fitted curve does on other judgements: totals, reliability and trade-off."""

    pairs: int
    fits: int
    expected_fits: float
    log_loss: float
    brier: float
    reliability: list[ReliabilityBin]
    trade_off: list[TradeOff]


def check(
    fused: ArrayLike,
    grades: ArrayLike,
    *,
    calibration: Calibration = CALIBRATION,
    fit_grade: int = FIT_GRADE,
) -> CalibrationCheck:
    """Measure a curve on judgements it was not fitted on; arrays are (queries, documents)."""
    scores = np.asarray(fused, dtype=np.float64)
    y = fit_labels(grades, fit_grade=fit_grade)
    p = calibration.estimate(scores)
    log_loss, brier = _scores(p.ravel(), y.ravel())
    return CalibrationCheck(
        pairs=int(y.size),
        fits=int(y.sum()),
        expected_fits=float(p.sum()),
        log_loss=log_loss,
        brier=brier,
        reliability=reliability(p, y),
        trade_off=trade_off(p, grades, calibration=calibration, fit_grade=fit_grade),
    )


def render_reliability(bins: Sequence[ReliabilityBin]) -> str:
    """A reliability table as aligned plain text."""
    return plain_table(
        ("fit band", "pairs", "mean fit", "observed"),
        [
            (f"{b.low:.2f} - {b.high:.2f}", str(b.pairs), f"{b.mean_fit:.3f}", f"{b.observed:.3f}")
            for b in bins
        ],
    )


def render_trade_off(rows: Sequence[TradeOff]) -> str:
    """A minimum-fit trade-off table as aligned plain text."""
    return plain_table(
        ("minimum", "score", "fits kept", "clear fits kept", "non-fits dropped", "kept/query"),
        [
            (
                f"{r.minimum:.2f}",
                f"{r.score:.3f}",
                f"{r.fits_kept:.3f}",
                f"{r.clear_fits_kept:.3f}",
                f"{r.non_fits_dropped:.3f}",
                f"{r.kept_per_query:.1f}",
            )
            for r in rows
        ],
    )


def render_check(name: str, result: CalibrationCheck) -> str:
    """A check of the curve on other judgements, as text."""
    return "\n\n".join(
        [
            f"{name}: {result.fits} fits among {result.pairs} pairs; the curve expects "
            f"{result.expected_fits:.1f}; log-loss {result.log_loss:.4f}, Brier "
            f"{result.brier:.4f}",
            "Reliability\n" + render_reliability(result.reliability),
            "Minimum fit trade-off\n" + render_trade_off(result.trade_off),
        ]
    )


def render_report(report: CalibrationReport) -> str:
    """The fitted constants, the comparison, the reliability and trade-off tables, as text."""
    c = report.calibration
    methods = plain_table(
        ("method", "log-loss", "Brier"),
        [(m.method, f"{m.log_loss:.4f}", f"{m.brier:.4f}") for m in report.methods],
    )
    return "\n\n".join(
        [
            f"{report.fits} fits among {report.pairs} pairs; out of fold: {report.folds} folds "
            "grouped by query",
            f"PLATT_SLOPE = {c.slope:.4f}\nPLATT_INTERCEPT = {c.intercept:.4f}",
            methods,
            "Reliability (out of fold)\n" + render_reliability(report.reliability),
            "Minimum fit trade-off (out of fold)\n" + render_trade_off(report.trade_off),
            f"DEFAULT_MIN_FIT = {report.suggested_minimum} (the highest minimum keeping "
            f"{KEEP_FITS:.0%} of the fits)",
        ]
    )
