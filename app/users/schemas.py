"""What the admin pages accept about users: preferences, a new user, a role change."""

from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from app.common.schemas import StrictModel
from app.organizations.models import Role

LANGUAGES = ("en", "ja")
# The zones offered in the preferences form: where the intermediaries and their partners work.
TIME_ZONES = (
    "UTC",
    "Pacific/Honolulu",
    "America/Anchorage",
    "America/Los_Angeles",
    "America/Denver",
    "America/Chicago",
    "America/New_York",
    "Europe/London",
    "Europe/Paris",
    "Asia/Tokyo",
    "Asia/Seoul",
    "Asia/Singapore",
    "Australia/Sydney",
    "Pacific/Guam",
)


def known_zone(value: str) -> str:
    """One of the offered IANA time zones."""
    if value not in TIME_ZONES:
        raise ValueError("choose one of the listed time zones")
    return value


TimeZone = Annotated[str, Field(max_length=64), AfterValidator(known_zone)]
Language = Literal["en", "ja"]


class PreferencesUpdate(StrictModel):
    """A user's own language and time zone."""

    locale: Language
    time_zone: TimeZone


class UserCreate(StrictModel):
    """A new user of the organization; the password is generated and shown once."""

    username: Annotated[str, Field(min_length=2, max_length=32)]
    display_name: Annotated[str | None, Field(max_length=200)] = None
    role: Role = Role.ANALYST
    locale: Language = "en"
    time_zone: TimeZone = "UTC"


class RoleChange(StrictModel):
    """Another role for a user."""

    role: Role
