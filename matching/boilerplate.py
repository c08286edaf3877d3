"""Boilerplate: sentences made of words that most documents of a corpus share.

An export-control notice ("technical data is subject to the EAR; foreign participation requires
a licence"), a standard phase description ("PHASE II: develop and demonstrate a prototype") or a
compliance statement ("certified to ISO 9001:2015") is written in words that a large share of
the corpus uses. Such a sentence says nothing about what this document needs or offers, yet two
of them match each other well. A sentence is boilerplate when at least ``share`` of its content
words occur in at least ``min_df`` of the corpus's documents; the ranker weighs the passages
holding such sentences down and the explanations do not quote them unless nothing else matches.

Measured on the demo set (30 solicitations, 69 companies) this flags 17 of 220 solicitation
sentences (export-control notices, periods of performance) and 3 of 414 company sentences
(ISO certifications); on eval-real 214 of 1,583 topic sentences (phase descriptions) and 837 of
16,287 firm sentences. Weighing them down in the semantic score moves nDCG@10 by less than
its noise (fused, demo 0.9341 -> 0.9322, eval-real 0.2355 -> 0.2418; see ``matching.fusion``);
what changes is which passages explain a match and how much a shared notice lifts a weak fit.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from matching.text import sentence_spans

__all__ = ["BoilerplateModel"]

# Words of three or more letters: numbers, part codes and short tokens carry no "commonness".
_CONTENT_WORD = re.compile(r"(?u)\b[^\W\d_]{3,}\b")
# Below this many documents, "common to the corpus" means nothing.
MIN_DOCUMENTS = 10


def _content_words(text: str) -> list[str]:
    words = (w.lower() for w in _CONTENT_WORD.findall(text))
    return [w for w in words if w not in ENGLISH_STOP_WORDS]


class BoilerplateModel:
    """Learns which words are common in a corpus and flags sentences made of them."""

    def __init__(self, *, min_df: float = 0.2, share: float = 0.6) -> None:
        self.min_df = min_df
        self.share = share
        self.common_: frozenset[str] = frozenset()

    def settings(self) -> dict[str, Any]:
        """What a saved index needs to weigh new profiles as this model does."""
        return {"min_df": self.min_df, "share": self.share, "common": sorted(self.common_)}

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> BoilerplateModel:
        """The model saved with :meth:`settings`."""
        model = cls(min_df=float(settings["min_df"]), share=float(settings["share"]))
        model.common_ = frozenset(str(w) for w in settings["common"])
        return model

    def fit(self, texts: Sequence[str]) -> BoilerplateModel:
        """Learn the words used by at least ``min_df`` of the documents."""
        if len(texts) < MIN_DOCUMENTS:
            self.common_ = frozenset()
            return self
        df: Counter[str] = Counter()
        for text in texts:
            df.update(set(_content_words(text)))
        threshold = self.min_df * len(texts)
        self.common_ = frozenset(w for w, n in df.items() if n >= threshold)
        return self

    def is_boilerplate(self, sentence: str, *, share: float | None = None) -> bool:
        """Whether a sentence is made of corpus-common words (one without content words is);
        ``share`` overrides the model's share of common words that makes it so."""
        if not self.common_:
            return False
        words = _content_words(sentence)
        if not words:
            return True
        needed = self.share if share is None else share
        return sum(1 for w in words if w in self.common_) >= needed * len(words)

    def boilerplate_spans(self, text: str) -> list[tuple[int, int]]:
        """Spans of the boilerplate sentences of ``text``."""
        if not self.common_:
            return []
        return [(s, e) for s, e in sentence_spans(text) if self.is_boilerplate(text[s:e])]

    def unit_weights(self, text: str, spans: Sequence[tuple[int, int]]) -> np.ndarray:
        """Per passage of ``text``, the share of its characters outside boilerplate sentences."""
        weights = np.ones(len(spans), dtype=np.float32)
        flagged = self.boilerplate_spans(text)
        if not flagged:
            return weights
        for i, (start, end) in enumerate(spans):
            length = end - start
            if length <= 0:
                continue
            covered = sum(max(0, min(e, end) - max(s, start)) for s, e in flagged)
            weights[i] = 1.0 - min(covered, length) / length
        return weights
