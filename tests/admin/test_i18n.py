"""Every fixed text of the admin pages exists in Japanese, and dates follow the reader."""

from datetime import UTC, datetime
from pathlib import Path

from babel.messages.extract import extract_from_dir

from app.admin import i18n

APP = Path(__file__).resolve().parents[2] / "app"
# Templates through Jinja2's own extractor; Python through gettext/ngettext/N_ calls.
METHODS = [("**/templates/**.html", "jinja2.ext:babel_extract"), ("**.py", "python")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}


def source_messages() -> set[str]:
    """Every message the admin pages mark for translation."""
    found: set[str] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        APP, METHODS, keywords=KEYWORDS, options_map=OPTIONS
    ):
        found.update([message] if isinstance(message, str) else [m for m in message if m])
    return found


def test_every_marked_text_has_a_japanese_translation() -> None:
    messages = source_messages()
    assert len(messages) >= 20, "the pages mark their texts for translation"
    japanese = i18n.translations("ja")
    missing = sorted(m for m in messages if japanese.gettext(m) == m)
    assert not missing, f"{len(missing)} texts without Japanese: {missing[:20]}"


def test_language_from_accept_language() -> None:
    assert i18n.negotiate("ja,en-US;q=0.8") == "ja"
    assert i18n.negotiate("en-GB,ja;q=0.5") == "en"
    assert i18n.negotiate("fr-FR, ja-JP;q=0.9") == "ja"
    assert i18n.negotiate("de") == "en"
    assert i18n.negotiate(None) == "en"
    assert i18n.negotiate("ja;q=abc, *") == "en"


def test_dates_in_the_readers_zone_and_language() -> None:
    moment = datetime(2026, 3, 8, 12, 30, tzinfo=UTC)
    with i18n.use("en", "America/New_York"):
        assert i18n.when(moment).endswith("EDT") and "8:30" in i18n.when(moment)
    with i18n.use("ja", "Asia/Tokyo"):
        assert "2026/03/08" in i18n.when(moment) and "21:30" in i18n.when(moment)
        assert i18n.day(moment) == "2026/03/08"
    with i18n.use("en", "Not/AZone"):
        assert i18n.when(moment).endswith("UTC")


def test_one_text_has_one_translation_in_every_catalog() -> None:
    """The catalogs are merged: a text translated two ways would read one way at random."""
    from babel.messages.pofile import read_po

    seen: dict[str, tuple[str, str]] = {}
    clashes = []
    for po in sorted((i18n.CATALOGS / "ja" / "LC_MESSAGES").glob("*.po")):
        with po.open("rb") as handle:
            for message in read_po(handle):
                if not message.id:
                    continue
                key = message.id if isinstance(message.id, str) else message.id[0]
                text = message.string if isinstance(message.string, str) else message.string[0]
                first = seen.setdefault(key, (po.name, text))
                if first[1] != text:
                    clashes.append((key, first, (po.name, text)))
    assert not clashes, clashes
