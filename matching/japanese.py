"""Japanese tokenising for lexical matching: MeCab (fugashi) with the UniDic dictionary.

Japanese has no spaces between words, so the English word pattern reads a whole Japanese clause
as one "word". The analyser here keeps content words only (nouns, verbs, adjectives, and
Latin-script words such as GaN or ISO written inside Japanese text), by their dictionary form,
and drops particles, auxiliaries, symbols and the generic verbs and nouns every company profile
uses (する, いる, 当社 ...). UniDic gives loanwords an English gloss in their lemma
(アンプ -> ``アンプ-amplifier``); the gloss is cut off here, so a Japanese term never poses as
the English word: an English text and a Japanese one share lexical evidence only through the
Latin-script words both really contain.
"""

from __future__ import annotations

import itertools
import re
import threading
from functools import lru_cache
from typing import Any

__all__ = ["JapaneseToken", "content_tokens", "english_glosses", "japanese_terms", "tagger"]

# Parts of speech (UniDic pos1/pos2) whose words carry content.
_CONTENT_POS = frozenset({"名詞", "動詞", "形容詞", "形状詞"})
_SKIP_POS2 = frozenset({"数詞", "非自立可能", "助数詞可能", "代名詞"})
# Lemmas every Japanese company profile uses without saying what the company does.
_STOP_LEMMAS = frozenset(
    """当社 弊社 同社 会社 株式 株式会社 有限会社 こと もの ため よう ところ 場合 等 など 以上 以下
    する 為る いる 居る ある 有る なる 成る できる 出来る おる 居る 行う 持つ 致す 頂く 下さる 申す
    用いる 含む 向け 様 方 際 上 中 内 可能 当 本 各 弊 御 お客様 顧客 提供 実施 対応""".split()  # noqa: SIM905
)
_LATIN = re.compile(r"^[0-9A-Za-z][0-9A-Za-z.+\-/]*$")

_local = threading.local()


def tagger() -> Any:
    """This thread's MeCab tagger (a tagger is not safe to share between threads)."""
    tagger = getattr(_local, "tagger", None)
    if tagger is None:
        import fugashi

        tagger = _local.tagger = fugashi.Tagger()
    return tagger


class JapaneseToken:
    """A content word: its dictionary form (lower-cased for Latin script) and its characters
    in the analysed text."""

    __slots__ = ("end", "lemma", "start", "surface")

    def __init__(self, lemma: str, surface: str, start: int, end: int) -> None:
        self.lemma = lemma
        self.surface = surface
        self.start = start
        self.end = end

    def __repr__(self) -> str:
        return f"JapaneseToken({self.lemma!r}, {self.start}, {self.end})"


def _lemma(word: Any) -> str:
    feature = word.feature
    lemma = getattr(feature, "lemma", None) or word.surface
    # UniDic's lemma of a loanword carries an English gloss after a hyphen: dropped.
    if "-" in lemma and not _LATIN.match(lemma):
        lemma = lemma.split("-", 1)[0]
    return str(lemma)


def content_tokens(text: str) -> list[JapaneseToken]:
    """Content words of a (Japanese) text with their character offsets, in order."""
    out: list[JapaneseToken] = []
    position = 0
    for word in tagger()(text):
        surface = word.surface
        start = text.find(surface, position)
        if start < 0:  # MeCab normalises nothing, but never lose the thread
            start = position
        end = start + len(surface)
        position = end
        feature = word.feature
        pos1, pos2 = feature.pos1, feature.pos2
        if _LATIN.match(surface):
            if len(surface) >= 2 and not surface.isdigit():
                out.append(JapaneseToken(surface.lower(), surface, start, end))
            continue
        if pos1 not in _CONTENT_POS or pos2 in _SKIP_POS2:
            continue
        lemma = _lemma(word)
        if lemma in _STOP_LEMMAS or (len(lemma) < 2 and pos1 != "名詞"):
            continue
        out.append(JapaneseToken(lemma, surface, start, end))
    return out


@lru_cache(maxsize=2048)
def japanese_terms(text: str, bigrams: bool = True) -> tuple[str, ...]:
    """Lexical terms of a Japanese text: content-word lemmas and, for adjacent content words
    (nothing but the words themselves between them), their pairs joined by a space, as the
    English analyser forms bigrams (窒化 ガリウム)."""
    tokens = content_tokens(text)
    terms = [t.lemma for t in tokens]
    if bigrams:
        terms += [f"{a.lemma} {b.lemma}" for a, b in itertools.pairwise(tokens) if a.end == b.start]
    return tuple(terms)


_GLOSS = re.compile(r"^[^-]+-([A-Za-z][A-Za-z .'/-]*)")


@lru_cache(maxsize=2048)
def english_glosses(text: str) -> str:
    """The English a Japanese text carries by dictionary: its Latin-script words (GaN, MMIC,
    ISO) as written and UniDic's English glosses of its loanwords (レーダー -> radar), in
    order, space-separated. Kanji words have no gloss and are absent: this is partial
    dictionary evidence, never a translation."""
    out: list[str] = []
    for word in tagger()(text):
        surface = word.surface
        if _LATIN.match(surface):
            out.append(surface)
            continue
        lemma = getattr(word.feature, "lemma", None) or ""
        match = _GLOSS.match(lemma)
        if match and word.feature.pos1 in _CONTENT_POS:
            out.append(match.group(1).strip())
    return " ".join(out)
