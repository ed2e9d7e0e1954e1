"""Who a notice goes to: the organisations concerned with a community, its owners."""

from __future__ import annotations

from collections import defaultdict
from uuid import UUID

from service.db import fetch
from service.notices.service import Recipient


async def bureaus() -> dict[UUID, list[Recipient]]:
    """Each district's housing bureau organisation(s)."""
    rows = await fetch("SELECT id, district FROM organization WHERE kind = 'bureau'")
    found: dict[UUID, list[Recipient]] = defaultdict(list)
    for row in rows:
        found[UUID(str(row["district"]))].append(Recipient(org=UUID(str(row["id"]))))
    return found


async def committees() -> dict[UUID, list[Recipient]]:
    """Each community's owners' committee(s)."""
    rows = await fetch(
        "SELECT id, community FROM organization WHERE kind = 'committee' AND community IS NOT NULL"
    )
    found: dict[UUID, list[Recipient]] = defaultdict(list)
    for row in rows:
        found[UUID(str(row["community"]))].append(Recipient(org=UUID(str(row["id"]))))
    return found


async def companies() -> dict[UUID, list[Recipient]]:
    """The property company of each community's live contract."""
    rows = await fetch("SELECT DISTINCT community, company FROM contract WHERE status = 'live'")
    found: dict[UUID, list[Recipient]] = defaultdict(list)
    for row in rows:
        found[UUID(str(row["community"]))].append(Recipient(org=UUID(str(row["company"]))))
    return found
