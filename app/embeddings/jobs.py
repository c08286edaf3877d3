"""Job handlers for embeddings."""

from typing import Any

from sqlalchemy.orm import Session

from app.embeddings.service import embed_one
from app.jobs.service import handler


@handler("embed")
def embed_entity(session: Session, payload: dict[str, Any]) -> None:
    """Compute the embedding of one company or solicitation if its text changed."""
    embed_one(session, entity=payload["entity"], entity_id=int(payload["id"]))
