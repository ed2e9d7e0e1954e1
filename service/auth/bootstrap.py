"""Creating users from the command line, including the very first bureau user."""

from __future__ import annotations

from uuid import UUID

import msgspec

from service.auth.roles import BUREAU
from service.auth.schemas import UserIn
from service.auth.service import create_user
from service.clock import now
from service.db import close_database, open_database, transaction
from service.registry.tables import District, Organization

DEFAULT_DISTRICT = ("老城区", "410302")
DEFAULT_BUREAU = "老城区住房和城乡建设局"


async def home_district_id() -> UUID | None:
    """The district this deployment serves (the first by code), or None on an empty database.

    The command line acts in it; the API always acts in the caller's own district.
    """
    row = await District.select(District.id).order_by(District.code).first()
    return None if row is None else row["id"]


async def ensure_bureau() -> tuple[UUID, UUID]:
    """The district and its bureau organisation, created when none exists yet."""
    async with transaction():
        found = await home_district_id()
        if found is None:
            new_district = District(name=DEFAULT_DISTRICT[0], code=DEFAULT_DISTRICT[1])
            await new_district.save()
            district_id = new_district.id
        else:
            district_id = found
        bureau = (
            await Organization.select(Organization.id)
            .where((Organization.district == district_id) & (Organization.kind == "bureau"))
            .first()
        )
        if bureau is None:
            org = Organization(
                district=district_id, kind="bureau", name=DEFAULT_BUREAU, created_at=now()
            )
            await org.save()
            return district_id, org.id
        return district_id, bureau["id"]


async def add_user(
    *,
    username: str,
    password: str,
    role: str,
    org_id: str | None,
    household_ids: list[str] | None,
) -> UUID:
    await open_database()
    try:
        org: UUID | None
        if role == BUREAU and org_id is None:
            district_id, org = await ensure_bureau()
        else:
            home = await home_district_id()
            if home is None:
                raise RuntimeError("no district yet: create a bureau user first")
            district_id = home
            org = UUID(org_id) if org_id else None
        # convert() applies the same constraints as the API (length, pattern).
        data = msgspec.convert(
            {
                "username": username,
                "password": password,
                "role": role,
                "org_id": org,
                "household_ids": [UUID(h) for h in household_ids] if household_ids else None,
            },
            UserIn,
        )
        account = await create_user(None, district_id, data)
        return account.id
    finally:
        await close_database()
