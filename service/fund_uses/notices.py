"""Service of a vote's notice (送达): it counts as served on an owner when the owner
first opens the fund use, and the committee sees how many owners were served."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from service.auth.roles import OWNER, Caller
from service.clock import now
from service.db import fetch, transaction
from service.fund_uses.tables import FundUseShare


async def serve_notice(caller: Caller, use: dict[str, Any]) -> bool:
    """Record the first opening by an owner the use charges; True when this one was the
    first (a later opening changes nothing)."""
    if caller.role != OWNER or caller.owner_id is None:
        return False
    charged = await FundUseShare.exists().where(
        (FundUseShare.fund_use == use["id"]) & (FundUseShare.household.owner == caller.owner_id)
    )
    if not charged:
        return False
    async with transaction():
        rows = await fetch(
            "INSERT INTO fund_notice_served (id, fund_use, owner, account, served_at)"
            " VALUES ({}, {}, {}, {}, {}) ON CONFLICT (fund_use, owner) DO NOTHING RETURNING id",
            uuid4(),
            use["id"],
            caller.owner_id,
            caller.id,
            now(),
        )
    return bool(rows)


async def served_owners(use_id: Any) -> int:
    """How many owners the notice of this use has been served on."""
    rows = await fetch("SELECT COUNT(*) AS n FROM fund_notice_served WHERE fund_use = {}", use_id)
    return int(rows[0]["n"])
