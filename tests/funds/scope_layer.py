"""The Scope layer's answers, as the reads gave them before they became one statement each
(a scope query, then the read's own): the reference the one-statement reads are compared
with, byte for byte."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from litestar.exceptions import NotFoundException
from litestar.serialization import encode_json

from service.auth.roles import Caller
from service.auth.scope import Scope
from service.auth.tokens import load_caller
from service.db import fetch
from service.funds import schemas as fund_schemas
from service.funds.reads import BELOW_THRESHOLD
from service.funds.rules import owed_to_threshold, replenish_threshold
from service.pagination import Page, Paging, encode_cursor, fetch_page
from service.registry import routes
from service.registry.tables import Building, Community
from service.units import format_yuan

API = "/api/v1"


async def caller_of(client: httpx.AsyncClient, headers: dict[str, str]) -> Caller:
    me = (await client.get(f"{API}/auth/me", headers=headers)).json()
    caller = await load_caller(uuid.UUID(me["id"]))
    assert caller is not None
    return caller


async def old_replenishment_list(
    community_id: uuid.UUID, paging: Paging
) -> tuple[list[fund_schemas.ReplenishmentOut], str | None]:
    """The replenishment list's statement as it was before (the community checked first)."""
    after = uuid.UUID(paging.after) if paging.after else None
    rows = await fetch(
        "SELECT a.household, h.building, b.name AS building_name, h.unit_no, h.room_no,"
        " o.name AS owner_name, a.principal_fen, a.interest_fen, a.first_deposit_fen"
        " FROM fund_account AS a JOIN household AS h ON h.id = a.household"
        " JOIN building AS b ON b.id = h.building JOIN owner AS o ON o.id = h.owner"
        f" WHERE a.community = {{}} AND a.kind = 'household' AND {BELOW_THRESHOLD}"
        + (" AND a.household > {}" if after else "")
        + " ORDER BY a.household LIMIT {}",
        *([community_id, after] if after else [community_id]),
        paging.limit + 1,
    )
    cursor = None
    if len(rows) > paging.limit:
        rows = rows[: paging.limit]
        cursor = encode_cursor(rows[-1]["household"])
    items = []
    for r in rows:
        balance = int(r["principal_fen"]) + int(r["interest_fen"])
        fixed = int(r["first_deposit_fen"])
        items.append(
            fund_schemas.ReplenishmentOut(
                household_id=r["household"],
                building_id=r["building"],
                building_name=r["building_name"],
                unit_no=r["unit_no"],
                room_no=r["room_no"],
                owner_name=r["owner_name"],
                balance=format_yuan(balance),
                first_deposit=format_yuan(fixed),
                replenish_threshold=format_yuan(replenish_threshold(fixed)),
                owed=format_yuan(owed_to_threshold(balance, fixed)),
            )
        )
    return items, cursor


async def old_answer(scope: Scope, read: str, ident: str, paging: Paging) -> bytes | None:
    """The body the route gave through the Scope layer; None for its 404."""
    body: Any
    try:
        if read == "community":
            row = await scope.community(ident)
            body = (await routes.communities_out([row], scope))[0]
        elif read == "household":
            row = await scope.household(ident, *routes.HOUSEHOLD_COLUMNS)
            body = routes.household_out(row)
        elif read == "buildings":
            community = await scope.community(ident, Community.id)
            query = Building.select().where(Building.community == community["id"])
            rows, cursor = await fetch_page(query, Building.id, paging)
            body = Page(items=[routes.building_out(r) for r in rows], next_cursor=cursor)
        else:
            community = await scope.community(ident)
            items, cursor = await old_replenishment_list(community["id"], paging)
            body = Page(items=items, next_cursor=cursor)
    except NotFoundException:
        return None
    return encode_json(body)
