"""Owners claim their own login (业主自助认领账号), as the cities' owner e-voting
platforms do: the identity number and the flat are matched against the registry's keyed
digest, and a one-time code the bureau prints per household completes it.

A code is bound to its household (its digest is keyed with the household id), works
once, expires, and issuing new codes revokes the old ones. Several flats of one owner
share one login: the login sees every household of its owner.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import secrets
import sys
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TextIO
from uuid import UUID

import msgspec

from service.audit.service import record
from service.auth.roles import OWNER
from service.auth.schemas import UserIn
from service.auth.service import create_user
from service.auth.tables import Account, ClaimCode
from service.auth.throttle import ADDRESS_LIMIT, note_failure, refuse_when_throttled
from service.clock import now
from service.config import get_settings
from service.db import fetch, is_postgres, transaction
from service.errors import InputError
from service.registry.rules import id_digest, normalise_id_no
from service.registry.tables import Community

# No 0/O, 1/I/L: a code is read off paper and typed on a phone.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10
CODE_VALID_DAYS = 90
MISMATCH = "身份证号、房屋与认领码不匹配，或认领码已使用、已过期。"


def _code_digest(household_id: UUID, code: str) -> str:
    key = get_settings().id_pepper.encode()
    return hmac.new(key, f"claim:{household_id}:{code}".encode(), hashlib.sha256).hexdigest()


def normalise_code(raw: str) -> str:
    """What the owner typed, as issued: upper case, without spaces or dashes."""
    return raw.strip().upper().replace("-", "").replace(" ", "")


def format_code(code: str) -> str:
    """A code as printed: groups of five."""
    return "-".join(code[i : i + 5] for i in range(0, len(code), 5))


@dataclass(frozen=True)
class IssuedCode:
    household_id: UUID
    building: str
    unit_no: str
    room_no: str
    owner_name: str
    code: str
    expires_on: str


async def issue_claim_codes(
    community_code: str, valid_days: int = CODE_VALID_DAYS
) -> list[IssuedCode]:
    """A fresh code for every household of the community (earlier unused codes are
    revoked), for the bureau to print on letters or statements."""
    community = (
        await Community.select(Community.id, Community.district)
        .where(Community.code == community_code)
        .first()
    )
    if community is None:
        raise InputError("community_code", f"小区编码 {community_code} 不存在")
    rows = await fetch(
        "SELECT h.id, b.name AS building, h.unit_no, h.room_no, o.name AS owner_name"
        " FROM household AS h JOIN building AS b ON b.id = h.building"
        " JOIN owner AS o ON o.id = h.owner WHERE h.community = {}"
        " ORDER BY b.name, h.unit_no, h.room_no",
        community["id"],
    )
    moment = now()
    expires = moment + timedelta(days=valid_days)
    issued: list[IssuedCode] = []
    codes: list[ClaimCode] = []
    for row in rows:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        codes.append(
            ClaimCode(
                household=row["id"],
                code_digest=_code_digest(row["id"], code),
                issued_at=moment,
                expires_at=expires,
            )
        )
        issued.append(
            IssuedCode(
                household_id=row["id"],
                building=row["building"],
                unit_no=row["unit_no"],
                room_no=row["room_no"],
                owner_name=row["owner_name"],
                code=format_code(code),
                expires_on=expires.date().isoformat(),
            )
        )
    household_ids = [r["id"] for r in rows]
    async with transaction():
        if household_ids:
            await ClaimCode.update({ClaimCode.revoked_at: moment}).where(
                ClaimCode.household.is_in(household_ids)
                & ClaimCode.used_at.is_null()
                & ClaimCode.revoked_at.is_null()
            )
            for start in range(0, len(codes), 500):
                await ClaimCode.insert(*codes[start : start + 500])
        await record(
            None,
            "claim_codes.issue",
            "community",
            community["id"],
            after={"households": len(codes), "expires_at": expires.isoformat()},
            district_id=community["district"],
        )
    return issued


@dataclass(frozen=True)
class ClaimIn:
    id_no: str
    community_id: UUID
    building_id: UUID
    unit_no: str
    room_no: str
    code: str
    username: str
    password: str


@dataclass(frozen=True)
class Claimed:
    account_id: UUID
    username: str
    # False: the owner already had a login; this flat is seen through it.
    created: bool


def _checked_user(data: ClaimIn, household_id: UUID) -> UserIn:
    try:
        return msgspec.convert(
            {
                "username": data.username.strip(),
                "password": data.password,
                "role": OWNER,
                "household_ids": [str(household_id)],
            },
            UserIn,
        )
    except msgspec.ValidationError as exc:
        field = "password" if "password" in str(exc) else "username"
        message = (
            "密码至少 8 位" if field == "password" else "用户名为 3 到 80 位字母、数字或 _ . - @"
        )
        raise InputError(field, message) from None


async def claim_login(data: ClaimIn, client: str) -> Claimed:
    """Match identity number, flat and code; then create the owner's login, or (when the
    owner already has one) let the code join this flat to it. Wrong tries are throttled
    per client address and per flat."""
    flat_key = f"claim-flat:{data.community_id}:{data.building_id}:{data.unit_no}:{data.room_no}"
    client_key = f"claim-client:{client}"
    await refuse_when_throttled(flat_key)
    await refuse_when_throttled(client_key, limit=ADDRESS_LIMIT)
    id_no = normalise_id_no(data.id_no)
    households = await fetch(
        "SELECT h.id, h.owner, h.district, o.id_digest FROM household AS h"
        " JOIN owner AS o ON o.id = h.owner WHERE h.community = {} AND h.building = {}"
        " AND h.unit_no = {} AND h.room_no = {}",
        data.community_id,
        data.building_id,
        data.unit_no.strip(),
        data.room_no.strip(),
    )
    household = households[0] if households else None
    code = normalise_code(data.code)
    matched = (
        household is not None
        and id_no is not None
        and hmac.compare_digest(household["id_digest"], id_digest(id_no, get_settings().id_pepper))
    )
    if not matched or household is None:
        await note_failure(client_key, flat_key)
        raise InputError("code", MISMATCH)
    digest = _code_digest(household["id"], code)
    claimed: Claimed | None = None
    async with transaction():
        query = ClaimCode.select(ClaimCode.id).where(
            (ClaimCode.household == household["id"])
            & (ClaimCode.code_digest == digest)
            & ClaimCode.used_at.is_null()
            & ClaimCode.revoked_at.is_null()
            & (ClaimCode.expires_at > now())
        )
        if is_postgres():
            query = query.lock_rows()
        found = await query.first()
        if found is not None:
            claimed = await _open_login(data, household)
            await ClaimCode.update(
                {ClaimCode.used_at: now(), ClaimCode.used_by: claimed.account_id}
            ).where(ClaimCode.id == found["id"])
            await record(
                None,
                "owner.claim",
                "household",
                household["id"],
                after={"account": claimed.account_id, "created": claimed.created},
                district_id=household["district"],
            )
    if claimed is None:
        await note_failure(client_key, flat_key)
        raise InputError("code", MISMATCH)
    return claimed


async def _open_login(data: ClaimIn, household: dict[str, Any]) -> Claimed:
    """The owner's login: a new one, or the one the owner already has."""
    existing = (
        await Account.select(Account.id, Account.username)
        .where((Account.owner == household["owner"]) & (Account.role == OWNER))
        .first()
    )
    if existing is not None:
        return Claimed(existing["id"], existing["username"], False)
    account = await create_user(None, household["district"], _checked_user(data, household["id"]))
    return Claimed(UUID(str(account.id)), account.username, True)


CSV_HEAD = ("小区编码", "楼栋", "单元", "房号", "业主", "认领码", "有效期至")


async def write_claim_codes(
    community_code: str, out: TextIO, valid_days: int = CODE_VALID_DAYS
) -> int:
    """``changxiao owners claim-codes``: issue the community's codes and write them as
    CSV (one row per household) for printing on letters; returns the exit status."""
    try:
        issued = await issue_claim_codes(community_code, valid_days)
    except InputError as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        return 2
    writer = csv.writer(out)
    writer.writerow(CSV_HEAD)
    for code in issued:
        writer.writerow(
            (
                community_code,
                code.building,
                code.unit_no,
                code.room_no,
                code.owner_name,
                code.code,
                code.expires_on,
            )
        )
    print(f"{len(issued)} 户认领码已生成，旧的未使用认领码已作废。", file=sys.stderr)
    return 0
