"""Annotated dependency aliases used by the routers."""

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Header, Query, Request
from sqlalchemy.orm import Session

from app.common.schemas import Offset, PageParams
from app.db import get_read_sessionmaker, get_sessionmaker, session_scope
from app.errors import InvalidField, NotAuthenticated
from app.matches.index import RankerState, get_ranker
from app.organizations.models import Role
from app.organizations.service import Principal, authenticate, last_use_is_stale, touch_key


def get_session(request: Request) -> Iterator[Session]:
    """One session per request; routes commit, errors roll back. GET requests read only."""
    factory = get_read_sessionmaker if request.method in SAFE_METHODS else get_sessionmaker
    session = factory()()
    try:
        yield session
    finally:
        session.rollback()
        session.close()


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SessionDep = Annotated[Session, Depends(get_session)]


def get_principal(
    session: SessionDep, authorization: Annotated[str | None, Header()] = None
) -> Principal:
    """Authenticate `Authorization: Bearer <key>`."""
    if not authorization:
        raise NotAuthenticated()
    scheme, _, raw = authorization.partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        raise NotAuthenticated()
    principal, key = authenticate(session, raw_key=raw.strip())
    session.commit()  # end this transaction before the touch takes the write lock
    if last_use_is_stale(key):
        with session_scope() as writer:
            touch_key(writer, key_id=key.id)
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def _require(role: Role):  # type: ignore[no-untyped-def]
    def dependency(principal: PrincipalDep) -> Principal:
        principal.require(role)
        return principal

    return dependency


AnalystDep = Annotated[Principal, Depends(_require(Role.ANALYST))]
AdminDep = Annotated[Principal, Depends(_require(Role.ADMIN))]


def get_page(limit: Annotated[int, Query(ge=1, le=500)] = 50, offset: Offset = 0) -> PageParams:
    """Pagination parameters."""
    return PageParams(limit=limit, offset=offset)


PageDep = Annotated[PageParams, Depends(get_page)]


IF_MATCH = r'^(\*|(W/)?"?[0-9]+"?)$'


def get_if_match(
    if_match: Annotated[str | None, Header(json_schema_extra={"pattern": IF_MATCH})] = None,
) -> int | None:
    """The expected record version from If-Match (`"3"`, `W/"3"` or `3`)."""
    if if_match is None or if_match.strip() == "*":
        return None
    value = if_match.strip().removeprefix("W/").strip('"')
    if not value.isdigit():
        raise InvalidField("If-Match", 'must be the record\'s version, e.g. "3"', location="header")
    return int(value)


IfMatchDep = Annotated[int | None, Depends(get_if_match)]


RankerDep = Annotated[RankerState, Depends(get_ranker)]
