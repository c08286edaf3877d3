"""The match index: ranks profiles for a query by fused semantic, lexical and structured scores."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from matching.boilerplate import BoilerplateModel
from matching.crosslingual import (
    MissingLexical,
    calibrate_by_reference,
    impute_by_rank,
)
from matching.encoder import DocumentEmbedding, pool
from matching.fusion import (
    COMPONENTS,
    DEFAULT_WEIGHTS,
    FusionWeights,
    fuse,
    lexical_statistics,
    normalise_lexical,
    normalise_semantic,
)
from matching.japanese import english_glosses
from matching.lexical import LexicalMethod, LexicalScorer
from matching.store import ProfileStore, StoreError, Version, current_version, open_version, publish
from matching.structured import StructuredIndex, area_overlap, naics_overlap

__all__ = [
    "MatchIndex",
    "Profile",
    "Query",
    "ScoredCandidate",
    "semantic_blend",
    "weigh_query",
]

# Queries scored together in rank_many; bounds the dense (chunk, n_profiles) score matrices.
_BATCH = 256
# Bumped when what a saved index holds changes meaning, so older saved versions are rebuilt.
STORE_LAYOUT = 3  # 3: languages and multilingual vectors


@dataclass(frozen=True)
class Profile:
    """A ranked document: a company profile, or a solicitation when matching in reverse."""

    id: str
    text: str
    areas: frozenset[str]
    naics: frozenset[str]
    embedding: DocumentEmbedding
    # "en", "ja" or "en+ja" (matching.language.profile_language); a Japanese profile's
    # multilingual (e5 passage) vector carries its semantic score for queries in English.
    language: str = "en"
    multilingual: DocumentEmbedding | None = None


@dataclass(frozen=True)
class Query:
    """What is matched against the profiles: a solicitation, or a company in reverse."""

    id: str
    text: str
    areas: frozenset[str]
    naics: frozenset[str]
    embedding: DocumentEmbedding
    # Per passage, how much of it is not boilerplate of the query's own corpus (1 = all of it);
    # None = every passage counts fully.
    unit_weights: np.ndarray | None = None
    language: str = "en"
    # The query's multilingual (e5 "query: ") vector; needed to score Japanese profiles.
    multilingual: DocumentEmbedding | None = None


# A passage at least this free of boilerplate may be a query's "best passage".
DISTINCTIVE = 0.5


def weigh_query(query: Query, model: BoilerplateModel) -> Query:
    """The query with its boilerplate passages weighed by ``model`` (fit on its own corpus)."""
    weights = model.unit_weights(query.text, query.embedding.spans)
    return replace(query, unit_weights=weights)


def weighted_pool(embedding: DocumentEmbedding, weights: np.ndarray | None) -> np.ndarray:
    """The document vector with each passage weighed; the plain mean when nothing is left."""
    if weights is None or len(weights) == 0 or not (weights < 1).any() or weights.sum() <= 0:
        return np.asarray(embedding.pooled, dtype=np.float32)
    return pool(np.asarray(embedding.units, dtype=np.float32), weights, "weighted")


@dataclass(frozen=True)
class ScoredCandidate:
    """One ranked profile with its fused score and the [0, 1] components behind it.

    ``cross_lingual``: the query and the profile are in different languages, so the semantic
    component comes from the multilingual encoder. ``lexical_basis`` says what the lexical
    component measures: ``text`` (words both texts contain), ``glosses`` (the query's words
    found among the English a Japanese profile carries by dictionary: its Latin-script words
    and the English glosses of its loanwords), or ``absent`` (no lexical evidence; the
    component reads 0, which is not a measured zero)."""

    id: str
    score: float
    components: dict[str, float]
    cross_lingual: bool = False
    lexical_basis: str = "text"


# Codes of the ``cross_lingual`` score matrix.
SAME_LANGUAGE, NO_LEXICAL, GLOSSES = 0.0, 1.0, 2.0
_BASIS = {SAME_LANGUAGE: "text", NO_LEXICAL: "absent", GLOSSES: "glosses"}


def _candidate(id: str, score: float, parts: dict[str, float], code: float) -> ScoredCandidate:
    return ScoredCandidate(id, score, parts, code != SAME_LANGUAGE, _BASIS[code])


def semantic_blend(whole: np.ndarray, best_unit: np.ndarray) -> np.ndarray:
    """Average of whole-document cosine and the best query passage's cosine to the profile."""
    # The whole-document term measures overall fit; the best-passage term lets a profile that
    # answers one need of a long solicitation very well rise. Measured (nDCG@10, dense only):
    # eval-real 0.2228 whole / 0.2329 best passage / 0.2340 blend; demo set 0.8383 / 0.8667 /
    # 0.8794.
    return (0.5 * (whole + best_unit)).astype(np.float32)


class MatchIndex:
    """Ranks fitted profiles for queries; all scoring is vectorised over profiles."""

    def __init__(
        self,
        *,
        weights: FusionWeights = DEFAULT_WEIGHTS,
        lexical_method: LexicalMethod = "tfidf",
        missing_lexical: MissingLexical = "impute",
    ) -> None:
        self.weights = weights
        self.lexical_method = lexical_method
        self.missing_lexical: MissingLexical = missing_lexical

    def fit(self, profiles: Sequence[Profile]) -> MatchIndex:
        """Index the profiles: stack pooled vectors, fit the lexical and structured features."""
        ids = [p.id for p in profiles]
        if len(set(ids)) != len(ids):
            raise ValueError("profile ids must be unique")
        self.ids_: list[str] = ids
        self.positions_: dict[str, int] = {pid: i for i, pid in enumerate(ids)}
        # Profiles handed to fit or upsert in this process, returned as they were given.
        self._objects: dict[str, Profile] = {p.id: p for p in profiles}
        dims = {p.embedding.pooled.shape[0] for p in profiles}
        if len(dims) > 1:
            raise ValueError(f"profiles mix embedding dimensions {sorted(dims)}")
        dim = dims.pop() if dims else 0
        texts = [p.text for p in profiles]
        # Boilerplate of this corpus: the profiles' common sentences count less in the semantic
        # score and are not quoted as explanations. The lexical score reads whole texts: its IDF
        # already discounts common words, and dropping those sentences there measured no better
        # (nDCG@10 lexical only, demo 0.9077 -> 0.9112, eval-real 0.1906 -> 0.1875).
        self.boilerplate_: BoilerplateModel = BoilerplateModel().fit(texts)
        units = sum(len(p.embedding.units) for p in profiles)
        self.store_: ProfileStore = ProfileStore.empty(dim, len(profiles), units)
        for row, p in enumerate(profiles):
            self._put(row, p)
        self.lexical_: LexicalScorer = LexicalScorer(method=self.lexical_method).fit(texts)
        self.lexical_.documents_ = self.store_.column("texts")
        self.structured_: StructuredIndex = StructuredIndex().fit(
            [p.areas for p in profiles], [p.naics for p in profiles]
        )
        # Profiles not (only) in English, by id: their language and multilingual vectors.
        self.languages_: dict[str, str] = {}
        self.multilingual_: dict[str, DocumentEmbedding] = {}
        self._set_languages(profiles)
        return self

    def _set_languages(self, profiles: Sequence[Profile]) -> None:
        for p in profiles:
            self.languages_.pop(p.id, None)
            self.multilingual_.pop(p.id, None)
            if p.language != "en":
                self.languages_[p.id] = p.language
            if p.multilingual is not None and len(p.multilingual.units):
                self.multilingual_[p.id] = p.multilingual
        self._ml_matrix: tuple[np.ndarray, np.ndarray] | None = None

    def _multilingual_rows(self) -> tuple[np.ndarray, np.ndarray]:
        """Rows of the profiles with a multilingual vector, and those vectors stacked."""
        if self._ml_matrix is None:
            ids = [i for i in self.multilingual_ if i in self.positions_]
            rows = np.array([self.positions_[i] for i in ids], dtype=np.int64)
            dim = next(iter(self.multilingual_.values())).dimension if ids else 0
            pooled = (
                np.stack([self.multilingual_[i].pooled for i in ids]).astype(np.float32)
                if ids
                else np.zeros((0, dim), dtype=np.float32)
            )
            self._ml_matrix = (rows, pooled)
        return self._ml_matrix

    def language(self, id: str) -> str:
        """The language of an indexed profile ("en" unless recorded otherwise)."""
        return self.languages_.get(id, "en")

    def _language_rows(self, language: str) -> np.ndarray:
        """Rows of the profiles of one (non-English) language."""
        return np.array(
            sorted(self.positions_[i] for i, lang in self.languages_.items() if lang == language),
            dtype=np.int64,
        )

    def _put(self, row: int, p: Profile) -> None:
        # Weighed by the boilerplate model of the last full fit; a refit recomputes every row.
        weights = self.boilerplate_.unit_weights(p.text, p.embedding.spans)
        self.store_.put(
            row,
            id=p.id,
            text=p.text,
            areas=p.areas,
            naics=p.naics,
            pooled=weighted_pool(p.embedding, weights),
            units=p.embedding.units,
            spans=p.embedding.spans,
            weights=weights,
        )

    # -- incremental changes ----------------------------------------------------------------

    def upsert(self, profiles: Sequence[Profile]) -> MatchIndex:
        """Add profiles, or replace those whose id is indexed already, without refitting: the
        lexical weights of the changed texts use the fitted vocabulary and IDF."""
        ids = [p.id for p in profiles]
        if len(set(ids)) != len(ids):
            raise ValueError("profile ids must be unique")
        if not profiles:
            return self
        dims = {p.embedding.pooled.shape[0] for p in profiles}
        if not self.ids_:
            # An empty index takes the dimension of its first profiles.
            self.store_ = ProfileStore.empty(dims.pop() if len(dims) == 1 else 0)
            dims = {self.store_.dim}
        if dims != {self.store_.dim}:
            raise ValueError(f"profiles of dimension {sorted(dims)}, index is {self.store_.dim}")
        rows = []
        for p in profiles:
            row = self.positions_.get(p.id)
            if row is None:
                row = len(self.ids_)
                self.ids_.append(p.id)
                self.positions_[p.id] = row
            self._put(row, p)
            self._objects[p.id] = p
            rows.append(row)
        self._set_languages(profiles)
        self.lexical_.set_rows(rows, [p.text for p in profiles])
        self.structured_.set_rows(rows, [p.areas for p in profiles], [p.naics for p in profiles])
        return self

    def remove(self, ids: Collection[str]) -> MatchIndex:
        """Drop profiles (ids not indexed are ignored); the last row takes each freed row."""
        for pid in ids:
            row = self.positions_.pop(pid, None)
            if row is None:
                continue
            last = len(self.ids_) - 1
            if row != last:
                moved = self.ids_[last]
                self.store_.move(last, row)
                self.lexical_.move_row(last, row)
                self.structured_.move_row(last, row)
                self.ids_[row] = moved
                self.positions_[moved] = row
            self.ids_.pop()
            self.store_.truncate(last)
            self.lexical_.truncate(last)
            self.structured_.truncate(last)
            self._objects.pop(pid, None)
            self.languages_.pop(pid, None)
            self.multilingual_.pop(pid, None)
        self._ml_matrix = None
        return self

    # -- files --------------------------------------------------------------------------------

    def save(
        self,
        root: Path,
        *,
        extra: Mapping[str, np.ndarray] | None = None,
        meta: Mapping[str, Any] | None = None,
    ) -> str:
        """Publish the index as a new version under ``root`` (see ``matching.store``), with
        the caller's own arrays and metadata beside it; returns the version's name."""
        ml_ids = sorted(self.multilingual_)
        ml = [self.multilingual_[i] for i in ml_ids]
        dim = ml[0].dimension if ml else 0
        arrays = {
            **self.store_.compact_arrays(),
            **self.lexical_.arrays(),
            **self.structured_.arrays(),
            "ml.pooled": np.stack([e.pooled for e in ml]).astype(np.float32)
            if ml
            else np.zeros((0, dim), np.float32),
            "ml.units": np.concatenate([e.units for e in ml]).astype(np.float16)
            if ml
            else np.zeros((0, dim), np.float16),
            "ml.spans": np.array([s for e in ml for s in e.spans], dtype=np.int64).reshape(-1, 2),
            "ml.counts": np.array([len(e.units) for e in ml], dtype=np.int64),
            **{f"extra.{k}": v for k, v in (extra or {}).items()},
        }
        return publish(
            root,
            arrays,
            {
                "rows": len(self),
                "lexical": self.lexical_.settings(),
                "boilerplate": self.boilerplate_.settings(),
                "store_layout": STORE_LAYOUT,
                "languages": dict(self.languages_),
                "multilingual_ids": ml_ids,
                "missing_lexical": self.missing_lexical,
                "extra": dict(meta or {}),
            },
        )

    @classmethod
    def open(
        cls,
        root: Path,
        name: str | None = None,
        *,
        weights: FusionWeights = DEFAULT_WEIGHTS,
        lexical_method: LexicalMethod = "tfidf",
        verify: bool = True,
    ) -> tuple[MatchIndex, Version]:
        """The saved index (the current version unless ``name``) over memory-mapped arrays,
        and the version with the caller's arrays (``extra.*``) and metadata (``extra``)."""
        name = name or current_version(root)
        if name is None:
            raise StoreError(f"no index under {root}")
        version = open_version(root, name, verify=verify)
        meta = version.meta
        expected = LexicalScorer(method=lexical_method).settings()
        saved = dict(meta.get("lexical") or {})
        if meta.get("store_layout") != STORE_LAYOUT or {
            k: v for k, v in saved.items() if k != "avg_length"
        } != {k: v for k, v in expected.items() if k != "avg_length"}:
            raise StoreError(f"version {name} was saved with other settings")
        index = cls(weights=weights, lexical_method=lexical_method)
        try:
            index.store_ = ProfileStore.from_arrays(version.arrays, meta)
            n = index.store_.n
            index.ids_ = [index.store_.string("ids", i) for i in range(n)]
            index.positions_ = {pid: i for i, pid in enumerate(index.ids_)}
            index._objects = {}
            index.lexical_ = LexicalScorer.from_arrays(
                version.arrays, saved, index.store_.column("texts")
            )
            index.structured_ = StructuredIndex.from_arrays(version.arrays)
            index.boilerplate_ = BoilerplateModel.from_settings(meta["boilerplate"])
            index.languages_ = {str(k): str(v) for k, v in meta["languages"].items()}
            index.multilingual_ = _saved_multilingual(version.arrays, meta["multilingual_ids"])
            index._ml_matrix = None
        except (KeyError, ValueError, IndexError, UnicodeDecodeError, TypeError) as exc:
            raise StoreError(f"version {name}: {exc}") from exc
        if len(index.positions_) != n or index.lexical_.n_documents_ != n:
            raise StoreError(f"version {name}: rows do not agree")
        return index, version

    # -- reading --------------------------------------------------------------------------------

    @property
    def vectors_(self) -> np.ndarray:
        """Pooled vectors (n_profiles, dim), float32, in row order."""
        return self.store_.a["pooled"][: self.store_.n]

    @property
    def units_(self) -> np.ndarray:
        """Every stored passage (unit) vector (n_units, dim), float16; units whose
        ``unit_owner_`` is -1 belong to no profile any more (replaced or removed)."""
        return self.store_.a["units"][: self.store_.used["units"]]

    @property
    def unit_owner_(self) -> np.ndarray:
        """Row of the profile each unit belongs to, -1 for none."""
        return self.store_.a["owner"][: self.store_.used["units"]]

    @property
    def unit_weights_(self) -> np.ndarray:
        """A float32 weight per unit (1.0 unless set)."""
        return self.store_.a["weights"][: self.store_.used["units"]]

    @property
    def unit_start_(self) -> np.ndarray:
        """First unit of each profile (its units are ``unit_count_`` consecutive ones)."""
        return self.store_.a["unit_start"][: self.store_.n]

    @property
    def unit_count_(self) -> np.ndarray:
        """Number of units of each profile."""
        return self.store_.a["unit_count"][: self.store_.n]

    def reduce_units(
        self, values: np.ndarray, ufunc: np.ufunc = np.maximum, empty: float = 0.0
    ) -> np.ndarray:
        """Per-unit values (..., n_units) reduced over each profile's units with ``ufunc``:
        (..., n_profiles); ``empty`` for a profile without units."""
        rows, take, starts = self.store_.unit_runs()
        out = np.full((*values.shape[:-1], len(self)), empty, dtype=values.dtype)
        if len(rows):
            out[..., rows] = ufunc.reduceat(values[..., take], starts, axis=-1)
        return out

    def __len__(self) -> int:
        return len(self.ids_)

    def profile(self, id: str) -> Profile:
        """The indexed profile with this id (KeyError when absent)."""
        given = self._objects.get(id)
        if given is not None:
            return given
        row = self.positions_[id]
        store = self.store_
        units = store.unit_slice(row)
        spans = store.a["spans"][units]
        return Profile(
            id=id,
            text=store.string("texts", row),
            areas=store.string_set("areas", row),
            naics=store.string_set("naics", row),
            # Copies: the rows may move once the caller lets go of the index.
            embedding=DocumentEmbedding(
                pooled=np.array(store.a["pooled"][row], dtype=np.float32),
                units=np.array(store.a["units"][units], dtype=np.float16),
                spans=[(int(a), int(b)) for a, b in spans],
            ),
            language=self.language(id),
            multilingual=self.multilingual_.get(id),
        )

    def index_of(self, id: str) -> int:
        """Row of this profile in the index (KeyError when absent)."""
        return self.positions_[id]

    def unit_weights(self, id: str) -> np.ndarray:
        """Per passage of this profile, the share that is not boilerplate of the corpus."""
        return np.array(self.unit_weights_[self.store_.unit_slice(self.positions_[id])])

    def indexed_text(self, id: str) -> str | None:
        """The text this profile was indexed with, None when it is not indexed."""
        row = self.positions_.get(id)
        return None if row is None else self.store_.string("texts", row)

    def _components(
        self, queries: Sequence[Query], semantic: np.ndarray, lexical: np.ndarray
    ) -> dict[str, np.ndarray]:
        """Normalised components (n_queries, n_profiles) from raw semantic and lexical scores."""
        n = len(self.ids_)
        areas = np.zeros((len(queries), n), dtype=np.float32)
        naics = np.zeros((len(queries), n), dtype=np.float32)
        for i, q in enumerate(queries):
            if q.areas:
                areas[i] = self.structured_.area_scores(q.areas)
            if q.naics:
                naics[i] = self.structured_.naics_scores(q.naics)
        return {
            "semantic": normalise_semantic(semantic),
            "lexical": normalise_lexical(lexical),
            "areas": areas,
            "naics": naics,
        }

    def _fused(
        self,
        queries: Sequence[Query],
        components: dict[str, np.ndarray],
        *,
        with_lexical: bool = True,
    ) -> np.ndarray:
        """Fused scores per query; a query without areas or NAICS leaves that signal out, and
        ``with_lexical=False`` leaves lexical out for every query."""
        out = np.empty_like(components["semantic"])
        for i, q in enumerate(queries):
            row = {"semantic": components["semantic"][i]}
            if with_lexical:
                row["lexical"] = components["lexical"][i]
            if q.areas:
                row["areas"] = components["areas"][i]
            if q.naics:
                row["naics"] = components["naics"][i]
            out[i] = fuse(row, self.weights)
        return out

    def _semantic(self, queries: Sequence[Query], vectors: np.ndarray | None = None) -> np.ndarray:
        """Raw semantic similarity (n_queries, n_profiles), from one matrix product."""
        return semantic_blend(*self.semantic_parts(queries, vectors))

    def semantic_parts(
        self, queries: Sequence[Query], vectors: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Whole-document cosine and best query passage's cosine (n_queries, n_profiles) of
        each query to every profile (or to ``vectors``), the two halves of the semantic score."""
        pooled = np.stack([self._query_vector(x) for x in queries])
        units = [_distinctive_units(x) for x in queries]
        sizes = np.array([len(u) for u in units])
        stacked = np.concatenate([pooled, *[u for u in units if len(u)]])
        sims = stacked @ (self.vectors_ if vectors is None else vectors).T
        whole, per_unit = sims[: len(queries)], sims[len(queries) :]
        best = whole.copy()
        has_units = sizes > 0
        if has_units.any():
            starts = np.concatenate([[0], np.cumsum(sizes[has_units])[:-1]])
            best[has_units] = np.maximum.reduceat(per_unit, starts, axis=0)
        return whole, best

    def _score_batch(
        self, queries: Sequence[Query], *, raw: bool = False
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Fused scores and components for a batch of queries."""
        whole, best = self.semantic_parts(queries)
        semantic = semantic_blend(whole, best)
        lexical = self.lexical_.score_many([x.text for x in queries])
        cross = self._cross_lingual(queries, semantic, lexical)
        if cross is None:
            components = self._components(queries, semantic, lexical)
            fused = self._fused(queries, components)
        else:
            components, fused = self._cross_components(queries, semantic, lexical, cross)
            codes = np.where(cross, NO_LEXICAL, SAME_LANGUAGE).astype(np.float32)
            if self.missing_lexical == "glosses":
                glossed = np.array([q.language != "ja" for q in queries])[:, None]
                codes[cross & glossed] = GLOSSES
            components["cross_lingual"] = codes
        if raw:
            components["semantic_raw"] = semantic
            components["lexical_raw"] = lexical
            components["semantic_whole_raw"] = whole
            components["semantic_best_raw"] = best
        return fused, components

    def _cross_lingual(
        self, queries: Sequence[Query], semantic: np.ndarray, lexical: np.ndarray
    ) -> np.ndarray | None:
        """Where a query meets a profile of another language: the semantic score there is set
        from the multilingual vectors (calibrated to MiniLM's scale) and the raw lexical score
        to 0, in place; returns the mask of those pairs (None when there are none)."""
        if not self.languages_ and not self.multilingual_:
            return None
        n = len(self.ids_)
        japanese = np.zeros(n, dtype=bool)
        japanese[self._language_rows("ja")] = True
        bilingual = np.zeros(n, dtype=bool)
        bilingual[self._language_rows("en+ja")] = True
        rows, vectors = self._multilingual_rows()
        mask = np.zeros((len(queries), n), dtype=bool)
        with_ml = [i for i, q in enumerate(queries) if q.multilingual is not None]
        if len(rows) and with_ml:
            asking = [queries[i] for i in with_ml]
            whole, best = _parts(
                [_ml(q).pooled for q in asking], [_ml(q).units for q in asking], vectors
            )
            e5 = semantic_blend(whole, best)
            english = ~japanese & ~bilingual
            calibrated = np.empty_like(e5)
            for k, i in enumerate(with_ml):
                calibrated[k] = calibrate_by_reference(e5[k], semantic[i, english])
            for k, i in enumerate(with_ml):
                same = queries[i].language == "ja"
                for j, row in enumerate(rows):
                    if japanese[row]:
                        # Japanese profile: e5 speaks for it (MiniLM reads no Japanese).
                        semantic[i, row] = calibrated[k, j]
                    elif bilingual[row]:
                        semantic[i, row] = max(semantic[i, row], calibrated[k, j])
                    elif same:
                        semantic[i, row] = calibrated[k, j]
        for i, q in enumerate(queries):
            if q.language == "ja":
                mask[i] = ~japanese & ~bilingual
            else:
                mask[i] = japanese
        if not mask.any():
            return None
        lexical[mask] = 0.0
        if self.missing_lexical == "glosses":
            self._gloss_lexical(queries, lexical, mask)
        return mask

    def _gloss_lexical(
        self, queries: Sequence[Query], lexical: np.ndarray, mask: np.ndarray
    ) -> None:
        """Raw lexical scores of English queries against the English a Japanese profile
        carries by dictionary (its Latin-script words and loanword glosses), in place."""
        rows = self._language_rows("ja")
        english = [i for i, q in enumerate(queries) if q.language != "ja"]
        if not len(rows) or not english:
            return
        glosses = [english_glosses(self.store_.string("texts", int(r))) for r in rows]
        scores = self.lexical_.score_documents([queries[i].text for i in english], glosses)
        for k, i in enumerate(english):
            lexical[i, rows] = scores[k]

    def _cross_components(
        self,
        queries: Sequence[Query],
        semantic: np.ndarray,
        lexical: np.ndarray,
        cross: np.ndarray,
    ) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """Components and fused scores when some pairs have no lexical evidence: lexical
        statistics come from the other pairs, and the fused score of a pair without lexical
        evidence imputes it by rank or drops it (``missing_lexical``)."""
        components = self._components(queries, semantic, lexical)
        norm = components["lexical"]
        imputed = norm.copy()
        for i in range(len(queries)):
            own = ~cross[i]
            if own.any():
                norm[i] = normalise_lexical(lexical[i : i + 1], _statistics(lexical[i, own]))[0]
                norm[i, cross[i]] = 0.0
                imputed[i] = norm[i]
                imputed[i, cross[i]] = impute_by_rank(
                    components["semantic"][i, own],
                    norm[i, own],
                    components["semantic"][i, cross[i]],
                )
        if self.missing_lexical == "glosses":
            for i in range(len(queries)):
                own = ~cross[i]
                stats = _statistics(lexical[i, own]) if own.any() else None
                norm[i] = normalise_lexical(lexical[i : i + 1], stats)[0]
            fused = self._fused(queries, components)
        elif self.missing_lexical == "impute":
            fused = self._fused(queries, {**components, "lexical": imputed})
        else:
            fused = self._fused(queries, components)
            without = self._fused(queries, components, with_lexical=False)
            fused[cross] = without[cross]
        return components, fused

    def _lexical_statistics(
        self, queries: Sequence[Query]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Raw lexical scores of the queries against every profile, and their statistics."""
        raw = self.lexical_.score_many([q.text for q in queries])
        mean, std, varies = lexical_statistics(raw)
        return raw, mean, std, varies

    def score_pairs(self, queries: Sequence[Query], profile: Profile) -> list[ScoredCandidate]:
        """One profile's score for each query, the number ``rank(query)`` gives that profile.

        A pair has one score whichever side asks: the lexical score of a (solicitation,
        partner) pair is normalised over this index's profiles, so a company's matches are
        scored here, with each solicitation as the query, not in an index of solicitations.
        A profile not (yet) in the index is scored against the same statistics."""
        if not queries:
            return []
        row = self.positions_.get(profile.id, -1)
        known = row >= 0 and self.indexed_text(profile.id) == profile.text
        if self.languages_ or profile.language != "en":
            return self._score_pairs_languages(queries, profile, row if known else -1)
        if known:
            vector = self.vectors_[row : row + 1]
        else:
            weights = self.boilerplate_.unit_weights(profile.text, profile.embedding.spans)
            vector = weighted_pool(profile.embedding, weights)[None, :]
        out: list[ScoredCandidate] = []
        for start in range(0, len(queries), _BATCH):
            batch = queries[start : start + _BATCH]
            semantic = self._semantic(batch, vectors=vector)
            raw, mean, std, varies = self._lexical_statistics(batch)
            if known:
                lexical = raw[:, [row]]
            else:
                lexical = self.lexical_.score_documents([q.text for q in batch], [profile.text])
            components = {
                "semantic": normalise_semantic(semantic),
                "lexical": normalise_lexical(lexical, (mean, std, varies)),
                "areas": np.array(
                    [[area_overlap(q.areas, profile.areas)] for q in batch], dtype=np.float32
                ),
                "naics": np.array(
                    [[naics_overlap(q.naics, profile.naics)] for q in batch], dtype=np.float32
                ),
            }
            fused = self._fused(batch, components)
            for i, q in enumerate(batch):
                parts = {name: float(components[name][i, 0]) for name in COMPONENTS}
                out.append(ScoredCandidate(q.id, float(fused[i, 0]), parts))
        return out

    def _score_pairs_languages(
        self, queries: Sequence[Query], profile: Profile, row: int
    ) -> list[ScoredCandidate]:
        """score_pairs when languages differ somewhere: the profile's column of the full
        scores (statistics and imputation need every profile), the profile put in its row
        first when it is not indexed as it is."""
        out: list[ScoredCandidate] = []
        for start in range(0, len(queries), _BATCH):
            batch = queries[start : start + _BATCH]
            if row >= 0:
                fused, components = self._score_batch(batch)
                column = row
            else:
                fused, components, column = self._score_with(batch, profile)
            cross = components.get("cross_lingual")
            for i, q in enumerate(batch):
                parts = {name: float(components[name][i, column]) for name in COMPONENTS}
                code = float(cross[i, column]) if cross is not None else SAME_LANGUAGE
                out.append(_candidate(q.id, float(fused[i, column]), parts, code))
        return out

    def _score_with(
        self, queries: Sequence[Query], profile: Profile
    ) -> tuple[np.ndarray, dict[str, np.ndarray], int]:
        """Scores of the queries against every indexed profile plus ``profile`` (not indexed
        as it is) in an extra last column, computed as ``_score_batch`` computes a row's, the
        index left untouched (readers may hold it)."""
        fused, components = self._score_batch(queries, raw=True)
        n = len(self.ids_)
        cross = components.get("cross_lingual")
        own = cross == SAME_LANGUAGE if cross is not None else np.ones((len(queries), n), bool)
        weights = self.boilerplate_.unit_weights(profile.text, profile.embedding.spans)
        vector = weighted_pool(profile.embedding, weights)[None]
        semantic = self._semantic(queries, vectors=vector)
        lexical = self.lexical_.score_documents([q.text for q in queries], [profile.text])
        crossing = np.zeros((len(queries), 1), dtype=bool)
        codes = np.zeros((len(queries), 1), dtype=np.float32)
        for i, q in enumerate(queries):
            japanese = profile.language == "ja"
            crossing[i, 0] = japanese != (q.language == "ja") and profile.language != "en+ja"
            if profile.multilingual is not None and q.multilingual is not None:
                whole, best = _parts(
                    [q.multilingual.pooled],
                    [q.multilingual.units],
                    profile.multilingual.pooled[None],
                )
                english = own[i] if q.language != "ja" else ~own[i]
                e5 = calibrate_by_reference(
                    semantic_blend(whole, best)[0], components["semantic_raw"][i, english]
                )[0]
                semantic[i, 0] = e5 if japanese else max(float(semantic[i, 0]), float(e5))
            if crossing[i, 0]:
                lexical[i, 0] = 0.0
                codes[i, 0] = NO_LEXICAL
                if self.missing_lexical == "glosses" and japanese and q.language != "ja":
                    codes[i, 0] = GLOSSES
                    glosses = english_glosses(profile.text)
                    lexical[i, 0] = self.lexical_.score_documents([q.text], [glosses])[0, 0]
        column = {
            "semantic": normalise_semantic(semantic),
            "lexical": np.zeros((len(queries), 1), dtype=np.float32),
            "areas": np.array([[area_overlap(q.areas, profile.areas)] for q in queries], "f4"),
            "naics": np.array([[naics_overlap(q.naics, profile.naics)] for q in queries], "f4"),
        }
        imputed = column["lexical"].copy()
        for i in range(len(queries)):
            stats = _statistics(components["lexical_raw"][i, own[i]])
            value = normalise_lexical(lexical[i : i + 1], stats)[0, 0]
            if crossing[i, 0] and self.missing_lexical != "glosses":
                imputed[i, 0] = impute_by_rank(
                    components["semantic"][i, own[i]],
                    components["lexical"][i, own[i]],
                    column["semantic"][i],
                )[0]
            else:
                column["lexical"][i, 0] = imputed[i, 0] = value
        extra = self._fused(queries, {**column, "lexical": imputed})
        if self.missing_lexical == "renormalise":
            alone = self._fused(queries, column, with_lexical=False)
            extra = np.where(crossing, alone, extra)
        merged = {
            name: np.concatenate([components[name], column[name]], axis=1) for name in COMPONENTS
        }
        merged["cross_lingual"] = np.concatenate(
            [
                cross if cross is not None else np.zeros((len(queries), n), np.float32),
                codes,
            ],
            axis=1,
        )
        return np.concatenate([fused, extra], axis=1), merged, n

    def _query_vector(self, query: Query) -> np.ndarray:
        vector = weighted_pool(query.embedding, query.unit_weights)
        if vector.shape != (self.vectors_.shape[1],):
            raise ValueError(
                f"query {query.id!r} has shape {vector.shape}, index dimension is "
                f"{self.vectors_.shape[1]}"
            )
        return vector

    def _top(
        self,
        scores: np.ndarray,
        components: dict[str, np.ndarray],
        row: int,
        candidates: np.ndarray | None,
        limit: int | None,
    ) -> list[ScoredCandidate]:
        """Best candidates of one row, ties broken by index order for determinism."""
        pool = np.arange(len(scores)) if candidates is None else candidates
        values = scores[pool]
        if limit is not None and limit < len(pool):
            if limit <= 0:
                return []
            keep = np.argpartition(-values, limit - 1)[:limit]
            pool, values = pool[keep], values[keep]
        order = np.lexsort((pool, -values))
        cross = components.get("cross_lingual")
        out = []
        for j in pool[order]:
            parts = {name: float(components[name][row, j]) for name in COMPONENTS}
            code = float(cross[row, j]) if cross is not None else SAME_LANGUAGE
            out.append(_candidate(self.ids_[j], float(scores[j]), parts, code))
        return out

    def _allowed(self, allowed_ids: Collection[str] | None) -> np.ndarray | None:
        if allowed_ids is None:
            return None
        rows = {self.positions_[i] for i in allowed_ids if i in self.positions_}
        return np.array(sorted(rows), dtype=np.int64)

    def rank(
        self,
        query: Query,
        *,
        limit: int | None = None,
        allowed_ids: Collection[str] | None = None,
        allowed_rows: np.ndarray | None = None,
    ) -> list[ScoredCandidate]:
        """Rank profiles for one query, restricted to ``allowed_ids`` (or to the rows
        ``allowed_rows``, sorted) before truncation."""
        if not self.ids_:
            return []
        scores, components = self._score_batch([query])
        if allowed_rows is not None:
            candidates: np.ndarray | None = np.asarray(allowed_rows, dtype=np.int64)
        else:
            candidates = self._allowed(allowed_ids)
        return self._top(scores[0], components, 0, candidates, limit)

    def rank_above(
        self,
        query: Query,
        *,
        min_score: float,
        limit: int | None = None,
        allowed_rows: np.ndarray | None = None,
    ) -> tuple[list[ScoredCandidate], int]:
        """Rank the candidates scoring at least ``min_score`` (all rows, or ``allowed_rows``),
        and count those left out below it."""
        if not self.ids_:
            return [], 0
        scores, components = self._score_batch([query])
        candidates = (
            np.arange(len(self.ids_), dtype=np.int64)
            if allowed_rows is None
            else np.asarray(allowed_rows, dtype=np.int64)
        )
        keep = scores[0][candidates] >= min_score
        ranked = self._top(scores[0], components, 0, candidates[keep], limit)
        return ranked, int((~keep).sum())

    def rank_many(
        self,
        queries: Sequence[Query],
        *,
        limit: int | None = 10,
        allowed_ids: Collection[str] | None = None,
    ) -> list[list[ScoredCandidate]]:
        """Rank profiles for many queries with matrix-matrix products, in batches."""
        if not self.ids_:
            return [[] for _ in queries]
        allowed = self._allowed(allowed_ids)
        out: list[list[ScoredCandidate]] = []
        for start in range(0, len(queries), _BATCH):
            batch = queries[start : start + _BATCH]
            scores, components = self._score_batch(batch)
            for i in range(len(batch)):
                out.append(self._top(scores[i], components, i, allowed, limit))
        return out

    def scores(self, queries: Sequence[Query]) -> dict[str, np.ndarray]:
        """Fused, component and raw (``*_raw``) scores as (n_queries, n_profiles) arrays."""
        if not queries:
            return {"fused": np.zeros((0, len(self.ids_)), dtype=np.float32)}
        scores, components = self._score_batch(queries, raw=True)
        return {"fused": scores, **components}


def _distinctive_units(query: Query) -> np.ndarray:
    """The query passages that may be its best passage: those mostly free of boilerplate,
    or all of them when none is."""
    units = np.asarray(query.embedding.units, dtype=np.float32)
    weights = query.unit_weights
    if weights is None or len(weights) != len(units):
        return units
    keep = weights >= DISTINCTIVE
    return units[keep] if keep.any() else units


def _ml(query: Query) -> DocumentEmbedding:
    assert query.multilingual is not None
    return query.multilingual


def _parts(
    pooled: Sequence[np.ndarray], units: Sequence[np.ndarray], vectors: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Whole-document and best-passage cosines of queries (pooled vectors and passages) to
    ``vectors``."""
    whole = np.stack([np.asarray(p, dtype=np.float32) for p in pooled]) @ vectors.T
    best = whole.copy()
    for i, u in enumerate(units):
        if len(u):
            best[i] = (np.asarray(u, dtype=np.float32) @ vectors.T).max(axis=0)
    return whole, best


def _statistics(raw: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """lexical_statistics of one query's scores over some profiles, shaped for one row."""
    mean, std, varies = lexical_statistics(raw[None, :])
    return mean, std, varies


def _saved_multilingual(
    arrays: Mapping[str, np.ndarray], ids: Sequence[str]
) -> dict[str, DocumentEmbedding]:
    """The multilingual vectors saved with an index, by profile id."""
    pooled, units, spans, counts = (
        arrays["ml.pooled"],
        arrays["ml.units"],
        arrays["ml.spans"],
        arrays["ml.counts"],
    )
    out: dict[str, DocumentEmbedding] = {}
    start = 0
    for k, pid in enumerate(ids):
        n = int(counts[k])
        out[str(pid)] = DocumentEmbedding(
            pooled=np.array(pooled[k], dtype=np.float32),
            units=np.array(units[start : start + n], dtype=np.float16),
            spans=[(int(a), int(b)) for a, b in spans[start : start + n]],
        )
        start += n
    return out
