"""What a nightly report holds, built from records made through the API."""

from tests.reports.conftest import World


def test_new_solicitations_in_the_window_with_their_eligible_matches(world: World) -> None:
    report = world.report(world.pichtr)
    listed = {s.id: s for s in report.solicitations}
    assert world.ids["before"] not in listed
    assert listed[world.ids["new"]].kind == "new"
    assert listed[world.ids["amended"]].kind == "changed"
