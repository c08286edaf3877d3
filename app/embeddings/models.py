"""Stored text embeddings: one row per record and model, keyed by a hash of the text."""

from datetime import datetime
from typing import Any

from sqlalchemy import LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow


class Embedding(Base):
    __tablename__ = "embeddings"
    __table_args__ = (UniqueConstraint("entity_type", "entity_id", "model_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int] = mapped_column()
    model_id: Mapped[str] = mapped_column(String(200))
    content_hash: Mapped[str] = mapped_column(String(64))
    dimension: Mapped[int] = mapped_column()
    # The pooled document vector (float32) and one float16 vector per sentence window.
    pooled: Mapped[bytes] = mapped_column(LargeBinary)
    units: Mapped[bytes] = mapped_column(LargeBinary)
    spans: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
