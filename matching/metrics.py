"""Ranking metrics over one query: nDCG@k, Recall@k and MRR@k.

Gains are exponential, ``2**rel - 1`` (the TREC/BEIR convention; identical to linear gains for
binary judgements), discounted by ``log2(rank + 1)``. The ideal DCG is computed from all judged
documents of the query, not only those retrieved. A document is relevant when ``rel > 0``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

__all__ = ["dcg", "mrr_at_k", "ndcg_at_k", "recall_at_k"]


def dcg(gains: Sequence[float]) -> float:
    """Discounted cumulative gain of gains listed in rank order."""
    return sum(g / math.log2(i + 2) for i, g in enumerate(gains))


def _gain(rel: int) -> float:
    return float(2**rel - 1) if rel > 0 else 0.0


def ndcg_at_k(ranked_ids: Sequence[str], relevance: Mapping[str, int], k: int) -> float:
    """Normalised DCG of the top ``k`` ids; 0.0 when the query has no relevant document."""
    ideal = dcg(sorted((_gain(r) for r in relevance.values()), reverse=True)[:k])
    if ideal == 0:
        return 0.0
    return dcg([_gain(relevance.get(d, 0)) for d in ranked_ids[:k]]) / ideal


def recall_at_k(ranked_ids: Sequence[str], relevance: Mapping[str, int], k: int) -> float:
    """Share of the relevant documents found in the top ``k``; 0.0 when none is relevant."""
    relevant = {d for d, r in relevance.items() if r > 0}
    if not relevant:
        return 0.0
    return len(relevant.intersection(ranked_ids[:k])) / len(relevant)


def mrr_at_k(ranked_ids: Sequence[str], relevance: Mapping[str, int], k: int) -> float:
    """Reciprocal rank of the first relevant document within the top ``k``, else 0.0."""
    for i, d in enumerate(ranked_ids[:k]):
        if relevance.get(d, 0) > 0:
            return 1.0 / (i + 1)
    return 0.0
