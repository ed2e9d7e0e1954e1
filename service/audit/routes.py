"""Reading the audit log (bureau and auditor)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec
from litestar import Controller, get
from litestar.params import FromQuery

from service.audit.tables import AuditEntry
from service.auth.roles import DISTRICT_READERS, allow
from service.db import read_json
from service.http import PROBLEMS, CallerDep, PagingDep
from service.pagination import Page, fetch_page


class AuditEntryOut(msgspec.Struct):
    id: str
    at: datetime
    actor_id: UUID | None
    actor: str
    action: str
    entity: str
    entity_id: str
    before: Any
    after: Any


class AuditController(Controller):
    path = "/audit"
    tags = ["审计"]

    @get("/", opt=allow(*DISTRICT_READERS), responses=PROBLEMS)
    async def list_entries(
        self,
        caller: CallerDep,
        paging: PagingDep,
        entity: FromQuery[str | None] = None,
        entity_id: FromQuery[str | None] = None,
    ) -> Page[AuditEntryOut]:
        """本区的操作日志（只增不改），按时间先后。"""
        query = AuditEntry.select().where(AuditEntry.district_id == caller.district_id)
        if entity:
            query = query.where(AuditEntry.entity == entity)
        if entity_id:
            query = query.where(AuditEntry.entity_id == entity_id)
        rows, cursor = await fetch_page(query, AuditEntry.id, paging, key_type=int)
        return Page(
            items=[
                AuditEntryOut(
                    id=str(r["id"]),
                    at=r["at"],
                    actor_id=r["actor_id"],
                    actor=r["actor_name"],
                    action=r["action"],
                    entity=r["entity"],
                    entity_id=r["entity_id"],
                    before=_json(r["before"]),
                    after=_json(r["after"]),
                )
                for r in rows
            ],
            next_cursor=cursor,
        )


_json = read_json


ROUTE_HANDLERS = [AuditController]
