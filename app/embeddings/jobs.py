"""Job handlers for embeddings."""

from typing import Any

from sqlalchemy.orm import Session

from app.embeddings.service import embed_all, embed_one
from app.jobs.service import handler


@handler("embed")
def embed_entity(session: Session, payload: dict[str, Any]) -> None:
    """Compute the embedding of one company or solicitation if its text changed."""
    embed_one(session, entity=payload["entity"], entity_id=int(payload["id"]))


@handler("embed_all")
def embed_everything(session: Session, _payload: dict[str, Any]) -> None:
    """Bring every record's embedding up to date (after an import)."""
    embed_all(session)
