"""Metrics against values computed by hand."""

from __future__ import annotations

import math

import pytest

from matching.metrics import dcg, mrr_at_k, ndcg_at_k, recall_at_k

LOG2_3 = math.log2(3)


def test_dcg_discounts_by_log2_of_rank_plus_one() -> None:
    assert dcg([1, 1, 1]) == pytest.approx(1 + 1 / LOG2_3 + 0.5)


def test_ndcg_binary_single_relevant_at_rank_two() -> None:
    # DCG = 1/log2(3); ideal = 1.
    assert ndcg_at_k(["a", "b", "c"], {"b": 1}, 10) == pytest.approx(1 / LOG2_3)


def test_ndcg_graded_gains_are_exponential() -> None:
    ranked = ["x", "a", "b"]
    rel = {"a": 2, "b": 1, "c": 1}
    # gains 2^2-1 = 3 at rank 2, 1 at rank 3; ideal 3, 1, 1 at ranks 1-3 (c unretrieved).
    got = 3 / LOG2_3 + 1 / 2
    ideal = 3 + 1 / LOG2_3 + 1 / 2
    assert ndcg_at_k(ranked, rel, 3) == pytest.approx(got / ideal)


def test_ndcg_ideal_uses_all_judged_documents_cut_at_k() -> None:
    # Three relevant, k = 2: the ideal is two relevant at ranks 1-2.
    rel = {"a": 1, "b": 1, "c": 1}
    assert ndcg_at_k(["a", "b"], rel, 2) == pytest.approx(1.0)
    assert ndcg_at_k(["a", "z", "b"], rel, 2) == pytest.approx(1 / (1 + 1 / LOG2_3))


def test_ndcg_perfect_and_empty() -> None:
    assert ndcg_at_k(["a", "b"], {"a": 1, "b": 1}, 10) == pytest.approx(1.0)
    assert ndcg_at_k(["a"], {}, 10) == 0.0
    assert ndcg_at_k(["a"], {"a": 0}, 10) == 0.0
    assert ndcg_at_k([], {"a": 1}, 10) == 0.0


def test_ndcg_ignores_results_beyond_k() -> None:
    assert ndcg_at_k(["x", "y", "a"], {"a": 1}, 2) == 0.0


def test_recall_at_k() -> None:
    rel = {"a": 1, "b": 2, "c": 0}
    assert recall_at_k(["a", "x", "b"], rel, 2) == pytest.approx(0.5)
    assert recall_at_k(["a", "x", "b"], rel, 3) == pytest.approx(1.0)
    assert recall_at_k(["c"], rel, 1) == 0.0
    assert recall_at_k(["a"], {}, 1) == 0.0


def test_mrr_at_k() -> None:
    rel = {"b": 1, "c": 1}
    assert mrr_at_k(["a", "b", "c"], rel, 10) == pytest.approx(0.5)
    assert mrr_at_k(["c", "b"], rel, 10) == pytest.approx(1.0)
    assert mrr_at_k(["a", "x", "b"], rel, 2) == 0.0
    assert mrr_at_k(["a"], {"a": 0}, 5) == 0.0
