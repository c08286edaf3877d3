"""Restricted-party screening: party names against listed names, offline.

Names are normalised (Unicode NFKC, case, punctuation, legal-form words in English, romanised
Japanese and Japanese script) and fuzzy-matched; the address country is a signal. A pure
library: it knows nothing of the database."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = ["DEFAULT_THRESHOLD", "Hit", "ListedParty", "Party", "ScreeningIndex", "normalise"]

# The score from which a pair is a potential hit (to be set by measurement: bench/screening.py).
DEFAULT_THRESHOLD = 0.0


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


def normalise(name: str) -> str:
    """A name as compared: NFKC, case-folded, punctuation and legal-form words removed."""
    raise NotImplementedError


class ScreeningIndex:
    """The entries of one or more lists, prepared for screening many parties fast."""

    def __init__(self, entries: Sequence[ListedParty]) -> None:
        raise NotImplementedError

    def screen(
        self, parties: Iterable[Party], *, threshold: float = DEFAULT_THRESHOLD
    ) -> list[Hit]:
        """Every (party, entry) pair scoring at least `threshold`, best first per party."""
        raise NotImplementedError
