"""The learned re-ranker: features from the ranker, a deterministic fit, JSON parameters, and
re-ranking that only re-orders."""

from __future__ import annotations

import json

import numpy as np
import pytest

from matching import learning
from matching.learning import FEATURES, LearnedRanker, TrainingSet
from matching.ranker import MatchIndex, weigh_query
from tests.matching.conftest import Corpus


def _synthetic(seed: int, *, signal: bool, queries: int = 40, docs: int = 60) -> dict:
    """Score matrices where, with `signal`, the relevant document is the one sharing the
    query's areas, whatever its fused score (which the default order trusts)."""
    rng = np.random.default_rng(seed)
    shape = (queries, docs)
    scores = {
        "fused": rng.uniform(0.2, 0.6, shape).astype(np.float32),
        "semantic_whole_raw": rng.uniform(0.1, 0.6, shape).astype(np.float32),
        "semantic_best_raw": rng.uniform(0.1, 0.7, shape).astype(np.float32),
        "lexical": rng.uniform(0, 1, shape).astype(np.float32),
        "lexical_raw": rng.uniform(0, 0.3, shape).astype(np.float32),
        "areas": (rng.uniform(0, 1, shape) < 0.05).astype(np.float32),
        "naics": np.zeros(shape, dtype=np.float32),
    }
    grades = np.full(shape, -1)
    for i in range(queries):
        j = int(rng.integers(docs))
        if signal:
            scores["areas"][i] = 0.0
            scores["areas"][i, j] = 1.0
            # Ranked middling by the default: learning has something to fix.
            scores["fused"][i, j] = 0.45
        grades[i, j] = 1
    return {"scores": scores, "grades": grades}


def _fit(case: dict, seed: int = 0) -> tuple[LearnedRanker, learning.Selection, dict]:
    matrices = learning.feature_matrices(case["scores"])
    data = learning.judged_training_set(matrices, case["grades"], pool=30, implicit=30)
    model, choice = learning.fit_ranker(data, pool=30, seed=seed)
    return model, choice, matrices


def _mean_ndcg(order_scores: np.ndarray, grades: np.ndarray) -> float:
    from matching.metrics import ndcg_at_k

    values = []
    for i in range(order_scores.shape[0]):
        ranked = [str(j) for j in np.lexsort((np.arange(grades.shape[1]), -order_scores[i]))]
        values.append(
            ndcg_at_k(ranked, {str(j): int(g) for j, g in enumerate(grades[i]) if g > 0}, 10)
        )
    return float(np.mean(values))


def test_feature_matrices_ranks_margins_and_zscores() -> None:
    fused = np.array([[0.2, 0.8, 0.5], [0.1, 0.1, 0.4]], dtype=np.float32)
    scores = {
        "fused": fused,
        "semantic_whole_raw": fused,
        "semantic_best_raw": fused,
        "lexical": fused,
        "lexical_raw": np.array([[0.0, 0.0, 0.0], [0.1, 0.2, 0.3]], dtype=np.float32),
        "areas": np.zeros_like(fused),
        "naics": np.zeros_like(fused),
    }
    m = learning.feature_matrices(scores)
    assert set(m) == set(FEATURES)
    assert np.allclose(np.expm1(m["log_rank"]), [[2, 0, 1], [1, 2, 0]])
    assert np.allclose(m["fused_margin"][0], [-0.6, 0.0, -0.3], atol=1e-6)
    # A constant row has no spread: z-scores 0, not NaN.
    assert np.allclose(m["lexical_z"][0], 0.0)
    assert m["lexical_z"][1, 2] > 0 > m["lexical_z"][1, 0]
    rows = learning.pair_features(m, np.array([0, 1]), np.array([1, 2]))
    assert rows.shape == (2, len(FEATURES))
    assert rows[0, FEATURES.index("fused")] == pytest.approx(0.8)


def test_index_features_match_the_full_score_matrices(corpus: Corpus) -> None:
    index = MatchIndex().fit(list(corpus.profiles.values()))
    queries = [weigh_query(q, index.boilerplate_) for q in corpus.queries.values()]
    full = learning.feature_matrices(index.scores(queries))
    pairs = [(0, "jp-thruster"), (1, "us-cyber"), (0, "us-bus")]
    rows = learning.index_features(index, queries, pairs)
    for row, (q, pid) in zip(rows, pairs, strict=True):
        expected = [full[name][q, index.index_of(pid)] for name in FEATURES]
        assert np.allclose(row, expected)
    # The blend of the two semantic parts is the ranker's own semantic score.
    scores = index.scores(queries)
    blend = 0.5 * (scores["semantic_whole_raw"] + scores["semantic_best_raw"])
    assert np.allclose(blend, scores["semantic_raw"])


def test_fit_is_deterministic_and_learns_a_real_signal() -> None:
    case = _synthetic(1, signal=True)
    model, choice, matrices = _fit(case)
    again, _, _ = _fit(case)
    assert model.to_json() == again.to_json()
    assert choice.blend > 0
    assert model.coef[model.feature_names.index("areas")] > 0
    learned = _mean_ndcg(learning.rerank_scores(model, matrices), case["grades"])
    default = _mean_ndcg(matrices["fused"], case["grades"])
    assert learned > default + 0.2


def test_noise_keeps_the_default_order() -> None:
    case = _synthetic(2, signal=False)
    model, choice, matrices = _fit(case)
    assert choice.blend == 0.0
    order = learning.rerank_scores(model, matrices)
    for i in range(order.shape[0]):
        default = np.lexsort((np.arange(order.shape[1]), -matrices["fused"][i]))
        assert list(np.argsort(-order[i], kind="stable")[:30]) == list(default[:30])


def test_parameters_round_trip_through_json() -> None:
    model, _, matrices = _fit(_synthetic(3, signal=True))
    restored = LearnedRanker.from_json(json.loads(json.dumps(model.to_json())))
    assert restored == model
    x = learning.pair_features(matrices, np.zeros(60, dtype=np.int64), np.arange(60))
    assert np.array_equal(restored.score(restored.select(x)), model.score(model.select(x)))
    for broken in (
        {**model.to_json(), "kind": "gbm"},
        {**model.to_json(), "feature_names": ["fused", "shoe_size"]},
        {**model.to_json(), "coef": [1.0]},
    ):
        with pytest.raises(ValueError):
            LearnedRanker.from_json(broken)


def test_reranking_never_drops_or_invents_candidates() -> None:
    model, _, matrices = _fit(_synthetic(4, signal=True))
    order = learning.rerank_scores(model, matrices)
    fused = matrices["fused"]
    for i in range(fused.shape[0]):
        pool = set(np.lexsort((np.arange(fused.shape[1]), -fused[i]))[: model.pool].tolist())
        top = set(np.argsort(-order[i], kind="stable")[: model.pool].tolist())
        assert top == pool
    scores = np.array([0.3, 0.9, 0.3, 0.1])
    permutation = learning.rerank_order(scores, np.array([0.4, 0.1, 0.5, 0.9]))
    assert sorted(permutation.tolist()) == [0, 1, 2, 3]
    # Ties on the learned score keep the default order (2 scored 0.5 by default, 0 scored 0.4).
    assert permutation.tolist() == [1, 2, 0, 3]


def test_fit_refuses_one_kind_only() -> None:
    data = TrainingSet(np.zeros((4, len(FEATURES))), np.ones(4, dtype=bool), np.arange(4))
    with pytest.raises(ValueError, match="both positive and negative"):
        learning.fit_ranker(data)
