"""Login throttling arithmetic (pure): how long a key must wait, from its recent failures.

Three keys are counted, each over a sliding window (OWASP "Blocking Brute Force"):
- ``account_address``: one account from one client address: a few tries, then a doubling
  wait. Only this key slows the real user at their own address.
- ``account``: one account from every address: a higher limit, against guessing spread
  over many addresses.
- ``address``: one client address over every account: against spraying many usernames.

No key locks anyone out for good: a wait never exceeds ``max_wait``, a refused (throttled)
attempt is not counted as a failure, and failures older than ``window`` are forgotten, so
an attacker who stops leaves an account open again within ``max_wait`` at the latest.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Limit:
    free: int  # failures allowed inside the window before any wait
    max_wait: timedelta


WINDOW = timedelta(minutes=15)
LIMITS = {
    "account_address": Limit(free=5, max_wait=timedelta(minutes=15)),
    "account": Limit(free=20, max_wait=timedelta(minutes=15)),
    "address": Limit(free=50, max_wait=timedelta(minutes=15)),
}
FIRST_WAIT = timedelta(seconds=2)


def wait_after(failures: int, limit: Limit) -> timedelta:
    """The wait after ``failures`` failures in the window: none up to ``free``, then
    2 s, 4 s, 8 s, ... doubling with each further failure, never above ``max_wait``."""
    if failures < limit.free:
        return timedelta(0)
    doublings = min(failures - limit.free, 20)
    wait: timedelta = min(FIRST_WAIT * (2**doublings), limit.max_wait)
    return wait


def retry_after(failures: int, last_failure: datetime | None, at: datetime, limit: Limit) -> int:
    """Whole seconds a key must still wait at ``at`` (0: it may try now)."""
    if last_failure is None:
        return 0
    remaining = last_failure + wait_after(failures, limit) - at
    if remaining <= timedelta(0):
        return 0
    return int(-(-remaining.total_seconds() // 1))  # ceiling
