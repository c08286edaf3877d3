"""Every ORM model, imported once so metadata is complete (Alembic, tests)."""

from app.areas.models import TechnologyArea
from app.audit.models import AuditEvent
from app.authorizations.models import ExportAuthorization
from app.companies.models import Company
from app.db import Base
from app.embeddings.models import Embedding
from app.imports.models import DuplicateFlag, ImportRun
from app.jobs.models import Job
from app.organizations.models import ApiKey, Organization
from app.solicitations.models import Solicitation
from app.users.models import AdminSession, User
from app.vetting.models import VettingDecision

__all__ = [
    "AdminSession",
    "ApiKey",
    "AuditEvent",
    "Base",
    "Company",
    "DuplicateFlag",
    "Embedding",
    "ExportAuthorization",
    "ImportRun",
    "Job",
    "Organization",
    "Solicitation",
    "TechnologyArea",
    "User",
    "VettingDecision",
]
