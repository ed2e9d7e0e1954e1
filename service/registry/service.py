"""Registry use cases, each in one transaction with its audit entry."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar.exceptions import NotFoundException

from service.audit.service import record
from service.auth.roles import ORG_KINDS, Caller
from service.clock import now, today
from service.config import get_settings
from service.db import fetch, is_postgres, transaction
from service.errors import Conflict, InputError
from service.registry import schemas
from service.registry.rules import id_digest, mask_id_no, normalise_id_no
from service.registry.tables import (
    Area,
    Building,
    Community,
    Household,
    Organization,
    Owner,
    Ownership,
    StreetArea,
)
from service.units import parse_area, parse_fen


def _text(value: str, field: str) -> str:
    stripped = value.strip()
    if not stripped:
        raise InputError(field, "不能为空")
    return stripped


async def create_organization(caller: Caller, data: schemas.OrganizationIn) -> dict[str, Any]:
    if data.kind not in ORG_KINDS:
        raise InputError("kind", "应为 " + " | ".join(sorted(ORG_KINDS)) + " 之一")
    community_id = None
    if data.kind == "committee":
        if data.community_id is None:
            raise InputError("community_id", "业主委员会必须指定所属小区")
        community = (
            await Community.select(Community.id)
            .where((Community.id == data.community_id) & (Community.district == caller.district_id))
            .first()
        )
        if community is None:
            raise InputError("community_id", "小区不存在")
        community_id = data.community_id
    elif data.community_id is not None:
        raise InputError("community_id", "只有业主委员会（committee）可以指定小区")
    org = Organization(
        district=caller.district_id,
        kind=data.kind,
        name=_text(data.name, "name"),
        community=community_id,
        created_at=now(),
    )
    async with transaction():
        await org.save()
        await record(caller, "organization.create", "organization", org.id, after=org.to_dict())
    return org.to_dict()


STREET_NOT_FOUND = "街道办事处不存在，或不在您的权限范围内。"


async def street_areas(district_id: UUID, org_id: UUID) -> list[UUID]:
    """The areas a street office of the district covers (404 for anything else)."""
    street = await Organization.exists().where(
        (Organization.id == org_id)
        & (Organization.district == district_id)
        & (Organization.kind == "street")
    )
    if not street:
        raise NotFoundException(STREET_NOT_FOUND)
    rows = await StreetArea.select(StreetArea.area).where(StreetArea.street == org_id)
    return sorted((r["area"] for r in rows), key=str)


async def set_street_areas(caller: Caller, org_id: UUID, data: schemas.StreetAreasIn) -> list[UUID]:
    """The bureau names the areas a street office covers (the whole set, replacing the
    previous one); its users then see those areas and their communities."""
    wanted = set(data.area_ids)
    found = {
        r["id"]
        for r in await Area.select(Area.id).where(
            Area.id.is_in(list(wanted) or [None]) & (Area.district == caller.district_id)
        )
    }
    if found != wanted:
        raise InputError("area_ids", "有片区不存在")
    async with transaction():
        before = await street_areas(caller.district_id, org_id)
        if is_postgres():
            await Organization.select(Organization.id).where(Organization.id == org_id).lock_rows()
            before = await street_areas(caller.district_id, org_id)
        gone = set(before) - wanted
        if gone:
            await StreetArea.delete().where(
                (StreetArea.street == org_id) & StreetArea.area.is_in(list(gone))
            )
        added = wanted - set(before)
        if added:
            moment = now()
            await StreetArea.insert(
                *[StreetArea(street=org_id, area=a, created_at=moment) for a in added]
            )
        after = sorted(wanted, key=str)
        await record(
            caller,
            "street_areas.set",
            "organization",
            org_id,
            before={"area_ids": [str(a) for a in before]},
            after={"area_ids": [str(a) for a in after]},
        )
    return after


async def create_area(caller: Caller, data: schemas.AreaIn) -> dict[str, Any]:
    async with transaction():
        clash = await Area.exists().where(
            (Area.district == caller.district_id) & (Area.code == data.code)
        )
        if clash:
            raise Conflict(f"片区编号 {data.code} 已存在。")
        area = Area(
            district=caller.district_id,
            name=_text(data.name, "name"),
            code=data.code,
            renovation_year=data.renovation_year,
            created_at=now(),
        )
        await area.save()
        await record(caller, "area.create", "area", area.id, after=area.to_dict())
    return area.to_dict()


async def create_community(caller: Caller, data: schemas.CommunityIn) -> dict[str, Any]:
    rate = parse_fen(data.deposit_rate_per_m2, "deposit_rate_per_m2", allow_zero=True)
    if data.built_year > today().year:
        raise InputError("built_year", "建成年份不能晚于今年")
    async with transaction():
        area = (
            await Area.select(Area.id)
            .where((Area.id == data.area_id) & (Area.district == caller.district_id))
            .first()
        )
        if area is None:
            raise InputError("area_id", "片区不存在")
        clash = await Community.exists().where(
            (Community.district == caller.district_id) & (Community.code == data.code)
        )
        if clash:
            raise Conflict(f"小区编号 {data.code} 已存在。")
        community = Community(
            district=caller.district_id,
            area=data.area_id,
            name=_text(data.name, "name"),
            code=data.code,
            built_year=data.built_year,
            deposit_rate_fen=rate,
            vote_rule=data.vote_rule,
            fund_draw_order=data.fund_draw_order,
            created_at=now(),
        )
        await community.save()
        await record(
            caller, "community.create", "community", community.id, after=community.to_dict()
        )
    return community.to_dict()


async def create_building(
    caller: Caller, community_id: UUID, data: schemas.BuildingIn
) -> dict[str, Any]:
    async with transaction():
        clash = await Building.exists().where(
            (Building.community == community_id) & (Building.name == data.name.strip())
        )
        if clash:
            raise Conflict(f"楼栋 {data.name} 已存在于该小区。")
        building = Building(
            community=community_id,
            name=_text(data.name, "name"),
            floors=data.floors,
            has_elevator=data.has_elevator,
            created_at=now(),
        )
        await building.save()
        await record(caller, "building.create", "building", building.id, after=building.to_dict())
    return building.to_dict()


def owner_identity(raw_id_no: str, field: str = "owner_id_no") -> tuple[str, str]:
    """(digest, masked) of an owner's identity number, or a 422 naming ``field``."""
    id_no = normalise_id_no(raw_id_no)
    if id_no is None:
        raise InputError(field, "不是有效的身份证号或统一社会信用代码")
    return id_digest(id_no, get_settings().id_pepper), mask_id_no(id_no)


async def find_or_create_owner(
    district_id: UUID, name: str, raw_id_no: str, phone: str | None
) -> tuple[UUID, bool]:
    """The owner with this identity number (created if new); call inside a transaction."""
    digest, masked = owner_identity(raw_id_no)
    existing = (
        await Owner.select(Owner.id, Owner.name)
        .where((Owner.district == district_id) & (Owner.id_digest == digest))
        .first()
    )
    if existing is not None:
        if existing["name"] != name:
            raise InputError(
                "owner_name", f"该身份证号已登记为业主“{existing['name']}”，姓名不一致"
            )
        return existing["id"], False
    owner = Owner(
        district=district_id,
        name=name,
        id_digest=digest,
        id_masked=masked,
        phone=phone,
        created_at=now(),
    )
    await owner.save()
    return owner.id, True


async def create_household(
    caller: Caller, building: dict[str, Any], data: schemas.HouseholdIn
) -> UUID:
    area = parse_area(data.floor_area, "floor_area")
    name = _text(data.owner_name, "owner_name")
    if data.owner_since is not None and data.owner_since > today():
        raise InputError("owner_since", "不能晚于今天")
    unit_no, room_no = _text(data.unit_no, "unit_no"), _text(data.room_no, "room_no")
    check_floor(data.floor, building["floors"])
    async with transaction():
        clash = await Household.exists().where(
            (Household.building == building["id"])
            & (Household.unit_no == unit_no)
            & (Household.room_no == room_no)
        )
        if clash:
            raise Conflict(f"该楼栋 {unit_no} 单元 {room_no} 室已登记。")
        owner_id, _ = await find_or_create_owner(
            caller.district_id, name, data.owner_id_no, data.owner_phone
        )
        household = Household(
            district=caller.district_id,
            community=building["community"],
            building=building["id"],
            unit_no=unit_no,
            room_no=room_no,
            floor_area=area,
            owner=owner_id,
            created_at=now(),
            floor=data.floor,
        )
        await household.save()
        await Ownership.insert(
            Ownership(
                household=household.id,
                owner=owner_id,
                since=data.owner_since or today(),
                recorded_at=now(),
            )
        )
        await record(
            caller, "household.create", "household", household.id, after=household.to_dict()
        )
    return household.id


def check_floor(floor: int | None, building_floors: int, field: str = "floor") -> None:
    """A flat's storey lies between the ground floor (1) and the building's top floor."""
    if floor is not None and not 1 <= floor <= building_floors:
        raise InputError(field, f"应为 1 到 {building_floors}（该楼栋总层数）之间的整数")


async def set_floor(caller: Caller, household_id: UUID, floor: int) -> None:
    """Record the storey of a registered flat (for lift retrofits' cost sharing)."""
    async with transaction():
        row = (
            await Household.select(Household.floor, Household.building.floors.as_alias("floors"))
            .where(Household.id == household_id)
            .first()
        )
        if row is None:
            raise NotFoundException("房屋不存在。")
        check_floor(floor, row["floors"])
        await Household.update({Household.floor: floor}).where(Household.id == household_id)
        await record(
            caller,
            "household.floor",
            "household",
            household_id,
            before={"floor": row["floor"]},
            after={"floor": floor},
        )


async def transfer_household(caller: Caller, household_id: UUID, data: schemas.TransferIn) -> None:
    """Record a sale (建设部令第165号 art. 29): the household and its account stay.

    Only the owner changes; the ownership history keeps who held it when.
    """
    name = _text(data.owner_name, "owner_name")
    if data.since > today():
        raise InputError("since", "过户日期不能晚于今天")
    async with transaction():
        if is_postgres():
            # Serialise sales of one flat (SQLite's IMMEDIATE transaction already does).
            await fetch("SELECT id FROM household WHERE id = {} FOR UPDATE", household_id)
        current = (
            await Household.select(Household.owner).where(Household.id == household_id).first()
        )
        if current is None:
            raise NotFoundException("房屋不存在。")
        open_row = (
            await Ownership.select(Ownership.id, Ownership.since)
            .where((Ownership.household == household_id) & Ownership.until.is_null())
            .first()
        )
        if open_row is not None and data.since < open_row["since"]:
            raise InputError("since", f"过户日期不能早于现业主的起始日期 {open_row['since']}")
        owner_id, _ = await find_or_create_owner(
            caller.district_id, name, data.owner_id_no, data.owner_phone
        )
        if owner_id == current["owner"]:
            raise Conflict("新业主与现业主相同，无需过户。")
        if open_row is not None:
            await Ownership.update({Ownership.until: data.since}).where(
                Ownership.id == open_row["id"]
            )
        await Ownership.insert(
            Ownership(household=household_id, owner=owner_id, since=data.since, recorded_at=now())
        )
        await Household.update({Household.owner: owner_id}).where(Household.id == household_id)
        await record(
            caller,
            "household.transfer",
            "household",
            household_id,
            before={"owner": current["owner"]},
            after={"owner": owner_id, "since": data.since},
        )
