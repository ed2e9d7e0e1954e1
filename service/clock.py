"""The district's clock: Asia/Shanghai, injectable.

Everything that asks "what time is it" asks ``now()``; a test (or a replay) swaps the
source with ``use_clock`` so scheduled jobs, catch-up and deadlines see the same instant.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from zoneinfo import ZoneInfo

DISTRICT_ZONE = ZoneInfo("Asia/Shanghai")

Clock = Callable[[], datetime]
_source: Clock | None = None


def now() -> datetime:
    """The current instant, with the district's offset."""
    if _source is not None:
        return _source().astimezone(DISTRICT_ZONE)
    return datetime.now(DISTRICT_ZONE)


def today() -> date:
    """Today's date in the district."""
    return now().date()


def set_clock(source: Clock | None) -> None:
    """Replace the clock (``None`` restores the real one)."""
    global _source
    _source = source


@contextmanager
def use_clock(source: Clock) -> Iterator[None]:
    """Run the block with ``source`` as the clock, restoring the previous one after."""
    previous = _source
    set_clock(source)
    try:
        yield
    finally:
        set_clock(previous)


# The years a request may name: wide enough for any building's history and any plan, narrow
# enough that date arithmetic (a warranty's end, a period's next day, an instant read in
# UTC) never leaves Python's calendar (years 1-9999).
FIRST_YEAR, LAST_YEAR = 1900, 2199
OUT_OF_CALENDAR = f"日期超出可受理范围（{FIRST_YEAR} 至 {LAST_YEAR} 年）"


def within_calendar(value: date) -> bool:
    """Whether a requested date (or instant) lies in [FIRST_YEAR, LAST_YEAR]."""
    return FIRST_YEAR <= value.year <= LAST_YEAR
