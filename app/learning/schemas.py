"""Ranking model schemas."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class RankingModelRead(BaseModel):
    """One trained ranking model: its data, held-out figures beside the default's, verdict."""

    model_config = ConfigDict(from_attributes=True)

    version: int
    kind: str
    embedding_model_id: str = Field(description="vector space the features were computed in")
    feature_names: list[str]
    training_pairs: int
    positives: int
    negatives: int
    metrics: dict[str, Any] = Field(
        description="cross-validated over held-out solicitations: `default` and `learned` "
        "side by side (auc of all held-out pairs, mean per-solicitation auc and ndcg@10)"
    )
    adopted: bool = Field(description="the ranker uses the newest adopted model of its space")
    active: bool = Field(
        default=False, description="the model the match lists are re-ordered with now"
    )
    verdict: str
    created_by: str
    created_at: datetime
