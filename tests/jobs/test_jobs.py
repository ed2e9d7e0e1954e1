"""Scheduled jobs: exactly-once claims and the overdue escalation."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest

from jobs.repair_escalation import escalate_overdue_at
from jobs.runs import run_once
from jobs.scheduler import build_scheduler
from jobs.tables import JobRun
from service.clock import now
from tests.support import World, unique

pytestmark = pytest.mark.usefixtures("database")


async def test_a_slot_runs_once_however_many_processes_try() -> None:
    calls: list[str] = []

    async def work(_: object) -> str:
        calls.append("ran")
        await asyncio.sleep(0.01)
        return "done"

    slot = unique("slot-")
    outcomes = await asyncio.gather(*(run_once("test-job", slot, work) for _ in range(10)))
    assert calls == ["ran"]
    assert sorted(o for o in outcomes if o) == ["done"]
    row = await JobRun.select().where((JobRun.job == "test-job") & (JobRun.slot == slot)).first()
    assert row is not None and row["outcome"] == "done" and row["finished_at"] is not None


async def test_a_failing_job_records_its_failure_and_keeps_the_claim() -> None:
    async def broken(_: object) -> str:
        raise RuntimeError("disk full")

    slot = unique("slot-")
    assert (await run_once("test-broken", slot, broken) or "").startswith("failed: disk full")
    assert await run_once("test-broken", slot, broken) is None


async def test_overdue_tickets_are_escalated_once(client: httpx.AsyncClient, world: World) -> None:
    response = await client.post(
        "/api/v1/repairs",
        json={
            "community_id": world.ids["CA"],
            "building_id": world.ids["CA-1"],
            "category": "plumbing",
            "description": "楼道水管漏水",
            "urgency": "emergency",
        },
        headers=world.h("committee"),
    )
    assert response.status_code == 201, response.text
    ticket = response.json()
    later = now() + timedelta(days=3)
    assert await escalate_overdue_at(later) >= 1
    assert await escalate_overdue_at(later) == 0
    detail = await client.get(f"/api/v1/repairs/{ticket['id']}", headers=world.h("bureau"))
    assert detail.status_code == 200
    assert "escalate" in detail.text


def test_the_scheduler_is_built_without_starting() -> None:
    scheduler = build_scheduler()
    ids = {job.id for job in scheduler.get_jobs()}
    assert {"contract-terms", "repair-escalation", "retries", "catch-up"} <= ids
    assert not scheduler.running
