"""The controlled vocabulary of technology areas."""

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base


class TechnologyArea(Base):
    __tablename__ = "technology_areas"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    label_en: Mapped[str] = mapped_column(String(200))
    label_ja: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
