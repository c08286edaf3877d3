"""Admin users: passwords (argon2id), sign-in with lock-out, and server-side sessions."""

import os
import re
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NoReturn, Protocol

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.config import get_settings
from app.db import utcnow
from app.errors import Conflict, InvalidField, NotFound
from app.organizations.models import Organization, Role
from app.organizations.service import Principal, hash_key, operator_principal
from app.users.models import AdminSession, User

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,31}$")
MIN_PASSWORD = 12
MAX_PASSWORD = 256
# Sessions are touched at most this often, so page views do not all write.
SEEN_RESOLUTION = timedelta(minutes=1)

_hasher = PasswordHasher()
# argon2 is slow and memory-hard on purpose, and each hash already runs on several threads: a
# flood of sign-ins hashing at once would starve every other request of CPU. They queue here.
_hashing = threading.BoundedSemaphore(max(1, (os.cpu_count() or 1) // 4))
# Verified against when the user name is unknown, so both cases take the same time.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


WRONG_NAME_OR_PASSWORD = "Wrong user name or password."


class LoginFailed(Exception):
    """Sign-in refused; the message is safe to show. A lock-out carries when it ends."""

    def __init__(self, message: str, *, locked_until: datetime | None = None) -> None:
        super().__init__(message)
        self.locked_until = locked_until

    @property
    def locked(self) -> bool:
        """Whether the name is locked out (429) rather than the password wrong (401)."""
        return self.locked_until is not None


class NameLocks(Protocol):
    """Lock-out of names without an enabled account, kept outside the database, so that
    unknown names are refused exactly as known ones are."""

    def name_locked_until(self, name: str) -> datetime | None:
        """When the name's lock-out ends, or None."""

    def name_failed(self, name: str) -> datetime | None:
        """Count a failure; when this one locks the name, when the lock-out ends."""


@dataclass(frozen=True)
class SignedIn:
    """A resolved admin session."""

    user: User
    session_token: str
    principal: Principal
    session_id: int
    last_seen_at: datetime


def validate_username(username: str) -> str:
    """User names are lower-case; 2-32 letters, digits, dots, dashes or underscores."""
    name = username.strip().lower()
    if not USERNAME.match(name):
        raise InvalidField(
            "username", "use 2-32 letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    return name


def validate_password(password: str) -> str:
    """A password of 12 to 256 characters."""
    if len(password) < MIN_PASSWORD:
        raise InvalidField("password", f"must be at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise InvalidField("password", f"must be at most {MAX_PASSWORD} characters")
    return password


def principal_for(user: User) -> Principal:
    """The principal a signed-in user acts as: their organization and role."""
    org = user.organization
    return Principal(
        organization_id=org.id,
        organization_slug=org.slug,
        is_platform=org.is_platform,
        role=user.role,
        actor=f"{org.slug}:@{user.username}",
    )


def get_by_username(session: Session, username: str) -> User:
    """The user with this name, or NotFound."""
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise NotFound(f"no user named {username!r}")
    return user


def create_user(
    session: Session,
    *,
    organization: Organization,
    username: str,
    password: str,
    role: Role,
    display_name: str | None = None,
    by: Principal | None = None,
    locale: str = "en",
    time_zone: str = "UTC",
) -> User:
    """Create a user; the user name must be new and the password long enough."""
    name = validate_username(username)
    validate_password(password)
    if session.scalar(select(User.id).where(User.username == name)) is not None:
        raise Conflict(f"a user named {name!r} already exists")
    user = User(
        organization_id=organization.id,
        username=name,
        display_name=display_name,
        role=role,
        password_hash=_hasher.hash(password),
        locale=locale,
        time_zone=time_zone,
    )
    session.add(user)
    session.flush()
    _audit(session, user, "user.create", by, {"role": role.value})
    return user


def list_users(session: Session, *, organization_id: int) -> list[User]:
    """The organization's users, by name."""
    return list(
        session.scalars(
            select(User).where(User.organization_id == organization_id).order_by(User.username)
        )
    )


def get_in_organization(session: Session, *, organization_id: int, user_id: int) -> User:
    """One of the organization's users; another organization's is not found."""
    user = session.get(User, user_id)
    if user is None or user.organization_id != organization_id:
        raise NotFound(f"no user with id {user_id}")
    return user


def set_role(session: Session, *, user: User, role: Role, by: Principal) -> None:
    """Give the user another role; their sessions pick it up on the next page."""
    if by.actor.endswith(f":@{user.username}") and role is not user.role:
        # An admin demoting themselves could leave the organization with no admin.
        raise InvalidField("role", "you cannot change your own role")
    before = user.role
    user.role = role
    session.flush()
    if before is not role:
        _audit(
            session, user, "user.role", by, {"role": {"before": before.value, "after": role.value}}
        )


def set_preferences(
    session: Session, *, user: User, locale: str, time_zone: str, by: Principal | None = None
) -> None:
    """The user's language and time zone for the admin pages."""
    changes = {
        name: {"before": getattr(user, name), "after": value}
        for name, value in (("locale", locale), ("time_zone", time_zone))
        if getattr(user, name) != value
    }
    user.locale = locale
    user.time_zone = time_zone
    session.flush()
    if changes:
        _audit(session, user, "user.preferences", by, changes)


def mark_dashboard_seen(session: Session, *, user_id: int) -> None:
    """Remember when the user last saw the dashboard (in a short write transaction of its own)."""
    session.execute(update(User).where(User.id == user_id).values(last_dashboard_at=utcnow()))


def set_password(
    session: Session, *, user: User, password: str, by: Principal | None = None
) -> None:
    """Replace the password, clear any lock-out and end every session of the user."""
    validate_password(password)
    user.password_hash = _hasher.hash(password)
    user.password_changed_at = utcnow()
    user.failed_logins = 0
    user.locked_until = None
    _end_all_sessions(session, user)
    session.flush()
    _audit(session, user, "user.password", by, {})


def disable_user(session: Session, *, user: User, by: Principal | None = None) -> None:
    """Stop the user signing in and end their sessions."""
    if user.disabled_at is None:
        user.disabled_at = utcnow()
    _end_all_sessions(session, user)
    session.flush()
    _audit(session, user, "user.disable", by, {})


def enable_user(session: Session, *, user: User, by: Principal | None = None) -> None:
    """Let a disabled or locked-out user sign in again."""
    user.disabled_at = None
    user.failed_logins = 0
    user.locked_until = None
    session.flush()
    _audit(session, user, "user.enable", by, {})


def authenticate(
    session: Session,
    *,
    username: str,
    password: str,
    name_locks: NameLocks | None = None,
    reader: Session | None = None,
) -> User:
    """Check a user name and password; count failures and lock the name after too many.

    Known and unknown names get the same answers, in the same time: a wrong password, or a
    lock-out after `login_max_failures` in a row (unknown names are counted by `name_locks`).
    Given a `reader`, the user is read with it and its transaction ended, so that no
    transaction is open while argon2 runs (sign-in passes one; the CLI needs none). The
    outcome is written with `session`, which the caller commits whether this returns or
    raises: a failure must be recorded.
    """
    name = username.strip().lower()
    row = (
        (reader or session)
        .execute(
            select(User.id, User.password_hash, User.locked_until, User.disabled_at).where(
                User.username == name
            )
        )
        .one_or_none()
    )
    if reader is not None:
        # End the read before the slow hash (a write session would hold SQLite's write lock).
        reader.rollback()
    now = utcnow()
    known = row is not None and row.disabled_at is None
    if row is not None and known:
        locked_until = row.locked_until if row.locked_until and row.locked_until > now else None
    else:
        locked_until = name_locks.name_locked_until(name) if name_locks else None
    if locked_until is not None:
        raise LoginFailed(_locked_message(locked_until, now), locked_until=locked_until)
    password_hash = row.password_hash if row is not None and known else _DUMMY_HASH
    password_ok = _verify(password_hash, password)
    if row is None or not known:
        locked_until = name_locks.name_failed(name) if name_locks else None
        if locked_until is not None:
            raise LoginFailed(_locked_message(locked_until, now), locked_until=locked_until)
        raise LoginFailed(WRONG_NAME_OR_PASSWORD)
    if not password_ok:
        _count_failure(session, user_id=row.id, now=now)
    new_hash = None
    if _hasher.check_needs_rehash(password_hash):
        with _hashing:
            new_hash = _hasher.hash(password)
    # The short write transaction: the user may have changed since the read.
    user = session.get(User, row.id, populate_existing=True)
    if user is None or user.disabled_at is not None or user.password_hash != password_hash:
        raise LoginFailed(WRONG_NAME_OR_PASSWORD)
    if user.locked_until is not None and user.locked_until > now:
        raise LoginFailed(_locked_message(user.locked_until, now), locked_until=user.locked_until)
    if new_hash is not None:
        user.password_hash = new_hash
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    session.flush()
    return user


def _count_failure(session: Session, *, user_id: int, now: datetime) -> NoReturn:
    """Record a wrong password; lock the account at the limit. Always raises LoginFailed."""
    settings = get_settings()
    # One UPDATE, so failures counted by concurrent requests are not lost.
    session.execute(
        update(User)
        .where(User.id == user_id)
        .values(failed_logins=User.failed_logins + 1)
        .execution_options(synchronize_session=False)
    )
    user = session.get(User, user_id, populate_existing=True)
    assert user is not None
    if user.failed_logins < settings.login_max_failures:
        raise LoginFailed(WRONG_NAME_OR_PASSWORD)
    locked_until = now + timedelta(minutes=settings.login_lockout_minutes)
    user.locked_until = locked_until
    user.failed_logins = 0
    _audit(session, user, "user.locked", _system(user, "system:login"), {})
    session.flush()
    raise LoginFailed(_locked_message(locked_until, now), locked_until=locked_until)


def start_session(session: Session, *, user: User) -> str:
    """Open a session and return its token, for the cookie only."""
    token = secrets.token_urlsafe(32)
    session.add(
        AdminSession(
            user_id=user.id,
            token_hash=hash_key(token),
            expires_at=utcnow() + timedelta(hours=get_settings().admin_session_hours),
        )
    )
    session.flush()
    return token


def resolve_session(session: Session, *, token: str) -> SignedIn | None:
    """The signed-in user behind a cookie token, or None when it is unknown, ended, expired,
    idle too long, or its user was disabled. Reads only (see touch_session)."""
    if not token:
        return None
    row = session.scalar(select(AdminSession).where(AdminSession.token_hash == hash_key(token)))
    now = utcnow()
    if row is None or row.ended_at is not None or row.expires_at <= now:
        return None
    idle = timedelta(minutes=get_settings().admin_idle_minutes)
    if now - row.last_seen_at > idle or row.user.disabled_at is not None:
        return None
    return SignedIn(
        user=row.user,
        session_token=token,
        principal=principal_for(row.user),
        session_id=row.id,
        last_seen_at=row.last_seen_at,
    )


def seen_is_stale(signed_in: SignedIn) -> bool:
    """Whether the session's last-seen time is old enough to write again."""
    return utcnow() - signed_in.last_seen_at > SEEN_RESOLUTION


def touch_session(session: Session, *, signed_in: SignedIn) -> None:
    """Keep an active session from going idle (in a short write transaction of its own)."""
    session.execute(
        update(AdminSession)
        .where(AdminSession.id == signed_in.session_id)
        .values(last_seen_at=utcnow())
    )


def end_session(session: Session, *, token: str) -> None:
    """Sign out: the token stops working at once."""
    session.execute(
        update(AdminSession)
        .where(AdminSession.token_hash == hash_key(token), AdminSession.ended_at.is_(None))
        .values(ended_at=utcnow())
    )


def _end_all_sessions(session: Session, user: User) -> None:
    session.execute(
        update(AdminSession)
        .where(AdminSession.user_id == user.id, AdminSession.ended_at.is_(None))
        .values(ended_at=utcnow())
    )


def _verify(password_hash: str, password: str) -> bool:
    try:
        with _hashing:
            return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _locked_message(until: datetime, now: datetime) -> str:
    minutes = max(1, round((until - now).total_seconds() / 60))
    return f"Too many failed sign-ins. Try again in {minutes} minute{'s' if minutes > 1 else ''}."


def _system(user: User, actor: str) -> Principal:
    return Principal(
        organization_id=user.organization_id,
        organization_slug=user.organization.slug,
        is_platform=False,
        role=Role.VIEWER,
        actor=actor,
    )


def _audit(
    session: Session, user: User, action: str, by: Principal | None, changes: dict[str, Any]
) -> None:
    """User events are audited in the user's organization; `by` defaults to the CLI."""
    audit.record(
        session,
        principal=by or operator_principal(user.organization),
        action=action,
        entity_type="user",
        entity_id=user.id,
        changes={"username": user.username, **changes},
    )
