"""Ranking model endpoints (admin): what `kakehashi train` fitted, and why each model is or
is not in use."""

from fastapi import APIRouter

from app.deps import AdminDep, RankerDep, SessionDep
from app.errors import error_responses
from app.learning import service
from app.learning.schemas import RankingModelRead

router = APIRouter(
    prefix="/ranking-models", tags=["ranking models"], responses=error_responses(401, 403)
)


@router.get("", response_model=list[RankingModelRead])
def list_models(
    session: SessionDep, _principal: AdminDep, ranker: RankerDep
) -> list[RankingModelRead]:
    """Every trained ranking model, newest first, with its held-out figures beside the default
    fusion's, whether it was adopted and why; `active` marks the one in use."""
    return service.list_models(session, model_id=ranker.model_id)
