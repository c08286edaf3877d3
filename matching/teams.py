"""Team suggestions: pair a US performer with a Japanese partner so that together they cover
every need (sentence window) of a solicitation.

For a pair, each need is covered by whichever member has the more similar passage. The team
score blends three things, all in [0, 1]:

- coverage: mean over needs of the better member's similarity (on the semantic scale of
  :func:`matching.fusion.normalise_semantic`);
- fit: the mean of the two members' fused ranking scores;
- complementarity: the share of what the stronger member leaves uncovered that the partner
  closes. Two members who cover the same needs score 0 here, even if each is strong.

The weights (0.5, 0.3, 0.2) are set by hand: no judged teams exist yet to tune them on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from matching.fusion import normalise_semantic
from matching.ranker import Profile, Query, ScoredCandidate

__all__ = ["TEAM_WEIGHTS", "Team", "UnitCoverage", "suggest_teams"]

# Coverage, fit, complementarity.
TEAM_WEIGHTS = (0.5, 0.3, 0.2)


@dataclass
class UnitCoverage:
    """One need of the query and the member who covers it best."""

    query_start: int
    query_end: int
    query_text: str
    covered_by: Literal["us", "jp"]
    similarity: float


@dataclass
class Team:
    """A suggested US performer and Japanese partner pair."""

    us_id: str
    jp_id: str
    score: float
    coverage: list[UnitCoverage]
    coverage_score: float = 0.0
    complementarity: float = 0.0


def _unit_best(query_units: np.ndarray, members: Sequence[Profile]) -> np.ndarray:
    """Best cosine of each query unit over each member's units: (n_members, n_query_units)."""
    out = np.zeros((len(members), len(query_units)), dtype=np.float32)
    if len(members) == 0 or len(query_units) == 0:
        return out
    units = [np.asarray(m.embedding.units, dtype=np.float32) for m in members]
    sizes = np.array([len(u) for u in units])
    nonempty = sizes > 0
    if not nonempty.any():
        return out
    stacked = np.concatenate([u for u in units if len(u)])
    sim = stacked @ query_units.T  # (total member units, n_query_units)
    # Max over each member's block of rows in one call.
    starts = np.concatenate([[0], np.cumsum(sizes[nonempty])[:-1]])
    out[nonempty] = np.maximum.reduceat(sim, starts, axis=0)
    return out


def suggest_teams(
    query: Query,
    us: Sequence[tuple[Profile, ScoredCandidate]],
    jp: Sequence[tuple[Profile, ScoredCandidate]],
    *,
    limit: int = 10,
) -> list[Team]:
    """Best US/JP pairs for the query by coverage of its needs, fit and complementarity."""
    query_units = np.asarray(query.embedding.units, dtype=np.float32)
    if not us or not jp or len(query_units) == 0 or limit <= 0:
        return []
    us_sim = normalise_semantic(_unit_best(query_units, [p for p, _ in us]))
    jp_sim = normalise_semantic(_unit_best(query_units, [p for p, _ in jp]))
    # (n_us, n_jp, n_units): the better member per need.
    pair_best = np.maximum(us_sim[:, None, :], jp_sim[None, :, :])
    coverage = pair_best.mean(axis=2)
    single = np.maximum(us_sim.mean(axis=1)[:, None], jp_sim.mean(axis=1)[None, :])
    headroom = 1.0 - single
    complementarity = np.divide(
        coverage - single, headroom, out=np.zeros_like(coverage), where=headroom > 1e-6
    )
    fit = 0.5 * (
        np.array([c.score for _, c in us], dtype=np.float32)[:, None]
        + np.array([c.score for _, c in jp], dtype=np.float32)[None, :]
    )
    w_cov, w_fit, w_comp = TEAM_WEIGHTS
    score = np.clip(w_cov * coverage + w_fit * fit + w_comp * complementarity, 0.0, 1.0)

    flat = np.argsort(-score, axis=None, kind="stable")[:limit]
    teams = []
    for f in flat:
        i, j = divmod(int(f), len(jp))
        us_covers = us_sim[i] >= jp_sim[j]
        cover = []
        for k, (start, end) in enumerate(query.embedding.spans):
            cover.append(
                UnitCoverage(
                    query_start=start,
                    query_end=end,
                    query_text=query.text[start:end],
                    covered_by="us" if us_covers[k] else "jp",
                    similarity=float(us_sim[i, k] if us_covers[k] else jp_sim[j, k]),
                )
            )
        teams.append(
            Team(
                us_id=us[i][1].id,
                jp_id=jp[j][1].id,
                score=float(score[i, j]),
                coverage=cover,
                coverage_score=float(coverage[i, j]),
                complementarity=float(complementarity[i, j]),
            )
        )
    return teams
