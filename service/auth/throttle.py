"""Login throttling by account and by client address, shared by every worker process
through the database (no Redis needed). The API's ``POST /auth/login`` and the web login
form both call ``authenticate_throttled``: one throttle, whatever the way in.

Failures are rows of ``login_failure``; a worker counts the recent rows of the caller's
keys before verifying a password, so a throttled attempt costs no argon2 CPU. Two
workers checking at the same instant may each let one more try through: the bound is
approximate by one attempt per worker, never unbounded. Throttled attempts are audited.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from litestar.exceptions import HTTPException
from litestar.status_codes import HTTP_429_TOO_MANY_REQUESTS

from service.audit.service import record
from service.auth import rules
from service.auth.service import authenticate
from service.auth.tables import LoginFailure, SignInFailure
from service.clock import now
from service.db import fetch, insert_writes, placeholders, transaction, write_together
from service.http import problem_response

THROTTLED = problem_response("登录失败次数过多：Retry-After 头给出须等待的秒数")


class LoginThrottled(HTTPException):
    """429 with ``Retry-After`` (seconds)."""

    status_code = 429

    def __init__(self, seconds: int) -> None:
        self.retry_after = seconds
        super().__init__(
            detail=f"登录失败次数过多，请在 {seconds} 秒后再试。",
            headers={"Retry-After": str(seconds)},
        )


def _keys(username: str, address: str) -> dict[str, str]:
    account = username.strip().lower()[:120]
    return {
        "account_address": f"{account}|{address}",
        "account": account,
        "address": address,
    }


async def _wait(keys: dict[str, str], at: datetime) -> int:
    since = at - rules.WINDOW
    pairs = list(keys.items())
    rows = await fetch(
        "SELECT kind, key, COUNT(*) AS failures, MAX(at) AS last FROM login_failure"
        f" WHERE at > {{}} AND key IN {placeholders(len(pairs))} GROUP BY kind, key",
        since,
        *[key for _, key in pairs],
    )
    wait = 0
    for row in rows:
        if keys.get(row["kind"]) != row["key"]:
            continue
        last = row["last"]
        if isinstance(last, str):  # SQLite hands aggregate timestamps back as text
            last = datetime.fromisoformat(last)
        limit = rules.LIMITS[row["kind"]]
        wait = max(wait, rules.retry_after(int(row["failures"]), last, at, limit))
    return wait


async def authenticate_throttled(
    username: str, password: str, address: str
) -> dict[str, Any] | None:
    """The account these credentials open, or None for wrong credentials; raises
    ``LoginThrottled`` (429, ``Retry-After``) while the account or the address must wait.

    A success forgets this account's failures from this address; a failure is counted
    against the account at this address, the account, and the address.
    """
    keys = _keys(username, address)
    at = now()
    wait = await _wait(keys, at)
    if wait:
        async with transaction():
            await record(
                None,
                "auth.login_throttled",
                "login",
                keys["account"][:64],
                after={"address": address, "retry_after": wait},
            )
        raise LoginThrottled(wait)
    row = await authenticate(username, password)
    async with transaction():
        if row is None:
            await write_together(
                insert_writes(
                    "login_failure", ("kind", "key", "at"), [(k, v, at) for k, v in keys.items()]
                )
            )
            # Forget what the window no longer counts, for these keys only.
            await fetch(
                f"DELETE FROM login_failure WHERE at <= {{}} AND key IN {placeholders(3)}",
                at - rules.WINDOW,
                *keys.values(),
            )
        else:
            await LoginFailure.delete().where(
                (LoginFailure.kind == "account_address")
                & (LoginFailure.key == keys["account_address"])
            )
    return row


# --- Owners' claim codes ------------------------------------------------------------
# A counter with one limit per key for the claim form (a code is not a password: no
# account to count against until it is claimed).

WINDOW = timedelta(minutes=15)  # the claim codes' window
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
