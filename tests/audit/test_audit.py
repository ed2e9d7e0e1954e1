"""Every write is in the audit log, with who and before/after; the log cannot be edited."""

import httpx
import pytest

from service.audit.tables import AuditEntry
from service.db import fetch
from tests.support import World, unique


async def test_a_write_records_who_what_and_after(client: httpx.AsyncClient, world: World) -> None:
    code = unique("AUD")
    created = await client.post(
        "/api/v1/areas", json={"name": "审计片区", "code": code}, headers=world.h("bureau")
    )
    area_id = created.json()["id"]
    me = (await client.get("/api/v1/auth/me", headers=world.h("bureau"))).json()
    log = await client.get(
        f"/api/v1/audit?entity=area&entity_id={area_id}", headers=world.h("auditor")
    )
    assert log.status_code == 200
    [entry] = log.json()["items"]
    assert entry["action"] == "area.create"
    assert entry["actor_id"] == me["id"]
    assert entry["after"]["code"] == code
    assert entry["before"] is None


async def test_a_refused_write_leaves_no_audit_entry(
    client: httpx.AsyncClient, world: World
) -> None:
    before = await AuditEntry.count()
    response = await client.post(
        "/api/v1/areas", json={"name": "", "code": "bad code!"}, headers=world.h("bureau")
    )
    assert response.status_code == 422
    assert await AuditEntry.count() == before


async def test_audit_entries_cannot_be_updated_or_deleted(world: World) -> None:
    row = await AuditEntry.select(AuditEntry.id).first()
    assert row is not None
    entries = await AuditEntry.count()
    for statement in (
        "UPDATE audit_entry SET actor_name = 'someone else' WHERE id = {}",
        "DELETE FROM audit_entry WHERE id = {}",
    ):
        with pytest.raises(Exception, match="append-only"):
            await fetch(statement, row["id"])
    still = await AuditEntry.select(AuditEntry.actor_name).where(AuditEntry.id == row["id"]).first()
    assert still is not None and still["actor_name"] != "someone else"
    # The refused DELETE removed nothing.
    assert await AuditEntry.count() == entries
