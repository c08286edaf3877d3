"""What a nightly report holds, built from records made through the API: new and changed
solicitations in the window with their eligible matches (pinned first, hidden left out, the
minimum fit and list length applied) and held-back counts; followed changes; answers waiting;
deadlines; partners vetted or expiring; new screening hits; nothing new; one night's cache
changing nothing."""

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from app.db import get_sessionmaker
from app.reports.content import Audience, ReportCache, build_report
from app.reports.render import render
from matching.calibration import DEFAULT_MIN_FIT
from tests.conftest import Keys
from tests.reports.conftest import SECRET, World


def test_new_and_changed_solicitations_with_their_eligible_matches(world: World) -> None:
    report = world.report(world.pichtr)
    listed = {s.id: s for s in report.solicitations}
    ids = world.ids
    # Created before the window: out; created or amended in it: in, new ones first.
    assert ids["before"] not in listed
    assert [s.kind for s in report.solicitations] == ["new", "new", "new", "changed"]
    assert listed[ids["amended"]].kind == "changed"
    assert listed[ids["amended"]].title == "GaN amplifiers, amended"

    new = listed[ids["new"]]
    # The pinned pair first although its fit is below the minimum; the hidden one and the
    # partner still pending vetting are left out of the list.
    assert new.matches[0].company_id == ids["bakery"] and new.matches[0].pinned
    rest = new.matches[1:]
    assert {m.company_id for m in rest} == {ids["gan"], ids["ginga"]}
    assert [m.score for m in rest] == sorted((m.score for m in rest), reverse=True)
    assert all(m.fit >= DEFAULT_MIN_FIT for m in rest)
    assert all(m.why and "Trusted microelectronics" in m.shared_areas for m in rest)
    assert [(h.code, h.count) for h in new.held_back] == [("vetting_pending", 1)]
    assert new.held_back[0].message == "vetting still pending"
    assert new.description and new.description.startswith("Prototype radiation-hardened")
    assert "<p>" not in new.description  # markup cleaned out of the excerpt

    # ITAR, authorization required: nobody eligible; the vetted three held back for want of
    # an authorization, the pending one for its vetting. A US-side reader gets the text.
    itar = listed[ids["itar"]]
    assert itar.matches == [] and itar.more_matches == 0
    assert [(h.code, h.count) for h in itar.held_back] == [
        ("authorization_required", 3),
        ("vetting_pending", 1),
    ]
    assert itar.held_back[0].message == "need an export authorization"
    assert itar.description and "27.5 GHz" in itar.description and itar.withheld_reason is None

    # One match asked for: the pinned one; the two others reaching the minimum are counted.
    short = {s.id: s for s in world.report(world.pichtr, max_matches=1).solicitations}
    assert [m.company_id for m in short[ids["new"]].matches] == [ids["bakery"]]
    assert short[ids["new"]].more_matches == 2
    # A minimum nobody reaches: only the pinned pair stays, and nothing is held back.
    strict = {s.id: s for s in world.report(world.pichtr, min_fit=0.999).solicitations}
    assert [m.company_id for m in strict[ids["new"]].matches] == [ids["bakery"]]
    assert strict[ids["new"]].more_matches == 0 and strict[ids["itar"]].held_back == []


def test_areas_filter_solicitations_and_deadlines(world: World) -> None:
    robots = world.report(world.pichtr, technology_areas=("robotics",))
    assert [s.id for s in robots.solicitations] == [world.ids["robots"]]
    assert robots.solicitations[0].technology_areas == ["Robotics"]
    assert robots.deadlines == []  # the closing solicitation is about space and chips
    space = world.report(world.pichtr, technology_areas=("space", "quantum"))
    assert world.ids["robots"] not in {s.id for s in space.solicitations}
    assert [d.solicitation_id for d in space.deadlines] == [world.ids["before"]]


def test_japan_side_reader_never_gets_a_controlled_description(world: World) -> None:
    report = world.report(world.jetro, locale="ja")
    itar = next(s for s in report.solicitations if s.id == world.ids["itar"])
    assert itar.description is None
    assert itar.withheld_reason and itar.withheld_reason.startswith("ITAR-marked")
    # Its followed amendment says the description changed, never what it says.
    (change,) = report.changes
    assert change.solicitation_id == world.ids["itar"] and change.kind == "amended"
    assert change.changes == {"description": {"withheld": True}}
    assert SECRET not in report.model_dump_json() and "27.5 GHz" not in report.model_dump_json()
    # Uncontrolled notices keep their excerpt; labels in the reader's language.
    new = next(s for s in report.solicitations if s.id == world.ids["new"])
    assert new.description and new.technology_areas == ["宇宙", "高信頼マイクロエレクトロニクス"]
    # JETRO hid nothing: all three vetted GaN partners are listed.
    assert {m.company_id for m in new.matches} == {
        world.ids["gan"],
        world.ids["hikari"],
        world.ids["ginga"],
    }


def test_changes_waiting_deadlines_and_partners(world: World) -> None:
    report = world.report(world.pichtr)
    assert report.changes == []  # PICHTR follows nothing
    (waiting,) = report.waiting
    assert (waiting.company_id, waiting.solicitation_id) == (world.ids["gan"], world.ids["before"])
    assert waiting.status == "sent" and waiting.days_waiting == 0
    (deadline,) = report.deadlines
    assert deadline.solicitation_id == world.ids["before"] and deadline.days_left == 5
    assert not deadline.followed
    assert [(p.company_id, p.kind) for p in report.partners] == [
        (world.ids["gan"], "newly_vetted"),
        (world.ids["ginga"], "expiring"),
    ]
    assert report.summary() == {
        "solicitations": 4,
        "matches": sum(len(s.matches) for s in report.solicitations),
        "changes": 0,
        "waiting": 1,
        "deadlines": 1,
        "partners": 2,
        "screening": 0,
    }
    # JETRO sent nothing: nothing waits for it.
    assert world.report(world.jetro).waiting == []


def test_a_window_with_nothing_in_it_is_nothing_new(world: World) -> None:
    with get_sessionmaker()() as session:
        for org in (world.pichtr, world.jetro):
            report = build_report(
                session,
                audience=Audience(organization_id=org, recipient_id=7, email="a@b.jp", locale="en"),
                report_date=datetime(2000, 1, 2).date(),
                window_start=datetime(2000, 1, 1, tzinfo=UTC),
                window_end=datetime(2000, 1, 2, tzinfo=UTC),
            )
            assert report.nothing_new and report.recipient_id == 7
            assert report.summary() == dict.fromkeys(report.summary(), 0)


def test_one_cache_for_a_night_shares_rankings_and_changes_nothing(world: World) -> None:
    cache = ReportCache()
    end = world.end()
    with get_sessionmaker()() as session:

        def report(org: int, cache: ReportCache | None, max_matches: int = 10) -> str:
            audience = Audience(
                organization_id=org,
                recipient_id=None,
                email="",
                locale="en",
                max_matches=max_matches,
            )
            built = build_report(
                session,
                audience=audience,
                report_date=end.date(),
                window_start=world.start,
                window_end=end,
                cache=cache,
            )
            return built.model_dump_json()

        shared = [report(org, cache) for org in (world.pichtr, world.jetro, world.jetro)]
        alone = [report(org, None) for org in (world.pichtr, world.jetro)]
        assert shared[:2] == alone and shared[2] == shared[1]
        # PICHTR reviewed pairs of one solicitation: that one ranked for it alone; the three
        # others once for both organizations, and the second JETRO reader ranked nothing.
        assert cache.rankings == 5 and cache.hits == 3 + 4
        # Shorter lists are the head of the longer ones: nothing ranked again.
        for org in (world.pichtr, world.jetro):
            assert report(org, cache, max_matches=2) == report(org, None, max_matches=2)
        assert cache.rankings == 5
        # A longer one is ranked again (the four solicitations JETRO reads).
        assert report(world.jetro, cache, max_matches=20) == report(world.jetro, None, 20)
        assert cache.rankings == 5 + 4


def test_new_screening_hits_reach_the_reports_that_may_review_them(
    world: World, client: TestClient, keys: Keys
) -> None:
    from tests.screening.conftest import load, new_company

    flagged = new_company(client, keys, name="Kawasemi Microwave Devices Co., Ltd.")
    assert load(client, keys, "csl_excerpt.csv").status_code == 201

    for org in (world.pichtr, world.jetro):  # the platform, and the partner's own organization
        [alert] = world.report(org).screening
        assert alert.company_id == flagged["id"] and alert.status == "open"
        assert alert.list_name == "csl" and "Kawasemi" in alert.entry_name
        assert world.report(org).summary()["screening"] == 1

    english = render(world.report(world.pichtr))
    assert "US Consolidated Screening List: Kawasemi Micro-Wave Devices" in english.text
    assert "held back until reviewed" in english.text and "held back until reviewed" in english.html
    japanese = render(world.report(world.jetro, locale="ja"))
    assert "米国統合スクリーニングリスト" in japanese.text and "確認が済むまで保留" in japanese.html

    # A window that ends before the list was loaded holds no alert.
    with get_sessionmaker()() as session:
        earlier = build_report(
            session,
            audience=Audience(
                organization_id=world.pichtr, recipient_id=None, email="", locale="en"
            ),
            report_date=world.start.date(),
            window_start=world.start - timedelta(days=1),
            window_end=world.start,
        )
    assert earlier.screening == []
