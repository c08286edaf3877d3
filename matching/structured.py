"""Structured features: technology-area overlap and hierarchical NAICS overlap.

``area_overlap`` is the cosine (Ochiai) coefficient of the two sets: 1.0 for equal sets, and a
profile that lists every area gets less credit than one that lists exactly the areas asked for.

``naics_overlap`` credits each code by the longest prefix it shares with any code on the other
side (6 digits 1.0, 5 digits 0.8, 4 digits 0.6, 3 digits 0.35, 2 digits 0.15) and averages the
best credit of each side over the other side (a symmetric best-match average).

``StructuredIndex`` computes both features for one query against many profiles at once, with
array operations over integer codes instead of a Python loop over profiles.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

import numpy as np

from matching.store import TermTable

__all__ = [
    "NAICS_PREFIX_CREDIT",
    "StructuredIndex",
    "area_overlap",
    "naics_credit",
    "naics_overlap",
    "normalise_naics",
]

# Credit for sharing a prefix of this many digits: sector (2), subsector (3), industry group (4),
# NAICS industry (5), national industry (6).
NAICS_PREFIX_CREDIT: dict[int, float] = {6: 1.0, 5: 0.8, 4: 0.6, 3: 0.35, 2: 0.15}


# Distinct query code sets whose NAICS scores are kept (a few hundred KiB at 10,000 profiles).
NAICS_KEPT = 64


def area_overlap(a: Collection[str], b: Collection[str]) -> float:
    """Cosine overlap |a & b| / sqrt(|a| |b|) of two area sets, in [0, 1]."""
    sa, sb = set(a), set(b)
    if not sa or not sb:
        return 0.0
    return len(sa & sb) / float(np.sqrt(len(sa) * len(sb)))


def normalise_naics(codes: Collection[str]) -> list[str]:
    """Keep the digits of each code; drop codes that are not 2 to 6 digits long."""
    out = []
    for code in codes:
        digits = "".join(c for c in str(code) if c.isdigit())
        if 2 <= len(digits) <= 6:
            out.append(digits)
    return sorted(set(out))


def naics_credit(a: str, b: str) -> float:
    """Credit for two single codes by the length of their common prefix."""
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return NAICS_PREFIX_CREDIT.get(min(n, 6), 0.0)


def naics_overlap(a: Collection[str], b: Collection[str]) -> float:
    """Symmetric best-match NAICS overlap of two code sets, in [0, 1]."""
    ca, cb = normalise_naics(a), normalise_naics(b)
    if not ca or not cb:
        return 0.0
    credit = np.array([[naics_credit(x, y) for y in cb] for x in ca])
    return float(0.5 * (credit.max(axis=1).mean() + credit.max(axis=0).mean()))


class StructuredIndex:
    """Area and NAICS overlap of one query against every fitted profile, vectorised.

    Each profile's areas and NAICS codes are kept as small integer codes in two padded
    (n_profiles, width) arrays (-1 = no code), so a profile is changed, moved or dropped in
    place and a query is a few array operations over all profiles."""

    def fit(
        self, areas: Sequence[Collection[str]], naics: Sequence[Collection[str]]
    ) -> StructuredIndex:
        """Encode the profiles' areas and NAICS codes."""
        if len(areas) != len(naics):
            raise ValueError("areas and naics must have one entry per profile")
        self.area_vocab_: dict[str, int] = {}
        self.code_vocab_: dict[str, int] = {}
        self.codes_: list[str] = []
        self._prefixes: dict[int, np.ndarray] | None = None
        self.n_profiles_ = 0
        self.areas_ = np.full((0, 1), -1, dtype=np.int32)
        self.naics_ = np.full((0, 1), -1, dtype=np.int32)
        self.set_rows(list(range(len(areas))), areas, naics)
        return self

    def _encode_areas(self, areas: Collection[str]) -> list[int]:
        return [self.area_vocab_.setdefault(a, len(self.area_vocab_)) for a in sorted(set(areas))]

    def _encode_naics(self, codes: Collection[str]) -> list[int]:
        out = []
        for code in normalise_naics(codes):
            if code not in self.code_vocab_:
                self.code_vocab_[code] = len(self.codes_)
                self.codes_.append(code)
                self._prefixes = None
            out.append(self.code_vocab_[code])
        return out

    @staticmethod
    def _put(table: np.ndarray, row: int, values: list[int]) -> np.ndarray:
        if len(values) > table.shape[1]:
            wider = np.full((table.shape[0], len(values)), -1, dtype=table.dtype)
            wider[:, : table.shape[1]] = table
            table = wider
        table[row] = -1
        table[row, : len(values)] = values
        return table

    def set_rows(
        self,
        rows: Sequence[int],
        areas: Sequence[Collection[str]],
        naics: Sequence[Collection[str]],
    ) -> None:
        """Encode the profiles at ``rows`` (``rows`` may end with appended rows, in order)."""
        needed = max([self.n_profiles_, *(r + 1 for r in rows)])
        for name in ("areas_", "naics_"):
            table = getattr(self, name)
            if needed > len(table):
                bigger = np.full((max(needed, 2 * len(table)), table.shape[1]), -1, np.int32)
                bigger[: len(table)] = table
                setattr(self, name, bigger)
        for row, row_areas, row_naics in zip(rows, areas, naics, strict=True):
            if row > self.n_profiles_:
                raise IndexError(f"row {row} is past the end ({self.n_profiles_})")
            self.n_profiles_ = max(self.n_profiles_, row + 1)
            self.areas_ = self._put(self.areas_, row, self._encode_areas(row_areas))
            self.naics_ = self._put(self.naics_, row, self._encode_naics(row_naics))
        self._forget_naics()

    def move_row(self, src: int, dst: int) -> None:
        """Put the profile at ``src`` at ``dst`` (dropping what was there)."""
        self.areas_[dst] = self.areas_[src]
        self.naics_[dst] = self.naics_[src]
        self._forget_naics()

    def truncate(self, n: int) -> None:
        """Drop the profiles from row ``n`` on."""
        self.areas_[n : self.n_profiles_] = -1
        self.naics_[n : self.n_profiles_] = -1
        self.n_profiles_ = min(self.n_profiles_, n)
        self._forget_naics()

    def _forget_naics(self) -> None:
        """Drop the kept NAICS scores: a profile changed."""
        self.__dict__.pop("_naics_kept", None)

    def area_scores(self, query_areas: Collection[str]) -> np.ndarray:
        """``area_overlap(query_areas, profile.areas)`` for every profile."""
        q = set(query_areas)
        idx = [self.area_vocab_[a] for a in q if a in self.area_vocab_]
        if not q or not idx:
            return np.zeros(self.n_profiles_, dtype=np.float32)
        codes = self.areas_[: self.n_profiles_]
        shared = np.isin(codes, idx).sum(axis=1)
        denom = np.sqrt((codes >= 0).sum(axis=1) * len(q))
        return np.divide(
            shared, denom, out=np.zeros(len(codes), dtype=np.float64), where=denom > 0
        ).astype(np.float32)

    def _credit(self, query: list[str]) -> np.ndarray:
        """``naics_credit(code, q)`` for every known code and query code: (n_codes, n_query)."""
        if self._prefixes is None:
            # Each code's prefix of every credited length as an integer (-1 when shorter).
            self._prefixes = {
                length: np.array(
                    [int(c[:length]) if len(c) >= length else -1 for c in self.codes_],
                    dtype=np.int64,
                )
                for length in NAICS_PREFIX_CREDIT
            }
        prefixes = self._prefixes
        credit = np.zeros((len(self.codes_), len(query)))
        for length, value in NAICS_PREFIX_CREDIT.items():
            mine = prefixes[length]
            for j, code in enumerate(query):
                if len(code) >= length:
                    hit = mine == int(code[:length])
                    credit[hit, j] = np.maximum(credit[hit, j], value)
        return credit

    def naics_scores(self, query_naics: Collection[str]) -> np.ndarray:
        """``naics_overlap(query_naics, profile.naics)`` for every profile. Kept per set of
        query codes until a profile changes: many needs share their codes (541715, R&D), and
        scoring hundreds of them against every profile at once would recompute the same row."""
        q = normalise_naics(query_naics)
        if not q or not self.codes_:
            return np.zeros(self.n_profiles_, dtype=np.float32)
        kept: dict[tuple[str, ...], np.ndarray] = self.__dict__.setdefault("_naics_kept", {})
        key = tuple(sorted(q))
        found = kept.get(key)
        if found is None:
            if len(kept) >= NAICS_KEPT:
                kept.clear()
            found = kept[key] = self._naics_scores(q)
        return found.copy()

    def _naics_scores(self, q: list[str]) -> np.ndarray:
        # A last row of zeros: the padding code -1 picks it.
        credit = np.vstack([self._credit(q), np.zeros((1, len(q)))])
        codes = self.naics_[: self.n_profiles_]
        counts = (codes >= 0).sum(axis=1)
        # Credit of each profile code against each query code: (n_profiles, width, n_query).
        per_code = credit[codes]
        query_side = per_code.max(axis=1).mean(axis=1)
        best_per_code = per_code.max(axis=2).sum(axis=1)
        profile_side = np.divide(best_per_code, counts, out=np.zeros(len(codes)), where=counts > 0)
        score = 0.5 * (query_side + profile_side)
        return np.where(counts > 0, score, 0.0).astype(np.float32)

    def arrays(self) -> dict[str, np.ndarray]:
        """The encoded profiles and vocabularies as named arrays, for saving."""
        n = self.n_profiles_
        return {
            "structured.areas": self.areas_[:n],
            "structured.naics": self.naics_[:n],
            **TermTable.build(list(self.area_vocab_)).arrays("structured.area_vocab"),
            **TermTable.build(self.codes_).arrays("structured.codes"),
        }

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray]) -> StructuredIndex:
        """An index over saved arrays (copied: they are small, and change in place)."""
        index = cls()
        areas = TermTable.from_arrays(arrays, "structured.area_vocab")
        codes = TermTable.from_arrays(arrays, "structured.codes")
        index.area_vocab_ = {areas[i]: i for i in range(len(areas))}
        index.codes_ = [codes[i] for i in range(len(codes))]
        index.code_vocab_ = {c: i for i, c in enumerate(index.codes_)}
        index.areas_ = np.array(arrays["structured.areas"], dtype=np.int32)
        index.naics_ = np.array(arrays["structured.naics"], dtype=np.int32)
        index.n_profiles_ = len(index.areas_)
        if index.areas_.shape[1] == 0:
            index.areas_ = np.full((len(index.areas_), 1), -1, dtype=np.int32)
        if index.naics_.shape[1] == 0:
            index.naics_ = np.full((len(index.naics_), 1), -1, dtype=np.int32)
        index._prefixes = None
        return index
