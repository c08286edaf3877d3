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

import itertools
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from functools import cached_property, lru_cache
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import (
    ENGLISH_STOP_WORDS,
    CountVectorizer,
    TfidfVectorizer,
)
from sklearn.preprocessing import normalize

from matching.japanese import content_tokens, japanese_terms
from matching.language import detect_language
from matching.store import TermTable, grow

__all__ = ["LexicalMethod", "LexicalScorer"]

LexicalMethod = Literal["tfidf", "bm25"]

_TOKEN_PATTERN = r"(?u)\b\w\w+\b"
# Names how Japanese text is analysed; a saved index analysed otherwise is rebuilt.
JAPANESE_ANALYSIS = "unidic-content-lemmas-1"
_HAS_JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff66-\uff9f]")
# Paragraphs of a composed text (fields are joined by blank lines, keywords by "; ").
_PARAGRAPHS = re.compile(r"\n\s*\n|\n|; ")


@lru_cache(maxsize=1)
def _stopword_gap() -> str:
    """Regex for what may separate the two words of a bigram in the original text."""
    words = "|".join(sorted((re.escape(w) for w in ENGLISH_STOP_WORDS), key=len, reverse=True))
    # Stop words are removed before bigrams are formed, so "detection of mines" yields the
    # bigram "detection mines"; allow them back between the two words.
    return rf"(?:[\W_]+(?:{words})\b)*[\W_]+"


@lru_cache(maxsize=4096)
def _term_regex(term: str) -> re.Pattern[str]:
    """A case-insensitive regex finding ``term`` (one or more words) as written in a text."""
    # Cached: the stop-word gap makes each pattern costly to compile, and the same query terms
    # come back for every explained candidate.
    parts = [re.escape(p) for p in term.split()]
    return re.compile(r"\b" + _stopword_gap().join(parts) + r"\b", re.IGNORECASE)


@lru_cache(maxsize=4096)
def _literal_regex(text: str) -> re.Pattern[str]:
    return re.compile(r"\b" + re.escape(text) + r"\b", re.IGNORECASE)


class LexicalScorer:
    """Scores a query against fitted documents by TF-IDF cosine or BM25.

    After ``fit`` the vocabulary, IDF and document weights are frozen into arrays (a
    :class:`~matching.store.TermTable` and term- and document-major CSR matrices) that can be
    saved and memory-mapped; no per-term Python dict is kept. ``set_rows`` re-weights changed
    documents with the fitted vocabulary and IDF (terms it has never seen are left out until
    the next fit) and keeps them beside the fitted matrices, so one changed document costs one
    transform, not a refit."""

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
        self._queries: dict[str, sp.csr_matrix] = {}

    def fit(self, documents: Sequence[str]) -> LexicalScorer:
        """Learn the vocabulary and document weights from ``documents``."""
        docs = list(documents)
        self.n_documents_ = len(docs)
        self.documents_: Sequence[str] = docs
        if not docs or not any(d.strip() for d in docs):
            return self._fit_empty(len(docs))
        vectorizer: CountVectorizer
        if self.method == "tfidf":
            vectorizer = TfidfVectorizer(
                analyzer=self._analyzer, sublinear_tf=True, min_df=self.min_df, dtype=np.float32
            )
            try:
                matrix = vectorizer.fit_transform(docs)
            except ValueError:  # no term at all: only stop words, punctuation or symbols
                return self._fit_empty(len(docs))
            idf = np.asarray(vectorizer.idf_, dtype=np.float32)
        elif self.method == "bm25":
            vectorizer = CountVectorizer(
                analyzer=self._analyzer, min_df=self.min_df, dtype=np.float32
            )
            try:
                counts = vectorizer.fit_transform(docs)
            except ValueError:  # no term at all: only stop words, punctuation or symbols
                return self._fit_empty(len(docs))
            matrix = self._bm25_weights(counts)
            idf = self.idf_
        else:
            raise ValueError(f"unknown lexical method {self.method!r}")
        self._freeze(
            TermTable.build([str(t) for t in vectorizer.get_feature_names_out()]), idf, matrix
        )
        return self

    def _freeze(self, terms: TermTable, idf: np.ndarray, matrix: sp.spmatrix) -> None:
        """Keep the fitted state as arrays only (the vectorizer's vocabulary dict is dropped)."""
        self.terms_table_ = terms
        self.idf_ = np.asarray(idf, dtype=np.float32)
        self.matrix_ = _csr(sp.csr_matrix(matrix, dtype=np.float32))
        # Term-major copy: a query row times this is a CSR-CSR product with no conversion.
        self.matrix_t_ = _csr(sp.csr_matrix(self.matrix_.T))
        self._init_rows(self.matrix_.shape[0])

    def _init_rows(self, n_documents: int) -> None:
        # Row i of the scores is fitted document row_base_[i], or the changed document in
        # overlay_[i] when row_base_[i] is -1.
        self.n_documents_ = n_documents
        self.row_base_ = np.arange(n_documents, dtype=np.int32)
        self._moved = False
        self.overlay_: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._overlay_matrix: tuple[np.ndarray, sp.csr_matrix] | None = None
        self._queries = {}

    def _fit_empty(self, n_documents: int) -> LexicalScorer:
        """An index without terms scores everything zero rather than failing."""
        self.idf_ = np.zeros(0, dtype=np.float32)
        self._freeze(TermTable.build([]), self.idf_, sp.csr_matrix((n_documents, 0)))
        return self

    @property
    def terms_(self) -> np.ndarray:
        """Every term of the vocabulary (materialised on each call: prefer ``term``)."""
        return np.array([self.terms_table_[i] for i in range(len(self.terms_table_))], dtype=object)

    def term(self, column: int) -> str:
        """The vocabulary term of a matrix column."""
        return self.terms_table_[column]

    @property
    def _n_terms(self) -> int:
        return len(self.terms_table_)

    def _bm25_weights(self, counts: sp.spmatrix) -> sp.csr_matrix:
        """Per (document, term) BM25 weights, so a query score is a sparse dot product."""
        tf = sp.csr_matrix(counts, dtype=np.float32)
        n_docs = tf.shape[0]
        df = np.bincount(tf.indices, minlength=tf.shape[1]).astype(np.float32)
        # Lucene's idf: always positive, unlike the original Robertson-Sparck Jones form.
        idf = np.log1p((n_docs - df + 0.5) / (df + 0.5)).astype(np.float32)
        lengths = np.asarray(tf.sum(axis=1)).ravel()
        self.avg_length_ = float(lengths.mean()) or 1.0
        self.idf_ = idf
        return self._bm25_rows(tf, idf)

    def _bm25_rows(self, tf: sp.csr_matrix, idf: np.ndarray) -> sp.csr_matrix:
        lengths = np.asarray(tf.sum(axis=1)).ravel()
        norm = self.k1 * (1 - self.b + self.b * lengths / self.avg_length_)
        rows = np.repeat(np.arange(tf.shape[0]), np.diff(tf.indptr))
        data = tf.data * (self.k1 + 1) / (tf.data + norm[rows]) * idf[tf.indices]
        return sp.csr_matrix((data.astype(np.float32), tf.indices, tf.indptr), shape=tf.shape)

    @cached_property
    def _english_analyzer(self) -> Callable[[str], list[str]]:
        # scikit-learn's analysis (lower-casing, tokens, stop words, n-grams).
        return TfidfVectorizer(
            ngram_range=self.ngram_range,
            stop_words="english" if self.stop_words else None,
            token_pattern=_TOKEN_PATTERN,
        ).build_analyzer()

    def _analyzer(self, text: str) -> list[str]:
        """Terms of a text: English text as scikit-learn analyses it; a text with Japanese in
        it paragraph by paragraph, each paragraph by its own language (Japanese by MeCab)."""
        if not _HAS_JAPANESE.search(text):
            return self._english_analyzer(text)
        bigrams = self.ngram_range[1] >= 2
        terms: list[str] = []
        for paragraph in _PARAGRAPHS.split(text):
            if detect_language(paragraph) == "ja":
                terms.extend(japanese_terms(paragraph, bigrams))
            elif paragraph.strip():
                terms.extend(self._english_analyzer(paragraph))
        return terms

    def _counts(self, texts: Sequence[str]) -> sp.csr_matrix:
        """Term counts in the fitted vocabulary (what CountVectorizer.transform gives)."""
        indptr = [0]
        indices: list[np.ndarray] = []
        data: list[np.ndarray] = []
        for text in texts:
            counts = Counter(self._analyzer(text))
            columns = self.terms_table_.lookup(list(counts))
            known = columns >= 0
            order = np.argsort(columns[known], kind="stable")
            indices.append(columns[known][order])
            data.append(
                np.fromiter(counts.values(), dtype=np.float32, count=len(counts))[known][order]
            )
            indptr.append(indptr[-1] + int(known.sum()))
        return sp.csr_matrix(
            (
                np.concatenate(data) if data else np.zeros(0, np.float32),
                np.concatenate(indices) if indices else np.zeros(0, np.int64),
                np.asarray(indptr),
            ),
            shape=(len(texts), self._n_terms),
            dtype=np.float32,
        )

    def transform(self, documents: Sequence[str]) -> sp.csr_matrix:
        """Document weights of new texts in the fitted vocabulary, as ``fit`` gives them."""
        if self._n_terms == 0:
            return sp.csr_matrix((len(documents), 0), dtype=np.float32)
        counts = self._counts(documents)
        if self.method == "bm25":
            return self._bm25_rows(counts, self.idf_)
        # TfidfVectorizer.transform: sublinear tf, times idf, rows L2-normalised.
        weighted = counts.copy()
        np.log(weighted.data, out=weighted.data)
        weighted.data += 1.0
        weighted.data *= self.idf_[weighted.indices]
        return sp.csr_matrix(normalize(weighted, norm="l2", copy=False), dtype=np.float32)

    def _query_matrix(self, queries: Sequence[str]) -> sp.csr_matrix:
        """Vectorise queries in the fitted vocabulary."""
        if self._n_terms == 0:
            return sp.csr_matrix((len(queries), 0), dtype=np.float32)
        if len(queries) == 1 and queries[0] in self._queries:
            # Explanations ask for the same query once per candidate shown.
            return self._queries[queries[0]]
        if self.method == "bm25":
            q = self._counts(queries)
            # Each distinct query term counts once.
            q.data[:] = 1.0
        else:
            q = self.transform(queries)
        if len(queries) == 1:
            if len(self._queries) >= 16:
                self._queries.clear()
            self._queries[queries[0]] = q
        return q

    # -- changed documents ----------------------------------------------------------------

    def set_rows(self, rows: Sequence[int], documents: Sequence[str]) -> None:
        """Re-weight the documents at ``rows`` (``rows`` may end with appended rows, in order)."""
        if not rows:
            return
        weights = self.transform(documents) if self._n_terms else None
        for i, row in enumerate(rows):
            if row >= self.n_documents_:
                if row != self.n_documents_:
                    raise IndexError(f"row {row} is past the end ({self.n_documents_})")
                self.row_base_ = grow(self.row_base_, row + 1)
                self.n_documents_ += 1
            self.row_base_[row] = -1
            if weights is None:
                self.overlay_[row] = (np.zeros(0, np.int32), np.zeros(0, np.float32))
            else:
                start, end = weights.indptr[i], weights.indptr[i + 1]
                self.overlay_[row] = (
                    weights.indices[start:end].astype(np.int32),
                    weights.data[start:end].astype(np.float32),
                )
            if isinstance(self.documents_, list):
                if row == len(self.documents_):
                    self.documents_.append(documents[i])
                else:
                    self.documents_[row] = documents[i]
        self._overlay_matrix = None

    def move_row(self, src: int, dst: int) -> None:
        """Put the document at ``src`` at ``dst`` (dropping what was there)."""
        self.row_base_[dst] = self.row_base_[src]
        self._moved = True
        self.overlay_.pop(dst, None)
        if src in self.overlay_:
            self.overlay_[dst] = self.overlay_.pop(src)
        if isinstance(self.documents_, list):
            self.documents_[dst] = self.documents_[src]
        self._overlay_matrix = None

    def truncate(self, n: int) -> None:
        """Drop the documents from row ``n`` on."""
        for row in [r for r in self.overlay_ if r >= n]:
            del self.overlay_[row]
        self.n_documents_ = min(self.n_documents_, n)
        self._moved = True
        if isinstance(self.documents_, list):
            del self.documents_[n:]
        self._overlay_matrix = None

    def _overlay(self) -> tuple[np.ndarray, sp.csr_matrix]:
        """Rows of the changed documents and their weights, term-major."""
        if self._overlay_matrix is None:
            rows = np.array(sorted(self.overlay_), dtype=np.int64)
            parts = [self.overlay_[int(r)] for r in rows]
            indptr = np.zeros(len(rows) + 1, dtype=np.int64)
            if parts:
                np.cumsum([len(c) for c, _ in parts], out=indptr[1:])
            matrix = sp.csr_matrix(
                (
                    np.concatenate([d for _, d in parts]) if parts else np.zeros(0, np.float32),
                    np.concatenate([c for c, _ in parts]) if parts else np.zeros(0, np.int32),
                    indptr,
                ),
                shape=(len(rows), self._n_terms),
            )
            self._overlay_matrix = (rows, sp.csr_matrix(matrix.T))
        return self._overlay_matrix

    def _row(self, document_index: int) -> tuple[np.ndarray, np.ndarray]:
        """Columns and weights of one document."""
        if document_index in self.overlay_:
            return self.overlay_[document_index]
        base = int(self.row_base_[document_index])
        start, end = self.matrix_.indptr[base], self.matrix_.indptr[base + 1]
        return self.matrix_.indices[start:end], self.matrix_.data[start:end]

    # -- scoring --------------------------------------------------------------------------

    def score_many(self, queries: Sequence[str]) -> np.ndarray:
        """Scores (n_queries, n_documents) as float32."""
        q = self._query_matrix(queries)
        n = self.n_documents_
        if q.shape[1] == 0:
            return np.zeros((len(queries), n), dtype=np.float32)
        base = np.asarray((q @ self.matrix_t_).toarray(), dtype=np.float32)
        if not self.overlay_ and not self._moved and base.shape[1] == n:
            return base
        if base.shape[1]:
            out = base[:, np.maximum(self.row_base_[:n], 0)]
        else:
            out = np.zeros((len(queries), n), dtype=np.float32)
        if self.overlay_:
            rows, weights = self._overlay()
            out[:, rows] = (q @ weights).toarray()
        return out

    def score_documents(self, queries: Sequence[str], documents: Sequence[str]) -> np.ndarray:
        """Scores (n_queries, n_documents) against documents that were not fitted, weighed with
        the fitted vocabulary and IDF."""
        q = self._query_matrix(queries)
        if q.shape[1] == 0:
            return np.zeros((len(queries), len(documents)), dtype=np.float32)
        d = self.transform(documents)
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
        columns, weights = self._row(document_index)
        shared, in_query, in_document = np.intersect1d(
            q.indices, columns, assume_unique=True, return_indices=True
        )
        contribution = q.data[in_query] * weights[in_document]
        order = np.argsort(-contribution, kind="stable")
        out: list[str] = []
        seen: set[str] = set()
        words_taken: set[str] = set()
        for i in order:
            if contribution[i] == 0:
                break
            term = self.term(int(shared[i]))
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
        if self._n_terms == 0:
            return 0
        grams = self._analyzer(text)
        if not grams:
            return 0
        columns = self.terms_table_.lookup(grams)
        known = [(g, int(c)) for g, c in zip(grams, columns, strict=True) if c >= 0]
        if not known:
            return 0
        column = max(known, key=lambda gc: len(gc[0].split()))[1]
        # Term-major rows: a term's documents are one row of the transposed matrix.
        return int(self.matrix_t_.indptr[column + 1] - self.matrix_t_.indptr[column])

    # -- persistence ----------------------------------------------------------------------

    def arrays(self) -> dict[str, np.ndarray]:
        """The fitted state, changed documents folded in, as named arrays for saving."""
        doc = self._documents_matrix()
        term_major = _csr(sp.csr_matrix(doc.T))
        out = self.terms_table_.arrays("lexical.terms")
        out.update(
            {
                "lexical.idf": self.idf_,
                "lexical.doc.data": doc.data,
                "lexical.doc.indices": doc.indices,
                "lexical.doc.indptr": doc.indptr,
                "lexical.term.data": term_major.data,
                "lexical.term.indices": term_major.indices,
                "lexical.term.indptr": term_major.indptr,
            }
        )
        return out

    def settings(self) -> dict[str, Any]:
        """Parameters and fitted scalars, for the saved metadata."""
        return {
            "method": self.method,
            "ngram_range": list(self.ngram_range),
            "stop_words": self.stop_words,
            "min_df": self.min_df,
            "k1": self.k1,
            "b": self.b,
            "avg_length": getattr(self, "avg_length_", 1.0),
            "japanese": JAPANESE_ANALYSIS,
        }

    def _documents_matrix(self) -> sp.csr_matrix:
        n = self.n_documents_
        if not self.overlay_ and not self._moved and self.matrix_.shape[0] == n:
            return self.matrix_
        parts = [self._row(row) for row in range(n)]
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum([len(c) for c, _ in parts], out=indptr[1:])
        return _csr(
            sp.csr_matrix(
                (
                    np.concatenate([w for _, w in parts]) if parts else np.zeros(0, np.float32),
                    np.concatenate([c for c, _ in parts]) if parts else np.zeros(0, np.int32),
                    indptr,
                ),
                shape=(n, self._n_terms),
            )
        )

    @classmethod
    def from_arrays(
        cls, arrays: Mapping[str, np.ndarray], settings: Mapping[str, Any], documents: Sequence[str]
    ) -> LexicalScorer:
        """A fitted scorer over saved arrays (maps stay maps)."""
        scorer = cls(
            method=settings["method"],
            ngram_range=(int(settings["ngram_range"][0]), int(settings["ngram_range"][1])),
            stop_words=settings["stop_words"],
            min_df=settings["min_df"],
            k1=settings["k1"],
            b=settings["b"],
        )
        scorer.avg_length_ = float(settings["avg_length"])
        scorer.terms_table_ = TermTable.from_arrays(arrays, "lexical.terms")
        scorer.idf_ = arrays["lexical.idf"]
        n_terms = len(scorer.terms_table_)
        doc_indptr = arrays["lexical.doc.indptr"]
        term_indptr = arrays["lexical.term.indptr"]
        n_docs = len(doc_indptr) - 1
        scorer.matrix_ = _wrap(arrays, "lexical.doc", (n_docs, n_terms))
        scorer.matrix_t_ = _wrap(arrays, "lexical.term", (len(term_indptr) - 1, n_docs))
        scorer.documents_ = documents
        scorer._init_rows(n_docs)
        return scorer


def _csr(matrix: sp.csr_matrix) -> sp.csr_matrix:
    """Canonical CSR with float32 data and the index dtype scipy itself would pick, so the
    arrays can be saved and wrapped again without a copy."""
    matrix = sp.csr_matrix(matrix, dtype=np.float32)
    matrix.sum_duplicates()
    matrix.sort_indices()
    small = max(matrix.nnz, *matrix.shape) < np.iinfo(np.int32).max
    index = np.int32 if small else np.int64
    matrix.indices = matrix.indices.astype(index, copy=False)
    matrix.indptr = matrix.indptr.astype(index, copy=False)
    return matrix


def _wrap(arrays: Mapping[str, np.ndarray], prefix: str, shape: tuple[int, int]) -> sp.csr_matrix:
    """A CSR matrix over saved arrays, without copying them."""
    matrix = sp.csr_matrix(shape, dtype=np.float32)
    # Assigned directly: the constructor may convert index dtypes, which would copy the maps.
    matrix.data = arrays[f"{prefix}.data"]
    matrix.indices = arrays[f"{prefix}.indices"]
    matrix.indptr = arrays[f"{prefix}.indptr"]
    matrix.has_sorted_indices = True
    matrix.has_canonical_format = True
    return matrix


def _japanese_surface(term: str, query: str, document: str) -> str | None:
    """The spelling in ``query`` of a Japanese term (lemmas, a space between two) when
    ``document`` has the same lemmas too."""
    lemmas = term.split()

    def find(text: str) -> str | None:
        tokens = content_tokens(text)
        for i in range(len(tokens) - len(lemmas) + 1):
            run = tokens[i : i + len(lemmas)]
            if [t.lemma for t in run] == lemmas and all(
                a.end == b.start for a, b in itertools.pairwise(run)
            ):
                return text[run[0].start : run[-1].end]
        return None

    if not _HAS_JAPANESE.search(query) or find(document) is None:
        return None
    return find(query)


def _shared_surface(term: str, query: str, document: str) -> str | None:
    """The first spelling of ``term`` in ``query`` that also occurs verbatim in ``document``."""
    if _HAS_JAPANESE.search(term):
        return _japanese_surface(term, query, document)
    for match in _term_regex(term).finditer(query):
        text = match.group(0)
        if _literal_regex(text).search(document):
            return text
    return None
