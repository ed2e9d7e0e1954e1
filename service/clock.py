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
