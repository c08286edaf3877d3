"""Explanations: which passages of a query and a profile match, and what they share.

Every quote names the field of the record it comes from and its offsets in that field
(:class:`matching.text.FieldSpan`), never the composed text the ranker reads. Passages are
chosen by similarity weighted by how distinctive each window is (see
:mod:`matching.boilerplate`), so that a solicitation's export-control paragraph and a partner's
compliance sentence explain a match only when nothing else does. Shared terms are those the
corpus makes informative: terms most documents contain, bare numbers, units and very short
tokens are left out, and multi-word terms come first.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from matching.boilerplate import BoilerplateModel
from matching.lexical import LexicalScorer
from matching.ranker import Profile, Query
from matching.structured import normalise_naics
from matching.text import FieldedText, FieldSpan

__all__ = [
    "BOILERPLATE_WEIGHT",
    "Explanation",
    "PassageMatch",
    "common_term_limit",
    "explain",
    "passage_similarities",
    "shared_terms",
]

_WORD = re.compile(r"(?u)\b\w\w+\b")
# A unit weighted below this is boilerplate: paired only when no distinctive pair exists.
BOILERPLATE_WEIGHT = 0.5
# A sentence half made of corpus-common words is not a quote's focus while another sentence
# is left (stricter than the ranker's 0.6: a focus is what an analyst reads first).
FOCUS_SHARE = 0.5
# A term in more than this share of a corpus's documents (and more than the minimum) is common.
COMMON_TERM_SHARE = 0.1
COMMON_TERM_MIN_DOCUMENTS = 3
# Shown terms are words and hyphenated compounds separated by spaces: a term the lexical
# scorer matched across punctuation ("krad(Si", "Si) total") or a line break is no phrase.
_PHRASE = re.compile(r"\w+(?:-\w+)*(?: \w+(?:-\w+)*)*")
# Units of measure: a shared unit says nothing about a shared capability.
_UNITS = frozenset(
    """hz khz mhz ghz thz kg mg mm cm nm um km kw mw gw kv mv ma db dbm dbi krad rad mbps gbps
    kbps psi kpa mpa gpa rpm""".split()  # noqa: SIM905 (a list of 30 words reads better so)
)
# Common in any English text without being stop words; a corpus of a few dozen documents is
# too small for its statistics to catch them all.
_GENERIC = frozenset(
    """able based class include includes included including new provide provides provided
    providing reach use used uses using year years month months day days work works well high
    low level type types make makes made""".split()  # noqa: SIM905
)


@dataclass
class PassageMatch:
    """A query passage and the profile passage most similar to it, quoted from their fields.

    A window that covers several fields or list elements (a run of keywords) is quoted by its
    piece sharing the most words with the other side. The focus of each side is its sentence
    sharing the most words with the other passage: what a reader should look at first.
    """

    query: FieldSpan
    profile: FieldSpan
    similarity: float
    query_focus: FieldSpan
    profile_focus: FieldSpan
    query_unit: int
    profile_unit: int


@dataclass
class Explanation:
    """Why a profile matched a query."""

    passages: list[PassageMatch]
    shared_terms: list[str]
    shared_areas: list[str]
    shared_naics: list[str]


def passage_similarities(query_units: np.ndarray, profile_units: np.ndarray) -> np.ndarray:
    """Cosine similarity (n_query_units, n_profile_units) of stored unit vectors."""
    if len(query_units) == 0 or len(profile_units) == 0:
        return np.zeros((len(query_units), len(profile_units)), dtype=np.float32)
    return np.asarray(query_units, dtype=np.float32) @ np.asarray(profile_units, np.float32).T


def _unit_weights(weights: np.ndarray | None, n: int, side: str) -> np.ndarray:
    """Validated per-unit weights, all 1 when none are given."""
    if weights is None:
        return np.ones(n, dtype=np.float32)
    out = np.asarray(weights, dtype=np.float32).reshape(-1)
    if len(out) != n:
        raise ValueError(f"{side}_unit_weights has {len(out)} values for {n} units")
    return np.clip(np.nan_to_num(out, nan=1.0), 0.0, 1.0)


def _pair_scores(
    sim: np.ndarray, query_weights: np.ndarray, profile_weights: np.ndarray
) -> np.ndarray:
    """What pairs are ranked by: similarity times both weights over the pairs of distinctive
    units (the others at -inf); plain similarity when every pair involves boilerplate."""
    distinctive = (query_weights[:, None] >= BOILERPLATE_WEIGHT) & (
        profile_weights[None, :] >= BOILERPLATE_WEIGHT
    )
    if not distinctive.any():
        return sim
    weighted = sim * query_weights[:, None] * profile_weights[None, :]
    return np.where(distinctive, weighted, -np.inf)


def _best_pairs(scores: np.ndarray, top: int) -> list[tuple[int, int]]:
    """Highest-scoring (query unit, profile unit) pairs, each query unit used at most once."""
    pairs: list[tuple[int, int]] = []
    used: set[int] = set()
    for flat in np.argsort(-scores, axis=None, kind="stable"):
        qi, pi = divmod(int(flat), scores.shape[1])
        if qi in used or scores[qi, pi] == -np.inf:
            continue
        pairs.append((qi, pi))
        used.add(qi)
        if len(pairs) >= top:
            break
    return pairs


def _content_words(text: str) -> set[str]:
    return {w.lower() for w in _WORD.findall(text)} - ENGLISH_STOP_WORDS


def _most_shared(candidates: list[FieldSpan], other: set[str]) -> FieldSpan:
    """The candidate sharing the most content words with ``other``; the first of equals."""
    best, best_overlap = candidates[0], -1
    for candidate in candidates:
        overlap = len(_content_words(candidate.text) & other)
        if overlap > best_overlap:
            best, best_overlap = candidate, overlap
    return best


def _quote(
    fields: FieldedText,
    span: tuple[int, int],
    other: str,
    boilerplate: BoilerplateModel | None = None,
) -> tuple[FieldSpan, FieldSpan] | None:
    """A window's quote and its focus sentence, or None when it holds no text of a field. The
    focus is never a boilerplate sentence of the window's corpus while another one is left."""
    pieces = fields.pieces(*span)
    if not pieces:
        return None
    other_words = _content_words(other)
    quote = _most_shared(pieces, other_words)
    sentences = fields.sentences(quote) or [quote]
    if boilerplate is not None:
        own = [s for s in sentences if not boilerplate.is_boilerplate(s.text, share=FOCUS_SHARE)]
        sentences = own or sentences
    return quote, _most_shared(sentences, other_words)


def common_term_limit(n_documents: int) -> float:
    """Document frequency above which a term is common in a corpus of this size."""
    return max(COMMON_TERM_MIN_DOCUMENTS, COMMON_TERM_SHARE * n_documents)


def _is_common(term: str, scorer: LexicalScorer | None) -> bool:
    if scorer is None:
        return False
    return scorer.document_frequency(term) > common_term_limit(scorer.n_documents_)


@lru_cache(maxsize=4096)
def _standalone_pattern(term: str) -> re.Pattern[str]:
    return re.compile(r"(?<![\w-])" + re.escape(term) + r"(?![\w-])", re.IGNORECASE)


def _standalone(term: str, text: str) -> bool:
    """Whether ``term`` occurs in ``text`` as whole words, not as part of a longer
    hyphenated compound ("Class" in "ESPA-class" is not the word "Class"), ignoring case."""
    return _standalone_pattern(term).search(text) is not None


def _says_something(term: str) -> bool:
    """Whether a term has a word that is not a number, a unit, a generic or very short word."""
    words = [w.lower() for w in re.split(r"[\s-]+", term) if w]
    return any(
        len(w) >= 3 and not w.isdigit() and w not in _UNITS and w not in _GENERIC for w in words
    )


def _informative(candidates: list[str], limit: int) -> list[str]:
    """Multi-word terms first, then words not already shown inside one, at most ``limit``."""
    phrases = [t for t in candidates if " " in t]
    shown = {w.lower() for t in phrases for w in re.split(r"[\s-]+", t)}
    words = [t for t in candidates if " " not in t and t.lower() not in shown]
    return (phrases + words)[:limit]


def _candidate_terms(query: str, profile: str, limit: int) -> list[str]:
    """Without a fitted scorer: shared content words, longest first (without corpus
    statistics, longer words are the better guess at informative ones)."""
    profile_words = {w.lower() for w in _WORD.findall(profile)}
    seen: set[str] = set()
    out: list[str] = []
    for word in _WORD.findall(query):
        key = word.lower()
        if key in seen or key in ENGLISH_STOP_WORDS or key not in profile_words:
            continue
        seen.add(key)
        out.append(word)
    return sorted(out, key=lambda w: (-len(w), w.lower()))[:limit]


def shared_terms(
    query: str,
    profile: str,
    *,
    lexical: LexicalScorer | None = None,
    profile_index: int | None = None,
    query_lexical: LexicalScorer | None = None,
    limit: int = 8,
) -> list[str]:
    """Informative terms both texts contain, strongest first.

    ``lexical`` is the scorer fitted on the profiles' corpus (``profile_index`` being this
    profile's row) and ``query_lexical`` optionally one fitted on the queries' corpus; a term
    common in either is left out.
    """
    if lexical is not None and profile_index is not None:
        # Ask for more than shown: the filters below drop many.
        candidates = lexical.shared_terms(query, profile_index, limit=3 * limit)
    else:
        candidates = _candidate_terms(query, profile, 3 * limit)
    kept = [
        t
        for t in candidates
        if _PHRASE.fullmatch(t)
        and _says_something(t)
        # Guards, too, against an index that does not point at this profile's text.
        and _standalone(t, query)
        and _standalone(t, profile)
        and not _is_common(t, lexical)
        and not _is_common(t, query_lexical)
    ]
    return _informative(kept, limit)


def _shared_naics(a: frozenset[str], b: frozenset[str]) -> list[str]:
    """Codes in both sets; failing that, the longest shared prefixes (2+ digits)."""
    ca, cb = normalise_naics(a), normalise_naics(b)
    exact = sorted(set(ca) & set(cb))
    if exact:
        return exact
    prefixes: set[str] = set()
    for x in ca:
        for y in cb:
            n = 0
            while n < min(len(x), len(y)) and x[n] == y[n]:
                n += 1
            if n >= 2:
                prefixes.add(x[:n])
    return sorted(prefixes)


# Embeds sentences in the multilingual space: (texts, "query" | "passage") -> unit rows.
SentenceVectors = Callable[[list[str], str], np.ndarray]


def _crosses(query: Query, profile: Profile) -> bool:
    """Whether the pair is explained in the multilingual space: a Japanese profile (or query)
    with multilingual vectors on both sides."""
    if query.multilingual is None or profile.multilingual is None:
        return False
    return profile.language == "ja" or query.language == "ja"


def _focus_across(
    fields: FieldedText,
    quote: FieldSpan,
    other: np.ndarray,
    kind: str,
    sentence_vectors: SentenceVectors | None,
) -> FieldSpan:
    """The sentence of ``quote`` closest to ``other`` (a vector of the other language's
    passage) in the multilingual space; its first sentence without a sentence encoder."""
    sentences = fields.sentences(quote) or [quote]
    if len(sentences) == 1 or sentence_vectors is None:
        return sentences[0]
    vectors = sentence_vectors([s.text for s in sentences], kind)
    return sentences[int(np.argmax(np.asarray(vectors, np.float32) @ other))]


def _explain_across(
    query: Query,
    profile: Profile,
    query_fields: FieldedText,
    profile_fields: FieldedText,
    *,
    top_passages: int,
    sentence_vectors: SentenceVectors | None,
) -> Explanation:
    """Passage pairs of a query and a profile in different languages, from their
    multilingual windows: the English need sentence beside the Japanese sentence (with its
    character span in its field) that say the same thing. No shared terms: words of two
    languages are not shared evidence."""
    assert query.multilingual is not None and profile.multilingual is not None
    q_ml, p_ml = query.multilingual, profile.multilingual
    sim = passage_similarities(q_ml.units, p_ml.units)
    passages = []
    if sim.size:
        for qi, pi in _best_pairs(sim, sim.shape[0]):
            q_piece = query_fields.locate(*q_ml.spans[qi])
            p_piece = profile_fields.locate(*p_ml.spans[pi])
            if q_piece is None or p_piece is None:
                continue
            q_vec = np.asarray(q_ml.units[qi], dtype=np.float32)
            p_vec = np.asarray(p_ml.units[pi], dtype=np.float32)
            passages.append(
                PassageMatch(
                    query=q_piece,
                    profile=p_piece,
                    similarity=float(sim[qi, pi]),
                    query_focus=_focus_across(
                        query_fields, q_piece, p_vec, "query", sentence_vectors
                    ),
                    profile_focus=_focus_across(
                        profile_fields, p_piece, q_vec, "passage", sentence_vectors
                    ),
                    query_unit=qi,
                    profile_unit=pi,
                )
            )
            if len(passages) >= top_passages:
                break
    return Explanation(
        passages=passages,
        shared_terms=[],
        shared_areas=sorted(query.areas & profile.areas),
        shared_naics=_shared_naics(query.naics, profile.naics),
    )


def explain(
    query: Query,
    profile: Profile,
    *,
    lexical: LexicalScorer | None = None,
    profile_index: int | None = None,
    query_lexical: LexicalScorer | None = None,
    query_fields: FieldedText | None = None,
    profile_fields: FieldedText | None = None,
    query_unit_weights: np.ndarray | None = None,
    profile_unit_weights: np.ndarray | None = None,
    query_boilerplate: BoilerplateModel | None = None,
    profile_boilerplate: BoilerplateModel | None = None,
    top_passages: int = 3,
    top_terms: int = 8,
    sentence_vectors: SentenceVectors | None = None,
) -> Explanation:
    """Explain a match by its best passage pairs, shared terms, areas and NAICS codes.

    ``query_fields`` and ``profile_fields`` are the records' fields whose composed text the
    query and profile were embedded from; without them a text is one field named ``text``.
    Boilerplate models (each fitted on its side's corpus) keep boilerplate sentences from
    being the focus of a quote. Unit weights in [0, 1] (1 distinctive, near 0 boilerplate)
    steer the choice of passages;
    the query's default to those it was weighed with (``matching.ranker.weigh_query``).
    """
    query_fields = query_fields or FieldedText.single(query.text)
    profile_fields = profile_fields or FieldedText.single(profile.text)
    if _crosses(query, profile):
        return _explain_across(
            query,
            profile,
            query_fields,
            profile_fields,
            top_passages=top_passages,
            sentence_vectors=sentence_vectors,
        )
    sim = passage_similarities(query.embedding.units, profile.embedding.units)
    if query_unit_weights is None:
        query_unit_weights = query.unit_weights
    q_weights = _unit_weights(query_unit_weights, sim.shape[0], "query")
    p_weights = _unit_weights(profile_unit_weights, sim.shape[1], "profile")
    passages = []
    if sim.size:
        scores = _pair_scores(sim, q_weights, p_weights)
        # Pairs whose window holds no field text (a stale span) are skipped, so ask for spares.
        for qi, pi in _best_pairs(scores, sim.shape[0]):
            q_span, p_span = query.embedding.spans[qi], profile.embedding.spans[pi]
            q_quote = _quote(query_fields, q_span, profile.text[slice(*p_span)], query_boilerplate)
            p_quote = _quote(
                profile_fields, p_span, query.text[slice(*q_span)], profile_boilerplate
            )
            if q_quote is None or p_quote is None:
                continue
            passages.append(
                PassageMatch(
                    query=q_quote[0],
                    profile=p_quote[0],
                    similarity=float(sim[qi, pi]),
                    query_focus=q_quote[1],
                    profile_focus=p_quote[1],
                    query_unit=qi,
                    profile_unit=pi,
                )
            )
            if len(passages) >= top_passages:
                break
    return Explanation(
        passages=passages,
        shared_terms=shared_terms(
            query.text,
            profile.text,
            lexical=lexical,
            profile_index=profile_index,
            query_lexical=query_lexical,
            limit=top_terms,
        ),
        shared_areas=sorted(query.areas & profile.areas),
        shared_naics=_shared_naics(query.naics, profile.naics),
    )
