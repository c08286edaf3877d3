"""The match tests' records (partners, a US performer, an ITAR solicitation) serve here too."""

from tests.matches.conftest import world  # noqa: F401
