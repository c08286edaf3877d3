"""Structured features: technology-area overlap and hierarchical NAICS overlap.

``area_overlap`` is the cosine (Ochiai) coefficient of the two sets: 1.0 for equal sets, and a
profile that lists every area gets less credit than one that lists exactly the areas asked for.

``naics_overlap`` credits each code by the longest prefix it shares with any code on the other
side (6 digits 1.0, 5 digits 0.8, 4 digits 0.6, 3 digits 0.35, 2 digits 0.15) and averages the
best credit of each side over the other side (a symmetric best-match average).

``StructuredIndex`` computes both features for one query against many profiles at once, with
sparse indicator matrices instead of a Python loop over profiles.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import numpy as np
import scipy.sparse as sp

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
    """Area and NAICS overlap of one query against every fitted profile, vectorised."""

    def fit(
        self, areas: Sequence[Collection[str]], naics: Sequence[Collection[str]]
    ) -> StructuredIndex:
        """Build indicator matrices for the profiles' areas and NAICS codes."""
        if len(areas) != len(naics):
            raise ValueError("areas and naics must have one entry per profile")
        self.n_profiles_ = len(areas)
        area_sets = [set(a) for a in areas]
        self.area_vocab_ = {a: i for i, a in enumerate(sorted(set().union(*area_sets)))}
        # Column-major: queries read a few columns (their areas / prefixes) at a time.
        self.areas_ = _indicator(area_sets, self.area_vocab_, self.n_profiles_).tocsc()
        self.area_counts_ = np.asarray(self.areas_.sum(axis=1)).ravel()

        codes = [normalise_naics(c) for c in naics]
        self.code_vocab_ = {c: i for i, c in enumerate(sorted(set().union(*map(set, codes))))}
        # Profile -> code membership, rows scaled to average over the profile's codes.
        membership = _indicator([set(c) for c in codes], self.code_vocab_, self.n_profiles_)
        counts = np.asarray(membership.sum(axis=1)).ravel()
        scale = sp.diags(np.divide(1.0, counts, out=np.zeros_like(counts), where=counts > 0))
        self.code_mean_ = sp.csr_matrix(scale @ membership)
        self.code_counts_ = counts
        # For each prefix length: code -> prefix indicator, and profile -> prefix indicator.
        self.prefix_vocab_: dict[int, dict[str, int]] = {}
        self.code_prefix_: dict[int, sp.csc_matrix] = {}
        self.profile_prefix_: dict[int, sp.csc_matrix] = {}
        vocab_codes = list(self.code_vocab_)
        for length in NAICS_PREFIX_CREDIT:
            prefixes = sorted({c[:length] for c in vocab_codes if len(c) >= length})
            index = {p: i for i, p in enumerate(prefixes)}
            self.prefix_vocab_[length] = index
            self.code_prefix_[length] = _indicator(
                [{c[:length]} if len(c) >= length else set() for c in vocab_codes],
                index,
                len(vocab_codes),
            ).tocsc()
            self.profile_prefix_[length] = _indicator(
                [{c[:length] for c in cs if len(c) >= length} for cs in codes],
                index,
                self.n_profiles_,
            ).tocsc()
        return self

    def area_scores(self, query_areas: Collection[str]) -> np.ndarray:
        """``area_overlap(query_areas, profile.areas)`` for every profile."""
        q = set(query_areas)
        idx = [self.area_vocab_[a] for a in q if a in self.area_vocab_]
        if not q or not idx:
            return np.zeros(self.n_profiles_, dtype=np.float32)
        shared = np.zeros(self.n_profiles_)
        for col in idx:
            shared[_column_rows(self.areas_, col)] += 1.0
        denom = np.sqrt(self.area_counts_ * len(q))
        return np.divide(shared, denom, out=np.zeros_like(shared), where=denom > 0).astype(
            np.float32
        )

    def naics_scores(self, query_naics: Collection[str]) -> np.ndarray:
        """``naics_overlap(query_naics, profile.naics)`` for every profile."""
        q = normalise_naics(query_naics)
        if not q or not self.code_vocab_:
            return np.zeros(self.n_profiles_, dtype=np.float32)
        # Best credit of each query code over each profile's codes: (n_profiles, n_query_codes).
        best_q = np.zeros((self.n_profiles_, len(q)))
        # Best credit of each vocabulary code over the query codes: (n_codes,).
        best_code = np.zeros(len(self.code_vocab_))
        for length, credit in NAICS_PREFIX_CREDIT.items():
            index = self.prefix_vocab_[length]
            for j, code in enumerate(q):
                col = index.get(code[:length]) if len(code) >= length else None
                if col is None:
                    continue
                rows = _column_rows(self.profile_prefix_[length], col)
                best_q[rows, j] = np.maximum(best_q[rows, j], credit)
                codes = _column_rows(self.code_prefix_[length], col)
                best_code[codes] = np.maximum(best_code[codes], credit)
        query_side = best_q.mean(axis=1)
        profile_side = self.code_mean_ @ best_code
        score = 0.5 * (query_side + profile_side)
        return np.where(self.code_counts_ > 0, score, 0.0).astype(np.float32)


def _column_rows(matrix: sp.csc_matrix, col: int) -> np.ndarray:
    """Row indices of the stored entries of one CSC column, without copying the matrix."""
    return np.asarray(matrix.indices[matrix.indptr[col] : matrix.indptr[col + 1]])


def _indicator(
    sets: Sequence[Collection[str]], vocab: dict[str, int], n_rows: int
) -> sp.csr_matrix:
    """Binary (n_rows, len(vocab)) matrix with row i marking the members of ``sets[i]``."""
    rows, cols = [], []
    for i, items in enumerate(sets):
        for item in items:
            j = vocab.get(item)
            if j is not None:
                rows.append(i)
                cols.append(j)
    data = np.ones(len(rows), dtype=np.float64)
    return sp.csr_matrix((data, (rows, cols)), shape=(n_rows, len(vocab)))
