"""Every ORM model, imported once so metadata is complete (Alembic, tests)."""

from app.areas.models import TechnologyArea
from app.audit.models import AuditEvent
from app.authorizations.models import ExportAuthorization
from app.companies.models import Company
from app.db import Base
from app.distributions.models import Distribution, DistributionRecipient, RecipientStatusChange
from app.embeddings.models import Embedding
from app.follows.models import SolicitationChange, SolicitationFollow
from app.imports.models import DuplicateFlag, ImportRun
from app.insights.models import InsightSnapshot
from app.jobs.models import Job
from app.learning.models import RankingModel
from app.organizations.models import ApiKey, Organization
from app.outcomes.models import MatchOutcome
from app.reports.models import ReportMessage, ReportRecipient
from app.reviews.models import MatchReview
from app.screening.models import ScreeningEntry, ScreeningHit, ScreeningSnapshot
from app.solicitations.models import Solicitation
from app.users.models import AdminSession, User
from app.vetting.models import VettingDecision

__all__ = [
    "AdminSession",
    "ApiKey",
    "AuditEvent",
    "Base",
    "Company",
    "Distribution",
    "DistributionRecipient",
    "DuplicateFlag",
    "Embedding",
    "ExportAuthorization",
    "ImportRun",
    "InsightSnapshot",
    "Job",
    "MatchOutcome",
    "MatchReview",
    "Organization",
    "RankingModel",
    "RecipientStatusChange",
    "ReportMessage",
    "ReportRecipient",
    "ScreeningEntry",
    "ScreeningHit",
    "ScreeningSnapshot",
    "Solicitation",
    "SolicitationChange",
    "SolicitationFollow",
    "TechnologyArea",
    "User",
    "VettingDecision",
]
