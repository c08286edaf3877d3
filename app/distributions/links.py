"""Response links: a random token per recipient, stored only as its sha256."""

import hashlib
import secrets
from datetime import datetime, timedelta

from app.config import get_settings

RESPONSE_PATH = "/respond/"


def new_token() -> str:
    """A fresh random token (43 URL-safe characters, 256 bits)."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """The stored form of a token: long and random, so a fast hash suffices."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def expires_at(sent_at: datetime) -> datetime:
    """When a link sent at `sent_at` stops working (KAKEHASHI_RESPONSE_LINK_DAYS later)."""
    return sent_at + timedelta(days=get_settings().response_link_days)


def response_url(base_url: str, token: str) -> str:
    """The partner's page for a token, under the service's own base URL."""
    return f"{base_url.rstrip('/')}{RESPONSE_PATH}{token}"
