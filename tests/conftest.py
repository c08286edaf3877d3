"""Test databases (SQLite always, PostgreSQL when KAKEHASHI_TEST_POSTGRES_URL is set),
built by the migrations, isolated per test, and API clients holding real keys."""

import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ["KAKEHASHI_ENV"] = "test"
os.environ["KAKEHASHI_RUN_WORKER"] = "false"
# No test may touch a developer's database: point the default somewhere harmless.
os.environ["KAKEHASHI_DATABASE_URL"] = "sqlite:///:memory:"

POSTGRES_URL = os.environ.get("KAKEHASHI_TEST_POSTGRES_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])
KEPT_TABLES = {"alembic_version", "technology_areas"}


def use_database(url: str) -> None:
    """Point settings, engine and sessions at `url` (clearing the process-wide caches)."""
    from app.config import get_settings
    from app.db import get_engine, get_read_sessionmaker, get_sessionmaker

    if get_engine.cache_info().currsize:
        get_engine().dispose()
    os.environ["KAKEHASHI_DATABASE_URL"] = url
    get_settings.cache_clear()
    get_engine.cache_clear()
    get_sessionmaker.cache_clear()
    get_read_sessionmaker.cache_clear()


def migrate(url: str) -> None:
    """Build the schema exactly as production does: alembic upgrade head."""
    from alembic import command

    from app.cli import alembic_config

    use_database(url)
    command.upgrade(alembic_config(), "head")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    migrate(f"sqlite:///{path}")
    use_database("sqlite:///:memory:")
    return path


@pytest.fixture(scope="session")
def postgres_ready() -> str | None:
    """Reset the PostgreSQL test database and migrate it once per run."""
    if not POSTGRES_URL:
        return None
    engine = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    migrate(POSTGRES_URL)
    return POSTGRES_URL


def _truncate_postgres(url: str) -> None:
    import app.models  # noqa: F401
    from app.db import Base

    tables = [t.name for t in Base.metadata.sorted_tables if t.name not in KEPT_TABLES]
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        conn.execute(text("DELETE FROM technology_areas WHERE id > 14"))
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    sqlite_template: Path,
    postgres_ready: str | None,
) -> Iterator[str]:
    """A fresh, migrated database for one test, on each available backend."""
    # Match indexes are saved under the cache directory: one per test, like the database.
    os.environ["KAKEHASHI_CACHE_DIR"] = str(tmp_path / "cache")
    if request.param == "sqlite":
        path = tmp_path / "test.db"
        shutil.copyfile(sqlite_template, path)
        url = f"sqlite:///{path}"
    else:
        assert postgres_ready is not None
        _truncate_postgres(postgres_ready)
        url = postgres_ready
    use_database(url)
    yield url
    os.environ.pop("KAKEHASHI_CACHE_DIR", None)
    use_database("sqlite:///:memory:")


@dataclass
class Keys:
    """Raw API keys of the test organizations, by name."""

    raw: dict[str, str]

    def headers(self, name: str) -> dict[str, str]:
        """Authorization header for the named key."""
        return {"Authorization": f"Bearer {self.raw[name]}"}


@pytest.fixture
def keys(database_url: str) -> Keys:
    """PICHTR (platform, US) and JETRO (JP) with admin/analyst/viewer keys each."""
    from app.db import session_scope
    from app.organizations import service
    from app.organizations.models import Role, Side

    raw: dict[str, str] = {}
    with session_scope() as session:
        pichtr = service.create_organization(
            session, slug="pichtr", name="PICHTR", side=Side.US, is_platform=True
        )
        jetro = service.create_organization(session, slug="jetro", name="JETRO", side=Side.JP)
        for org in (pichtr, jetro):
            for role in Role:
                _key, raw[f"{org.slug}_{role.value}"] = service.create_api_key(
                    session, organization=org, role=role
                )
    return Keys(raw)


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    """An HTTP client over the real application."""
    from app.main import create_app

    with TestClient(create_app()) as test_client:
        yield test_client


# -- admin pages ---------------------------------------------------------------------------

PASSWORD = "correct horse battery staple"
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class People:
    """User names by what they are for."""

    analyst: str = "alice"
    viewer: str = "val"
    other_org_analyst: str = "kenji"


@pytest.fixture
def upload_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Uploads go to a per-test directory."""
    from app.config import get_settings

    directory = tmp_path / "uploads"
    monkeypatch.setenv("KAKEHASHI_UPLOAD_DIR", str(directory))
    get_settings.cache_clear()
    yield directory
    get_settings.cache_clear()


@pytest.fixture
def people(database_url: str) -> People:
    """PICHTR (platform, US) with an analyst and a viewer; JETRO with an analyst."""
    from app.db import session_scope
    from app.organizations import service as organizations
    from app.organizations.models import Role, Side
    from app.users import service as users

    with session_scope() as session:
        pichtr = organizations.create_organization(
            session, slug="pichtr", name="PICHTR", side=Side.US, is_platform=True
        )
        jetro = organizations.create_organization(
            session, slug="jetro", name="JETRO 日本貿易振興機構", side=Side.JP
        )
        for org, name, role in (
            (pichtr, "alice", Role.ANALYST),
            (pichtr, "val", Role.VIEWER),
            (jetro, "kenji", Role.ANALYST),
        ):
            users.create_user(
                session, organization=org, username=name, password=PASSWORD, role=role
            )
    return People()


def csrf_of(html: str) -> str:
    """The CSRF token of the first form on a page."""
    match = CSRF_RE.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Sign in through the form; returns the CSRF token of the signed-in session."""
    page = client.get("/admin/login")
    response = client.post(
        "/admin/login",
        data={"csrf_token": csrf_of(page.text), "username": username, "password": password},
    )
    assert response.status_code == 303, response.text
    return csrf_of(client.get("/admin/imports").text)


@pytest.fixture
def admin_client(database_url: str, upload_dir: Path) -> Iterator[TestClient]:
    """A client that does not follow redirects, so each step can be checked."""
    from app.main import create_app

    with TestClient(create_app(), follow_redirects=False) as client:
        yield client
