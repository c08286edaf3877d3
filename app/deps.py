"""Annotated dependency aliases used by the routers."""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Header, Query, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from app.common.schemas import Offset, PageParams
from app.db import best_effort, get_read_sessionmaker, get_sessionmaker, read_only_session
from app.errors import InvalidField, NotAuthenticated
from app.matches.index import RankerState, get_ranker
from app.organizations.models import Role
from app.organizations.service import (
    Principal,
    authenticate,
    claim_touch,
    last_use_is_stale,
    touch_key,
)
from app.organizations.throttling import client_address, get_throttle


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One session per request; routes commit, errors roll back. GET requests read only.

    Async because a thread-pool hop costs more than the work: opening a session does no I/O
    (it connects on first use); ending one that still holds a connection does, so only that
    part runs in the thread pool."""
    factory = get_read_sessionmaker if request.method in SAFE_METHODS else get_sessionmaker
    session = factory()()
    try:
        yield session
    finally:
        if session.in_transaction():
            await run_in_threadpool(_end, session)
        else:
            session.close()


def _end(session: Session) -> None:
    session.rollback()
    session.close()


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SessionDep = Annotated[Session, Depends(get_session)]


def get_principal(
    request: Request, session: SessionDep, authorization: Annotated[str | None, Header()] = None
) -> Principal:
    """Authenticate `Authorization: Bearer <key>`; rate limited per address and per key (429)."""
    throttle = get_throttle(request.app)
    throttle.check_api_address(client_address(request))
    if not authorization:
        raise NotAuthenticated()
    scheme, _, raw = authorization.partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        raise NotAuthenticated()
    if request.method in SAFE_METHODS:
        # The request's own session reads only already: authenticate in its snapshot.
        principal, key = authenticate(session, raw_key=raw.strip())
    else:
        # Read-only, so authenticating a write does not take (or wait for) the write lock.
        with read_only_session(session) as reader:
            principal, key = authenticate(reader, raw_key=raw.strip())
    throttle.check_api_key(key.prefix)
    if last_use_is_stale(key):
        # Best effort, one request per key at a time: when the write lock is not free at once
        # the touch waits for next time.
        with claim_touch(key.id) as claimed:
            if claimed:
                with best_effort() as writer:
                    touch_key(writer, key_id=key.id)
                # A GET's snapshot began before the touch: start afresh so it reads its own use.
                session.rollback()
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def _require(role: Role):  # type: ignore[no-untyped-def]
    async def dependency(principal: PrincipalDep) -> Principal:  # no I/O: no thread hop
        principal.require(role)
        return principal

    return dependency


AnalystDep = Annotated[Principal, Depends(_require(Role.ANALYST))]
AdminDep = Annotated[Principal, Depends(_require(Role.ADMIN))]


async def get_page(
    limit: Annotated[int, Query(ge=1, le=500)] = 50, offset: Offset = 0
) -> PageParams:
    """Pagination parameters."""
    return PageParams(limit=limit, offset=offset)


PageDep = Annotated[PageParams, Depends(get_page)]


IF_MATCH = r'^(\*|(W/)?"?[0-9]+"?)$'


async def get_if_match(
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
