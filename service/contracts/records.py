"""Service records: what a company did, submitted one by one, in idempotent batches of
up to 1,000 (all or none), or as a file (upload.py)."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

import msgspec
from litestar.exceptions import NotFoundException

from service.audit.service import record
from service.auth.roles import COMPANY, Caller
from service.clock import now, today
from service.contracts import rules, schemas
from service.contracts.service import NOT_FOUND, load_contract
from service.contracts.tables import ServiceRecord, ServiceRecordBatch
from service.db import transaction
from service.errors import Conflict, InputError, InputErrors
from service.registry.schemas import LINE_OR_EMPTY


def _record_problems(
    index: int | None, data: schemas.ServiceRecordIn, contract: dict[str, Any]
) -> list[dict[str, str]]:
    prefix = "" if index is None else f"records[{index}]."
    problems = []
    if data.category not in rules.RECORD_CATEGORIES:
        problems.append(
            {
                "field": f"{prefix}category",
                "message": "应为 " + "、".join(rules.RECORD_CATEGORIES) + " 之一",
            }
        )
    problem = rules.record_date_problem(
        data.performed_on,
        today(),
        rules.backdate_days(),
        contract["starts_on"],
        contract["ends_on"],
    )
    if problem:
        problems.append({"field": f"{prefix}performed_on", "message": problem})
    if not data.description.strip():
        problems.append({"field": f"{prefix}description", "message": "不能为空"})
    elif not re.match(schemas.MULTILINE, data.description):
        problems.append({"field": f"{prefix}description", "message": "含有不可见的控制字符"})
    if not re.match(LINE_OR_EMPTY, data.place):
        problems.append({"field": f"{prefix}place", "message": "含有不可见的控制字符"})
    if len(data.photos) > 9:
        problems.append({"field": f"{prefix}photos", "message": "最多 9 张照片"})
    return problems


async def writable_contract(caller: Caller, contract_id: str) -> dict[str, Any]:
    row = await load_contract(caller, contract_id)
    if caller.role != COMPANY or row["company"] != caller.org_id:
        raise NotFoundException(NOT_FOUND)
    if row["status"] not in rules.SERVING:
        raise Conflict("合同未生效或已结束，不能再提交服务记录。")
    return row


def _new_record(
    caller: Caller, contract: dict[str, Any], data: schemas.ServiceRecordIn
) -> ServiceRecord:
    return ServiceRecord(
        district=contract["district"],
        community=contract["community"],
        contract=contract["id"],
        company=contract["company"],
        performed_on=data.performed_on,
        category=data.category,
        description=data.description.strip(),
        place=data.place.strip(),
        photos=list(data.photos),
        created_by=caller.id,
        created_at=now(),
    )


async def add_record(
    caller: Caller, contract_id: str, data: schemas.ServiceRecordIn
) -> dict[str, Any]:
    """One service record by the contract's company."""
    contract = await writable_contract(caller, contract_id)
    problems = _record_problems(None, data, contract)
    if problems:
        raise InputErrors("；".join(f"{p['field']}: {p['message']}" for p in problems), problems)
    item = _new_record(caller, contract, data)
    async with transaction():
        await item.save()
        await record(
            caller, "service_record.create", "service_record", item.id, after=item.to_dict()
        )
    row = await ServiceRecord.select().where(ServiceRecord.id == item.id).first()
    assert row is not None
    return row


def _fingerprint(records: list[schemas.ServiceRecordIn]) -> str:
    canonical = json.dumps(
        msgspec.to_builtins(records), sort_keys=True, ensure_ascii=False, default=str
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


async def _batch_result(batch: dict[str, Any]) -> schemas.ServiceRecordBatchOut:
    ids = await (
        ServiceRecord.select(ServiceRecord.id)
        .where(ServiceRecord.from_batch == batch["id"])
        .order_by(ServiceRecord.batch_index)
    )
    return schemas.ServiceRecordBatchOut(
        batch_id=batch["id"],
        batch_key=batch["batch_key"],
        count=batch["record_count"],
        record_ids=[r["id"] for r in ids],
    )


async def add_batch(
    caller: Caller, contract_id: str, data: schemas.ServiceRecordBatchIn
) -> schemas.ServiceRecordBatchOut:
    """Up to 1,000 records, all or none; the same batch key with the same records gives
    the first result again, with different records 409."""
    contract = await writable_contract(caller, contract_id)
    if not data.records:
        raise InputError("records", "至少需要一条记录")
    if len(data.records) > rules.MAX_BATCH:
        raise InputError("records", f"每批最多 {rules.MAX_BATCH} 条，请拆分后提交")
    fingerprint = _fingerprint(data.records)
    async with transaction():
        existing = (
            await ServiceRecordBatch.select()
            .where(
                (ServiceRecordBatch.contract == contract["id"])
                & (ServiceRecordBatch.batch_key == data.batch_key)
            )
            .first()
        )
        if existing is not None:
            if existing["fingerprint"] != fingerprint:
                raise Conflict(
                    f"批次号 {data.batch_key} 已用于内容不同的一批记录；新批次请使用新批次号。"
                )
            return await _batch_result(existing)
        problems = [p for i, r in enumerate(data.records) for p in _record_problems(i, r, contract)]
        if problems:
            raise InputErrors(f"共 {len(problems)} 处错误，整批未导入。", problems)
        batch = ServiceRecordBatch(
            contract=contract["id"],
            batch_key=data.batch_key,
            fingerprint=fingerprint,
            record_count=len(data.records),
            created_by=caller.id,
            created_at=now(),
        )
        await batch.save()
        rows = []
        for index, item in enumerate(data.records):
            row = _new_record(caller, contract, item)
            row.from_batch = batch.id
            row.batch_index = index
            rows.append(row)
        for start in range(0, len(rows), 200):
            await ServiceRecord.insert(*rows[start : start + 200])
        await record(
            caller,
            "service_record.batch",
            "service_record_batch",
            batch.id,
            after={"contract": contract["id"], "batch_key": data.batch_key, "count": len(rows)},
        )
        result = await _batch_result(batch.to_dict())
    return result
