"""Creating users and checking credentials."""

from __future__ import annotations

import asyncio
from uuid import UUID

from service.audit.service import record
from service.auth.passwords import hash_password, verify_password
from service.auth.roles import ACCOUNT_ROLES, OWNER, ROLE_ORG_KIND, Caller
from service.auth.schemas import UserIn
from service.auth.tables import Account
from service.auth.tokens import forget_caller
from service.clock import now
from service.db import transaction
from service.errors import Conflict, InputError
from service.registry.tables import Household, Organization


async def authenticate(username: str, password: str) -> dict[str, object] | None:
    """The active account these credentials open, or None (same cost either way)."""
    # Usernames are case-insensitive (stored lower-case): no look-alike accounts.
    row = (
        await Account.select()
        .where(
            (Account.username == username.strip().lower()) & (Account.active == True)  # noqa: E712
        )
        .first()
    )
    # argon2 takes ~0.1 s of CPU: off the event loop, so other requests keep flowing.
    matches = await asyncio.to_thread(
        verify_password, password, row["password_hash"] if row else None
    )
    if not matches:
        return None
    return row


async def create_user(caller: Caller | None, district_id: UUID, data: UserIn) -> Account:
    """Create a user of one role: an owner is tied to the owner of its households,
    every other role to one organisation of the matching kind in the district."""
    if data.role not in ACCOUNT_ROLES:
        raise InputError("role", "应为 " + " | ".join(sorted(ACCOUNT_ROLES)) + " 之一")
    owner_id: UUID | None = None
    org_id: UUID | None = None
    if data.role == OWNER:
        if data.org_id is not None:
            raise InputError("org_id", "业主账号不属于任何组织，请改用 household_ids")
        if not data.household_ids:
            raise InputError("household_ids", "业主账号必须指定其房屋")
        rows = await Household.select(Household.id, Household.owner).where(
            Household.id.is_in(list(set(data.household_ids))) & (Household.district == district_id)
        )
        if len(rows) != len(set(data.household_ids)):
            raise InputError("household_ids", "有房屋不存在")
        owners = {r["owner"] for r in rows}
        if len(owners) != 1:
            raise InputError("household_ids", "这些房屋不属于同一位业主")
        owner_id = owners.pop()
    else:
        if data.household_ids:
            raise InputError("household_ids", "只有业主账号可以指定房屋")
        if data.org_id is None:
            raise InputError("org_id", "该角色必须指定所属组织")
        await _organization_for(data.role, data.org_id, district_id)
        org_id = data.org_id
    account = Account(
        username=data.username.lower(),
        password_hash=await asyncio.to_thread(hash_password, data.password),
        role=data.role,
        district=district_id,
        organization=org_id,
        owner=owner_id,
        created_at=now(),
    )
    async with transaction():
        if await Account.exists().where(Account.username == data.username.lower()):
            raise Conflict(f"用户名 {data.username} 已被使用。")
        await account.save()
        snapshot = account.to_dict()
        snapshot.pop("password_hash")
        await record(
            caller, "user.create", "user", account.id, after=snapshot, district_id=district_id
        )
    return account


async def household_ids_of(owner_ids: list[UUID]) -> dict[UUID, list[UUID]]:
    """Owner id → the households it owns now, for several owners in one query."""
    result: dict[UUID, list[UUID]] = {owner: [] for owner in owner_ids}
    if owner_ids:
        rows = await Household.select(Household.id, Household.owner).where(
            Household.owner.is_in(owner_ids)
        )
        for row in rows:
            result[row["owner"]].append(row["id"])
    return result


async def deactivate_account(caller: Caller | None, account_id: UUID) -> None:
    """Deactivate an account: its tokens stop working at once in this process and within
    ``CHANGXIAO_CALLER_CACHE_SECONDS`` in every other (service.auth.tokens)."""
    async with transaction():
        row = await Account.select(Account.district).where(Account.id == account_id).first()
        if row is None:
            raise InputError("account_id", "账号不存在")
        await Account.update({Account.active: False}).where(Account.id == account_id)
        await record(
            caller,
            "user.deactivate",
            "user",
            account_id,
            after={"active": False},
            district_id=row["district"],
        )
    # After COMMIT: a request in between reads the row still active and keeps it no
    # longer than the cache's bound.
    forget_caller(account_id)


async def _organization_for(role: str, org_id: UUID, district_id: UUID) -> None:
    """422 on ``org_id`` unless it names an organisation of the district of the kind the
    role belongs to."""
    org = (
        await Organization.select(Organization.kind)
        .where((Organization.id == org_id) & (Organization.district == district_id))
        .first()
    )
    if org is None:
        raise InputError("org_id", "组织不存在")
    if org["kind"] != ROLE_ORG_KIND[role]:
        raise InputError("org_id", f"角色 {role} 须属于 {ROLE_ORG_KIND[role]} 类组织")


async def change_organization(caller: Caller | None, account_id: UUID, org_id: UUID) -> None:
    """Move a (non-owner) account to another organisation of its role's kind in its
    district; the change reaches its tokens like a deactivation does."""
    async with transaction():
        row = (
            await Account.select(Account.district, Account.role, Account.organization)
            .where(Account.id == account_id)
            .first()
        )
        if row is None:
            raise InputError("account_id", "账号不存在")
        if row["role"] == OWNER:
            raise InputError("org_id", "业主账号不属于任何组织")
        await _organization_for(row["role"], org_id, row["district"])
        await Account.update({Account.organization: org_id}).where(Account.id == account_id)
        await record(
            caller,
            "user.organization",
            "user",
            account_id,
            before={"organization": row["organization"]},
            after={"organization": org_id},
            district_id=row["district"],
        )
    forget_caller(account_id)
