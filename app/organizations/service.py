"""Organizations, API keys and authentication."""

import hashlib
import hmac
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.db import utcnow
from app.errors import Conflict, Forbidden, NotAuthenticated, NotFound
from app.organizations.models import ROLE_RANK, ApiKey, Organization, Role, Side

KEY_SCHEME = "kk"
# last_used_at is informative; writing it on every request would serialise SQLite writers.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class Principal:
    """Who is calling: an organization acting through one API key (or a CLI operator)."""

    organization_id: int
    organization_slug: str
    is_platform: bool
    role: Role
    actor: str

    def require(self, role: Role) -> None:
        """Refuse with 403 unless this principal holds at least `role`."""
        if ROLE_RANK[self.role] < ROLE_RANK[role]:
            raise Forbidden(
                f"this action needs the {role.value} role; the key has {self.role.value}"
            )

    def may_change(self, owner_organization_id: int | None) -> bool:
        """Only the creating organization, or a platform admin, changes a shared record."""
        if self.is_platform and self.role is Role.ADMIN:
            return True
        return owner_organization_id == self.organization_id

    def require_owner(self, owner_organization_id: int | None, what: str) -> None:
        """Refuse with 403 when the record belongs to another organization."""
        if not self.may_change(owner_organization_id):
            raise Forbidden(f"this {what} belongs to another organization")

    def may_vouch_for(self, owner_organization_id: int | None) -> bool:
        """Vetting decisions and export authorizations on a record come from its owner or the
        platform organization (any role that may write), never from a third organization."""
        return self.is_platform or owner_organization_id == self.organization_id

    def require_voucher(self, owner_organization_id: int | None, what: str) -> None:
        """Refuse with 403 unless this principal may vouch for the record (see may_vouch_for)."""
        if not self.may_vouch_for(owner_organization_id):
            raise Forbidden(
                f"this {what} belongs to another organization: only its owner or the platform "
                "organization records this"
            )


def hash_key(raw_key: str) -> str:
    """SHA-256 of a key or session token: both are long and random, so a fast hash is enough
    to store them."""
    return hashlib.sha256(raw_key.encode()).hexdigest()


def get_by_slug(session: Session, *, slug: str) -> Organization:
    """The organization with this slug, or NotFound."""
    org = session.scalar(select(Organization).where(Organization.slug == slug))
    if org is None:
        raise NotFound(f"no organization with slug {slug!r}")
    return org


def create_organization(
    session: Session,
    *,
    slug: str,
    name: str,
    side: Side,
    is_platform: bool = False,
    contact_email: str | None = None,
) -> Organization:
    """Create an organization; its slug must be new."""
    if session.scalar(select(Organization.id).where(Organization.slug == slug)) is not None:
        raise Conflict(f"an organization with slug {slug!r} already exists")
    org = Organization(
        slug=slug, name=name, side=side, is_platform=is_platform, contact_email=contact_email
    )
    session.add(org)
    session.flush()
    return org


def create_api_key(
    session: Session, *, organization: Organization, role: Role, label: str | None = None
) -> tuple[ApiKey, str]:
    """Create a key and return it with the raw secret, which is never stored or shown again."""
    prefix = secrets.token_hex(4)
    raw = f"{KEY_SCHEME}_{prefix}_{secrets.token_urlsafe(24)}"
    key = ApiKey(
        organization_id=organization.id,
        prefix=prefix,
        key_hash=hash_key(raw),
        role=role,
        label=label,
    )
    session.add(key)
    session.flush()
    return key, raw


def revoke_api_key(session: Session, *, prefix: str) -> ApiKey:
    """Revoke a key by its visible prefix."""
    key = session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
    if key is None:
        raise NotFound(f"no API key with prefix {prefix!r}")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
    session.flush()
    return key


@dataclass(frozen=True)
class KeyUse:
    """The authenticated key's id, visible prefix and when it was last used."""

    id: int
    prefix: str
    last_used_at: datetime | None


def authenticate(session: Session, *, raw_key: str) -> tuple[Principal, KeyUse]:
    """Resolve a bearer key to its principal, or raise NotAuthenticated; reads only."""
    parts = raw_key.split("_")
    if len(parts) < 3 or parts[0] != KEY_SCHEME:
        raise NotAuthenticated()
    # One row of plain columns: every request runs this, and ORM objects cost more to build.
    row = session.execute(
        select(
            ApiKey.id,
            ApiKey.key_hash,
            ApiKey.revoked_at,
            ApiKey.role,
            ApiKey.last_used_at,
            Organization.id.label("organization_id"),
            Organization.slug,
            Organization.is_platform,
        )
        .join(Organization, ApiKey.organization_id == Organization.id)
        .where(ApiKey.prefix == parts[1])
    ).one_or_none()
    if row is None or not hmac.compare_digest(row.key_hash, hash_key(raw_key)):
        raise NotAuthenticated()
    if row.revoked_at is not None:
        raise NotAuthenticated("this API key has been revoked")
    principal = Principal(
        organization_id=row.organization_id,
        organization_slug=row.slug,
        is_platform=row.is_platform,
        role=row.role,
        actor=f"{row.slug}:{parts[1]}",
    )
    return principal, KeyUse(id=row.id, prefix=parts[1], last_used_at=row.last_used_at)


def last_use_is_stale(key: KeyUse) -> bool:
    """Whether the key's last-used time is old enough to write again."""
    return key.last_used_at is None or utcnow() - key.last_used_at > LAST_USED_RESOLUTION


_touching: set[int] = set()
_touching_lock = threading.Lock()


@contextmanager
def claim_touch(key_id: int) -> Iterator[bool]:
    """True for one request at a time per key in this process: when the last use is stale,
    the others skip the write instead of all queueing for the write lock behind it."""
    with _touching_lock:
        claimed = key_id not in _touching
        _touching.add(key_id)
    try:
        yield claimed
    finally:
        if claimed:
            with _touching_lock:
                _touching.discard(key_id)


def touch_key(session: Session, *, key_id: int) -> None:
    """Record that a key was used now (in a short write transaction of its own)."""
    session.execute(update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=utcnow()))


def operator_principal(organization: Organization) -> Principal:
    """A principal for CLI operations (seeding, imports) acting for an organization."""
    return Principal(
        organization_id=organization.id,
        organization_slug=organization.slug,
        is_platform=organization.is_platform,
        role=Role.ADMIN,
        actor=f"{organization.slug}:cli",
    )
