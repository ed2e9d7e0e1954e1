"""The district's clock: Asia/Shanghai."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

DISTRICT_ZONE = ZoneInfo("Asia/Shanghai")


def now() -> datetime:
    """The current instant, with the district's offset."""
    return datetime.now(DISTRICT_ZONE)


def today() -> date:
    """Today's date in the district."""
    return now().date()
