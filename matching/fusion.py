"""Score fusion: normalise each signal to [0, 1] and take a weighted average.

FUSION_FIGURES
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

__all__ = [
    "COMPONENTS",
    "DEFAULT_WEIGHTS",
    "LEXICAL_SHIFT",
    "SEMANTIC_FLOOR",
    "SEMANTIC_SPAN",
    "FusionWeights",
    "fuse",
    "minmax",
    "normalise_lexical",
    "normalise_semantic",
    "rrf",
]

COMPONENTS = ("semantic", "lexical", "areas", "naics")

# Absolute scale for cosine similarity: cos <= FLOOR maps to 0, FLOOR + SPAN and above to 1.
SEMANTIC_FLOOR = 0.1
SEMANTIC_SPAN = 0.6
# Standard deviations above a query's mean lexical score that map to 0.5.
LEXICAL_SHIFT = 2.0


@dataclass(frozen=True)
class FusionWeights:
    """Relative weight of each component in the fused score (need not sum to 1)."""

    semantic: float
    lexical: float
    areas: float
    naics: float

    def as_dict(self) -> dict[str, float]:
        """Weights keyed by component name."""
        return {
            "semantic": self.semantic,
            "lexical": self.lexical,
            "areas": self.areas,
            "naics": self.naics,
        }


DEFAULT_WEIGHTS = FusionWeights(semantic=0.4, lexical=0.4, areas=0.1, naics=0.1)
LEXICAL_ONLY = FusionWeights(semantic=0.0, lexical=1.0, areas=0.0, naics=0.0)
DENSE_ONLY = FusionWeights(semantic=1.0, lexical=0.0, areas=0.0, naics=0.0)


def minmax(x: np.ndarray) -> np.ndarray:
    """Rescale to [0, 1] along the last axis; a constant row maps to zeros."""
    x = np.asarray(x, dtype=np.float32)
    if x.size == 0:
        return x
    lo = x.min(axis=-1, keepdims=True)
    span = x.max(axis=-1, keepdims=True) - lo
    return np.divide(x - lo, span, out=np.zeros_like(x), where=span > 0)


def normalise_semantic(cosine: np.ndarray) -> np.ndarray:
    """Map cosine similarity to [0, 1] on a fixed scale, comparable across queries."""
    scaled = (np.asarray(cosine, dtype=np.float32) - SEMANTIC_FLOOR) / SEMANTIC_SPAN
    return np.clip(scaled, 0.0, 1.0)


def standardise(x: np.ndarray) -> np.ndarray:
    """Z-scores along the last axis; a constant row maps to zeros."""
    x = np.asarray(x, dtype=np.float32)
    if x.size == 0:
        return x
    mean = x.mean(axis=-1, keepdims=True)
    std = x.std(axis=-1, keepdims=True)
    return np.divide(x - mean, std, out=np.zeros_like(x), where=std > 0)


def normalise_lexical(scores: np.ndarray) -> np.ndarray:
    """Map raw lexical scores to [0, 1]: logistic of the per-query z-score minus LEXICAL_SHIFT.

    Raw TF-IDF cosines shrink as queries grow longer, so they are standardised per query over
    all profiles; a profile LEXICAL_SHIFT standard deviations above the mean scores 0.5. Unlike
    min-max, the best candidate of a weak query does not get 1.0.
    """
    z = standardise(scores)
    return (1.0 / (1.0 + np.exp(-(z - LEXICAL_SHIFT)))).astype(np.float32)


def fuse(components: Mapping[str, np.ndarray], weights: FusionWeights) -> np.ndarray:
    """Weighted average of [0, 1] components; absent components drop out of the average."""
    w = weights.as_dict()
    present = [name for name in components if w.get(name, 0.0) > 0]
    if not present:
        shape = next(iter(components.values())).shape if components else (0,)
        return np.zeros(shape, dtype=np.float32)
    total = sum(w[name] for name in present)
    out = sum(w[name] * np.asarray(components[name], dtype=np.float32) for name in present)
    return np.clip(np.asarray(out, dtype=np.float32) / total, 0.0, 1.0)


def rrf(rankings: Mapping[str, np.ndarray], *, k: int = 60) -> np.ndarray:
    """Reciprocal rank fusion of raw score arrays (higher is better) along the last axis."""
    total: np.ndarray | None = None
    for scores in rankings.values():
        order = np.argsort(-scores, axis=-1, kind="stable")
        ranks = np.empty_like(order)
        np.put_along_axis(
            ranks,
            order,
            np.arange(scores.shape[-1])[None, :]
            if scores.ndim == 2
            else np.arange(scores.shape[-1]),
            axis=-1,
        )
        part = 1.0 / (k + 1 + ranks)
        total = part if total is None else total + part
    if total is None:
        raise ValueError("no rankings to fuse")
    return total.astype(np.float32)
