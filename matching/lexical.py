"""Lexical relevance: TF-IDF cosine or Okapi BM25 over word n-grams, with term attributions.

TF-IDF is the default, by measurement (nDCG@10, lexical only, queries = title + text):

    method                                            eval-real   demo set
    TF-IDF, words + bigrams, sublinear tf, stop words   0.1906      0.9077
    TF-IDF, same without stop-word removal               0.1744      0.8865
    TF-IDF, words only                                   0.1837      0.9044
    BM25 (k1 1.2, b 0.75), words                         0.1543      0.8953
    BM25, words + bigrams                                0.1412      0.8971
    (bm25s baseline from the eval-real README)           0.1606      -
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Literal

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import (
    ENGLISH_STOP_WORDS,
    CountVectorizer,
    TfidfVectorizer,
)

__all__ = ["LexicalMethod", "LexicalScorer"]

LexicalMethod = Literal["tfidf", "bm25"]

_TOKEN_PATTERN = r"(?u)\b\w\w+\b"


@lru_cache(maxsize=1)
def _stopword_gap() -> str:
    """Regex for what may separate the two words of a bigram in the original text."""
    words = "|".join(sorted((re.escape(w) for w in ENGLISH_STOP_WORDS), key=len, reverse=True))
    # Stop words are removed before bigrams are formed, so "detection of mines" yields the
    # bigram "detection mines"; allow them back between the two words.
    return rf"(?:[\W_]+(?:{words})\b)*[\W_]+"


def _term_regex(term: str) -> re.Pattern[str]:
    """A case-insensitive regex finding ``term`` (one or more words) as written in a text."""
    parts = [re.escape(p) for p in term.split()]
    return re.compile(r"\b" + _stopword_gap().join(parts) + r"\b", re.IGNORECASE)


class LexicalScorer:
    """Scores a query against fitted documents by TF-IDF cosine or BM25."""

    def __init__(
        self,
        *,
        method: LexicalMethod = "tfidf",
        ngram_range: tuple[int, int] = (1, 2),
        stop_words: bool = True,
        min_df: int = 1,
        k1: float = 1.2,
        b: float = 0.75,
    ) -> None:
        self.method = method
        self.ngram_range = ngram_range
        self.stop_words = stop_words
        self.min_df = min_df
        self.k1 = k1
        self.b = b

    def fit(self, documents: Sequence[str]) -> LexicalScorer:
        """Learn the vocabulary and document weights from ``documents``."""
        stop = "english" if self.stop_words else None
        docs = list(documents)
        self.n_documents_ = len(docs)
        self.documents_ = docs
        if not docs or not any(d.strip() for d in docs):
            return self._fit_empty(len(docs))
        vectorizer: CountVectorizer
        if self.method == "tfidf":
            vectorizer = TfidfVectorizer(
                ngram_range=self.ngram_range,
                sublinear_tf=True,
                stop_words=stop,
                min_df=self.min_df,
                token_pattern=_TOKEN_PATTERN,
                dtype=np.float32,
            )
            try:
                matrix = vectorizer.fit_transform(docs)
            except ValueError:  # no term at all: only stop words, punctuation or symbols
                return self._fit_empty(len(docs))
        elif self.method == "bm25":
            vectorizer = CountVectorizer(
                ngram_range=self.ngram_range,
                stop_words=stop,
                min_df=self.min_df,
                token_pattern=_TOKEN_PATTERN,
                dtype=np.float32,
            )
            try:
                counts = vectorizer.fit_transform(docs)
            except ValueError:  # no term at all: only stop words, punctuation or symbols
                return self._fit_empty(len(docs))
            matrix = self._bm25_weights(counts)
        else:
            raise ValueError(f"unknown lexical method {self.method!r}")
        self.vectorizer_: CountVectorizer | None = vectorizer
        self.matrix_: sp.csr_matrix = sp.csr_matrix(matrix, dtype=np.float32)
        # Term-major copy: a query row times this is a CSR-CSR product with no conversion.
        self.matrix_t_: sp.csr_matrix = sp.csr_matrix(self.matrix_.T)
        self.terms_: np.ndarray = vectorizer.get_feature_names_out()
        return self

    def _fit_empty(self, n_documents: int) -> LexicalScorer:
        """An index without terms scores everything zero rather than failing."""
        self.vectorizer_ = None
        self.matrix_ = sp.csr_matrix((n_documents, 0), dtype=np.float32)
        self.matrix_t_ = sp.csr_matrix((0, n_documents), dtype=np.float32)
        self.terms_ = np.array([], dtype=object)
        return self

    def _bm25_weights(self, counts: sp.spmatrix) -> sp.csr_matrix:
        """Per (document, term) BM25 weights, so a query score is a sparse dot product."""
        tf = sp.csr_matrix(counts, dtype=np.float32)
        n_docs = tf.shape[0]
        df = np.bincount(tf.indices, minlength=tf.shape[1]).astype(np.float32)
        # Lucene's idf: always positive, unlike the original Robertson-Sparck Jones form.
        idf = np.log1p((n_docs - df + 0.5) / (df + 0.5)).astype(np.float32)
        lengths = np.asarray(tf.sum(axis=1)).ravel()
        avg = float(lengths.mean()) or 1.0
        norm = self.k1 * (1 - self.b + self.b * lengths / avg)
        rows = np.repeat(np.arange(n_docs), np.diff(tf.indptr))
        data = tf.data * (self.k1 + 1) / (tf.data + norm[rows]) * idf[tf.indices]
        self.idf_ = idf
        return sp.csr_matrix((data, tf.indices, tf.indptr), shape=tf.shape)

    def _query_matrix(self, queries: Sequence[str]) -> sp.csr_matrix:
        """Vectorise queries in the fitted vocabulary."""
        if self.vectorizer_ is None:
            return sp.csr_matrix((len(queries), 0), dtype=np.float32)
        q = sp.csr_matrix(self.vectorizer_.transform(list(queries)), dtype=np.float32)
        if self.method == "bm25":
            # Each distinct query term counts once.
            q.data[:] = 1.0
        return q

    def score_many(self, queries: Sequence[str]) -> np.ndarray:
        """Scores (n_queries, n_documents) as float32."""
        q = self._query_matrix(queries)
        if q.shape[1] == 0:
            return np.zeros((len(queries), self.n_documents_), dtype=np.float32)
        return np.asarray((q @ self.matrix_t_).toarray(), dtype=np.float32)

    def score_documents(self, queries: Sequence[str], documents: Sequence[str]) -> np.ndarray:
        """Scores (n_queries, n_documents) against documents that were not fitted, weighed with
        the fitted vocabulary and IDF (TF-IDF only)."""
        if self.method != "tfidf":
            raise ValueError("scoring unfitted documents needs the tfidf method")
        q = self._query_matrix(queries)
        if q.shape[1] == 0 or self.vectorizer_ is None:
            return np.zeros((len(queries), len(documents)), dtype=np.float32)
        d = sp.csr_matrix(self.vectorizer_.transform(list(documents)), dtype=np.float32)
        return np.asarray((q @ d.T).toarray(), dtype=np.float32)

    def score(self, query: str) -> np.ndarray:
        """One score per fitted document."""
        return self.score_many([query])[0]

    def shared_terms(self, query: str, document_index: int, *, limit: int = 8) -> list[str]:
        """The terms contributing most to this pair's score, as written in both texts."""
        q = self._query_matrix([query])
        if q.shape[1] == 0 or limit <= 0:
            return []
        document = self.documents_[document_index]
        contribution = q.multiply(self.matrix_[document_index]).tocsr()
        order = np.argsort(-contribution.data, kind="stable")
        out: list[str] = []
        seen: set[str] = set()
        words_taken: set[str] = set()
        for i in order:
            term = str(self.terms_[contribution.indices[i]])
            parts = term.split()
            # Bare numbers explain nothing; a word already shown inside a bigram is redundant.
            if all(p.isdigit() for p in parts) or (len(parts) == 1 and term in words_taken):
                continue
            surface = _shared_surface(term, query, document)
            if surface is None or surface.lower() in seen:
                continue
            out.append(surface)
            seen.add(surface.lower())
            words_taken.update(parts)
            if len(out) >= limit:
                break
        return out

    def document_frequency(self, text: str) -> int:
        """How many fitted documents contain the term ``text`` analyses to (its longest n-gram
        in the vocabulary); 0 for a term the corpus does not have."""
        if self.vectorizer_ is None:
            return 0
        vocabulary = self.vectorizer_.vocabulary_
        known = [t for t in self.vectorizer_.build_analyzer()(text) if t in vocabulary]
        if not known:
            return 0
        column = vocabulary[max(known, key=lambda t: len(t.split()))]
        # Term-major rows: a term's documents are one row of the transposed matrix.
        return int(self.matrix_t_.indptr[column + 1] - self.matrix_t_.indptr[column])


def _shared_surface(term: str, query: str, document: str) -> str | None:
    """The first spelling of ``term`` in ``query`` that also occurs verbatim in ``document``."""
    for match in _term_regex(term).finditer(query):
        text = match.group(0)
        literal = re.compile(r"\b" + re.escape(text) + r"\b", re.IGNORECASE)
        if literal.search(document):
            return text
    return None
