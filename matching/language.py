"""Which language a profile text is written in: English, Japanese, or both.

Japanese is recognised by its scripts (hiragana, katakana, kanji and their full-width forms);
a text counts as Japanese when they make up at least 30% of its letters, so an English
profile quoting a Japanese name stays English and a Japanese one full of Latin acronyms
(GaN, LiDAR, ISO 9001) stays Japanese.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Literal

__all__ = ["JAPANESE_SHARE", "Language", "ProfileLanguage", "detect_language", "profile_language"]

Language = Literal["en", "ja", ""]
ProfileLanguage = Literal["en", "ja", "en+ja"]

JAPANESE_SHARE = 0.3

# Kana, CJK ideographs (with extension A and compatibility forms) and half-width katakana.
_JAPANESE = re.compile(
    r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f々〆ヵヶ]"
)
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f\uff21-\uff3a\uff41-\uff5a]")


def detect_language(text: str) -> Language:
    """ "ja", "en" (any Latin-script text), or "" when the text has no letters at all."""
    japanese = len(_JAPANESE.findall(text))
    latin = len(_LATIN.findall(text))
    if japanese + latin == 0:
        return ""
    return "ja" if japanese / (japanese + latin) >= JAPANESE_SHARE else "en"


def profile_language(texts: Iterable[str]) -> ProfileLanguage:
    """The languages of a profile's texts together; a profile with no text reads as English."""
    found = {detect_language(t) for t in texts} - {""}
    if found == {"ja"}:
        return "ja"
    if "ja" in found:
        return "en+ja"
    return "en"
