"""The fit estimate: a monotone curve into [0, 1], refit from judgements, and the stored
constants still those of the demo set (refit with `kakehashi calibrate` when this fails)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from matching import calibration
from matching.calibration import (
    CALIBRATION,
    DEFAULT_MIN_FIT,
    Calibration,
    calibrate,
    check,
    estimate_fit,
    fit_calibration,
    fit_labels,
    reliability,
    trade_off,
)
from matching.encoder import Encoder
from matching.evaluation import load_beir, score_dataset

DEMO = Path(__file__).resolve().parents[2] / "seed_data" / "eval"


def synthetic(
    slope: float, intercept: float, queries: int = 200, documents: int = 100, seed: int = 7
) -> tuple[np.ndarray, np.ndarray]:
    """Scores in [0, 1] and 0/1 grades drawn from a known logistic curve."""
    rng = np.random.default_rng(seed)
    scores = rng.beta(1.2, 3.0, size=(queries, documents))
    truth = Calibration(slope, intercept).estimate(scores)
    return scores, (rng.random(scores.shape) < truth).astype(np.int64)


def test_estimate_is_monotone_and_within_zero_and_one() -> None:
    scores = np.linspace(-2.0, 3.0, 2001)
    fits = estimate_fit(scores)
    assert np.all(np.diff(fits) >= 0) and np.all(np.diff(fits[900:1300]) > 0)
    assert fits.min() >= 0 and fits.max() <= 1
    extreme = estimate_fit([-1e9, 1e9])
    assert np.all(np.isfinite(extreme)) and extreme[0] == 0.0 and extreme[1] == 1.0
    assert estimate_fit(np.zeros(0)).shape == (0,)
    # The scores of the two ends of a list: a weak fit is far below the default minimum.
    assert estimate_fit(0.08)[()] < DEFAULT_MIN_FIT / 10 < estimate_fit(0.9)[()]


def test_score_at_inverts_the_curve() -> None:
    for fit in (0.01, DEFAULT_MIN_FIT, 0.5, 0.9):
        assert estimate_fit(CALIBRATION.score_at(fit))[()] == pytest.approx(fit)
    assert CALIBRATION.score_at(0) == float("-inf") and CALIBRATION.score_at(1) == float("inf")


def test_refit_recovers_known_parameters() -> None:
    scores, grades = synthetic(12.0, -7.0)
    fitted = fit_calibration(scores.ravel(), grades.ravel())
    assert fitted.slope == pytest.approx(12.0, rel=0.08)
    assert fitted.intercept == pytest.approx(-7.0, rel=0.08)


def test_refit_refuses_one_class_or_mismatched_input() -> None:
    with pytest.raises(ValueError, match="both"):
        fit_calibration([0.1, 0.5, 0.9], [0, 0, 0])
    with pytest.raises(ValueError, match="labels"):
        fit_calibration([0.1, 0.5], [0, 1, 1])


def test_labels_count_partial_fits() -> None:
    assert fit_labels([0, 1, 2]).tolist() == [0, 1, 1]
    assert fit_labels([0, 1, 2], fit_grade=2).tolist() == [0, 0, 1]


def test_calibrate_reports_out_of_fold_figures() -> None:
    scores, grades = synthetic(12.0, -7.0, queries=60)
    report = calibrate(scores, grades, components={"semantic": scores, "lexical": scores**2})
    assert report.calibration.slope == pytest.approx(12.0, rel=0.15)
    methods = {m.method: m for m in report.methods}
    assert set(methods) == {
        "prior (base rate)",
        "Platt on the fused score",
        "isotonic on the fused score",
        "logistic on the 2 components",
    }
    assert methods["Platt on the fused score"].log_loss < methods["prior (base rate)"].log_loss
    assert sum(b.pairs for b in report.reliability) == report.pairs == scores.size
    # A higher minimum never keeps more fits nor drops fewer non-fits.
    kept = [r.fits_kept for r in report.trade_off]
    dropped = [r.non_fits_dropped for r in report.trade_off]
    assert kept == sorted(kept, reverse=True) and dropped == sorted(dropped)
    chosen = next(r for r in report.trade_off if r.minimum == report.suggested_minimum)
    assert chosen.fits_kept >= calibration.KEEP_FITS
    text = calibration.render_report(report)
    assert "PLATT_SLOPE" in text and "DEFAULT_MIN_FIT" in text and "fits kept" in text
    with pytest.raises(ValueError, match="shape"):
        calibrate(scores, grades[:, :5])


def test_check_and_tables_on_a_perfect_curve() -> None:
    scores, grades = synthetic(12.0, -7.0, queries=100)
    result = check(scores, grades, calibration=Calibration(12.0, -7.0))
    assert result.expected_fits == pytest.approx(result.fits, rel=0.1)
    for band in reliability(Calibration(12.0, -7.0).estimate(scores), grades):
        if band.pairs > 500:
            assert band.observed == pytest.approx(band.mean_fit, abs=0.05)
    rows = trade_off(np.array([[0.9, 0.2, 0.01]]), np.array([[2, 1, 0]]), calibration=CALIBRATION)
    by_minimum = {r.minimum: r for r in rows}
    assert by_minimum[0.1].fits_kept == 1.0 and by_minimum[0.5].fits_kept == 0.5
    assert by_minimum[0.5].clear_fits_kept == 1.0 and by_minimum[0.01].non_fits_dropped == 0.0


def test_stored_curve_is_the_demo_sets_fit(encoder: Encoder) -> None:
    """Fails when the ranker's scores moved: run `kakehashi calibrate` and paste its output."""
    dataset = load_beir(DEMO / "queries.jsonl", DEMO / "corpus.jsonl", DEMO / "qrels.tsv")
    scored = score_dataset(dataset, encoder=encoder, cache_dir=None, only_judged=False)
    report = calibrate(scored.scores["fused"], scored.grades())
    grid = np.linspace(0, 1, 101)
    drift = np.abs(report.calibration.estimate(grid) - CALIBRATION.estimate(grid)).max()
    assert drift < 0.05, calibration.render_report(report)
    assert report.suggested_minimum == DEFAULT_MIN_FIT, calibration.render_report(report)
