"""Follow endpoints, and the change history of a solicitation."""

from fastapi import APIRouter, Response, status

from app.common.schemas import Page, RecordId, UtcDatetime
from app.deps import AnalystDep, PageDep, PrincipalDep, SessionDep
from app.errors import error_responses
from app.follows import service
from app.follows.schemas import ChangeRead, FollowedChangeRead, FollowRead

router = APIRouter(tags=["follows"], responses=error_responses(401))
FOLLOW = "/solicitations/{solicitation_id:int}/follow"


@router.put(
    FOLLOW,
    response_model=FollowRead,
    responses={
        201: {"model": FollowRead, "description": "Now followed"},
        **error_responses(403, 404),
    },
)
def follow(
    solicitation_id: RecordId, session: SessionDep, principal: AnalystDep, response: Response
) -> FollowRead:
    """Follow a solicitation: your organization is shown the changes made to it from now on.
    201 when newly followed, 200 when it already was."""
    _follow, created = service.follow(session, principal=principal, solicitation_id=solicitation_id)
    session.commit()
    if created:
        response.status_code = status.HTTP_201_CREATED
    return service.get_one(
        session, organization_id=principal.organization_id, solicitation_id=solicitation_id
    )


@router.delete(
    FOLLOW, status_code=status.HTTP_204_NO_CONTENT, responses=error_responses(403, 404, 409)
)
def unfollow(solicitation_id: RecordId, session: SessionDep, principal: AnalystDep) -> None:
    """Stop following a solicitation (404 when your organization does not follow it)."""
    service.unfollow(session, principal=principal, solicitation_id=solicitation_id)
    session.commit()


@router.get("/follows", response_model=Page[FollowRead])
def list_follows(session: SessionDep, principal: PrincipalDep, page: PageDep) -> Page[FollowRead]:
    """The solicitations your organization follows, newest follow first, each with its latest
    change."""
    items, total = service.get_all(
        session, organization_id=principal.organization_id, limit=page.limit, offset=page.offset
    )
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get(
    "/follows/changes",
    response_model=Page[FollowedChangeRead],
    responses=error_responses(400),
)
def followed_changes(
    session: SessionDep,
    principal: PrincipalDep,
    page: PageDep,
    since: UtcDatetime,
    until: UtcDatetime | None = None,
) -> Page[FollowedChangeRead]:
    """Changes made in [since, until) to the solicitations your organization followed when
    they were made, newest first."""
    items, total = service.changes_page(
        session,
        organization_id=principal.organization_id,
        since=since,
        until=until,
        limit=page.limit,
        offset=page.offset,
    )
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get(
    "/solicitations/{solicitation_id:int}/changes",
    response_model=Page[ChangeRead],
    responses=error_responses(404),
)
def solicitation_changes(
    solicitation_id: RecordId, session: SessionDep, _principal: PrincipalDep, page: PageDep
) -> Page[ChangeRead]:
    """A solicitation's change history, newest first: amendments, deadline moves, closing and
    reopening, whoever made them."""
    rows, total = service.history(
        session, solicitation_id=solicitation_id, limit=page.limit, offset=page.offset
    )
    return Page(
        items=[service.to_change_read(r) for r in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )
