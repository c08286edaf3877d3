"""Restricted-party screening: party names against listed names, offline.

Names are normalised (Unicode NFKC, case, punctuation, legal-form words in English, romanised
Japanese and Japanese script) and fuzzy-matched; the address country is a signal. A pure
library: it knows nothing of the database.

How a pair of names is scored (each name of a party against each name and alias of an entry):
- words are compared as written and as a rough phonetic skeleton (kh/h, ee/i, ou/o, c/k,
  w/v, y/i, doubled consonants), so transliteration variants are equal; romanised Japanese
  trade words are compared in English (Seimitsu Kikai = Precision Machinery);
- two words of 5+ letters (one of them 6+) are alike within one edit in up to 9 letters, two
  from 10 (rapidfuzz OSA similarity >= 0.8); shorter words must be equal (Fuji is not Fujin);
- each word weighs its rarity among listed names (log inverse document frequency; places
  and trade words such as Japan, Technology, Trading, and any word on many listed names,
  weigh little), and the score is the weighted share of words found on both sides: reordered
  words and legal forms cost nothing, a different brand among the same city and trade words
  costs most of the score;
- containment: when every word of the shorter name is found in the longer one, and what was
  found is distinctive and no rarer word of the longer name was missed, the pair scores at
  least 0.82 to 0.92, so "Hikvision" meets "Hangzhou Hikvision Digital Technology Co., Ltd.";
- the country: agreeing countries add COUNTRY_AGREEMENT_BONUS, disagreeing ones take off
  COUNTRY_DISAGREEMENT_PENALTY (small: a listed company's foreign branch is still a hit).
Only pairs that share a blocking key (a distinctive word, its skeleton, it with one letter
deleted, its consonants, two adjacent words joined) are scored, all of a name's candidates at
once: 10,000 parties against 30,000 entries take seconds (bench/screening.py)."""

from __future__ import annotations

import functools
import itertools
import math
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import OSA

__all__ = [
    "COUNTRY_AGREEMENT_BONUS",
    "COUNTRY_DISAGREEMENT_PENALTY",
    "DEFAULT_THRESHOLD",
    "Hit",
    "ListedParty",
    "Party",
    "ScreeningIndex",
    "normalise",
]

# The score from which a pair is a potential hit (measured: bench/screening.py).
DEFAULT_THRESHOLD = 0.85
COUNTRY_AGREEMENT_BONUS = 0.03
COUNTRY_DISAGREEMENT_PENALTY = 0.03


@dataclass(frozen=True)
class ListedParty:
    """An entry of a screening list: its names (primary first, then aliases) and the ISO
    countries of its addresses."""

    key: str
    names: tuple[str, ...]
    countries: tuple[str, ...] = ()


@dataclass(frozen=True)
class Party:
    """A company to screen: its names (e.g. English and Japanese) and its country."""

    key: str
    names: tuple[str, ...]
    country: str | None = None


@dataclass(frozen=True)
class Hit:
    """A potential match: which names met, how well (score in [0, 1]), and what matched
    ("name" for the entry's primary name, "alt_name" for an alias, "country" when the
    countries agree)."""

    party_key: str
    entry_key: str
    score: float
    party_name: str
    entry_name: str
    matched_fields: tuple[str, ...]


# Legal forms written in Japanese (and Chinese) script, removed wherever they appear. NFKC has
# already turned ㈱ into (株) and full-width brackets into ASCII ones.
_SCRIPT_LEGAL_FORMS = sorted(
    [
        "株式会社",
        "有限会社",
        "合同会社",
        "合名会社",
        "合資会社",
        "相互会社",
        "一般社団法人",
        "一般財団法人",
        "公益社団法人",
        "公益財団法人",
        "特定非営利活動法人",
        "(株)",
        "(有)",
        "(合)",
        "(同)",
        "(名)",
        "(資)",
        "(財)",
        "(社)",
        "股份有限公司",
        "有限责任公司",
        "有限責任公司",
        "有限公司",
    ],
    key=len,
    reverse=True,
)

_SCRIPT_LEGAL_PATTERN = re.compile("|".join(re.escape(form) for form in _SCRIPT_LEGAL_FORMS))

# Legal-form phrases in romanised words (after punctuation is collapsed), longest first.
_LEGAL_PHRASES = sorted(
    (
        tuple(phrase.split())
        for phrase in [
            "kabushiki kaisha",
            "kabushiki gaisha",
            "godo kaisha",
            "godo gaisha",
            "yugen kaisha",
            "yugen gaisha",
            "gomei kaisha",
            "gomei gaisha",
            "goshi kaisha",
            "goshi gaisha",
            "sogo kaisha",
            "co ltd",
            "company limited",
            "limited liability company",
            "limited liability partnership",
            "limited company",
            "limited partnership",
            "public joint stock company",
            "closed joint stock company",
            "open joint stock company",
            "joint stock company",
            "public limited company",
            "private limited",
            "pte ltd",
            "pvt ltd",
            "pty ltd",
            "sdn bhd",
        ]
    ),
    key=len,
    reverse=True,
)

_LEGAL_PHRASES_BY_FIRST_WORD: dict[str, list[tuple[str, ...]]] = {}
for _phrase in _LEGAL_PHRASES:
    _LEGAL_PHRASES_BY_FIRST_WORD.setdefault(_phrase[0], []).append(_phrase)

_LEGAL_WORDS_TEXT = """
    co ltd limited inc incorporated corp corporation company companies llc llp plc lp gmbh mbh
    ag kg sa sas sarl srl spa bv nv ab oy pte pvt pty bhd sdn kk gk yk kaisha gaisha
    kabushikikaisha kabushikigaisha godokaisha godogaisha yugenkaisha yugengaisha ooo oao zao
    pao ao jsc ojsc cjsc pjsc fzco fze fzc the
"""
_LEGAL_WORDS = frozenset(_LEGAL_WORDS_TEXT.split())
# Long legal-form words, recognised through a typo when names are compared.
_LONG_LEGAL_WORDS = sorted(
    {"corporation", "incorporated", "limited", "company", "kabushiki", "kaisha", "gaisha"}
)

# Dots and apostrophes join ("K.K." -> "kk", "Co." -> "co"); every other non-word character
# separates.
_JOINERS = re.compile(r"[.'’`´]")
_SEPARATORS = re.compile(r"[\W_]+")
_LATIN_MARKS = re.compile("[\u0300-\u036f]")
_CJK = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def normalise(name: str) -> str:
    """A name as compared: NFKC, case-folded, punctuation and legal-form words removed."""
    text = unicodedata.normalize("NFKC", name).casefold()
    if not text.isascii():
        # Accents off Latin letters only (Tōshiba -> toshiba); Japanese voicing marks stay.
        text = _LATIN_MARKS.sub("", unicodedata.normalize("NFD", text))
        text = _SCRIPT_LEGAL_PATTERN.sub(" ", unicodedata.normalize("NFC", text))
    text = text.replace("&", " and ")
    text = _SEPARATORS.sub(" ", _JOINERS.sub("", text))
    words = text.split()
    kept = _drop_legal_forms(words)
    # A name that is nothing but legal-form words keeps them rather than vanish.
    return " ".join(kept or words)


def _drop_legal_forms(words: list[str]) -> list[str]:
    kept: list[str] = []
    position = 0
    while position < len(words):
        for phrase in _LEGAL_PHRASES_BY_FIRST_WORD.get(words[position], ()):
            if tuple(words[position : position + len(phrase)]) == phrase:
                position += len(phrase)
                break
        else:
            if words[position] not in _LEGAL_WORDS:
                kept.append(words[position])
            position += 1
    return kept


# Japanese trade words as their English forms and English variants as one form, so that
# "Tokai Seimitsu Kikai" meets "Tokai Precision Machinery" (compared forms only; `normalise`
# leaves words as written).
_WORD_FORMS: dict[str, tuple[str, ...]] = {
    "seimitsu": ("precision",),
    "kogyo": ("industry",),
    "sangyo": ("industry",),
    "jukogyo": ("heavy", "industry"),
    "denki": ("electric",),
    "denshi": ("electronic",),
    "kikai": ("machinery",),
    "kagaku": ("chemical",),
    "seisakusho": ("works",),
    "shoji": ("trading",),
    "boeki": ("trading",),
    "tsusho": ("trading",),
    "tsushin": ("communication",),
    "koki": ("machine", "tool"),
    "giken": ("engineering",),
    "gijutsu": ("technology",),
    "keiki": ("instrument",),
    "kogaku": ("optical",),
    "kenkyusho": ("laboratory",),
    "koku": ("aviation",),
    "uchu": ("space",),
    "industries": ("industry",),
    "industrial": ("industry",),
    "electronics": ("electronic",),
    "technologies": ("technology",),
    "instruments": ("instrument",),
    "systems": ("system",),
    "communications": ("communication",),
    "tools": ("tool",),
    "machines": ("machine",),
    "laboratories": ("laboratory",),
    "labs": ("laboratory",),
    "lab": ("laboratory",),
    "sciences": ("science",),
    "services": ("service",),
    "networks": ("network",),
    "holdings": ("holding",),
    "defence": ("defense",),
}

# Words that identify nobody whatever the list's size: places naming a branch ("Hikvision
# Japan" is Hikvision) and trade words. They weigh _COMMON_WEIGHT.
_COMMON_WORDS_TEXT = """
    japan nippon nihon tokyo osaka nagoya yokohama kyoto kobe china chinese asia asian pacific
    america american usa us europe european international global holding group hong kong hk
    taiwan korea singapore russia iran uae dubai and of for technology tech digital electronic
    electric industry trading trade system engineering science research institute
    manufacturing machinery machine materials material equipment solutions service development
    import export logistics precision instrument communication network software information
    defense aerospace aviation energy power works chemical optical tool laboratory space heavy
    new first general
"""
_COMMON_WORDS = frozenset(_COMMON_WORDS_TEXT.split())
_COMMON_WEIGHT = 1.0
# Rarity (natural-log inverse document frequency over the listed names) is counted as if
# among this many more names, so that a small list does not make every word common.
_BACKGROUND_NAMES = 1000
# A word at least this rare is distinctive: it is a blocking key, and containment must rest on
# one. Roughly: on fewer than 1 in 200 listed names.
_DISTINCTIVE_WEIGHT = math.log(200)
# A key on more listed names than this blocks nothing; it is skipped unless it is all a name has.
_MAX_KEY_POSTINGS = 500
# Two words are alike from this similarity on (1 - edits / length, an edit being a letter
# inserted, deleted, changed or two swapped: one typo in 5 to 9 letters, two from 10), as
# written or as skeletons, when they are long enough (below).
_WORD_SCORER = OSA.normalized_similarity
_WORD_CUTOFF = 0.8
_FUZZY_WORD_LENGTH = 6
# A word one letter shorter may still be a typo of a long word ("zagrs", "zagros").
_FUZZY_SHORTER_LENGTH = 5
# Fewer letters than this found in common (a Japanese-script character counts three) are too
# little evidence: unless the names are equal, the score stays below the threshold.
_MIN_EVIDENCE_LENGTH = 5
_SHORT_EVIDENCE_CEILING = 0.8
# From this many candidates on, a party name is scored against them all at once (numpy);
# below, word by word (same scores, less overhead).
_VECTORISED_FROM = 16
# Containment scores below equal names: a name inside another is a lead, not a match.
_CONTAINMENT_BASE = 0.82
_CONTAINMENT_CEILING = 0.92
_CONTAINMENT_COVERAGE = 0.9

# Romanisation variants written one way (Russian kh/h, Persian ee/i and -eh, Japanese long
# vowels ou/oh/oo, c/k, w/v, y/i), then doubled consonants made single.
_SKELETON_RULES = [
    (re.compile(r"kh|ckh"), "h"),
    (re.compile(r"ph"), "f"),
    (re.compile(r"ck|c(?!h)"), "k"),
    (re.compile(r"dzh|dj"), "j"),
    (re.compile(r"tz"), "ts"),
    (re.compile(r"w"), "v"),
    (re.compile(r"y"), "i"),
    (re.compile(r"ee"), "i"),
    (re.compile(r"(?<=[aeiou])h(?=[^aeiou]|$)"), ""),
    (re.compile(r"ou|oo"), "o"),
    (re.compile(r"uu"), "u"),
    (re.compile(r"au"), "ao"),
    (re.compile(r"([^aeiou])\1+"), r"\1"),
]


_VOWELS = re.compile("[aeiou]")


def _skeleton(word: str) -> str:
    """A Latin word as pronounced, roughly: transliteration variants share a skeleton."""
    if _CJK.search(word) or not word.isascii():
        return word
    for pattern, replacement in _SKELETON_RULES:
        word = pattern.sub(replacement, word)
    return word


@dataclass(frozen=True)
class _Name:
    """A name as compared: its words, their skeletons and their rarity."""

    text: str
    words: tuple[str, ...]
    skeletons: tuple[str, ...]
    weights: tuple[float, ...]
    total: float
    # (word, skeleton, length) for each word, then for each two adjacent words joined: what
    # the other name's words are looked for among.
    targets: tuple[tuple[str, str, int], ...]
    japanese_script: bool


def _comparable_words(normalised: str) -> tuple[str, ...]:
    return tuple(form for word in normalised.split() for form in _comparable_word(word))


@functools.cache
def _skeleton_tables() -> tuple[frozenset[str], dict[str, tuple[str, ...]]]:
    return (
        frozenset(_skeleton(word) for word in _LONG_LEGAL_WORDS),
        {_skeleton(word): forms for word, forms in _WORD_FORMS.items()},
    )


@functools.lru_cache(maxsize=65536)
def _comparable_word(word: str) -> tuple[str, ...]:
    """A word as compared: its English form, nothing for a misspelt legal form ("Corporatoin"),
    or itself."""
    if word in _WORD_FORMS:
        return _WORD_FORMS[word]
    # Another romanisation of a legal form or trade word ("Corporateeon", "Industreeal").
    legal_skeletons, forms_by_skeleton = _skeleton_tables()
    skeleton = _skeleton(word)
    if skeleton in legal_skeletons:
        return ()
    if skeleton in forms_by_skeleton:
        return forms_by_skeleton[skeleton]
    if len(word) >= _FUZZY_SHORTER_LENGTH and word.isascii():
        # One edit away only: "cooperation" is two from "corporation".
        legal = process.extractOne(word, _LONG_LEGAL_WORDS, scorer=OSA.distance, score_cutoff=1)
        if legal is not None:
            return ()
        form = process.extractOne(word, _WORD_FORMS.keys(), scorer=OSA.distance, score_cutoff=1)
        if form is not None:
            return _WORD_FORMS[form[0]]
    return (word,)


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))} if len(word) >= 5 else set()


@functools.lru_cache(maxsize=65536)
def _word_keys(word: str, skeleton: str, distinctive: bool) -> frozenset[str]:
    """The blocking keys of one word (see ScreeningIndex._keys)."""
    if _CJK.search(word):
        return frozenset(_cjk_pairs(word))
    keys = {skeleton}
    if distinctive:
        keys.add(word)
        if len(word) >= _FUZZY_SHORTER_LENGTH:
            keys |= _deletions(word)
    consonants = _VOWELS.sub("", skeleton)
    if len(consonants) >= 4:
        # Vowels vary most between romanisations (Weichuangyao, Weeechuangyao) and typos of
        # common words meet them here.
        keys.add("#" + consonants)
    return frozenset(keys)


def _cjk_pairs(word: str) -> set[str]:
    # Japanese script has no spaces: its character pairs are the keys.
    return {word[i : i + 2] for i in range(max(1, len(word) - 1))}


def _script_similarity(a: str, b: str) -> float:
    """How well Japanese-script word `a` is found in `b`: inside it (東芝 in 東芝デバイス), or
    holding it only in part."""
    if len(a) >= 2 and a in b:
        return 1.0
    if len(b) >= 2 and b in a:
        return len(b) / len(a)
    return 0.0


def _may_be_typo(length: int, other_length: int) -> bool:
    """Whether words of these lengths (0 for Japanese script) are compared fuzzily."""
    return min(length, other_length) >= _FUZZY_SHORTER_LENGTH and (
        max(length, other_length) >= _FUZZY_WORD_LENGTH
    )


def _found(x: _Name, y: _Name) -> list[float]:
    """For each word of x, how well it is found among the words of y, in [0, 1]: equal, equal
    as pronounced, within a typo or two (both words of 6+ letters: short words differ by a
    letter too often to tell a typo from another name), or split ("hang zhou" is found as
    "hangzhou")."""
    found = []
    script = x.japanese_script and y.japanese_script
    for word, skeleton, length in x.targets[: len(x.words)]:
        best = 0.0
        for other, other_skeleton, other_length in y.targets:
            if word == other or skeleton == other_skeleton:
                best = 1.0
                break
            if _may_be_typo(length, other_length):
                similarity = max(
                    OSA.normalized_similarity(word, other, score_cutoff=_WORD_CUTOFF),
                    OSA.normalized_similarity(skeleton, other_skeleton, score_cutoff=_WORD_CUTOFF),
                )
                best = max(best, similarity)
            elif script and _CJK.search(word) and _CJK.search(other):
                best = max(best, _script_similarity(word, other))
        found.append(best)
    joins = x.targets[len(x.words) :]
    if joins:
        own = set(y.skeletons)
        for i, (_, joined, _) in enumerate(joins):
            if joined in own:
                found[i] = found[i + 1] = 1.0
    return found


def _found_length(word: str) -> int:
    """A word's length as evidence: a Japanese-script character says as much as three letters."""
    return len(word) * (3 if _CJK.search(word) else 1)


def _name_score(x: _Name, y: _Name) -> float:
    """The score of two names in [0, 1]: the rarity-weighted share of words found on both
    sides, or, when one name is found whole inside the other, a containment score."""
    if x.skeletons == y.skeletons:
        return 1.0
    found_x = _found(x, y)
    found_y = _found(y, x)
    matched_x = sum(w * s for w, s in zip(x.weights, found_x, strict=True))
    matched_y = sum(w * s for w, s in zip(y.weights, found_y, strict=True))
    score = (matched_x + matched_y) / (x.total + y.total)
    evidence = min(
        sum(_found_length(word) for word, s in zip(x.words, found_x, strict=True) if s > 0),
        sum(_found_length(word) for word, s in zip(y.words, found_y, strict=True) if s > 0),
    )
    if evidence < _MIN_EVIDENCE_LENGTH and score < 1.0:
        # "Arc Systems" beside a listed "ARC": too few letters agree to name anyone.
        score = min(score, _SHORT_EVIDENCE_CEILING)
    if x.total <= y.total:
        short, found_short, matched_short, long, found_long, matched_long = (
            x,
            found_x,
            matched_x,
            y,
            found_y,
            matched_y,
        )
    else:
        short, found_short, matched_short, long, found_long, matched_long = (
            y,
            found_y,
            matched_y,
            x,
            found_x,
            matched_x,
        )
    coverage = matched_short / short.total
    if coverage < _CONTAINMENT_COVERAGE:
        return score
    # What is found must be distinctive and long enough to name a company, and the longer
    # name must hold no word as rare or rarer that went unfound ("Asahi Kogyo" is not
    # "Riseta Asahi Kogyo").
    strongest = max(w for w, s in zip(short.weights, found_short, strict=True) if s > 0)
    found_chars = sum(
        _found_length(word) for word, s in zip(short.words, found_short, strict=True) if s > 0
    )
    unfound = [w for w, s in zip(long.weights, found_long, strict=True) if s == 0]
    if (
        strongest < _DISTINCTIVE_WEIGHT
        or found_chars < _MIN_EVIDENCE_LENGTH
        or max(unfound, default=0) >= strongest
    ):
        return score
    contained = coverage * (
        _CONTAINMENT_BASE + (_CONTAINMENT_CEILING - _CONTAINMENT_BASE) * matched_long / long.total
    )
    return max(score, contained)


@dataclass(frozen=True)
class _ListedName:
    entry: int
    alias: bool
    name: _Name


class ScreeningIndex:
    """The entries of one or more lists, prepared for screening many parties fast."""

    def __init__(self, entries: Sequence[ListedParty]) -> None:
        self.entries_ = list(entries)
        prepared: list[tuple[int, bool, str, tuple[str, ...]]] = []
        for position, entry in enumerate(self.entries_):
            seen: set[tuple[str, ...]] = set()
            for order, text in enumerate(entry.names):
                words = _comparable_words(normalise(text))
                if words and words not in seen:
                    seen.add(words)
                    prepared.append((position, order > 0, text, words))
        document_frequency: defaultdict[str, int] = defaultdict(int)
        for *_, words in prepared:
            for word in set(words):
                document_frequency[word] += 1
        count = len(prepared) + _BACKGROUND_NAMES
        # A word never seen among listed names is as rare as can be.
        self.floor_ = math.log(count)
        self.weight_ = {
            word: math.log(count / (frequency + 1))
            for word, frequency in document_frequency.items()
        }
        for word in _COMMON_WORDS:
            self.weight_[word] = min(self.weight_.get(word, self.floor_), _COMMON_WEIGHT)
        self.skeleton_: dict[str, str] = {}
        self.names_ = [
            _ListedName(position, alias, self._name(text, words))
            for position, alias, text, words in prepared
        ]
        postings: defaultdict[str, list[int]] = defaultdict(list)
        for index, listed in enumerate(self.names_):
            for key in self._keys(listed.name, indexing=True):
                postings[key].append(index)
        self.postings_ = {key: np.array(ids, dtype=np.int64) for key, ids in postings.items()}
        self._tabulate()

    def _tabulate(self) -> None:
        """The listed names as padded arrays of vocabulary ids, weights and lengths, so that a
        party name is scored against all its candidates at once."""
        vocabulary: dict[tuple[str, str], int] = {}

        def word_id(target: tuple[str, str, int]) -> int:
            return vocabulary.setdefault((target[0], target[1]), len(vocabulary))

        width = max((len(listed.name.words) for listed in self.names_), default=1)
        join_width = max(width - 1, 1)
        word_rows: list[list[int]] = []
        join_rows: list[list[int]] = []
        weight_rows: list[list[float]] = []
        length_rows: list[list[int]] = []
        lengths: dict[int, int] = {}
        for listed in self.names_:
            name = listed.name
            size = len(name.words)
            identifiers = []
            for target in name.targets:
                identifier = word_id(target)
                lengths[identifier] = target[2]
                identifiers.append(identifier)
            word_rows.append(identifiers[:size] + [-1] * (width - size))
            join_rows.append(identifiers[size:] + [-1] * (join_width - size + 1))
            weight_rows.append([*name.weights, *([0.0] * (width - size))])
            length_rows.append([_found_length(word) for word in name.words] + [0] * (width - size))
        shape = (len(self.names_), width)
        self.word_ids_ = np.array(word_rows, dtype=np.int64).reshape(shape)
        self.join_ids_ = np.array(join_rows, dtype=np.int64).reshape(len(self.names_), join_width)
        self.weights_ = np.array(weight_rows, dtype=float).reshape(shape)
        self.lengths_ = np.array(length_rows, dtype=float).reshape(shape)
        self.totals_ = np.array([listed.name.total for listed in self.names_], dtype=float)
        self.script_ = np.array([listed.name.japanese_script for listed in self.names_], dtype=bool)
        self.vocabulary_words_ = [word for word, _ in vocabulary]
        self.vocabulary_skeletons_ = [skeleton for _, skeleton in vocabulary]
        self.vocabulary_lengths_ = np.array([lengths[i] for i in range(len(vocabulary))])

    def _scores(self, name: _Name, candidates: np.ndarray) -> np.ndarray:
        """The name scores of `name` against the listed names `candidates`: `_name_score`,
        computed for all of them at once."""
        size = len(name.words)
        word_ids = self.word_ids_[candidates]
        join_ids = self.join_ids_[candidates]
        ids = np.concatenate([word_ids.ravel(), join_ids.ravel()])
        vocabulary = np.unique(ids[ids >= 0])
        # Similarity of each of the name's words and joined pairs (rows) to each word of the
        # candidates (columns), with a last column of zeros for padding.
        rows = [target[0] for target in name.targets]
        row_skeletons = [target[1] for target in name.targets]
        columns = [self.vocabulary_words_[i] for i in vocabulary.tolist()]
        column_skeletons = [self.vocabulary_skeletons_[i] for i in vocabulary.tolist()]
        similarity = np.maximum(
            process.cdist(rows, columns, scorer=_WORD_SCORER, score_cutoff=_WORD_CUTOFF),
            process.cdist(
                row_skeletons, column_skeletons, scorer=_WORD_SCORER, score_cutoff=_WORD_CUTOFF
            ),
        )
        row_lengths = np.array([target[2] for target in name.targets])[:, None]
        column_lengths = self.vocabulary_lengths_[vocabulary][None, :]
        fuzzy = (np.minimum(row_lengths, column_lengths) >= _FUZZY_SHORTER_LENGTH) & (
            np.maximum(row_lengths, column_lengths) >= _FUZZY_WORD_LENGTH
        )
        similarity = np.where(fuzzy | (similarity >= 1.0), similarity, 0.0)
        similarity = np.hstack([similarity, np.zeros((len(rows), 1))])
        word_columns = np.where(word_ids >= 0, np.searchsorted(vocabulary, word_ids), -1)
        join_columns = np.where(join_ids >= 0, np.searchsorted(vocabulary, join_ids), -1)
        # found_x: each of the name's words in each candidate (words or joined pairs).
        own = similarity[:size]
        found_x = np.maximum(own[:, word_columns].max(axis=2), own[:, join_columns].max(axis=2)).T
        if size > 1:
            joined_found = (similarity[size:][:, word_columns] >= 1.0).any(axis=2).T
            found_x[:, :-1] = np.where(joined_found, 1.0, found_x[:, :-1])
            found_x[:, 1:] = np.where(joined_found, 1.0, found_x[:, 1:])
        # found_y: each candidate's words in the name (its words or joined pairs).
        found_y = similarity[:, word_columns].max(axis=0)
        if join_ids.shape[1]:
            split_found = (own[:, join_columns] >= 1.0).any(axis=0) & (join_ids >= 0)
            found_y[:, :-1] = np.where(split_found, 1.0, found_y[:, :-1])
            found_y[:, 1:] = np.where(split_found, 1.0, found_y[:, 1:])
            found_y = np.where(word_ids >= 0, found_y, 0.0)
        weights_x = np.array(name.weights)
        weights_y = self.weights_[candidates]
        total_x = name.total
        total_y = self.totals_[candidates]
        matched_x = found_x @ weights_x
        matched_y = (found_y * weights_y).sum(axis=1)
        scores = (matched_x + matched_y) / (total_x + total_y)
        # Containment, as in _name_score.
        lengths_x = np.array([_found_length(word) for word in name.words], dtype=float)
        strongest_x = ((found_x > 0) * weights_x).max(axis=1)
        strongest_y = ((found_y > 0) * weights_y).max(axis=1)
        chars_x = ((found_x > 0) * lengths_x).sum(axis=1)
        chars_y = ((found_y > 0) * self.lengths_[candidates]).sum(axis=1)
        unfound_x = ((found_x == 0) * weights_x).max(axis=1)
        unfound_y = ((found_y == 0) * weights_y).max(axis=1)
        x_short = total_x <= total_y
        coverage = np.where(x_short, matched_x / total_x, matched_y / total_y)
        long_coverage = np.where(x_short, matched_y / total_y, matched_x / total_x)
        strongest = np.where(x_short, strongest_x, strongest_y)
        contained = (
            (coverage >= _CONTAINMENT_COVERAGE)
            & (strongest >= _DISTINCTIVE_WEIGHT)
            & (np.where(x_short, chars_x, chars_y) >= _MIN_EVIDENCE_LENGTH)
            & (np.where(x_short, unfound_y, unfound_x) < strongest)
        )
        containment = coverage * (
            _CONTAINMENT_BASE + (_CONTAINMENT_CEILING - _CONTAINMENT_BASE) * long_coverage
        )
        scores = np.where(contained, np.maximum(scores, containment), scores)
        short_evidence = (np.minimum(chars_x, chars_y) < _MIN_EVIDENCE_LENGTH) & (scores < 1.0)
        scores = np.where(short_evidence, np.minimum(scores, _SHORT_EVIDENCE_CEILING), scores)
        if name.japanese_script:
            # Japanese-script words are found inside longer ones: the word-by-word path.
            for position in np.flatnonzero(self.script_[candidates]).tolist():
                listed = self.names_[int(candidates[position])].name
                scores[position] = _name_score(name, listed)
        return scores

    def _name(self, text: str, words: tuple[str, ...]) -> _Name:
        skeletons = []
        for word in words:
            skeleton = self.skeleton_.get(word)
            if skeleton is None:
                skeleton = self.skeleton_[word] = _skeleton(word)
            skeletons.append(skeleton)
        weights = tuple(self.weight_.get(word, self.floor_) for word in words)
        script = bool(_CJK.search("".join(words)))
        # Japanese-script words have length 0 here: they are never compared fuzzily.
        singles = [
            (word, skeleton, 0 if script and _CJK.search(word) else len(word))
            for word, skeleton in zip(words, skeletons, strict=True)
        ]
        joins = [
            (a + b, c + d, 0 if not (n and m) else n + m)
            for (a, c, n), (b, d, m) in itertools.pairwise(singles)
        ]
        return _Name(
            text, words, tuple(skeletons), weights, sum(weights), tuple(singles + joins), script
        )

    def _keys(self, name: _Name, *, indexing: bool) -> set[str]:
        """Blocking keys: distinctive words and their skeletons, each long word with one
        letter deleted (a typo still shares a key), skeletons without vowels, and adjacent
        words joined. Listed names are also filed under their common words, which a party with
        nothing distinctive looks up."""
        keys: set[str] = set()
        for word, skeleton, weight in zip(name.words, name.skeletons, name.weights, strict=True):
            distinctive = weight >= _DISTINCTIVE_WEIGHT
            if distinctive or indexing or (name.japanese_script and _CJK.search(word)):
                keys |= _word_keys(word, skeleton, distinctive)
        keys.update(a + b for a, b in itertools.pairwise(name.skeletons))
        return keys

    def _candidates(self, name: _Name) -> np.ndarray:
        """The listed names sharing a selective key with `name`; failing any, those holding
        its two rarest words (a typo in a name's only rare word, among common ones), or its
        one word when that is all it has."""
        keys = sorted(key for key in self._keys(name, indexing=False) if key in self.postings_)
        selective = [key for key in keys if len(self.postings_[key]) <= _MAX_KEY_POSTINGS]
        if selective:
            return np.unique(np.concatenate([self.postings_[key] for key in selective]))
        pool = sorted(
            set(keys) | {s for s in name.skeletons if s in self.postings_},
            key=lambda key: (len(self.postings_[key]), key),
        )
        if len(pool) >= 2:
            return np.intersect1d(self.postings_[pool[0]], self.postings_[pool[1]])
        if pool and max(name.weights) < _DISTINCTIVE_WEIGHT:
            return self.postings_[pool[0]]
        return np.empty(0, dtype=np.int64)

    def _country_adjustment(self, party: Party, entry: ListedParty) -> tuple[float, bool]:
        if not party.country or not entry.countries:
            return 0.0, False
        country = party.country.strip().upper()
        if country in {c.strip().upper() for c in entry.countries}:
            return COUNTRY_AGREEMENT_BONUS, True
        return -COUNTRY_DISAGREEMENT_PENALTY, False

    def screen(
        self, parties: Iterable[Party], *, threshold: float = DEFAULT_THRESHOLD
    ) -> list[Hit]:
        """Every (party, entry) pair scoring at least `threshold`, best first per party.

        Only pairs sharing a blocking key are scored, so a pair with nothing distinctive in
        common is never returned, whatever the threshold."""
        if not 0.0 <= threshold <= 1.0:
            raise ValueError(f"threshold must be between 0 and 1, not {threshold}")
        hits: list[Hit] = []
        # A name score that cannot reach the threshold even with the country bonus is dropped.
        # (Less half the last digit kept: scores are rounded to 4 places.)
        name_floor = threshold - COUNTRY_AGREEMENT_BONUS - 0.00005
        for party in parties:
            best: dict[int, tuple[float, str, _ListedName]] = {}
            for party_text in party.names:
                words = _comparable_words(normalise(party_text))
                if not words:
                    continue
                name = self._name(party_text, words)
                candidates = self._candidates(name)
                if not len(candidates):
                    continue
                if len(candidates) > _VECTORISED_FROM:
                    scores = self._scores(name, candidates)
                else:
                    scores = np.array(
                        [_name_score(name, self.names_[i].name) for i in candidates.tolist()]
                    )
                kept = np.flatnonzero(scores >= name_floor)
                for candidate, score in zip(
                    candidates[kept].tolist(), scores[kept].tolist(), strict=True
                ):
                    listed = self.names_[candidate]
                    previous = best.get(listed.entry)
                    if previous is None or score > previous[0]:
                        best[listed.entry] = (score, party_text, listed)
            party_hits = []
            for entry_position, (name_score, party_text, listed) in best.items():
                entry = self.entries_[entry_position]
                adjustment, agrees = self._country_adjustment(party, entry)
                score = round(min(1.0, max(0.0, name_score + adjustment)), 4)
                if score < threshold:
                    continue
                fields = ("alt_name" if listed.alias else "name",) + (
                    ("country",) if agrees else ()
                )
                party_hits.append(
                    Hit(party.key, entry.key, score, party_text, listed.name.text, fields)
                )
            party_hits.sort(key=lambda hit: (-hit.score, hit.entry_key, hit.entry_name))
            hits.extend(party_hits)
        return hits
