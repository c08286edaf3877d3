"""The FastAPI application."""

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from fastapi_offline import FastAPIOffline

from app.admin.web import install as install_admin_pages
from app.areas.router import router as areas_router
from app.audit.router import router as audit_router
from app.authorizations.router import router as authorizations_router
from app.common.body_limit import BodySizeLimit
from app.companies.router import router as companies_router
from app.config import get_settings
from app.distributions.pages import install as install_response_pages
from app.distributions.router import router as distributions_router
from app.embeddings.service import get_encoder
from app.errors import error_responses, install_error_handlers
from app.follows.router import router as follows_router
from app.health.router import router as health_router
from app.imports.router import router as imports_router
from app.insights.router import router as insights_router
from app.learning.router import router as learning_router
from app.matches.router import router as matches_router
from app.organizations.router import router as organizations_router
from app.outcomes.router import router as outcomes_router
from app.reports.router import router as reports_router
from app.reports.unsubscribe import install as install_unsubscribe_pages
from app.reviews.router import router as reviews_router
from app.screening.router import router as screening_router
from app.solicitations.router import router as solicitations_router
from app.vetting.router import router as vetting_router

log = logging.getLogger("kakehashi")


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    """Start the in-process job worker (if enabled) and stop it on shutdown."""
    settings = get_settings()
    # Load the model off the event loop so the first match request does not wait for it.
    threading.Thread(target=get_encoder, name="kakehashi-model", daemon=True).start()
    worker = None
    if settings.run_worker:
        from app.jobs.worker import BackgroundWorker

        worker = BackgroundWorker(poll_seconds=settings.worker_poll_seconds)
        worker.start()
    try:
        yield
    finally:
        if worker is not None:
            worker.stop()


def create_app() -> FastAPI:
    """Build the application with its routers and error handlers."""
    settings = get_settings()
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # Swagger UI (/docs) and ReDoc (/redoc) load their scripts from files installed with
    # fastapi-offline, not from a CDN, so the docs work without internet.
    app = FastAPIOffline(
        static_url="/docs/static",
        title="Kakehashi",
        version="0.1.0",
        description="Matches US OTA performers and vetted Japanese technology partners to OTA "
        "solicitations. Authenticate with `Authorization: Bearer <API key>`.",
        lifespan=lifespan,
    )
    install_error_handlers(app)

    app.add_middleware(
        BodySizeLimit, max_bytes=settings.max_body_bytes, max_upload_bytes=settings.max_upload_bytes
    )

    # Any call may be throttled or meet a busy database; each operation adds its own statuses.
    api = APIRouter(prefix="/api/v1", responses=error_responses(429, 503))
    for router in (
        health_router,
        organizations_router,
        areas_router,
        companies_router,
        vetting_router,
        screening_router,
        solicitations_router,
        authorizations_router,
        audit_router,
        matches_router,
        reviews_router,
        follows_router,
        outcomes_router,
        distributions_router,
        reports_router,
        imports_router,
        learning_router,
        insights_router,
    ):
        api.include_router(router)
    app.include_router(api)
    install_admin_pages(app)
    install_response_pages(app)
    install_unsubscribe_pages(app)
    return app
