"""Every model `kakehashi train` fitted, kept with its data size, metrics and verdict."""

from datetime import datetime
from typing import Any

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow


class RankingModel(Base):
    __tablename__ = "ranking_models"

    id: Mapped[int] = mapped_column(primary_key=True)
    # 1, 2, 3...: the newest version that was adopted is the one the ranker uses.
    version: Mapped[int] = mapped_column(unique=True)
    kind: Mapped[str] = mapped_column(String(64))
    # Embedding model the features were computed with; another model cannot use it.
    embedding_model_id: Mapped[str] = mapped_column(String(200))
    feature_names: Mapped[list[str]] = mapped_column(default=list)
    # The fitted parameters (coefficients, scaler), enough to score without pickles.
    parameters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    training_pairs: Mapped[int]
    positives: Mapped[int]
    negatives: Mapped[int]
    # Held-out figures of the learned model and of the default fusion, side by side.
    metrics: Mapped[dict[str, Any]] = mapped_column(default=dict)
    adopted: Mapped[bool] = mapped_column(default=False)
    # Why it was adopted or not, in a sentence.
    verdict: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
