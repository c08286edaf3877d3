"""API keys are rate limited per key and per client address: 429 with Retry-After."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.config import get_settings
from app.main import create_app
from tests.conftest import Keys

ME = "/api/v1/organizations/me"


@pytest.fixture
def limited(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """An application with low API limits: 3 requests a minute per key, 6 per address."""
    monkeypatch.setenv("KAKEHASHI_API_RATE_LIMIT_PER_KEY", "3/minute")
    monkeypatch.setenv("KAKEHASHI_API_RATE_LIMIT_PER_ADDRESS", "6/minute")
    get_settings.cache_clear()
    with TestClient(create_app()) as client:
        yield client
    get_settings.cache_clear()


def test_each_key_has_its_own_allowance(limited: TestClient, keys: Keys) -> None:
    statuses = [limited.get(ME, headers=keys.headers("jetro_viewer")).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = limited.get(ME, headers=keys.headers("jetro_viewer"))
    assert refused.status_code == 429 and refused.json()["code"] == "rate_limited"
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert limited.get(ME, headers=keys.headers("jetro_admin")).status_code == 200


def test_an_address_is_limited_whatever_the_key(limited: TestClient, keys: Keys) -> None:
    # Guesses without a valid key count too.
    for _ in range(3):
        assert limited.get(ME, headers={"Authorization": "Bearer kk_nope_x"}).status_code == 401
    assert limited.get(ME, headers=keys.headers("pichtr_viewer")).status_code == 200
    assert limited.get(ME, headers=keys.headers("jetro_viewer")).status_code == 200
    assert limited.get(ME, headers=keys.headers("jetro_admin")).status_code == 200
    refused = limited.get(ME, headers=keys.headers("pichtr_admin"))
    assert refused.status_code == 429 and "address" in refused.json()["detail"]
    assert int(refused.headers["retry-after"]) >= 1


def test_the_default_limits_are_generous(client: TestClient, keys: Keys) -> None:
    statuses = {client.get(ME, headers=keys.headers("jetro_viewer")).status_code for _ in range(50)}
    assert statuses == {200}


def test_names_without_an_account_lock_like_accounts() -> None:
    from datetime import timedelta

    from app.config import Settings
    from app.db import utcnow
    from app.organizations.throttling import Throttle

    throttle = Throttle(Settings(login_max_failures=3, login_lockout_minutes=10))
    assert [throttle.name_failed("nobody") for _ in range(2)] == [None, None]
    assert throttle.name_locked_until("nobody") is None
    until = throttle.name_failed("nobody")
    assert until is not None
    assert timedelta(minutes=9) < until - utcnow() <= timedelta(minutes=10)
    assert throttle.name_locked_until("nobody") == until
    assert throttle.name_locked_until("somebody") is None
    # Long names are counted by their first 64 characters: storage stays small.
    assert [throttle.name_failed("x" * 64 + tail) for tail in "ab"] == [None, None]
    assert throttle.name_failed("x" * 100) is not None
