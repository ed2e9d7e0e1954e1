"""Registry API: organisations, areas, communities, buildings, households (API.md "Registry")."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, get, post, put
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_201_CREATED
from piccolo.query.functions.aggregate import Count, Sum

from service.auth.roles import (
    ALL_ROLES,
    AUDITOR,
    BUREAU,
    COMMITTEE,
    COMPANY,
    DISTRICT_READERS,
    OWNER,
    allow,
)
from service.auth.scope import as_uuid
from service.errors import InputError
from service.http import PROBLEMS, CallerDep, PagingDep, ScopeDep
from service.pagination import Page, fetch_page, order_key, page_of
from service.registry import reads, schemas, service
from service.registry.import_routes import LedgerController
from service.registry.tables import (
    Area,
    Building,
    Community,
    Household,
    Organization,
    Ownership,
)
from service.units import format_area, format_yuan

HOUSEHOLD_READERS = (BUREAU, AUDITOR, COMPANY, COMMITTEE, OWNER)


def organization_out(row: dict[str, Any]) -> schemas.OrganizationOut:
    return schemas.OrganizationOut(
        id=row["id"],
        kind=row["kind"],
        name=row["name"],
        district_id=row["district"],
        community_id=row["community"],
    )


def area_out(row: dict[str, Any]) -> schemas.AreaOut:
    return schemas.AreaOut(
        id=row["id"], name=row["name"], code=row["code"], renovation_year=row["renovation_year"]
    )


def building_out(row: dict[str, Any]) -> schemas.BuildingOut:
    return schemas.BuildingOut(
        id=row["id"],
        community_id=row["community"],
        name=row["name"],
        floors=row["floors"],
        has_elevator=bool(row["has_elevator"]),
    )


async def communities_out(
    rows: list[dict[str, Any]], access: ScopeDep
) -> list[schemas.CommunityOut]:
    """Communities with their household count and floor area (visible households only)."""
    totals: dict[UUID, dict[str, Any]] = {}
    if rows:
        grouped = await (
            Household.select(
                Household.community,
                Count(Household.id, alias="n"),
                Sum(Household.floor_area, alias="a"),
            )
            .where(Household.community.is_in([r["id"] for r in rows]) & access.households())
            .group_by(Household.community)
        )
        totals = {g["community"]: g for g in grouped}
    return [
        community_out(
            {
                **r,
                "households": totals.get(r["id"], {}).get("n"),
                "floor_area": totals.get(r["id"], {}).get("a"),
            }
        )
        for r in rows
    ]


def community_out(row: dict[str, Any]) -> schemas.CommunityOut:
    """A community row with ``households`` and ``floor_area`` (its visible households)."""
    return schemas.CommunityOut(
        id=row["id"],
        area_id=row["area"],
        name=row["name"],
        code=row["code"],
        built_year=row["built_year"],
        deposit_rate_per_m2=format_yuan(row["deposit_rate_fen"]),
        households=int(row["households"] or 0),
        floor_area=format_area(int(row["floor_area"] or 0)),
        vote_rule=row["vote_rule"],
        fund_draw_order=row["fund_draw_order"],
    )


HOUSEHOLD_COLUMNS = (
    Household.id,
    Household.community,
    Household.building,
    Household.building.name.as_alias("building_name"),
    Household.unit_no,
    Household.room_no,
    Household.floor_area,
    Household.owner,
    Household.owner.name.as_alias("owner_name"),
    Household.owner.id_masked.as_alias("owner_id_masked"),
    Household.owner.phone.as_alias("owner_phone"),
    Household.floor,
)


def household_out(row: dict[str, Any]) -> schemas.HouseholdOut:
    return schemas.HouseholdOut(
        id=row["id"],
        community_id=row["community"],
        building_id=row["building"],
        building_name=row["building_name"],
        unit_no=row["unit_no"],
        room_no=row["room_no"],
        floor_area=format_area(row["floor_area"]),
        owner_id=row["owner"],
        owner_name=row["owner_name"],
        owner_id_no=row["owner_id_masked"],
        owner_phone=row["owner_phone"],
        floor=row["floor"],
    )


class OrganizationController(Controller):
    path = "/organizations"
    tags = ["登记"]

    @post("/", opt=allow(BUREAU), responses=PROBLEMS, status_code=HTTP_201_CREATED)
    async def create(
        self, caller: CallerDep, data: JSONBody[schemas.OrganizationIn]
    ) -> schemas.OrganizationOut:
        """登记一个组织（物业企业、业委会、施工单位、街道等）。"""
        return organization_out(await service.create_organization(caller, data))

    @get("/", opt=allow(*DISTRICT_READERS), responses=PROBLEMS)
    async def list_all(
        self, caller: CallerDep, paging: PagingDep, kind: FromQuery[str | None] = None
    ) -> Page[schemas.OrganizationOut]:
        """本区全部组织，可按 kind 过滤。"""
        query = Organization.select().where(Organization.district == caller.district_id)
        if kind:
            query = query.where(Organization.kind == kind)
        rows, cursor = await fetch_page(query, Organization.id, paging)
        return Page(items=[organization_out(r) for r in rows], next_cursor=cursor)

    @get("/{org_id:str}", opt=allow(*ALL_ROLES), responses=PROBLEMS)
    async def read(self, caller: CallerDep, org_id: FromPath[str]) -> schemas.OrganizationOut:
        """一个组织：局方可查全区；其他角色只能查本单位。"""
        oid = as_uuid(org_id)
        if caller.role not in DISTRICT_READERS and oid != caller.org_id:
            raise NotFoundException("组织不存在，或不在您的权限范围内。")
        row = (
            await Organization.select()
            .where((Organization.id == oid) & (Organization.district == caller.district_id))
            .first()
        )
        if row is None:
            raise NotFoundException("组织不存在，或不在您的权限范围内。")
        return organization_out(row)

    @get("/{org_id:str}/areas", opt=allow(*DISTRICT_READERS), responses=PROBLEMS)
    async def street_areas(
        self, caller: CallerDep, org_id: FromPath[str]
    ) -> schemas.StreetAreasOut:
        """街道办事处负责的片区（其用户可见这些片区及其小区）。"""
        oid = as_uuid(org_id)
        areas = await service.street_areas(caller.district_id, oid)
        return schemas.StreetAreasOut(org_id=oid, area_ids=areas)

    @put("/{org_id:str}/areas", opt=allow(BUREAU), responses=PROBLEMS)
    async def set_street_areas(
        self, caller: CallerDep, org_id: FromPath[str], data: JSONBody[schemas.StreetAreasIn]
    ) -> schemas.StreetAreasOut:
        """区住建局指定街道办事处负责的片区（整体替换）：街道用户只能检查这些片区及其小区，
        并只看到本街道的检查与派给本街道的整改任务。"""
        oid = as_uuid(org_id)
        areas = await service.set_street_areas(caller, oid, data)
        return schemas.StreetAreasOut(org_id=oid, area_ids=areas)


class AreaController(Controller):
    path = "/areas"
    tags = ["登记"]

    @post("/", opt=allow(BUREAU), responses=PROBLEMS, status_code=HTTP_201_CREATED)
    async def create(self, caller: CallerDep, data: JSONBody[schemas.AreaIn]) -> schemas.AreaOut:
        """登记片区。"""
        return area_out(await service.create_area(caller, data))

    @get("/", opt=allow(*ALL_ROLES), responses=PROBLEMS)
    async def list_all(self, access: ScopeDep, paging: PagingDep) -> Page[schemas.AreaOut]:
        """可见的片区（局方为全区，其他角色为其小区所在片区）。"""
        query = Area.select().where(Area.district == access.district_id)
        if access.community_ids is not None:
            visible = await Community.select(Community.area).where(
                access.communities(Community.id, Community.district)
            )
            query = query.where(Area.id.is_in([r["area"] for r in visible] or [None]))
        rows, cursor = await fetch_page(query, Area.id, paging)
        return Page(items=[area_out(r) for r in rows], next_cursor=cursor)


class CommunityController(Controller):
    path = "/communities"
    tags = ["登记"]

    @post("/", opt=allow(BUREAU), responses=PROBLEMS, status_code=HTTP_201_CREATED)
    async def create(
        self, caller: CallerDep, access: ScopeDep, data: JSONBody[schemas.CommunityIn]
    ) -> schemas.CommunityOut:
        """登记小区，含维修资金首期交存标准（元/m²）。"""
        row = await service.create_community(caller, data)
        return (await communities_out([row], access))[0]

    @get("/", opt=allow(*ALL_ROLES), responses=PROBLEMS)
    async def list_all(
        self, caller: CallerDep, paging: PagingDep, area_id: FromQuery[UUID | None] = None
    ) -> Page[schemas.CommunityOut]:
        """可见的小区，可按片区过滤。"""
        # One statement: the caller's scope is part of its predicate (no scope query).
        rows, cursor = await reads.communities_in_scope(caller, paging, area_id)
        return Page(items=[community_out(r) for r in rows], next_cursor=cursor)

    @get("/{community_id:str}", opt=allow(*ALL_ROLES), responses=PROBLEMS)
    async def read(self, caller: CallerDep, community_id: FromPath[str]) -> schemas.CommunityOut:
        """一个小区及其户数、总建筑面积。"""
        # One statement: the caller's scope is part of its predicate (no scope query).
        row = await reads.community_in_scope(caller, as_uuid(community_id))
        if row is None:
            raise NotFoundException("小区不存在，或不在您的权限范围内。")
        return community_out(row)

    @post(
        "/{community_id:str}/buildings",
        opt=allow(BUREAU),
        responses=PROBLEMS,
        status_code=HTTP_201_CREATED,
    )
    async def create_building(
        self,
        caller: CallerDep,
        access: ScopeDep,
        community_id: FromPath[str],
        data: JSONBody[schemas.BuildingIn],
    ) -> schemas.BuildingOut:
        """在小区中登记楼栋。"""
        community = await access.community(community_id, Community.id)
        return building_out(await service.create_building(caller, community["id"], data))

    @get("/{community_id:str}/buildings", opt=allow(*ALL_ROLES), responses=PROBLEMS)
    async def list_buildings(
        self, caller: CallerDep, paging: PagingDep, community_id: FromPath[str]
    ) -> Page[schemas.BuildingOut]:
        """小区的楼栋。"""
        # One statement: the caller's scope is part of its predicate (no scope query).
        found = await reads.community_buildings_in_scope(caller, as_uuid(community_id), paging)
        if found is None:
            raise NotFoundException("小区不存在，或不在您的权限范围内。")
        rows, cursor = found
        return Page(items=[building_out(r) for r in rows], next_cursor=cursor)

    @get("/{community_id:str}/households", opt=allow(*HOUSEHOLD_READERS), responses=PROBLEMS)
    async def list_households(
        self,
        caller: CallerDep,
        paging: PagingDep,
        community_id: FromPath[str],
        building_id: FromQuery[UUID | None] = None,
    ) -> Page[schemas.HouseholdOut]:
        """小区的房屋（业主只看到自己的）。"""
        # One statement: the caller's scope is part of its predicate (no scope query).
        found = await reads.community_households_in_scope(
            caller, as_uuid(community_id), paging, building_id
        )
        if found is None:
            raise NotFoundException("小区不存在，或不在您的权限范围内。")
        rows, cursor = found
        return Page(items=[household_out(r) for r in rows], next_cursor=cursor)


class HouseholdController(Controller):
    path = "/households"
    tags = ["登记"]

    @post("/", opt=allow(BUREAU), responses=PROBLEMS, status_code=HTTP_201_CREATED)
    async def create(
        self, caller: CallerDep, access: ScopeDep, data: JSONBody[schemas.HouseholdIn]
    ) -> schemas.HouseholdOut:
        """登记一户房屋及其业主；身份证号只以掩码形式返回。"""
        building = (
            await Building.select(Building.id, Building.community, Building.floors)
            .where(
                (Building.id == data.building_id)
                & (Building.community.district == caller.district_id)
            )
            .first()
        )
        if building is None:
            raise InputError("building_id", "楼栋不存在")
        household_id = await service.create_household(caller, building, data)
        return household_out(await access.household(household_id, *HOUSEHOLD_COLUMNS))

    @get("/{household_id:str}", opt=allow(*HOUSEHOLD_READERS), responses=PROBLEMS)
    async def read(self, caller: CallerDep, household_id: FromPath[str]) -> schemas.HouseholdOut:
        """一户房屋。"""
        # One statement: the caller's scope is part of its predicate (no scope query).
        row = await reads.household_in_scope(caller, as_uuid(household_id))
        if row is None:
            raise NotFoundException("房屋不存在，或不在您的权限范围内。")
        return household_out(row)

    @post(
        "/{household_id:str}/transfer",
        opt=allow(BUREAU),
        responses=PROBLEMS,
        status_code=HTTP_201_CREATED,
    )
    async def transfer(
        self,
        caller: CallerDep,
        access: ScopeDep,
        household_id: FromPath[str],
        data: JSONBody[schemas.TransferIn],
    ) -> schemas.HouseholdOut:
        """过户：房屋与其维修资金分户账不变，业主变更（165号令第29条）。"""
        row = await access.household(household_id, Household.id)
        await service.transfer_household(caller, row["id"], data)
        return household_out(await access.household(row["id"], *HOUSEHOLD_COLUMNS))

    @put("/{household_id:str}/floor", opt=allow(BUREAU), responses=PROBLEMS)
    async def set_floor(
        self,
        caller: CallerDep,
        access: ScopeDep,
        household_id: FromPath[str],
        data: JSONBody[schemas.FloorIn],
    ) -> schemas.HouseholdOut:
        """登记房屋所在楼层（1 为首层），不超过楼栋总层数；加装电梯按楼层分摊费用。"""
        row = await access.household(household_id, Household.id)
        await service.set_floor(caller, row["id"], data.floor)
        return household_out(await access.household(row["id"], *HOUSEHOLD_COLUMNS))

    @get(
        "/{household_id:str}/owners",
        opt=allow(BUREAU, AUDITOR, COMMITTEE),
        responses=PROBLEMS,
    )
    async def owners(
        self, access: ScopeDep, paging: PagingDep, household_id: FromPath[str]
    ) -> Page[schemas.OwnershipOut]:
        """房屋的业主变更历史（谁在何时持有），按取得日期、同日按登记先后。"""
        row = await access.household(household_id, Household.id)
        # A household's history is a handful of rows: paged in memory, so that two changes
        # of one day stand in the order they were recorded.
        everything = await Ownership.select(
            Ownership.id,
            Ownership.owner,
            Ownership.owner.name.as_alias("name"),
            Ownership.owner.id_masked.as_alias("masked"),
            Ownership.since,
            Ownership.until,
            Ownership.recorded_at,
        ).where(Ownership.household == row["id"])
        history, cursor = page_of(
            everything, lambda h: order_key(h["since"], h["recorded_at"], h["id"]), paging
        )
        items = [
            schemas.OwnershipOut(
                owner_id=h["owner"],
                owner_name=h["name"],
                owner_id_no=h["masked"],
                since=h["since"],
                until=h["until"],
            )
            for h in history
        ]
        return Page(items=items, next_cursor=cursor)


ROUTE_HANDLERS = [
    OrganizationController,
    AreaController,
    CommunityController,
    HouseholdController,
    LedgerController,
]
