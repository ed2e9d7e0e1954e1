"""The one scope layer: what part of the district a caller may see.

bureau, auditor → the whole district; company → communities under its live contracts
(and those it still serves in hand-over, Civil Code art. 950);
committee → its community; contractor → communities of its works; owner → the
households it owns now (and their communities); street office → the areas the bureau
named for it and their communities. Everything outside answers 404,
exactly like something that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from litestar.exceptions import NotFoundException
from piccolo.columns import Column
from piccolo.custom_types import Combinable
from piccolo.table import Table

from service.auth.roles import (
    AUDITOR,
    BUREAU,
    COMMITTEE,
    COMPANY,
    CONTRACTOR,
    OWNER,
    STREET,
    Caller,
)
from service.clock import today
from service.db import fetch, is_postgres
from service.registry.tables import Building, Community, Household, StreetArea
from service.warranty.tables import Work


def _nothing(column: Column) -> Combinable:
    # An always-false condition: a primary key is never NULL.
    return column.is_null()


@dataclass(frozen=True)
class Scope:
    district_id: UUID
    # None: every community of the district.
    community_ids: frozenset[UUID] | None
    # Set for owners: only this owner's households.
    owner_id: UUID | None
    # The areas themselves (an area inspection): None every area of the district (bureau,
    # auditor); a street office those it covers; the other roles none.
    area_ids: frozenset[UUID] | None = frozenset()

    def communities(self, community_column: Column, district_column: Column) -> Combinable:
        """Condition restricting rows that belong to a community to the visible ones."""
        in_district: Combinable = district_column == self.district_id
        if self.community_ids is None:
            return in_district
        if not self.community_ids:
            return _nothing(community_column)
        return in_district & community_column.is_in(list(self.community_ids))

    def households(self) -> Combinable:
        """Condition on ``Household`` restricting it to the visible households."""
        condition = self.communities(Household.community, Household.district)
        if self.owner_id is not None:
            condition = condition & (Household.owner == self.owner_id)
        return condition

    async def community(self, community_id: UUID | str, *columns: Column) -> dict[str, Any]:
        """The community if visible, else 404."""
        community_id = as_uuid(community_id)
        row = await (
            Community.select(*columns)
            .where(
                (Community.id == community_id) & self.communities(Community.id, Community.district)
            )
            .first()
        )
        if row is None:
            raise NotFoundException("小区不存在，或不在您的权限范围内。")
        return row

    async def building(self, building_id: UUID | str, *columns: Column) -> dict[str, Any]:
        """The building if its community is visible, else 404 (the same answer for a
        building that does not exist and one in another community or district)."""
        building_id = as_uuid(building_id)
        row = await (
            Building.select(*columns)
            .where(
                (Building.id == building_id)
                & self.communities(Building.community, Building.community.district)
            )
            .first()
        )
        if row is None:
            raise NotFoundException("楼栋不存在，或不在您的权限范围内。")
        return row

    async def household(self, household_id: UUID | str, *columns: Column) -> dict[str, Any]:
        """The household if visible, else 404."""
        household_id = as_uuid(household_id)
        row = await (
            Household.select(*columns)
            .where((Household.id == household_id) & self.households())
            .first()
        )
        if row is None:
            raise NotFoundException("房屋不存在，或不在您的权限范围内。")
        return row


def as_uuid(value: UUID | str) -> UUID:
    """Parse an id from a path; a malformed id is simply not found."""
    if isinstance(value, UUID):
        return value
    try:
        return UUID(value)
    except ValueError:
        raise NotFoundException("对象不存在，或不在您的权限范围内。") from None


async def resolve_scope(caller: Caller) -> Scope:
    """Compute what ``caller`` may see (one query at most; two for a street office)."""
    ids: frozenset[UUID] | None
    if caller.role in (BUREAU, AUDITOR):
        ids = None
    elif caller.role == COMPANY:
        serving_sql, serving_args = company_communities_sql(caller, "rk")
        rows = await fetch(
            f"SELECT rk.community FROM contract AS rk WHERE {serving_sql}", *serving_args
        )
        ids = frozenset(UUID(str(r["community"])) for r in rows)
    elif caller.role == COMMITTEE:
        ids = frozenset({caller.committee_community_id} if caller.committee_community_id else ())
    elif caller.role == CONTRACTOR:
        rows = await Work.select(Work.community).where(Work.contractor == caller.org_id)
        ids = frozenset(r["community"] for r in rows)
    elif caller.role == OWNER:
        rows = await Household.select(Household.community).where(Household.owner == caller.owner_id)
        ids = frozenset(r["community"] for r in rows)
    elif caller.role == STREET:
        areas = frozenset(
            r["area"]
            for r in await StreetArea.select(StreetArea.area).where(
                StreetArea.street == caller.org_id
            )
        )
        rows = (
            await Community.select(Community.id).where(
                Community.area.is_in(list(areas)) & (Community.district == caller.district_id)
            )
            if areas
            else []
        )
        ids = frozenset(r["id"] for r in rows)
        return Scope(
            district_id=caller.district_id, community_ids=ids, owner_id=None, area_ids=areas
        )
    else:  # pragma: no cover - roles are validated on creation
        ids = frozenset()
    return Scope(
        district_id=caller.district_id,
        community_ids=ids,
        owner_id=caller.owner_id if caller.role == OWNER else None,
        area_ids=None if caller.role in (BUREAU, AUDITOR) else frozenset(),
    )


def company_communities_sql(caller: Caller, alias: str) -> tuple[str, list[Any]]:
    """The condition (``{}`` placeholders, their arguments) on ``contract`` under ``alias``
    for the contracts that put a company's communities in its scope: live ones, and in
    hand-over (交接) until the successor's contract starts — ``advance`` then sets the
    last day of service as ``ends_on`` while the contract stays in hand-over until both
    sides confirm the record; after that day the fund and the community are no longer
    the old company's to see (its contract, ratings and subsidies stay visible through
    ``contract_party_visible``)."""
    return (
        f"{alias}.company = {{}} AND ({alias}.status = 'live' OR ({alias}.status = 'handover'"
        f" AND ({alias}.ends_on IS NULL OR {alias}.ends_on >= {{}})))",
        [caller.org_id, today() if is_postgres() else today().isoformat()],
    )


def street_communities_sql(caller: Caller, alias: str) -> tuple[str, list[Any]]:
    """The ids of a street office's communities (those of the areas the bureau named for
    it) as a subquery (``{}`` placeholders, their arguments)."""
    return (
        f"SELECT {alias}c.id FROM community AS {alias}c JOIN street_area AS {alias}a"
        f" ON {alias}a.area = {alias}c.area WHERE {alias}a.street = {{}}"
        f" AND {alias}c.district = {{}}",
        [caller.org_id, caller.district_id],
    )


def household_scope_sql(caller: Caller, alias: str = "h") -> tuple[str, list[Any]]:
    """:func:`resolve_scope` then :meth:`Scope.households` as one SQL condition on the
    ``household`` table under ``alias`` (``{}`` placeholders, their arguments): as
    ``Scope.households`` does, the households of the visible communities
    (:func:`community_scope_sql`), an owner's only their own."""
    condition, args = community_scope_sql(caller, f"{alias}.community", f"{alias}.district")
    if caller.role == OWNER and caller.owner_id is not None:
        return f"{condition} AND {alias}.owner = {{}}", [*args, caller.owner_id]
    return condition, args


def community_scope_sql(caller: Caller, community: str, district: str) -> tuple[str, list[Any]]:
    """:func:`resolve_scope` then :meth:`Scope.communities` as one SQL condition
    (``{}`` placeholders, their arguments) on a community id column and the district
    column of that community (e.g. ``c.id`` and ``c.district``): the same communities,
    with the caller's own ones looked up inside the statement instead of by a query of
    their own."""
    in_district = f"{district} = {{}}"
    if caller.role in (BUREAU, AUDITOR):
        return in_district, [caller.district_id]
    if caller.role == COMPANY:
        serving, args = company_communities_sql(caller, "sk")
        return (
            f"{in_district} AND {community} IN (SELECT sk.community FROM contract AS sk"
            f" WHERE {serving})",
            [caller.district_id, *args],
        )
    if caller.role == COMMITTEE and caller.committee_community_id is not None:
        return f"{in_district} AND {community} = {{}}", [
            caller.district_id,
            caller.committee_community_id,
        ]
    if caller.role == CONTRACTOR:
        return (
            f"{in_district} AND {community} IN (SELECT sw.community FROM work AS sw"
            " WHERE sw.contractor = {})",
            [caller.district_id, caller.org_id],
        )
    if caller.role == OWNER and caller.owner_id is not None:
        return (
            f"{in_district} AND {community} IN (SELECT sh.community FROM household AS sh"
            " WHERE sh.owner = {})",
            [caller.district_id, caller.owner_id],
        )
    if caller.role == STREET:
        streets, args = street_communities_sql(caller, "s")
        return f"{in_district} AND {community} IN ({streets})", [caller.district_id, *args]
    return "FALSE", []


def contract_party_visible(caller: Caller, row: dict[str, Any]) -> bool:
    """Who sees an object of a property contract (the contract, its ratings, subsidies):
    bureau and auditor the district; the company its own, ended ones included (its
    records and credit); the committee those of its community. ``row`` has
    ``district``, ``company`` and ``community``."""
    if row["district"] != caller.district_id:
        return False
    if caller.role in (BUREAU, AUDITOR):
        return True
    if caller.role == COMPANY:
        return bool(row["company"] == caller.org_id)
    if caller.role == COMMITTEE:
        return bool(row["community"] == caller.committee_community_id)
    return False


def contract_party_condition(caller: Caller, table: type[Table]) -> Combinable:
    """:func:`contract_party_visible` as a where-condition on ``table``."""
    meta = table._meta
    condition: Combinable = meta.get_column_by_name("district") == caller.district_id
    if caller.role == COMPANY:
        return condition & (meta.get_column_by_name("company") == caller.org_id)
    if caller.role == COMMITTEE:
        return condition & (meta.get_column_by_name("community") == caller.committee_community_id)
    if caller.role in (BUREAU, AUDITOR):
        return condition
    return condition & _nothing(meta.primary_key)
