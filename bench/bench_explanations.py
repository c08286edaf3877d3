"""How records are composed for the ranker, and what explanations show, on the demo set.

For the 30 demo solicitations against the 69 demo companies (judged in seed_data/eval), each
composition of a record's fields is encoded and ranked by the fused ranker:

- before: the former composition, ``"name. narrative Capabilities: k1; k2."`` and
  ``"title. description"``, windows free to cross fields;
- fielded, with name: name, narrative and keywords (title and description) as fields whose
  windows stop at field boundaries, quoted by field in explanations;
- after: the service's composition (app.companies.service.compose_profile_fields,
  app.solicitations.service.compose_need_fields): the same without the company name.

It prints nDCG@10 (fused, dense only, lexical only), then for the top 10 of every solicitation
the shared terms shown before (the lexical scorer's strongest terms on the joined text) and
after (matching.explain.shared_terms): how many, how many are common in the corpus (document
frequency above matching.explain.common_term_limit), how many are numbers, units or one or two
letters, and the seconds to explain all pairs.

    .venv/bin/python bench/bench_explanations.py
"""

import json
import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from app.companies.service import compose_profile_fields
from app.solicitations.service import compose_need_fields
from matching.encoder import Encoder
from matching.explain import common_term_limit, explain
from matching.metrics import ndcg_at_k
from matching.ranker import MatchIndex, Profile, Query
from matching.text import FieldedText

SEED = Path(__file__).resolve().parent.parent / "seed_data"
Record = dict[str, Any]


def joined_company(c: Record) -> str:
    keywords = "; ".join(c["keywords"])
    return f"{c['name']}. {c['narrative']}" + (f" Capabilities: {keywords}." if keywords else "")


def joined_need(s: Record) -> str:
    return f"{s['title']}. {s['description']}".strip()


def fielded_company(c: Record) -> FieldedText:
    return FieldedText(
        [("name", c["name"]), ("narrative", c["narrative"]), ("keywords", c["keywords"])]
    )


def service_company(c: Record) -> FieldedText:
    return compose_profile_fields(c["name"], c["narrative"], c["keywords"])


def service_need(s: Record) -> FieldedText:
    return compose_need_fields(s["title"], s["description"])


def load() -> tuple[list[Record], list[Record], dict[str, dict[str, int]]]:
    companies = json.loads((SEED / "companies.json").read_text())
    needs = json.loads((SEED / "solicitations.json").read_text())
    qrels: dict[str, dict[str, int]] = {}
    for line in (SEED / "eval" / "qrels.tsv").read_text().splitlines()[1:]:
        q, d, r = line.split("\t")
        qrels.setdefault(q, {})[d] = int(r)
    return companies, [s for s in needs if s["key"] in qrels], qrels


def build(
    encoder: Encoder,
    companies: list[Record],
    needs: list[Record],
    company_text: Callable[[Record], str | FieldedText],
    need_text: Callable[[Record], str | FieldedText],
) -> tuple[MatchIndex, list[Query], list[FieldedText], list[FieldedText]]:
    docs = [company_text(c) for c in companies]
    asks = [need_text(s) for s in needs]
    embedded = encoder.encode_documents([*docs, *asks])
    as_fields = [d if isinstance(d, FieldedText) else FieldedText.single(d) for d in docs + asks]
    profiles = [
        Profile(str(c["key"]), f.text, frozenset(c["technology_areas"]), frozenset(c["naics"]), e)
        for c, f, e in zip(companies, as_fields, embedded, strict=False)
    ]
    queries = [
        Query(str(s["key"]), f.text, frozenset(s["technology_areas"]), frozenset(s["naics"]), e)
        for s, f, e in zip(needs, as_fields[len(docs) :], embedded[len(docs) :], strict=True)
    ]
    return MatchIndex().fit(profiles), queries, as_fields[: len(docs)], as_fields[len(docs) :]


def ndcg(index: MatchIndex, queries: list[Query], qrels: dict[str, dict[str, int]]) -> str:
    scores = index.scores(queries)
    out = []
    for name in ("fused", "semantic_raw", "lexical_raw"):
        values = []
        for row, q in zip(scores[name], queries, strict=True):
            ranked = [index.ids_[i] for i in np.lexsort((np.arange(len(row)), -row))]
            values.append(ndcg_at_k(ranked, qrels[q.id], 10))
        out.append(f"{np.mean(values):.4f}")
    return " / ".join(out)


def term_report(label: str, lists: list[tuple[list[str], MatchIndex]], seconds: float) -> None:
    terms = [(t, index) for shown, index in lists for t in shown]
    limit = common_term_limit(len(lists[0][1]))
    common = sum(index.lexical_.document_frequency(t) > limit for t, index in terms)
    noise = sum(
        bool(re.fullmatch(r"[\d.,]+|\w{1,2}", t)) or t.lower() in {"khz", "mhz", "ghz", "krad"}
        for t, _ in terms
    )
    punct = sum(not re.fullmatch(r"[\w -]+", t) for t, _ in terms)
    print(
        f"  {label:<7} {len(terms) / len(lists):4.1f} terms a pair, common {common:3d}, "
        f"number/unit/short {noise:3d}, across punctuation {punct:3d}, "
        f"{seconds * 1000 / len(lists):.2f} ms a pair"
    )


def main() -> int:
    encoder = Encoder()
    companies, needs, qrels = load()
    print(f"demo set: {len(needs)} solicitations x {len(companies)} companies (shared machine)")
    print("nDCG@10 fused / dense only / lexical only")
    variants = {
        "before": (joined_company, joined_need),
        "fielded, with name": (fielded_company, service_need),
        "after": (service_company, service_need),
    }
    built = {}
    for label, (company_text, need_text) in variants.items():
        built[label] = build(encoder, companies, needs, company_text, need_text)
        index, queries, _, _ = built[label]
        print(f"  {label:<18} {ndcg(index, queries, qrels)}")

    print("shared terms, top 10 of every solicitation")
    index, queries, _, _ = built["before"]
    started, before = time.perf_counter(), []
    for q in queries:
        for hit in index.rank(q, limit=10):
            before.append((index.lexical_.shared_terms(q.text, index.index_of(hit.id)), index))
    term_report("before", before, time.perf_counter() - started)
    index, queries, docs, asks = built["after"]
    started, after = time.perf_counter(), []
    for q, ask in zip(queries, asks, strict=True):
        for hit in index.rank(q, limit=10):
            row = index.index_of(hit.id)
            found = explain(
                q,
                index.profile(hit.id),
                lexical=index.lexical_,
                profile_index=row,
                query_fields=ask,
                profile_fields=docs[row],
            )
            after.append((found.shared_terms, index))
    term_report("after", after, time.perf_counter() - started)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
