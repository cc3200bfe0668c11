"""The unit of work: one session per request, committed once, and no input answered with a 500.

It must see the finished response, so it holds it: the request's session (a writer for anything
but GET/HEAD/OPTIONS) is committed once, after the handler produced a success, *before* the
client sees that success; on an error response or an exception it is rolled back, so nothing is
half-written. A layer outside may work in the same transaction: first, before the route runs
(``BEFORE_WORK``: the idempotency layer looks its key up), and last, just before the commit
(``BEFORE_COMMIT``: it stores the answer with the work it describes).

Errors are mapped here too, as only this layer sees the commit fail: a database error caused by
a value (SQLSTATE class 22) is a 422, a lost race a 409, an unavailable database a 503, and
anything unexpected a JSON 500 that still carries the shared headers (the exception is then
re-raised for the server's log).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import ASGIApp, Receive, Scope, Send

from app.core.db import Database
from app.core.middleware.asgi import Buffered, json_error
from app.core.requests import COMMIT_ON_ERROR, READ_METHODS, SESSION_KEY

log = logging.getLogger("accord.requests")

# Where a layer outside puts its first statements, in the request's transaction before the
# route runs: given the session, it returns None to let the route run, or a response to send
# instead (the transaction is then rolled back and the route never runs).
BEFORE_WORK = "accord.before_work"
BeforeWork = Callable[[AsyncSession], Awaitable[Buffered | None]]
# Where a layer outside puts its last write before the commit: given the session and the
# response about to be committed, it writes (or not) and returns None, or returns another
# response, and then the work is rolled back and that response is sent instead.
BEFORE_COMMIT = "accord.before_commit"
BeforeCommit = Callable[[AsyncSession, Buffered], Awaitable[Buffered | None]]


class UnitOfWork:
    def __init__(self, app: ASGIApp, *, db: Database) -> None:
        self.app = app
        self.db = db

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        factory = self.db.reader if scope["method"] in READ_METHODS else self.db.writer
        response = Buffered()
        unexpected: Exception | None = None
        async with factory() as session:
            scope[SESSION_KEY] = session
            try:
                before_work: BeforeWork | None = scope.get(BEFORE_WORK)
                instead = None if before_work is None else await before_work(session)
                if instead is not None:
                    await session.rollback()
                    response = instead
                else:
                    await self.app(scope, receive, response.collect)
                    response = await _commit_or_roll_back(scope, session, response)
            except Exception as exc:
                await session.rollback()
                failure = _database_failure(exc)
                if failure is None:
                    # A bug of ours: answer in the shared shape, then let the server log it.
                    failure = json_error(
                        500, "internal_error", "something went wrong on our side; it was logged"
                    )
                    unexpected = exc
                response = failure
            except BaseException:  # cancelled: nobody is waiting for an answer
                await session.rollback()
                raise
            finally:
                scope.pop(SESSION_KEY, None)
        # Sent once the session is closed: whatever the client hears about is settled.
        await response.send_to(send)
        if unexpected is not None:
            raise unexpected


async def _commit_or_roll_back(scope: Scope, session: AsyncSession, response: Buffered) -> Buffered:
    if response.status >= 400 and not session.info.get(COMMIT_ON_ERROR):
        await session.rollback()
        return response
    before_commit: BeforeCommit | None = scope.get(BEFORE_COMMIT)
    if before_commit is not None:
        instead = await before_commit(session, response)
        if instead is not None:
            await session.rollback()
            return instead
    await session.commit()
    return response


def _database_failure(exc: BaseException) -> Buffered | None:
    """The answer for a database error a request caused, or None if it is a bug of ours."""
    if isinstance(exc, IntegrityError):
        # A uniqueness race lost at commit time: the state changed under this request.
        return json_error(409, "conflict", "the request conflicts with a concurrent change; retry")
    if isinstance(exc, OperationalError | ConnectionError):
        # ConnectionError: asyncpg's refused or reset connection reaches us unwrapped.
        log.exception("database unavailable")
        return json_error(
            503, "database_unavailable", "the database is busy; retry", {"Retry-After": "1"}
        )
    if not isinstance(exc, DBAPIError):
        return None
    sqlstate = str(getattr(exc.orig, "sqlstate", None) or "")
    if isinstance(exc, DataError) or sqlstate.startswith("22"):
        # A value the database cannot hold or compare (a NUL in PostgreSQL text, say): input
        # validation should have refused it, so log it, but it is the client's input all the same.
        log.warning("database refused a value: %s", exc.orig)
        return json_error(
            422, "invalid_value", "a value in this request cannot be stored; check the input"
        )
    if sqlstate.startswith("40"):
        # Serialization failure or deadlock: PostgreSQL chose this transaction to undo.
        return json_error(409, "conflict", "the request conflicts with a concurrent change; retry")
    return None
