"""Capability gaps in the admin pages: coverage per technology area with the records behind
every figure, charts of coverage and of its weekly trend, the authorization requests that
would unlock the most, the CSV, and one solicitation's uncovered sentences. Reads only."""

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import Field

from app.admin import i18n
from app.admin.forms import parse_form
from app.admin.i18n import N_, gettext
from app.admin.web import PageError, UserDep, render
from app.common.schemas import RecordId, StrictModel
from app.deps import RankerDep, SessionDep
from app.insights import charts, export, service, snapshots
from app.insights.schemas import GapsRead, TrendRead

router = APIRouter(prefix="/admin/insights", include_in_schema=False)
NOT_VALID = N_("Not valid")
STATUS_NAMES = {
    "eligible": N_("eligible"),
    "needs_authorization": N_("needs an export authorization"),
    "ineligible": N_("ineligible"),
}
SOURCE_NAMES = {
    "request": N_("set for this request"),
    "organization": N_("your organization's setting"),
    "platform": N_("the platform default"),
}
FIELD_NAMES = {"title": N_("Title"), "description": N_("Description")}


class GapForm(StrictModel):
    """The page's filters, as its form sends them (the API's own)."""

    technology_area: Annotated[str | None, Field(max_length=64)] = None
    agency: Annotated[str | None, Field(max_length=300)] = None
    include_closed: bool = False
    min_fit: Annotated[float | None, Field(ge=0, le=1, allow_inf_nan=False)] = None

    def filters(self) -> service.GapFilters:
        return service.GapFilters(
            technology_area=self.technology_area or None,
            agency=(self.agency or "").strip() or None,
            include_closed=self.include_closed,
            min_fit=self.min_fit,
        )


def _form(request: Request) -> tuple[GapForm, dict[str, Any]]:
    """The filters of the query string; a bad one is refused (422) by name."""
    parsed = parse_form(GapForm, request.query_params, booleans={"include_closed"})
    if parsed.model is None:
        problems = "; ".join(f"{name}: {reason}" for name, reason in parsed.errors.items())
        raise PageError(422, NOT_VALID, problems)
    return parsed.model, parsed.values


def _label(locale_ja: bool, en: str, ja: str) -> str:
    return ja if locale_ja and ja else en


def _bars(gaps: GapsRead, ja: bool) -> str:
    bars = [
        charts.Bar(
            _label(ja, a.label_en, a.label_ja), a.uncovered_share, a.authorization_locked_share
        )
        for a in gaps.areas
        if a.open_solicitations
    ]
    return charts.coverage_bars(
        bars,
        title=gettext("Coverage per technology area"),
        uncovered=gettext("Share uncovered"),
        locked=gettext("Share authorization-locked"),
        axis=gettext("Share of open solicitations (%)"),
    )


def _lines(trend: TrendRead, ja: bool) -> str:
    lines = [
        charts.Line(
            _label(ja, a.label_en, a.label_ja),
            [p.week_start for p in a.points],
            [p.uncovered_share for p in a.points],
        )
        for a in trend.areas
        if any(p.uncovered_share is not None for p in a.points)
    ]
    # Areas with a single week are points, not lines: drawn only while no area has more.
    followed = [line for line in lines if sum(s is not None for s in line.shares) > 1]
    return charts.trend_lines(
        followed or lines,
        title=gettext("Share uncovered per week"),
        axis=gettext("Share of open solicitations uncovered (%)"),
    )


@router.get("", response_class=HTMLResponse)
def gaps_page(
    request: Request, session: SessionDep, signed_in: UserDep, ranker: RankerDep
) -> Response:
    """Coverage per area for the organization and its filters, with charts and the records
    behind every figure."""
    form, values = _form(request)
    organization_id = signed_in.user.organization_id
    gaps = service.gaps(
        session, ranker=ranker, organization_id=organization_id, filters=form.filters()
    )
    trend = snapshots.trend(
        session, organization_id=organization_id, technology_area=form.technology_area or None
    )
    labels = service.area_labels(session)
    query = urlencode({k: v for k, v in values.items() if v not in (None, "", False)})
    locale = i18n.request_locale(request, signed_in.user.locale)
    with i18n.use(locale):
        drawn = {"bars": _bars(gaps, locale == "ja"), "lines": _lines(trend, locale == "ja")}
    return render(
        request,
        "insights/gaps.html",
        {
            "gaps": gaps,
            "trend": trend,
            "values": values,
            "areas": labels,
            "source_names": SOURCE_NAMES,
            "csv_href": "/admin/insights/gaps.csv" + (f"?{query}" if query else ""),
            "charts": drawn,
        },
        signed_in=signed_in,
    )


@router.get("/gaps.csv", response_class=Response)
def gaps_csv(
    request: Request, session: SessionDep, signed_in: UserDep, ranker: RankerDep
) -> Response:
    """The gaps per area as CSV, with the page's filters (the API's export)."""
    form, _values = _form(request)
    gaps = service.gaps(
        session,
        ranker=ranker,
        organization_id=signed_in.user.organization_id,
        filters=form.filters(),
    )
    return export.csv_response(gaps)


class ViewForm(StrictModel):
    min_fit: Annotated[float | None, Field(ge=0, le=1, allow_inf_nan=False)] = None


@router.get("/solicitations/{solicitation_id:int}", response_class=HTMLResponse)
def solicitation_page(
    request: Request,
    session: SessionDep,
    signed_in: UserDep,
    ranker: RankerDep,
    solicitation_id: RecordId,
) -> Response:
    """One solicitation's sentences, the uncovered ones marked, each with its nearest partners
    and why they are held back."""
    parsed = parse_form(ViewForm, request.query_params)
    if parsed.model is None:
        problems = "; ".join(f"{name}: {reason}" for name, reason in parsed.errors.items())
        raise PageError(422, NOT_VALID, problems)
    gap = service.solicitation_gap(
        session,
        ranker=ranker,
        organization_id=signed_in.user.organization_id,
        solicitation_id=solicitation_id,
        min_fit=parsed.model.min_fit,
    )
    return render(
        request,
        "insights/solicitation.html",
        {"gap": gap, "status_names": STATUS_NAMES, "field_names": FIELD_NAMES},
        signed_in=signed_in,
    )
