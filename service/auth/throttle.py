"""Throttling of sign-in and claim tries: after ``LIMIT`` failures under one key within
``WINDOW``, further tries under that key are refused until the window has passed.

Failures are rows in the database, so every worker process counts the same tries.
"""

from __future__ import annotations

from datetime import timedelta

from litestar.exceptions import HTTPException
from litestar.status_codes import HTTP_429_TOO_MANY_REQUESTS

from service.auth.tables import SignInFailure
from service.clock import now
from service.db import transaction

WINDOW = timedelta(minutes=15)
LIMIT = 5
# One address may be a whole office or estate behind one NAT: more room per address.
ADDRESS_LIMIT = 4 * LIMIT


class TooManyTries(HTTPException):
    status_code = HTTP_429_TOO_MANY_REQUESTS


async def refuse_when_throttled(*keys: str, limit: int = LIMIT) -> None:
    """Raise ``TooManyTries`` (429) when any key has ``limit`` failures in the window."""
    since = now() - WINDOW
    for key in keys:
        failures = await SignInFailure.count().where(
            (SignInFailure.key == key) & (SignInFailure.at > since)
        )
        if failures >= limit:
            minutes = int(WINDOW.total_seconds() // 60)
            raise TooManyTries(detail=f"尝试次数过多，请 {minutes} 分钟后再试。")


async def note_failure(*keys: str) -> None:
    """Count one failed try under each key (and forget tries older than the window)."""
    moment = now()
    async with transaction():
        await SignInFailure.delete().where(SignInFailure.at <= moment - WINDOW)
        await SignInFailure.insert(*(SignInFailure(key=key, at=moment) for key in keys))


async def forget_failures(key: str) -> None:
    """A successful sign-in clears its key's count."""
    async with transaction():
        await SignInFailure.delete().where(SignInFailure.key == key)
