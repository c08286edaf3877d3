"""Liveness and readiness of the service's parts."""

from typing import Any

from fastapi import APIRouter, Response
from sqlalchemy import text

from app.deps import SessionDep
from app.embeddings.service import encoder_loaded, get_encoder, space_id
from app.jobs import service as jobs

router = APIRouter(tags=["health"])


@router.get(
    "/health",
    responses={503: {"description": "The database is unreachable", "model": dict[str, Any]}},
)
def health(session: SessionDep, response: Response) -> dict[str, Any]:
    """Database reachability and background job counts; 503 when the database is down."""
    try:
        session.execute(text("SELECT 1"))
        database = {"status": "ok", "backend": session.get_bind().dialect.name}
        job_counts = jobs.counts(session)
    except Exception as exc:  # the point of a health check is to report, not to raise
        response.status_code = 503
        return {
            "status": "unavailable",
            "database": {"status": "error", "error": type(exc).__name__},
        }
    model = (
        {"status": "loaded", "id": space_id(get_encoder())}
        if encoder_loaded()
        else {"status": "loading"}
    )
    return {"status": "ok", "database": database, "model": model, "jobs": job_counts}
