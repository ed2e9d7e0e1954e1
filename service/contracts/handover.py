"""The hand-over record (交接, Civil Code arts. 949-950): what the outgoing organisation
hands back — documents, keys, equipment, the property-service rooms, the maintenance
fund's account details — confirmed by the outgoing side and by the incoming side (the
owners' committee or the successor). Once the successor's contract has started and both
sides confirmed, the old contract ends (``service.advance``).

Every step locks the contract row first, so of two competing confirmations of one side
exactly one is taken and the other answers 409.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar.exceptions import NotFoundException, PermissionDeniedException

from service.audit.service import record
from service.auth.roles import BUREAU, COMMITTEE, COMPANY, Caller
from service.auth.scope import as_uuid
from service.clock import now, today
from service.contracts import rules, schemas
from service.contracts.service import NOT_FOUND, advance, contract_visible
from service.contracts.tables import Contract, HandoverRecord
from service.db import is_postgres, read_json, transaction
from service.errors import Conflict


async def _successor_company(caller: Caller, row: dict[str, Any]) -> bool:
    """The caller's company holds the live contract that follows ``row``."""
    if caller.role != COMPANY or caller.org_id is None:
        return False
    return bool(
        await Contract.exists().where(
            (Contract.community == row["community"])
            & (Contract.id != row["id"])
            & (Contract.company == caller.org_id)
            & (Contract.status == "live")
        )
    )


async def _load(caller: Caller, contract_id: UUID | str, *, lock: bool) -> dict[str, Any]:
    """The contract for a hand-over step: visible to the caller as a party, or the
    caller's company is the successor; locked (and read again) when ``lock``."""
    query = Contract.select().where(Contract.id == as_uuid(contract_id))
    if lock and is_postgres():
        query = query.lock_rows()
    row = await query.first()
    if row is None or row["district"] != caller.district_id:
        raise NotFoundException(NOT_FOUND)
    if not contract_visible(caller, row) and not await _successor_company(caller, row):
        raise NotFoundException(NOT_FOUND)
    return row


async def _record(contract_id: UUID) -> dict[str, Any] | None:
    found: dict[str, Any] | None = (
        await HandoverRecord.select().where(HandoverRecord.contract == contract_id).first()
    )
    return found


def _out(contract: dict[str, Any], row: dict[str, Any]) -> schemas.HandoverOut:
    return schemas.HandoverOut(
        contract_id=contract["id"],
        contract_status=contract["status"],
        documents=list(read_json(row["documents"]) or []),
        keys=list(read_json(row["keys"]) or []),
        equipment=list(read_json(row["equipment"]) or []),
        rooms=list(read_json(row["rooms"]) or []),
        fund_account=row["fund_account"],
        note=row["note"],
        recorded_at=row["recorded_at"],
        outgoing_confirmed_at=row["outgoing_confirmed_at"],
        incoming_confirmed_at=row["incoming_confirmed_at"],
        incoming_confirmed_role=row["incoming_confirmed_role"],
    )


def _outgoing(caller: Caller, contract: dict[str, Any]) -> bool:
    """The caller speaks for the outgoing organisation (the company, or the committee
    of a self-managed community)."""
    return caller.role in (COMPANY, COMMITTEE) and caller.org_id == contract["company"]


async def _incoming(caller: Caller, contract: dict[str, Any]) -> bool:
    """The caller speaks for the incoming side: the owners' committee (unless it is the
    outgoing manager itself) or the successor's company."""
    if caller.role == COMMITTEE:
        return bool(
            caller.committee_community_id == contract["community"]
            and caller.org_id != contract["company"]
        )
    return await _successor_company(caller, contract)


async def read_record(caller: Caller, contract_id: str) -> schemas.HandoverOut:
    contract = await _load(caller, contract_id, lock=False)
    row = await _record(contract["id"])
    if row is None:
        raise NotFoundException("该合同尚未登记交接记录。")
    return _out(contract, row)


async def put_record(
    caller: Caller, contract_id: str, data: schemas.HandoverIn
) -> schemas.HandoverOut:
    """Write (or rewrite) the record: the outgoing organisation, the committee or the
    bureau, while the contract is live or in hand-over and neither side has confirmed."""
    async with transaction():
        contract = await _load(caller, contract_id, lock=True)
        if caller.role not in (BUREAU, COMMITTEE) and not _outgoing(caller, contract):
            raise PermissionDeniedException("只有移交方、业委会或区住建局可以登记交接记录。")
        if contract["status"] not in rules.SERVING:
            raise Conflict("合同不在服务或交接期内，不能登记交接记录。")
        existing = await _record(contract["id"])
        if existing is not None and (
            existing["outgoing_confirmed_at"] is not None
            or existing["incoming_confirmed_at"] is not None
        ):
            raise Conflict("交接记录已有一方确认，不能再修改。")
        values: dict[str, Any] = {
            "documents": list(data.documents),
            "keys": list(data.keys),
            "equipment": list(data.equipment),
            "rooms": list(data.rooms),
            "fund_account": data.fund_account.strip(),
            "note": data.note.strip(),
            "recorded_by": caller.id,
            "recorded_at": now(),
        }
        if existing is None:
            await HandoverRecord.insert(
                HandoverRecord(
                    contract=contract["id"],
                    district=contract["district"],
                    community=contract["community"],
                    **values,
                )
            )
        else:
            await HandoverRecord.update(**values).where(HandoverRecord.id == existing["id"])
        await record(
            caller,
            "contract.handover_record",
            "contract",
            contract["id"],
            before=None if existing is None else {"recorded_at": existing["recorded_at"]},
            after={k: v for k, v in values.items() if k != "recorded_at"},
        )
        row = await _record(contract["id"])
        assert row is not None
        return _out(contract, row)


async def confirm(caller: Caller, contract_id: str, data: schemas.ConfirmIn) -> schemas.HandoverOut:
    """One side confirms the record; a side confirms once (a second → 409). When the
    successor's contract has started and both sides have confirmed, the contract ends."""
    async with transaction():
        contract = await _load(caller, contract_id, lock=True)
        if data.side == "outgoing" and not _outgoing(caller, contract):
            raise PermissionDeniedException("只有移交方（原物业服务企业）可以确认移交。")
        if data.side == "incoming" and not await _incoming(caller, contract):
            raise PermissionDeniedException("只有业委会或接管的物业服务企业可以确认接收。")
        if contract["status"] not in rules.SERVING:
            raise Conflict("合同已结束，交接已完成。")
        row = await _record(contract["id"])
        if row is None:
            raise Conflict("该合同尚未登记交接记录，不能确认。")
        stamp = f"{data.side}_confirmed_at"
        if row[stamp] is not None:
            raise Conflict("该方已确认过交接记录。")
        moment = now()
        values: dict[str, Any] = {stamp: moment, f"{data.side}_confirmed_by": caller.id}
        if data.side == "incoming":
            values["incoming_confirmed_role"] = caller.role
        await HandoverRecord.update(**values).where(HandoverRecord.id == row["id"])
        await record(
            caller,
            f"contract.handover_{data.side}",
            "contract",
            contract["id"],
            after={"side": data.side},
        )
        contract = await advance(caller, contract, today())
        fresh = await _record(contract["id"])
        assert fresh is not None
        return _out(contract, fresh)
