"""A report as the reader gets it: subject with the date, plain text, HTML a mail client
shows as is (inline styles, no scripts or external resources), a CSV Excel opens with its
Japanese intact, English or Japanese fixed texts, dates in the organization's zone, an
opt-out link; and the one-line "nothing new" mail."""

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from babel.messages.extract import extract_from_dir

from app.admin import i18n
from app.reports.render import SECTION_LIMIT, render, render_nothing_new
from app.reports.schemas import Report, ReportMatch, ReportSolicitation, UpcomingDeadline
from tests.reports.conftest import SECRET, World

UNSUBSCRIBE = "https://kakehashi.example/reports/unsubscribe/token.abc"
TEMPLATES = Path(__file__).resolve().parents[2] / "app" / "reports"


def csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "UTF-8 with a BOM, for Excel"
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def assert_mail_safe(html: str) -> None:
    """What mail clients need: no scripts, stylesheets, images or other fetched resources."""
    lowered = html.lower()
    for banned in ("<script", "<link", "<img", "<iframe", "<style", "src=", "url(", "@import"):
        assert banned not in lowered, banned
    assert 'style="' in html and "<table" in html


def test_english_report(world: World) -> None:
    report = world.report(world.pichtr)
    out = render(report, unsubscribe_url=UNSUBSCRIBE)
    day = report.report_date.isoformat()
    assert out.subject == f"Kakehashi nightly report, {day}: 4 new or changed solicitations"
    text = out.text
    for expected in (
        "== New solicitations (3) ==",
        "== Changed solicitations (1) ==",
        "Ka-band GaN amplifiers (N-new)",
        "Held back: need an export authorization: 3; vetting still pending: 1",
        "Sakura Bakery Robotics KK (JP) · fit 0% ",
        "· pinned",
        "== Waiting for an answer (1) ==",
        "== Deadlines in the next 14 days (1) ==",
        "5 days left",
        "Newly vetted: Aoi GaN Devices KK (JP)",
        "27.5 GHz",  # a US-side reader gets ITAR descriptions
        f"Stop these reports: {UNSUBSCRIBE}",
    ):
        assert expected in text, expected
    assert "<p>" not in text
    assert_mail_safe(out.html)
    assert f'href="{UNSUBSCRIBE}"' in out.html and "Ka-band GaN amplifiers" in out.html

    rows = csv_rows(out.csv_bytes)
    assert rows[0][:4] == ["Report date", "Solicitation id", "Notice id", "Title"]
    listed = [(s, m) for s in report.solicitations for m in s.matches]
    assert len(rows) - 1 == len(listed) > 0
    for row, (solicitation, match) in zip(rows[1:], listed, strict=True):
        assert row[0] == day and row[1] == str(solicitation.id) and row[4] == str(match.company_id)
        assert row[5] == match.name and float(row[9]) == match.fit and row[10] == match.why
        assert row[12] == ("yes" if match.pinned else "")
    assert out.csv_filename == f"kakehashi-report-{day}.csv"
    # No opt-out link given: none shown.
    assert "Stop these reports" not in render(report).text


def test_japanese_report_withholds_controlled_descriptions_everywhere(world: World) -> None:
    report = world.report(world.jetro, locale="ja").model_copy(update={"time_zone": "Asia/Tokyo"})
    out = render(report, unsubscribe_url=UNSUBSCRIBE)
    assert out.subject.startswith(f"Kakehashi 日次レポート {report.report_date.isoformat()}")
    assert "新規・変更の公募案件 4件" in out.subject
    for part in (out.text, out.html, out.csv_bytes.decode("utf-8-sig")):
        assert SECRET not in part and "27.5 GHz" not in part
    for part in (out.text, out.html):
        assert "説明文は非表示です：ITAR 指定" in part
        assert "新規の公募案件（3件）" in part and "フォロー中の公募案件の変更（1件）" in part
        assert "アオイGaNデバイス株式会社" in part and "対象外：" in part
        assert UNSUBSCRIBE in part and "このレポートの配信" in part
        # Dates in the organization's zone, with its abbreviation.
        assert "JST" in part and "UTC" not in part.replace("UTC で", "")
    rows = csv_rows(out.csv_bytes)
    assert rows[0][0] == "レポート日"
    assert "アオイGaNデバイス株式会社" in {row[6] for row in rows[1:]}
    assert_mail_safe(out.html)


def test_nothing_new_is_one_line_and_no_attachment() -> None:
    report = Report(
        organization_id=1,
        organization="JETRO",
        side="jp",
        time_zone="Asia/Tokyo",
        recipient_id=3,
        recipient_email="a@jetro.example.jp",
        locale="en",
        report_date=date(2026, 11, 30),
        window_start=datetime(2026, 11, 28, 23, 0, tzinfo=UTC),
        window_end=datetime(2026, 11, 29, 23, 0, tzinfo=UTC),
        solicitations=[],
        changes=[],
        waiting=[],
        deadlines=[],
        partners=[],
    )
    assert report.nothing_new
    out = render_nothing_new(report, unsubscribe_url=UNSUBSCRIBE)
    assert out.subject == "Kakehashi nightly report, 2026-11-30: nothing new"
    assert out.text.splitlines()[0] == "Nothing new for JETRO since Nov 29, 2026 08:00 JST."
    assert out.csv_bytes == b"" and UNSUBSCRIBE in out.text and UNSUBSCRIBE in out.html
    assert "<script" not in out.html.lower() and "src=" not in out.html.lower()
    japanese = render_nothing_new(report.model_copy(update={"locale": "ja"}))
    assert japanese.subject == "Kakehashi 日次レポート 2026-11-30：新着なし"
    assert japanese.text.strip() == "2026/11/29 08:00 JST 以降、JETRO 様への新着情報はありません。"


def test_long_sections_show_their_head_and_count_the_rest() -> None:
    end = datetime(2026, 11, 30, 17, 0, tzinfo=UTC)
    deadlines = [
        UpcomingDeadline(
            solicitation_id=i,
            notice_id=f"DL-{i:02d}",
            title=f"Notice {i}",
            response_deadline=end + timedelta(days=1),
            days_left=1,
            followed=False,
        )
        for i in range(SECTION_LIMIT + 5)
    ]
    report = Report(
        organization_id=1,
        organization="PICHTR",
        side="us",
        recipient_id=None,
        recipient_email="",
        locale="en",
        report_date=end.date(),
        window_start=end - timedelta(days=1),
        window_end=end,
        solicitations=[],
        changes=[],
        waiting=[],
        deadlines=deadlines,
        partners=[],
    )
    out = render(report)
    for part in (out.text, out.html):
        assert f"Deadlines in the next 14 days ({SECTION_LIMIT + 5})" in part
        assert f"DL-{SECTION_LIMIT - 1:02d}" in part and f"DL-{SECTION_LIMIT:02d}" not in part
        assert "…and 5 more in Kakehashi." in part
    assert "1 day left" in out.text
    # No match listed: the CSV holds its header only.
    assert len(csv_rows(out.csv_bytes)) == 1


def test_record_text_is_escaped_in_html_and_kept_in_text() -> None:
    hostile = '<script>alert("x")</script> & <b>bold</b>'
    match = ReportMatch(
        company_id=1,
        name=hostile,
        country="JP",
        score=0.5,
        fit=0.6,
        why=hostile,
        shared_areas=["Space"],
    )
    solicitation = ReportSolicitation(
        id=1,
        notice_id="N-1",
        title=hostile,
        agency=None,
        kind="new",
        response_deadline=None,
        export_control="none",
        foreign_participation="allowed",
        technology_areas=[],
        link='https://sam.example/opp?a=1&b="2"',
        description=hostile,
        matches=[match],
    )
    report = Report(
        organization_id=1,
        organization="PICHTR",
        side="us",
        recipient_id=None,
        recipient_email="",
        locale="en",
        report_date=date(2026, 11, 30),
        window_start=datetime(2026, 11, 29, 17, 0, tzinfo=UTC),
        window_end=datetime(2026, 11, 30, 17, 0, tzinfo=UTC),
        solicitations=[solicitation],
        changes=[],
        waiting=[],
        deadlines=[],
        partners=[],
    )
    out = render(report)
    assert "<script" not in out.html and "&lt;script&gt;" in out.html
    assert 'href="https://sam.example/opp?a=1&amp;b=&#34;2&#34;"' in out.html
    assert hostile in out.text
    assert out.subject == "Kakehashi nightly report, 2026-11-30: 1 new or changed solicitation"
    assert csv_rows(out.csv_bytes)[1][3] == hostile


def test_every_text_of_the_mail_has_a_japanese_translation() -> None:
    """The plain-text templates too (the admin's catalog check reads only HTML templates)."""
    methods = [("**/templates/**.txt", "jinja2.ext:babel_extract")]
    options = {"**/templates/**.txt": {"extensions": "jinja2.ext.i18n"}}
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2)}
    found = set()
    for _file, _line, message, _c, _ctx in extract_from_dir(
        TEMPLATES, methods, keywords=keywords, options_map=options
    ):
        found.update([message] if isinstance(message, str) else [m for m in message if m])
    assert len(found) >= 20
    japanese = i18n.translations("ja")
    assert not sorted(m for m in found if japanese.gettext(m) == m)
    assert all(re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", japanese.gettext(m)) for m in found)
