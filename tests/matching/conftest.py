"""Fixtures for the matching library: the real model, loaded once per test session."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from matching.encoder import Encoder  # noqa: E402


@pytest.fixture(scope="session")
def encoder() -> Encoder:
    """The bundled all-MiniLM-L6-v2 on CPU."""
    return Encoder()
