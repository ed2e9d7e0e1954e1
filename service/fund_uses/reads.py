"""Reads of fund uses for people: the ballot sheet (who is charged, what each voted),
the payments, what owners must fund themselves, and the uses an owner is asked about."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from service.auth.roles import OWNER, Caller
from service.auth.scope import Scope
from service.db import fetch
from service.fund_uses.tables import FundUse
from service.registry.rules import household_label, natural_key
from service.units import format_area, format_yuan

LIST_LIMIT = 200


async def ballot_sheet(use_id: UUID, owner_id: UUID | None = None) -> list[dict[str, Any]]:
    """Each charged household with its flat, owner now, area, share and ballot (if
    any); only ``owner_id``'s households when given."""
    rows = await fetch(
        "SELECT s.household, b.name AS building, h.unit_no, h.room_no, o.name AS owner_name,"
        " s.floor_area, s.share_fen, fb.choice, fb.cast_role"
        " FROM fund_use_share AS s JOIN household AS h ON h.id = s.household"
        " JOIN building AS b ON b.id = h.building JOIN owner AS o ON o.id = h.owner"
        " LEFT JOIN fund_ballot AS fb ON fb.fund_use = s.fund_use AND fb.household = s.household"
        " WHERE s.fund_use = {}" + (" AND h.owner = {}" if owner_id is not None else ""),
        *([use_id, owner_id] if owner_id is not None else [use_id]),
    )
    sheet = [
        {
            "household_id": r["household"],
            "label": household_label(r["building"], r["unit_no"], r["room_no"]),
            "owner_name": r["owner_name"],
            "floor_area": format_area(int(r["floor_area"])),
            "share": format_yuan(int(r["share_fen"])),
            "choice": r["choice"],
            "cast_role": r["cast_role"],
        }
        for r in rows
    ]
    return sorted(sheet, key=lambda s: natural_key(s["label"]))


async def payments(use_id: UUID) -> list[dict[str, Any]]:
    """The staged payments to the repairer, oldest first."""
    rows = await fetch(
        "SELECT stage, amount_fen, posted_fen, self_funded_fen, created_at"
        " FROM fund_disbursement WHERE fund_use = {} ORDER BY created_at",
        use_id,
    )
    return [
        {
            "stage": r["stage"],
            "amount": format_yuan(int(r["amount_fen"])),
            "posted": format_yuan(int(r["posted_fen"])),
            "self_funded": format_yuan(int(r["self_funded_fen"])),
            "created_at": r["created_at"],
        }
        for r in rows
    ]


async def self_funded(use_id: UUID, owner_id: UUID | None = None) -> list[dict[str, Any]]:
    """What each household's balance could not cover (自筹), by household."""
    rows = await fetch(
        "SELECT b.name AS building, h.unit_no, h.room_no, o.name AS owner_name,"
        " SUM(s.amount_fen) AS amount FROM fund_self_funded AS s"
        " JOIN household AS h ON h.id = s.household JOIN building AS b ON b.id = h.building"
        " JOIN owner AS o ON o.id = s.owner WHERE s.fund_use = {}"
        + (" AND s.owner = {}" if owner_id is not None else "")
        + " GROUP BY b.name, h.unit_no, h.room_no, o.name",
        *([use_id, owner_id] if owner_id is not None else [use_id]),
    )
    items = [
        {
            "label": household_label(r["building"], r["unit_no"], r["room_no"]),
            "owner_name": r["owner_name"],
            "amount": format_yuan(int(r["amount"])),
        }
        for r in rows
    ]
    return sorted(items, key=lambda s: natural_key(s["label"]))


async def visible_uses(
    caller: Caller, access: Scope, community_id: UUID | None = None
) -> list[dict[str, Any]]:
    """Fund uses the caller sees, newest first; an owner those charging its households."""
    query = FundUse.select(
        FundUse.id,
        FundUse.community,
        FundUse.community.name.as_alias("community_name"),
        FundUse.title,
        FundUse.status,
        FundUse.estimated_cost_fen,
        FundUse.paid_fen,
        FundUse.self_funded_fen,
        FundUse.emergency,
        FundUse.vote_closes_on,
        FundUse.created_at,
    ).where(access.communities(FundUse.community, FundUse.district))
    if community_id is not None:
        query = query.where(FundUse.community == community_id)
    if caller.role == OWNER:
        charged = await fetch(
            "SELECT DISTINCT s.fund_use FROM fund_use_share AS s"
            " JOIN household AS h ON h.id = s.household WHERE h.owner = {}",
            caller.owner_id,
        )
        ids = [r["fund_use"] for r in charged]
        if not ids:
            return []
        query = query.where(FundUse.id.is_in(ids))
    rows: list[dict[str, Any]] = await query.order_by(FundUse.created_at, ascending=False).limit(
        LIST_LIMIT
    )
    for r in rows:
        r["estimated_cost"] = format_yuan(int(r["estimated_cost_fen"]))
        r["paid"] = format_yuan(int(r["paid_fen"]))
        r["self_funded"] = format_yuan(int(r["self_funded_fen"]))
    return rows
