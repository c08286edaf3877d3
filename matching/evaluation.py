"""Offline evaluation on BEIR-layout data: lexical, dense, fused and RRF rankers side by side."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from matching.boilerplate import BoilerplateModel
from matching.cache import DocumentEncoder, EmbeddingCache, encode_documents_cached
from matching.crosslingual import MissingLexical
from matching.encoder import DocumentEmbedding, Encoder
from matching.fusion import DEFAULT_WEIGHTS, FusionWeights, rrf
from matching.language import detect_language, profile_language
from matching.learning import (
    LearnedRanker,
    feature_matrices,
    fit_ranker,
    judged_training_set,
    rerank_scores,
)
from matching.metrics import mrr_at_k, ndcg_at_k, recall_at_k
from matching.multilingual import MultilingualEncoder
from matching.ranker import MatchIndex, Profile, Query, weigh_query

__all__ = [
    "BeirDataset",
    "BeirRecord",
    "MethodResult",
    "ScoredDataset",
    "corpus_languages",
    "document_text",
    "evaluate",
    "load_beir",
    "plain_table",
    "render_side_by_side",
    "render_table",
    "reversed_dataset",
    "score_dataset",
    "train_on_judgements",
]


@dataclass(frozen=True)
class BeirRecord:
    """One corpus document or query."""

    id: str
    title: str
    text: str
    areas: frozenset[str] = frozenset()
    naics: frozenset[str] = frozenset()


@dataclass
class BeirDataset:
    """Corpus, queries and graded relevance judgements (qrels)."""

    corpus: list[BeirRecord]
    queries: list[BeirRecord]
    qrels: dict[str, dict[str, int]] = field(default_factory=dict)


@dataclass(frozen=True)
class MethodResult:
    """Mean metrics of one ranking method over the judged queries."""

    method: str
    ndcg: float
    recall: float
    mrr: float


def _jsonl(path: Path) -> Iterator[dict[str, object]]:
    with Path(path).open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def _strings(value: object) -> frozenset[str]:
    if isinstance(value, str):
        return frozenset({value}) if value else frozenset()
    if isinstance(value, list | tuple | set | frozenset):
        return frozenset(str(v) for v in value)
    return frozenset()


def _record(row: Mapping[str, object]) -> BeirRecord:
    meta = row.get("metadata")
    meta = meta if isinstance(meta, dict) else {}
    return BeirRecord(
        id=str(row["_id"]),
        title=str(row.get("title") or ""),
        text=str(row.get("text") or ""),
        areas=_strings(meta.get("technology_areas")),
        naics=_strings(meta.get("naics")),
    )


def load_beir(queries: Path, corpus: Path | Sequence[Path], qrels: Path) -> BeirDataset:
    """Read BEIR files: corpus and queries JSONL, qrels TSV with a header row. Several corpus
    files are read in order, a later document replacing an earlier one of the same id (in its
    place): a set of Japanese versions evaluated in place of the English ones."""
    judged: dict[str, dict[str, int]] = {}
    with Path(qrels).open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh, delimiter="\t"))
        if not rows:
            raise ValueError(f"{qrels} is empty")
        # The header is optional: skip it only when present.
        if rows[0] and rows[0][0].strip() == "query-id":
            rows = rows[1:]
        for row in rows:
            if len(row) < 3 or not row[0].strip():
                continue
            judged.setdefault(row[0].strip(), {})[row[1].strip()] = int(float(row[2]))
    documents: dict[str, BeirRecord] = {}
    for path in [corpus] if isinstance(corpus, str | Path) else corpus:
        for line in _jsonl(Path(path)):
            record = _record(line)
            earlier = documents.get(record.id)
            if earlier is not None and not (record.areas or record.naics):
                # A version in another language is the same company: its areas and NAICS
                # codes are the record's, not the text's.
                record = replace(record, areas=earlier.areas, naics=earlier.naics)
            documents[record.id] = record
    return BeirDataset(
        corpus=list(documents.values()),
        queries=[_record(r) for r in _jsonl(queries)],
        qrels=judged,
    )


def reversed_dataset(dataset: BeirDataset) -> BeirDataset:
    """The same judgements the other way round: documents as queries, queries as documents."""
    qrels: dict[str, dict[str, int]] = {}
    for query_id, judged in dataset.qrels.items():
        for doc_id, grade in judged.items():
            qrels.setdefault(doc_id, {})[query_id] = grade
    # A solicitation's title states the need: it stays in the text when it becomes the document
    # (the service's solicitation text starts with it too).
    corpus = [BeirRecord(q.id, "", document_text(q), q.areas, q.naics) for q in dataset.queries]
    return BeirDataset(corpus=corpus, queries=list(dataset.corpus), qrels=qrels)


def document_text(record: BeirRecord, *, with_title: bool = True) -> str:
    """The text ranked for a record: optionally its title as a first line, then its text."""
    if record.title and record.text and with_title:
        return f"{record.title}\n\n{record.text}"
    return record.text or record.title


def _embed(
    texts: Sequence[str], encoder: DocumentEncoder, cache: EmbeddingCache | None
) -> list[DocumentEmbedding]:
    embeddings, _ = encode_documents_cached(encoder, texts, cache, show_progress=True)
    return embeddings


def _top_k(scores: np.ndarray, ids: Sequence[str], k: int) -> list[str]:
    """Ids of the k best scores, ties broken by corpus order."""
    k = min(k, len(scores))
    part = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
    order = part[np.lexsort((part, -scores[part]))]
    return [ids[i] for i in order]


@dataclass(frozen=True)
class ScoredDataset:
    """A dataset ranked by the fused ranker: judged queries by profiles, every score matrix."""

    query_ids: list[str]
    doc_ids: list[str]
    scores: dict[str, np.ndarray]
    qrels: dict[str, dict[str, int]]

    def grades(self, *, unjudged: int = 0) -> np.ndarray:
        """Judged grade of every (query, document) pair; unjudged pairs are ``unjudged``."""
        out = np.full((len(self.query_ids), len(self.doc_ids)), unjudged, dtype=np.int64)
        column = {d: j for j, d in enumerate(self.doc_ids)}
        for i, q in enumerate(self.query_ids):
            for d, grade in self.qrels.get(q, {}).items():
                if d in column:
                    out[i, column[d]] = grade
        return out


def score_dataset(
    dataset: BeirDataset,
    *,
    encoder: Encoder,
    cache_dir: Path | None,
    weights: FusionWeights = DEFAULT_WEIGHTS,
    only_judged: bool = True,
    multilingual: MultilingualEncoder | None = None,
    missing_lexical: MissingLexical = "impute",
) -> ScoredDataset:
    """Score every judged query (every query unless `only_judged`) against every document
    with the fused ranker. Documents not in English get multilingual vectors (and the queries
    too, then) from ``multilingual``, loaded when needed."""
    cache = EmbeddingCache(cache_dir) if cache_dir is not None else None
    judged = [
        q
        for q in dataset.queries
        if not only_judged or any(r > 0 for r in dataset.qrels.get(q.id, {}).values())
    ]
    if not judged or not dataset.corpus:
        raise ValueError("nothing to evaluate: no judged query or an empty corpus")
    # A solicitation's title states the need; a corpus title is a company name, which carries
    # no capability and, prepended, pulls the first window's embedding off topic (eval-real,
    # dense nDCG@10: 0.234 without corpus titles, 0.199 with them).
    doc_texts = [document_text(r, with_title=False) for r in dataset.corpus]
    query_texts = [document_text(r) for r in judged]
    doc_emb = _embed(doc_texts, encoder, cache)
    query_emb = _embed(query_texts, encoder, cache)
    languages = [profile_language([t]) for t in doc_texts]
    foreign = [i for i, lang in enumerate(languages) if lang != "en"]
    doc_ml: dict[int, DocumentEmbedding] = {}
    query_ml: list[DocumentEmbedding | None] = [None] * len(judged)
    if foreign:
        multilingual = multilingual or MultilingualEncoder()
        found = _embed([doc_texts[i] for i in foreign], multilingual.side("passage"), cache)
        doc_ml = dict(zip(foreign, found, strict=True))
        query_ml = list(_embed(query_texts, multilingual.side("query"), cache))
    profiles = [
        Profile(r.id, t, r.areas, r.naics, e, languages[i], doc_ml.get(i))
        for i, (r, t, e) in enumerate(zip(dataset.corpus, doc_texts, doc_emb, strict=True))
    ]
    # Queries are weighed by the boilerplate of their own corpus, as the service does with its
    # solicitations.
    query_boilerplate = BoilerplateModel().fit(query_texts)
    queries = [
        weigh_query(
            Query(r.id, t, r.areas, r.naics, e, language=_language(t), multilingual=m),
            query_boilerplate,
        )
        for r, t, e, m in zip(judged, query_texts, query_emb, query_ml, strict=True)
    ]
    index = MatchIndex(weights=weights, missing_lexical=missing_lexical).fit(profiles)
    return ScoredDataset(
        query_ids=[q.id for q in queries],
        doc_ids=list(index.ids_),
        scores=index.scores(queries),
        qrels=dataset.qrels,
    )


def _language(text: str) -> str:
    return "ja" if detect_language(text) == "ja" else "en"


def train_on_judgements(
    dataset: BeirDataset,
    *,
    encoder: Encoder,
    cache_dir: Path | None,
    weights: FusionWeights = DEFAULT_WEIGHTS,
    seed: int = 0,
) -> LearnedRanker:
    """The learned re-ranker fitted on a judged set, its judgements taken as recorded
    outcomes (relevant = awarded, judged 0 = declined) and the unjudged documents of the
    default top 100 as negatives."""
    scored = score_dataset(dataset, encoder=encoder, cache_dir=cache_dir, weights=weights)
    data = judged_training_set(feature_matrices(scored.scores), scored.grades(unjudged=-1))
    model, _ = fit_ranker(data, seed=seed)
    return model


def evaluate(
    dataset: BeirDataset,
    *,
    encoder: Encoder,
    cache_dir: Path | None,
    weights: FusionWeights = DEFAULT_WEIGHTS,
    k: int = 10,
    learned: LearnedRanker | None = None,
    multilingual: MultilingualEncoder | None = None,
) -> list[MethodResult]:
    """nDCG, Recall and MRR at ``k`` for lexical, dense, fused and RRF rankings, and for the
    ``learned`` re-ranking of the fused one when given."""
    scored = score_dataset(
        dataset, encoder=encoder, cache_dir=cache_dir, weights=weights, multilingual=multilingual
    )
    scores = scored.scores
    rankings = {
        "lexical": scores["lexical_raw"],
        "dense": scores["semantic_raw"],
        "fused": scores["fused"],
        "rrf": rrf({"lexical": scores["lexical_raw"], "dense": scores["semantic_raw"]}),
    }
    if learned is not None:
        rankings["learned"] = rerank_scores(learned, feature_matrices(scores))
    results = []
    for method, matrix in rankings.items():
        ndcg, recall, mrr = [], [], []
        for row, query_id in zip(matrix, scored.query_ids, strict=True):
            ranked = _top_k(row, scored.doc_ids, k)
            rel = dataset.qrels[query_id]
            ndcg.append(ndcg_at_k(ranked, rel, k))
            recall.append(recall_at_k(ranked, rel, k))
            mrr.append(mrr_at_k(ranked, rel, k))
        results.append(
            MethodResult(method, float(np.mean(ndcg)), float(np.mean(recall)), float(np.mean(mrr)))
        )
    return results


def render_table(results: Sequence[MethodResult], *, k: int = 10) -> str:
    """Results as one aligned plain-text table."""
    header = ("method", f"nDCG@{k}", f"Recall@{k}", f"MRR@{k}")
    rows = [(r.method, f"{r.ndcg:.4f}", f"{r.recall:.4f}", f"{r.mrr:.4f}") for r in results]
    return plain_table(header, rows)


def corpus_languages(dataset: BeirDataset) -> str:
    """How many documents of each language a corpus holds, e.g. ``en 1284, ja 12``."""
    counts: dict[str, int] = {}
    for record in dataset.corpus:
        language = profile_language([document_text(record, with_title=False)])
        counts[language] = counts.get(language, 0) + 1
    return ", ".join(f"{lang} {n}" for lang, n in sorted(counts.items()))


def render_side_by_side(
    before: tuple[str, Sequence[MethodResult]],
    after: tuple[str, Sequence[MethodResult]],
    *,
    k: int = 10,
) -> str:
    """Two evaluations of the same queries (corpus languages, results) in one table, and the
    ratio of the second's nDCG to the first's."""
    header = ("method", "corpus", f"nDCG@{k}", f"Recall@{k}", f"MRR@{k}", "nDCG ratio")
    rows: list[tuple[str, ...]] = []
    first = {r.method: r for r in before[1]}
    for result in after[1]:
        base = first.get(result.method)
        for label, r in ((before[0], base), (after[0], result)):
            if r is None:
                continue
            ratio = f"{result.ndcg / base.ndcg:.2f}" if r is result and base and base.ndcg else ""
            rows.append(
                (r.method, label, f"{r.ndcg:.4f}", f"{r.recall:.4f}", f"{r.mrr:.4f}", ratio)
            )
    return plain_table(header, rows)


def plain_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Rows under a header as aligned plain text: first column left, the others right."""
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(
            str(cell).ljust(w) if i == 0 else str(cell).rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in [header, *rows]
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
