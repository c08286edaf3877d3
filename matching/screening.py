"""Restricted-party screening: party names against listed names, offline.

Names are normalised (Unicode NFKC, case, punctuation, legal-form words in English, romanised
Japanese and Japanese script) and fuzzy-matched; the address country is a signal. A pure
library: it knows nothing of the database.

How a pair is scored (each name of a party against each name and alias of an entry):
- whole-name similarity: rapidfuzz's token_sort_ratio of the normalised names (reordered words,
  typos, spacing variants);
- containment: the shorter name's words found (fuzzily) in the longer name, weighted by how
  rare each word is among listed names, so "Hikvision" meets "Hangzhou Hikvision Digital
  Technology Co., Ltd." while "Digital Technology" alone meets nothing;
- the country: agreeing countries add COUNTRY_AGREEMENT_BONUS, disagreeing ones take off
  COUNTRY_DISAGREEMENT_PENALTY (small: a listed company's foreign branch is still a hit).
Only pairs that share a word key (a word, a word with one letter deleted, or two adjacent words
joined) are scored: that blocking keeps 10,000 parties against 30,000 entries to seconds."""

from __future__ import annotations

import itertools
import math
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

__all__ = [
    "COUNTRY_AGREEMENT_BONUS",
    "COUNTRY_DISAGREEMENT_PENALTY",
    "DEFAULT_THRESHOLD",
    "Hit",
    "ListedParty",
    "Party",
    "ScreeningIndex",
    "normalise",
    "pair_score",
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

_LEGAL_WORDS_TEXT = """
    co ltd limited inc incorporated corp corporation company companies llc llp plc lp gmbh mbh
    ag kg sa sas sarl srl spa bv nv ab oy pte pvt pty bhd sdn kk gk yk kaisha gaisha
    kabushikikaisha kabushikigaisha godokaisha godogaisha yugenkaisha yugengaisha ooo oao zao
    pao ao jsc ojsc cjsc pjsc fzco fze fzc the
"""
_LEGAL_WORDS = frozenset(_LEGAL_WORDS_TEXT.split())

# Dots and apostrophes join ("K.K." -> "kk", "Co." -> "co"); every other non-word character
# separates.
_JOINERS = re.compile(r"[.'’`´]")
_SEPARATORS = re.compile(r"[\W_]+")
_LATIN_MARKS = re.compile("[\u0300-\u036f]")
_CJK = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def normalise(name: str) -> str:
    """A name as compared: NFKC, case-folded, punctuation and legal-form words removed."""
    text = unicodedata.normalize("NFKC", name).casefold()
    # Accents off Latin letters only (Tōshiba -> toshiba); Japanese voicing marks stay.
    text = unicodedata.normalize("NFC", _LATIN_MARKS.sub("", unicodedata.normalize("NFD", text)))
    for form in _SCRIPT_LEGAL_FORMS:
        text = text.replace(form, " ")
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
        for phrase in _LEGAL_PHRASES:
            if tuple(words[position : position + len(phrase)]) == phrase:
                position += len(phrase)
                break
        else:
            if words[position] not in _LEGAL_WORDS:
                kept.append(words[position])
            position += 1
    return kept


def _word_keys(words: Sequence[str]) -> set[str]:
    """Blocking keys of a normalised name: words of 2+ characters, each word of 5+ letters
    with one letter deleted (a typo of one letter still shares a key), and adjacent words
    joined ("hik vision" meets "hikvision")."""
    keys: set[str] = set()
    for word in words:
        if _CJK.search(word):
            # Japanese script has no spaces: its character pairs are the keys.
            keys.update(word[i : i + 2] for i in range(max(1, len(word) - 1)))
            continue
        if len(word) >= 2:
            keys.add(word)
        if len(word) >= 5:
            keys.update(word[:i] + word[i + 1 :] for i in range(len(word)))
    keys.update(a + b for a, b in itertools.pairwise(words))
    return keys


def _word_similarity(a: str, b: str) -> float:
    """How well word `a` is found in word `b`, in [0, 1]; a Japanese-script word inside a
    longer one is found (東芝 in 東芝デバイス), the longer one only in part."""
    if a == b:
        return 1.0
    if _CJK.search(a) and _CJK.search(b):
        if len(a) >= 2 and a in b:
            return 1.0
        if len(b) >= 2 and b in a:
            return len(b) / len(a)
    if min(len(a), len(b)) < 4:
        return 0.0
    similarity = fuzz.ratio(a, b) / 100
    return similarity if similarity >= 0.8 else 0.0


def _containment(
    short_words: Sequence[str], long_words: Sequence[str], weight: dict[str, float], floor: float
) -> float:
    """How fully the shorter name's words are found in the longer name, each word weighted by
    its rarity; zero when what is found is too common or too short to identify anyone."""
    total = 0.0
    found = 0.0
    found_chars = 0
    for word in short_words:
        word_weight = weight.get(word, floor)
        total += word_weight
        best = max((_word_similarity(word, other) for other in long_words), default=0.0)
        if best:
            found += word_weight * best
            found_chars += len(word) * (3 if _CJK.search(word) else 1)
    if total == 0 or found < _MIN_DISTINCTIVE_WEIGHT or found_chars < 5:
        return 0.0
    return found / total


# A found word must be at least this rare (natural-log inverse document frequency over the
# listed names) for containment to count: words on more than ~2% of listed names don't.
_MIN_DISTINCTIVE_WEIGHT = math.log(50)
_BACKGROUND_NAMES = 1000
# Words that identify nobody whatever the list's size: places naming a branch ("Hikvision
# Japan" is Hikvision) and trade words. They weigh little.
_COMMON_WORDS_TEXT = """
    japan nippon nihon tokyo osaka nagoya yokohama kyoto kobe china chinese asia asian pacific
    america american usa us europe european international global holdings holding group
    hong kong hk shenzhen shanghai beijing taiwan korea singapore russia iran uae dubai
    and of for technology technologies tech digital electronic electronics electric industry
    industries industrial trading trade systems system engineering science sciences research
    institute manufacturing machinery materials equipment solutions services service
    development import export logistics precision instruments communication communications
    network networks software information defense defence aerospace aviation energy power
"""
_COMMON_WORDS = frozenset(_COMMON_WORDS_TEXT.split())
_COMMON_WEIGHT = 1.0
# Containment scores below whole-name equality: a name inside another is a lead, not a match.
_CONTAINMENT_CEILING = 0.92
_CONTAINMENT_BASE = 0.82
# A key on more listed names than this blocks nothing and is skipped (unless it is all a
# name has).
_MAX_KEY_POSTINGS = 2000


def pair_score(
    party_words: Sequence[str],
    entry_words: Sequence[str],
    weight: dict[str, float],
    floor: float,
) -> float:
    """The name score in [0, 1] of two normalised names (split into words)."""
    if not party_words or not entry_words:
        return 0.0
    whole = fuzz.token_sort_ratio(" ".join(party_words), " ".join(entry_words)) / 100
    if whole >= 1.0:
        return 1.0
    if len(party_words) <= len(entry_words):
        short, long = party_words, entry_words
    else:
        short, long = entry_words, party_words
    contained = _containment(short, long, weight, floor)
    if contained <= 0.0:
        return whole
    coverage = _containment(long, short, weight, floor) if contained >= 0.999 else 0.0
    partial = contained * (
        _CONTAINMENT_BASE + (_CONTAINMENT_CEILING - _CONTAINMENT_BASE) * coverage
    )
    return max(whole, partial)


@dataclass(frozen=True)
class _ListedName:
    entry: int
    alias: bool
    text: str
    words: tuple[str, ...]


class ScreeningIndex:
    """The entries of one or more lists, prepared for screening many parties fast."""

    def __init__(self, entries: Sequence[ListedParty]) -> None:
        self.entries_ = list(entries)
        self.names_: list[_ListedName] = []
        for position, entry in enumerate(self.entries_):
            seen: set[str] = set()
            for order, name in enumerate(entry.names):
                normalised = normalise(name)
                if not normalised or normalised in seen:
                    continue
                seen.add(normalised)
                self.names_.append(
                    _ListedName(position, order > 0, name, tuple(normalised.split()))
                )
        postings: defaultdict[str, list[int]] = defaultdict(list)
        document_frequency: defaultdict[str, int] = defaultdict(int)
        for index, listed in enumerate(self.names_):
            for key in _word_keys(listed.words):
                postings[key].append(index)
            for word in set(listed.words):
                document_frequency[word] += 1
        self.postings_ = {key: np.array(ids, dtype=np.int64) for key, ids in postings.items()}
        # Rarity is counted as if among _BACKGROUND_NAMES more names too, so a word of a
        # small list is not common merely because the list is short.
        count = len(self.names_) + _BACKGROUND_NAMES
        # A word never seen among listed names is as rare as can be.
        self.floor_ = math.log(count)
        self.weight_ = {
            word: math.log(count / (frequency + 1))
            for word, frequency in document_frequency.items()
        }
        for word in _COMMON_WORDS:
            self.weight_[word] = min(self.weight_.get(word, self.floor_), _COMMON_WEIGHT)
        self.sorted_texts_ = [" ".join(sorted(listed.words)) for listed in self.names_]

    def _candidates(self, words: Sequence[str]) -> np.ndarray:
        keys = [key for key in _word_keys(words) if key in self.postings_]
        if not keys:
            return np.empty(0, dtype=np.int64)
        selective = [key for key in keys if len(self.postings_[key]) <= _MAX_KEY_POSTINGS]
        if not selective:
            selective = [min(keys, key=lambda key: (len(self.postings_[key]), key))]
        return np.unique(np.concatenate([self.postings_[key] for key in selective]))

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
        """Every (party, entry) pair scoring at least `threshold`, best first per party."""
        hits: list[Hit] = []
        # Pairs whose name score cannot reach the threshold even with the country bonus are
        # not worth the containment check.
        name_floor = threshold - COUNTRY_AGREEMENT_BONUS
        for party in parties:
            best: dict[int, tuple[float, str, _ListedName]] = {}
            for party_name in party.names:
                normalised = normalise(party_name)
                if not normalised:
                    continue
                words = normalised.split()
                candidates = self._candidates(words)
                if not len(candidates):
                    continue
                query = " ".join(sorted(words))
                whole = process.cdist(
                    [query],
                    [self.sorted_texts_[i] for i in candidates],
                    scorer=fuzz.ratio,
                    dtype=np.float32,
                )[0]
                for candidate, whole_score in zip(candidates.tolist(), whole.tolist(), strict=True):
                    listed = self.names_[candidate]
                    if whole_score >= 100:
                        score = 1.0
                    else:
                        score = pair_score(words, listed.words, self.weight_, self.floor_)
                    if score < name_floor:
                        continue
                    previous = best.get(listed.entry)
                    if previous is None or score > previous[0]:
                        best[listed.entry] = (score, party_name, listed)
            party_hits = []
            for entry_position, (name_score, party_name, listed) in best.items():
                entry = self.entries_[entry_position]
                adjustment, agrees = self._country_adjustment(party, entry)
                score = round(min(1.0, max(0.0, name_score + adjustment)), 4)
                if score < threshold:
                    continue
                fields = ("alt_name" if listed.alias else "name",) + (
                    ("country",) if agrees else ()
                )
                party_hits.append(Hit(party.key, entry.key, score, party_name, listed.text, fields))
            party_hits.sort(key=lambda hit: (-hit.score, hit.entry_key, hit.entry_name))
            hits.extend(party_hits)
        return hits
