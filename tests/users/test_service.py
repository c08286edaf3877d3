"""Users: argon2 passwords, sign-in with lock-out, and sessions that end when they should."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.db import session_scope, utcnow
from app.errors import Conflict, InvalidField
from app.organizations import service as organizations
from app.organizations.models import Role, Side
from app.users import service
from app.users.models import AdminSession, User

PASSWORD = "a long enough passphrase"


@pytest.fixture
def user_id(database_url: str) -> int:
    with session_scope() as session:
        org = organizations.create_organization(session, slug="jetro", name="JETRO", side=Side.JP)
        user = service.create_user(
            session, organization=org, username="Kenji.Sato", password=PASSWORD, role=Role.ANALYST
        )
        return user.id


def test_password_is_stored_as_argon2_and_names_are_lower_case(user_id: int) -> None:
    with session_scope() as session:
        user = session.get(User, user_id)
        assert user is not None
        assert user.username == "kenji.sato"
        assert user.password_hash.startswith("$argon2id$")
        assert PASSWORD not in user.password_hash
        assert service.principal_for(user).actor == "jetro:@kenji.sato"
        created = session.scalar(select(AuditEvent).where(AuditEvent.action == "user.create"))
        assert created is not None and created.changes["username"] == "kenji.sato"


def test_bad_names_passwords_and_duplicates_are_refused(user_id: int) -> None:
    with session_scope() as session:
        org = organizations.get_by_slug(session, slug="jetro")
        with pytest.raises(InvalidField, match="at least 12"):
            service.create_user(
                session, organization=org, username="aiko", password="short", role=Role.VIEWER
            )
        with pytest.raises(InvalidField) as bad_name:
            service.create_user(
                session, organization=org, username="a b", password=PASSWORD, role=Role.VIEWER
            )
        assert bad_name.value.field == "username"
        with pytest.raises(Conflict):
            service.create_user(
                session, organization=org, username="KENJI.SATO", password=PASSWORD, role=Role.ADMIN
            )


def test_sign_in_checks_the_password_and_resets_failures(user_id: int) -> None:
    with session_scope() as session:
        with pytest.raises(service.LoginFailed, match="Wrong user name or password"):
            service.authenticate(session, username="kenji.sato", password="not the password")
        with pytest.raises(service.LoginFailed, match="Wrong user name or password"):
            service.authenticate(session, username="nobody", password=PASSWORD)
    with session_scope() as session:
        assert session.get(User, user_id).failed_logins == 1  # type: ignore[union-attr]
        user = service.authenticate(session, username=" Kenji.Sato ", password=PASSWORD)
        assert user.failed_logins == 0 and user.last_login_at is not None


def test_repeated_failures_lock_the_account_even_for_the_right_password(
    user_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KAKEHASHI_LOGIN_MAX_FAILURES", "3")
    from app.config import get_settings

    get_settings.cache_clear()
    try:
        for attempt in range(3):
            with session_scope() as session, pytest.raises(service.LoginFailed) as failed:
                service.authenticate(session, username="kenji.sato", password=f"wrong {attempt}")
        assert failed.value.locked
        with session_scope() as session, pytest.raises(service.LoginFailed) as refused:
            service.authenticate(session, username="kenji.sato", password=PASSWORD)
        assert refused.value.locked and "Try again in 15 minutes" in str(refused.value)
        with session_scope() as session:
            assert session.scalar(select(AuditEvent).where(AuditEvent.action == "user.locked"))
            # Once the lock-out has passed, the right password works again.
            session.get(User, user_id).locked_until = utcnow() - timedelta(seconds=1)  # type: ignore[union-attr]
        with session_scope() as session:
            assert service.authenticate(session, username="kenji.sato", password=PASSWORD)
    finally:
        get_settings.cache_clear()


def test_sessions_end_on_sign_out_expiry_idleness_and_disabling(user_id: int) -> None:
    with session_scope() as session:
        user = session.get(User, user_id)
        assert user is not None
        tokens = [service.start_session(session, user=user) for _ in range(4)]
    with session_scope() as session:
        signed_in = service.resolve_session(session, token=tokens[0])
        assert signed_in is not None and signed_in.principal.role is Role.ANALYST
        assert service.resolve_session(session, token="made-up") is None
        service.end_session(session, token=tokens[0])
        rows = {r.id: r for r in session.scalars(select(AdminSession).order_by(AdminSession.id))}
        rows[2].expires_at = utcnow() - timedelta(seconds=1)
        rows[3].last_seen_at = utcnow() - timedelta(hours=3)
    with session_scope() as session:
        assert [service.resolve_session(session, token=t) is not None for t in tokens] == [
            False,
            False,
            False,
            True,
        ]
        # The token itself is never stored.
        assert tokens[3] not in {r.token_hash for r in session.scalars(select(AdminSession))}
        service.disable_user(session, user=session.get(User, user_id))  # type: ignore[arg-type]
    with session_scope() as session:
        assert service.resolve_session(session, token=tokens[3]) is None
        with pytest.raises(service.LoginFailed):
            service.authenticate(session, username="kenji.sato", password=PASSWORD)


def test_a_new_password_signs_out_everywhere_and_lifts_a_lock(user_id: int) -> None:
    with session_scope() as session:
        user = session.get(User, user_id)
        assert user is not None
        token = service.start_session(session, user=user)
        user.locked_until = utcnow() + timedelta(minutes=10)
        service.set_password(session, user=user, password="another long passphrase")
    with session_scope() as session:
        assert service.resolve_session(session, token=token) is None
        with pytest.raises(service.LoginFailed):
            service.authenticate(session, username="kenji.sato", password=PASSWORD)
        assert service.authenticate(
            session, username="kenji.sato", password="another long passphrase"
        )
