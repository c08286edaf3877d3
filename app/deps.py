"""Annotated dependency aliases used by the routers."""

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Header, Query
from sqlalchemy.orm import Session

from app.common.schemas import PageParams
from app.db import get_sessionmaker
from app.errors import InvalidField, NotAuthenticated
from app.matches.index import RankerState, get_ranker
from app.organizations.models import Role
from app.organizations.service import Principal, authenticate


def get_session() -> Iterator[Session]:
    """One session per request; routes commit, errors roll back."""
    session = get_sessionmaker()()
    try:
        yield session
    finally:
        session.rollback()
        session.close()


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
    principal, _key = authenticate(session, raw_key=raw.strip())
    session.commit()
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def _require(role: Role):  # type: ignore[no-untyped-def]
    def dependency(principal: PrincipalDep) -> Principal:
        principal.require(role)
        return principal

    return dependency


AnalystDep = Annotated[Principal, Depends(_require(Role.ANALYST))]
AdminDep = Annotated[Principal, Depends(_require(Role.ADMIN))]


def get_page(
    limit: Annotated[int, Query(ge=1, le=500)] = 50, offset: Annotated[int, Query(ge=0)] = 0
) -> PageParams:
    """Pagination parameters."""
    return PageParams(limit=limit, offset=offset)


PageDep = Annotated[PageParams, Depends(get_page)]


def get_if_match(if_match: Annotated[str | None, Header()] = None) -> int | None:
    """The expected record version from If-Match (`"3"`, `W/"3"` or `3`)."""
    if if_match is None or if_match.strip() == "*":
        return None
    value = if_match.strip().removeprefix("W/").strip('"')
    if not value.isdigit():
        raise InvalidField("If-Match", 'must be the record\'s version, e.g. "3"', location="header")
    return int(value)


IfMatchDep = Annotated[int | None, Depends(get_if_match)]


RankerDep = Annotated[RankerState, Depends(get_ranker)]
