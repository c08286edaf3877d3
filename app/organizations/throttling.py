"""Rate limits on API keys and sign-in, counted by the `limits` library.

Counters live in the storage named by KAKEHASHI_RATE_LIMIT_STORAGE_URL. The default, memory://,
belongs to one process: with several API workers each counts on its own, so a client gets up to
that many times the allowance. A redis:// URL shares the counters between workers and hosts.
"""

import math
import threading
import time
from datetime import UTC, datetime

from fastapi import FastAPI, Request
from limits import RateLimitItem, RateLimitItemPerDay, RateLimitItemPerSecond, parse_many
from limits.storage import Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter, SlidingWindowCounterRateLimiter

from app.config import Settings, get_settings
from app.errors import AppError

# Names are counted by their first characters, so a flood of long ones stays small in storage.
MAX_NAME = 64


class TooManyRequests(AppError):
    """A rate limit was reached (429); Retry-After says when to come back."""

    status_code = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message, headers={"Retry-After": str(retry_after)})
        self.retry_after = retry_after


def seconds_until(moment: float) -> int:
    """Whole seconds from now until a POSIX time, at least 1 (for Retry-After)."""
    return max(1, math.ceil(moment - time.time()))


def client_address(request: Request) -> str:
    """The caller's address; behind a proxy, uvicorn's --proxy-headers puts the real one here
    once FORWARDED_ALLOW_IPS names the proxy."""
    return request.client.host if request.client else "unknown"


class Throttle:
    """The rate limits of one application, and the sign-in lock-out of names without an
    account (so that a lock-out says nothing about which names exist)."""

    def __init__(self, settings: Settings, storage: Storage | None = None) -> None:
        self.storage = storage or storage_from_string(settings.rate_limit_storage_url)
        # A sliding window counter: smooth like a moving window, two counters per key.
        self._sliding = SlidingWindowCounterRateLimiter(self.storage)
        self._fixed = FixedWindowRateLimiter(self.storage)
        self.login_per_address = parse_many(settings.login_rate_limit)
        self.api_per_key = parse_many(settings.api_rate_limit_per_key)
        self.api_per_address = parse_many(settings.api_rate_limit_per_address)
        # Failures of a name count for a day; the lock-out starts at the failure that locks.
        self._failures = RateLimitItemPerDay(settings.login_max_failures)
        self._lock = RateLimitItemPerSecond(1, max(1, round(settings.login_lockout_minutes * 60)))

    def check(self, items: list[RateLimitItem], *identifiers: str, message: str) -> None:
        """Count one request against each limit; TooManyRequests when any is used up."""
        for item in items:
            if not self._sliding.hit(item, *identifiers):
                stats = self._sliding.get_window_stats(item, *identifiers)
                raise TooManyRequests(message, retry_after=seconds_until(stats.reset_time))

    def check_login(self, address: str) -> None:
        """One sign-in attempt from this address."""
        self.check(
            self.login_per_address,
            "login",
            address,
            message="Too many sign-in attempts from your address. Try again later.",
        )

    def check_api_address(self, address: str) -> None:
        """One API request from this address (counted before the key is checked)."""
        self.check(
            self.api_per_address,
            "api-address",
            address,
            message="too many requests from this address; retry after the time in Retry-After",
        )

    def check_api_key(self, prefix: str) -> None:
        """One API request with this key."""
        self.check(
            self.api_per_key,
            "api-key",
            prefix,
            message="too many requests with this API key; retry after the time in Retry-After",
        )

    def name_locked_until(self, name: str) -> datetime | None:
        """When the lock-out of a name without an account ends, or None when it is not locked."""
        name = name[:MAX_NAME]
        if self._fixed.test(self._lock, "login-lock", name):
            return None
        stats = self._fixed.get_window_stats(self._lock, "login-lock", name)
        return datetime.fromtimestamp(stats.reset_time, UTC)

    def name_failed(self, name: str) -> datetime | None:
        """Count a failed sign-in of a name without an account; after as many in a row as lock
        an account, lock the name too and return when that ends."""
        name = name[:MAX_NAME]
        self._fixed.hit(self._failures, "login-failures", name)
        if self._fixed.test(self._failures, "login-failures", name):
            return None
        self._fixed.clear(self._failures, "login-failures", name)
        self._fixed.hit(self._lock, "login-lock", name)
        return self.name_locked_until(name)


_creating = threading.Lock()


def get_throttle(app: FastAPI) -> Throttle:
    """The application's throttle, made on first use (each application counts on its own)."""
    throttle: Throttle | None = getattr(app.state, "kakehashi_throttle", None)
    if throttle is None:
        with _creating:
            throttle = getattr(app.state, "kakehashi_throttle", None)
            if throttle is None:
                throttle = Throttle(get_settings())
                app.state.kakehashi_throttle = throttle
    return throttle
