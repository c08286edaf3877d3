"""Capability gaps in vectors: which sentences of a need no capability passage answers.

A need's sentences are compared with the passage vectors of the profiles that may serve it
(unit vectors, so the dot product is the cosine). A sentence is covered when its most similar
passage of an allowed profile reaches a threshold; for every sentence the nearest profiles of
any kind are kept, so a reader sees who comes closest to what is missing. Pure numpy: the
caller decides which profiles are allowed and which sentences count.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "COVERED_SIMILARITY",
    "OwnerMatch",
    "SentenceCoverage",
    "nearest_owners",
    "sentence_coverage",
]

# A sentence is covered when an allowed passage reaches this cosine. Measured on the demo
# (the default encoder; 213 need sentences of 31 solicitations against 69 profiles): the
# nearest passage of any partner scores 0.32 / 0.44 / 0.56 (10th / 50th / 90th percentile);
# sentences a demo partner was written to answer (a sensor network's sites and optics, an
# amplifier's dose rating) reach 0.45-0.6, the administrative ones (deliverables, period of
# performance, data APIs) 0.20-0.40. So 0.45: about the best third of the demo's sentences.
COVERED_SIMILARITY = 0.45
# Passages are compared in blocks of this many rows, so float16 stores are widened a block at
# a time rather than all at once.
_BLOCK = 8192


@dataclass(frozen=True)
class OwnerMatch:
    """A profile's passage most similar to a sentence: the profile, its similarity, and the
    passage's row."""

    owner: int
    similarity: float
    passage: int


@dataclass(frozen=True)
class SentenceCoverage:
    """One sentence: its best allowed passage (None when no allowed profile has one), whether
    that reaches the threshold, and the nearest profiles of any kind, best first."""

    sentence: int
    best_allowed: OwnerMatch | None
    covered: bool
    nearest: list[OwnerMatch]


def similarities(sentences: np.ndarray, passages: np.ndarray) -> np.ndarray:
    """Cosine (n_sentences, n_passages) of unit vectors, computed block by block in float32."""
    queries = np.asarray(sentences, dtype=np.float32)
    out = np.empty((len(queries), len(passages)), dtype=np.float32)
    for start in range(0, len(passages), _BLOCK):
        block = np.asarray(passages[start : start + _BLOCK], dtype=np.float32)
        out[:, start : start + len(block)] = queries @ block.T
    return out


def nearest_owners(row: np.ndarray, owners: np.ndarray, k: int) -> list[OwnerMatch]:
    """The `k` owners whose best passage is most similar, best first (ties: lower owner)."""
    if k <= 0 or len(row) == 0:
        return []
    # Best passage per owner: sort by similarity descending, keep each owner's first.
    order = np.lexsort((owners, -row))
    _, first = np.unique(owners[order], return_index=True)
    best = order[first]
    ranked = best[np.lexsort((owners[best], -row[best]))][:k]
    return [OwnerMatch(int(owners[i]), float(row[i]), int(i)) for i in ranked]


def sentence_coverage(
    sentences: np.ndarray,
    passages: np.ndarray,
    owners: np.ndarray,
    allowed: np.ndarray,
    *,
    threshold: float = COVERED_SIMILARITY,
    nearest: int = 3,
) -> list[SentenceCoverage]:
    """Coverage of each sentence vector by the passages (rows of `passages`, each owned by
    `owners[i]`) of the allowed owners (`allowed`, a boolean per passage), and the `nearest`
    owners of any passage."""
    passages = np.asarray(passages)
    owners = np.asarray(owners, dtype=np.int64).reshape(-1)
    allowed = np.asarray(allowed, dtype=bool).reshape(-1)
    if len(owners) != len(passages) or len(allowed) != len(passages):
        raise ValueError("owners and allowed need one value per passage")
    if not 0.0 <= threshold <= 1.0:
        raise ValueError("threshold must be within [0, 1]")
    sims = similarities(sentences, passages)
    allowed_rows = np.flatnonzero(allowed)
    out = []
    for i, row in enumerate(sims):
        best: OwnerMatch | None = None
        if len(allowed_rows):
            j = int(allowed_rows[int(np.argmax(row[allowed_rows]))])
            best = OwnerMatch(int(owners[j]), float(row[j]), j)
        out.append(
            SentenceCoverage(
                sentence=i,
                best_allowed=best,
                covered=best is not None and best.similarity >= threshold,
                nearest=nearest_owners(row, owners, nearest),
            )
        )
    return out
