"""The admin pages in English and Japanese: message catalogs, the language of a request, and
dates in the reader's time zone.

Catalogs are gettext `.po` files under `locale/<lang>/LC_MESSAGES/`, one per area of the pages
(`core.po`, `companies.po`, ...), merged at start-up and compiled in memory, so there is no
build step and no binary file in the repository. Templates mark text with `{{ _("...") }}` (the
Jinja2 i18n extension, new-style: `_("%(n)s partners", n=3)`), Python code with `gettext`. The
language of a request is the signed-in user's choice, else the `kakehashi_lang` cookie (set by a
choice on the sign-in page), else the browser's Accept-Language, else English.
"""

import io
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from starlette.requests import Request

LOCALES = ("en", "ja")
DEFAULT_LOCALE = "en"
LANGUAGE_NAMES = {"en": "English", "ja": "日本語"}
LANG_COOKIE = "kakehashi_lang"
CATALOGS = Path(__file__).resolve().parent / "locale"

_locale: ContextVar[str] = ContextVar("admin_locale", default=DEFAULT_LOCALE)
_zone: ContextVar[str] = ContextVar("admin_time_zone", default="UTC")


@cache
def translations(locale: str) -> NullTranslations:
    """Every catalog of a language, merged; English is the source text itself."""
    merged: NullTranslations = NullTranslations()
    folder = CATALOGS / locale / "LC_MESSAGES"
    for po in sorted(folder.glob("*.po")) if folder.is_dir() else []:
        with po.open("rb") as handle:
            catalog = read_po(handle, locale=locale)
        compiled = io.BytesIO()
        write_mo(compiled, catalog)
        compiled.seek(0)
        part = Translations(compiled)
        if isinstance(merged, Translations):
            merged.merge(part)
        else:
            merged = part
    return merged


def current_locale() -> str:
    """The language of the page being rendered."""
    return _locale.get()


def current_time_zone() -> str:
    """The reader's IANA time zone."""
    return _zone.get()


@contextmanager
def use(locale: str, time_zone: str = "UTC") -> Iterator[None]:
    """Render in this language and time zone within the block."""
    locale_token = _locale.set(locale if locale in LOCALES else DEFAULT_LOCALE)
    zone_token = _zone.set(time_zone)
    try:
        yield
    finally:
        _locale.reset(locale_token)
        _zone.reset(zone_token)


def gettext(message: str, **variables: object) -> str:
    """The message in the current language, with `%(name)s` variables filled in."""
    text = translations(_locale.get()).gettext(message)
    return text % variables if variables else text


def N_(message: str) -> str:
    """Mark a text for translation where it is defined; it is translated where it is shown."""
    return message


def translate_all(message: str, variables: dict[str, object]) -> str:
    """A marked message with its variables, each variable that is itself a marked text
    translated too (an unmarked value, such as a name, comes back unchanged)."""
    translated = {k: gettext(v) if isinstance(v, str) else v for k, v in variables.items()}
    return gettext(message, **translated)


def ngettext(singular: str, plural: str, n: int, **variables: object) -> str:
    """The singular or plural message in the current language; `%(num)s` is n."""
    text = translations(_locale.get()).ngettext(singular, plural, n)
    return text % {"num": n, **variables}


def negotiate(accept_language: str | None) -> str:
    """The best of our languages for an Accept-Language header."""
    if not accept_language:
        return DEFAULT_LOCALE
    wanted = []
    for part in accept_language.split(","):
        tag, _, quality = part.strip().partition(";q=")
        try:
            weight = float(quality) if quality else 1.0
        except ValueError:
            continue
        if tag and tag != "*":
            wanted.append((weight, tag.replace("-", "_")))
    ordered = [tag for _, tag in sorted(wanted, key=lambda w: -w[0])]
    try:
        found = Locale.negotiate(ordered, list(LOCALES), sep="_")
    except UnknownLocaleError:
        found = None
    return str(found.language) if found is not None else DEFAULT_LOCALE


def request_locale(request: Request, user_locale: str | None = None) -> str:
    """A page's language: the user's choice, the language cookie, Accept-Language, English."""
    for choice in (user_locale, request.cookies.get(LANG_COOKIE)):
        if choice in LOCALES:
            return choice
    return negotiate(request.headers.get("accept-language"))


def zone(name: str) -> ZoneInfo:
    """An IANA zone, UTC when unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def when(moment: datetime | None, format: str = "medium") -> str:
    """A moment in the reader's zone and language, with the zone's abbreviation."""
    if moment is None:
        return ""
    return (
        format_datetime(moment, format=f"{format}", tzinfo=zone(_zone.get()), locale=_locale.get())
        + f" {moment.astimezone(zone(_zone.get())).strftime('%Z')}"
    )


def day(value: date | datetime | None) -> str:
    """A date in the reader's language (a moment is taken in the reader's zone)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(zone(_zone.get())).date()
    return format_date(value, format="medium", locale=_locale.get())
