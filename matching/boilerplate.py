"""Boilerplate passages: text that many documents of one corpus share (export-control
paragraphs, compliance sentences, company-description templates), found by word shingles.

A passage's words are cut into overlapping shingles of five words; a shingle is common when at
least ``max(3, 2% of the corpus)`` other documents contain it too. A passage's weight is the
share of its shingles that are not common: 1 for text of its own, near 0 for text copied
across the corpus. Passages shorter than a shingle count as one shingle of all their words.
Linear in the corpus's words plus one sort of its shingle hashes; deterministic (no salted
hashing).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import numpy as np

__all__ = ["SHINGLE_WORDS", "common_threshold", "passage_weights"]

SHINGLE_WORDS = 5
# A shingle is common when at least this many other documents, or this share of the corpus,
# contain it.
COMMON_MIN_DOCUMENTS = 3
COMMON_SHARE = 0.02

_WORD = re.compile(r"\w+")
# Multiplier of the polynomial rolling hash (odd, so multiplication mod 2**64 is a bijection).
_BASE = np.uint64(1_000_003)


def common_threshold(n_documents: int) -> int:
    """How many other documents must share a shingle for it to count as boilerplate."""
    return max(COMMON_MIN_DOCUMENTS, math.ceil(COMMON_SHARE * n_documents))


def _shingles(ids: np.ndarray, size: int) -> np.ndarray:
    """Hashes of the ``size``-word shingles of a passage (one shingle when it is shorter)."""
    n = len(ids)
    if n == 0:
        return np.zeros(0, dtype=np.uint64)
    width = min(size, n)
    count = n - width + 1
    hashes = np.full(count, np.uint64(width), dtype=np.uint64)
    for j in range(width):
        hashes = hashes * _BASE + ids[j : j + count]
    return hashes


def passage_weights(
    texts_units: Sequence[Sequence[str]], *, shingle_words: int = SHINGLE_WORDS
) -> list[np.ndarray]:
    """Per document, one weight in [0, 1] per passage: 1 distinctive, near 0 boilerplate."""
    vocabulary: dict[str, int] = {}
    per_unit: list[list[np.ndarray]] = []
    for units in texts_units:
        doc = []
        for unit in units:
            ids = [
                vocabulary.setdefault(w, len(vocabulary) + 1) for w in _WORD.findall(unit.lower())
            ]
            doc.append(_shingles(np.array(ids, dtype=np.uint64), shingle_words))
        per_unit.append(doc)
    # Each document counts once per shingle, however often it repeats it.
    per_doc = [
        np.unique(np.concatenate(doc)) if doc else np.zeros(0, np.uint64) for doc in per_unit
    ]
    if per_doc:
        shingles, counts = np.unique(np.concatenate(per_doc), return_counts=True)
    else:
        shingles, counts = np.zeros(0, np.uint64), np.zeros(0, np.int64)
    common = (counts - 1) >= common_threshold(len(texts_units))
    out = []
    for doc in per_unit:
        weights = np.ones(len(doc), dtype=np.float32)
        for i, hashes in enumerate(doc):
            if len(hashes):
                shared = common[np.searchsorted(shingles, hashes)]
                weights[i] = 1.0 - float(shared.mean())
        out.append(weights)
    return out
