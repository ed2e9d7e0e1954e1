"""Hot registry reads as one SQL statement each, the caller's scope in its predicate."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from service.auth.roles import Caller
from service.auth.scope import community_scope_sql, household_scope_sql
from service.db import fetch
from service.errors import InputError
from service.pagination import Paging, encode_cursor

# The columns of ``routes.HOUSEHOLD_COLUMNS`` from ``household AS h``.
_HOUSEHOLD_COLUMNS = (
    "h.id, h.community, h.building, b.name AS building_name, h.unit_no, h.room_no,"
    " h.floor_area, h.owner, o.name AS owner_name, o.id_masked AS owner_id_masked,"
    " o.phone AS owner_phone, h.floor"
)


def _uuid(value: Any) -> UUID | None:
    if value is None or isinstance(value, UUID):
        return value
    return UUID(str(value))


async def community_households_in_scope(
    caller: Caller, community_id: UUID, paging: Paging, building_id: UUID | None = None
) -> tuple[list[dict[str, Any]], str | None] | None:
    """One page of a community's households the caller may see (an owner: its own), by
    id, optionally of one building: ``routes.household_out`` rows and the next cursor. One
    statement: the page joined to the community, whose scope condition decides between
    no row (None: the community does not exist or is out of scope, 404) and at least one.
    A malformed cursor is refused (422) only for a visible community, as before."""
    after, bad_cursor = after_id(paging)
    households, household_args = household_scope_sql(caller)
    page = (
        f"SELECT {_HOUSEHOLD_COLUMNS} FROM household AS h"
        " LEFT JOIN building AS b ON b.id = h.building LEFT JOIN owner AS o ON o.id = h.owner"
        f" WHERE h.community = {{}} AND {households}"
        + (" AND h.building = {}" if building_id is not None else "")
        + (" AND h.id > {}" if after is not None else "")
        + " ORDER BY h.id LIMIT {}"
    )
    found = await visible_community_page(
        caller,
        community_id,
        page,
        [
            community_id,
            *household_args,
            *([building_id] if building_id is not None else []),
            *([after] if after is not None else []),
        ],
        paging,
        bad_cursor,
    )
    if found is None:
        return None
    rows = [_household_row(r) for r in found]
    if len(rows) > paging.limit:
        rows = rows[: paging.limit]
        return rows, encode_cursor(rows[-1]["id"])
    return rows, None


# A community's ``routes.community_out`` columns from ``community AS c``, with the count and
# floor area of its households the caller may see; placeholders: the households' scope
# condition's arguments, twice.
_COMMUNITY_SQL = (
    "SELECT c.id, c.area, c.name, c.code, c.built_year, c.deposit_rate_fen, c.vote_rule,"
    " c.fund_draw_order,"
    " (SELECT COUNT(*) FROM household AS h WHERE h.community = c.id AND {households})"
    " AS households,"
    " (SELECT COALESCE(SUM(h.floor_area), 0) FROM household AS h"
    " WHERE h.community = c.id AND {households}) AS floor_area"
    " FROM community AS c WHERE {communities}"
)


def _community_sql(caller: Caller) -> tuple[str, list[Any]]:
    """:data:`_COMMUNITY_SQL` for ``caller`` and its arguments (more conditions may follow
    with AND)."""
    households, household_args = household_scope_sql(caller)
    communities, community_args = community_scope_sql(caller, "c.id", "c.district")
    return (
        _COMMUNITY_SQL.replace("{households}", households).replace("{communities}", communities),
        [*household_args, *household_args, *community_args],
    )


def _community_row(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "id": _uuid(row["id"]), "area": _uuid(row["area"])}


async def communities_in_scope(
    caller: Caller, paging: Paging, area_id: UUID | None = None
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of the communities the caller may see, by id, optionally of one area, each
    with the count and floor area of its households the caller may see: one statement
    (``routes.communities_out`` did the page, the totals and the scope in three)."""
    after: UUID | None = None
    if paging.after is not None:
        try:
            after = UUID(paging.after)
        except ValueError:
            raise InputError("cursor", "无效的游标，请使用上一页返回的 next_cursor") from None
    sql, args = _community_sql(caller)
    rows = await fetch(
        sql
        + (" AND c.area = {}" if area_id is not None else "")
        + (" AND c.id > {}" if after is not None else "")
        + " ORDER BY c.id LIMIT {}",
        *args,
        *([area_id] if area_id is not None else []),
        *([after] if after is not None else []),
        paging.limit + 1,
    )
    rows = [_community_row(r) for r in rows]
    if len(rows) > paging.limit:
        rows = rows[: paging.limit]
        return rows, encode_cursor(rows[-1]["id"])
    return rows, None


async def community_in_scope(caller: Caller, community_id: UUID) -> dict[str, Any] | None:
    """A community the caller may see as a ``routes.community_out`` row (the count and
    floor area of its households the caller may see), in one statement whose predicate
    carries the caller's scope; None when it does not exist or is out of scope."""
    sql, args = _community_sql(caller)
    rows = await fetch(f"{sql} AND c.id = {{}}", *args, community_id)
    return _community_row(rows[0]) if rows else None


def _household_row(row: dict[str, Any]) -> dict[str, Any]:
    return {
        **row,
        "id": _uuid(row["id"]),
        "community": _uuid(row["community"]),
        "building": _uuid(row["building"]),
        "owner": _uuid(row["owner"]),
        "floor_area": int(row["floor_area"]),
    }


async def household_in_scope(caller: Caller, household_id: UUID) -> dict[str, Any] | None:
    """A household the caller may see as a ``routes.household_out`` row, in one statement
    whose predicate carries the caller's scope; None when it does not exist or is out of
    scope."""
    households, args = household_scope_sql(caller)
    rows = await fetch(
        f"SELECT {_HOUSEHOLD_COLUMNS} FROM household AS h"
        " LEFT JOIN building AS b ON b.id = h.building LEFT JOIN owner AS o ON o.id = h.owner"
        f" WHERE h.id = {{}} AND {households}",
        household_id,
        *args,
    )
    return _household_row(rows[0]) if rows else None


async def community_buildings_in_scope(
    caller: Caller, community_id: UUID, paging: Paging
) -> tuple[list[dict[str, Any]], str | None] | None:
    """One page of a community's buildings, by id, as ``routes.building_out`` rows and the
    next cursor, in one statement: the page joined to the community, whose scope condition
    decides between no row (None: the community does not exist or is out of scope, 404)
    and at least one. A malformed cursor is refused (422) only for a visible community, as
    before."""
    after, bad_cursor = after_id(paging)
    page = (
        "SELECT b.id, b.community, b.name, b.floors, b.has_elevator FROM building AS b"
        " WHERE b.community = {}"
        + (" AND b.id > {}" if after is not None else "")
        + " ORDER BY b.id LIMIT {}"
    )
    found = await visible_community_page(
        caller,
        community_id,
        page,
        [community_id, *([after] if after is not None else [])],
        paging,
        bad_cursor,
    )
    if found is None:
        return None
    rows = [{**r, "id": _uuid(r["id"]), "community": _uuid(r["community"])} for r in found]
    if len(rows) > paging.limit:
        rows = rows[: paging.limit]
        return rows, encode_cursor(rows[-1]["id"])
    return rows, None


def after_id(paging: Paging) -> tuple[UUID | None, bool]:
    """The id a page starts after, and whether the cursor was malformed."""
    if paging.after is None:
        return None, False
    try:
        return UUID(paging.after), False
    except ValueError:
        return None, True


async def visible_community_page(
    caller: Caller | None,
    community_id: UUID,
    page: str,
    page_args: list[Any],
    paging: Paging,
    bad_cursor: bool,
    key: str = "id",
) -> list[dict[str, Any]] | None:
    """The rows of ``page`` (a SELECT whose last placeholder is its LIMIT, ordered by
    ``key``), at most ``paging.limit + 1`` (one more tells a next page follows), in one
    statement with the community's visibility to ``caller`` (any community for None):
    the page is joined to the community, whose scope condition decides between no row
    (None: the community does not exist or is out of scope, 404) and at least one (the
    page's rows, or one row of NULLs). A malformed cursor is refused (422) only for a
    visible community, as a separate scope check did."""
    condition, args = (
        ("TRUE", []) if caller is None else community_scope_sql(caller, "c.id", "c.district")
    )
    rows = await fetch(
        f"SELECT x.* FROM community AS c LEFT JOIN ({page}) AS x ON TRUE"
        f" WHERE c.id = {{}} AND {condition} ORDER BY x.{key}",
        *page_args,
        # A malformed cursor only needs to know whether the community is visible.
        1 if bad_cursor else paging.limit + 1,
        community_id,
        *args,
    )
    if not rows:
        return None
    if bad_cursor:
        raise InputError("cursor", "无效的游标，请使用上一页返回的 next_cursor")
    return [r for r in rows if r[key] is not None]
