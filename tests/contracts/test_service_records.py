"""Service records: only the contract's company submits them, one by one or in
idempotent batches of up to 1,000; the bureau, auditor and committee read them."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx

from service.clock import today
from service.contracts.tables import Contract, ServiceRecord
from tests.contracts.estate import finish_handover, make_contract, make_estate
from tests.support import World, created


def record(days_ago: int = 0, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "performed_on": (today() - timedelta(days=days_ago)).isoformat(),
        "category": "cleaning",
        "description": "楼道清扫、垃圾清运",
        "place": "1号楼",
    }
    body.update(overrides)
    return body


async def test_the_company_submits_a_record_and_the_bureau_and_committee_read_it(
    client: httpx.AsyncClient, world: World
) -> None:
    estate = await make_estate(client, world)
    contract = await make_contract(client, world, estate)
    path = f"/api/v1/contracts/{contract['id']}/service-records"
    made = await created(
        await client.post(path, json=record(photos=["photos/1.jpg"]), headers=estate.company_h)
    )
    assert made["category"] == "cleaning"
    assert made["photos"] == ["photos/1.jpg"]
    for headers in (world.h("bureau"), world.h("auditor"), estate.committee_h, estate.company_h):
        listed = await client.get(path, headers=headers)
        assert listed.status_code == 200
        assert [r["id"] for r in listed.json()["items"]] == [made["id"]]
    assert (await client.get(path, headers=world.h("committee"))).status_code == 404
    assert (await client.get(path, headers=world.h("owner1"))).status_code == 403


async def test_a_company_cannot_submit_records_for_a_contract_that_is_not_its_own(
    client: httpx.AsyncClient, world: World
) -> None:
    estate = await make_estate(client, world)
    contract = await make_contract(client, world, estate)
    path = f"/api/v1/contracts/{contract['id']}/service-records"
    # The world's company holds a live contract elsewhere (CA), not this one.
    other = await client.post(path, json=record(), headers=world.h("company"))
    assert other.status_code == 404
    batch = await client.post(
        f"{path}/batch",
        json={"batch_key": "x", "records": [record()]},
        headers=world.h("company"),
    )
    assert batch.status_code == 404
    assert (await client.get(path, headers=world.h("company"))).status_code == 404
    for role in ("bureau", "committee"):
        assert (await client.post(path, json=record(), headers=world.h(role))).status_code == 403
    assert await ServiceRecord.count().where(ServiceRecord.contract == contract["id"]) == 0


async def test_records_cannot_be_backdated_beyond_the_window_or_dated_in_the_future(
    client: httpx.AsyncClient, world: World
) -> None:
    estate = await make_estate(client, world)
    contract = await make_contract(client, world, estate, starts_on="2020-01-01")
    path = f"/api/v1/contracts/{contract['id']}/service-records"
    assert (await client.post(path, json=record(7), headers=estate.company_h)).status_code == 201
    for days_ago in (8, -1):
        response = await client.post(path, json=record(days_ago), headers=estate.company_h)
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "performed_on"
    unknown = await client.post(path, json=record(category="parking"), headers=estate.company_h)
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "category"


async def test_a_batch_is_idempotent_per_key(client: httpx.AsyncClient, world: World) -> None:
    estate = await make_estate(client, world)
    contract = await make_contract(client, world, estate, starts_on="2020-01-01")
    path = f"/api/v1/contracts/{contract['id']}/service-records/batch"
    body = {
        "batch_key": "2026-W48",
        "records": [record(d, category=c) for d in range(3) for c in ("cleaning", "patrol")],
    }
    first = await created(await client.post(path, json=body, headers=estate.company_h))
    assert first["count"] == 6
    assert len(first["record_ids"]) == 6
    again = await created(await client.post(path, json=body, headers=estate.company_h))
    assert again == first
    changed = await client.post(
        path, json={**body, "records": body["records"][:5]}, headers=estate.company_h
    )
    assert changed.status_code == 409
    assert await ServiceRecord.count().where(ServiceRecord.contract == contract["id"]) == 6


async def test_a_batch_is_all_or_none_and_lists_every_bad_record_by_index(
    client: httpx.AsyncClient, world: World
) -> None:
    estate = await make_estate(client, world)
    contract = await make_contract(client, world, estate, starts_on="2020-01-01")
    path = f"/api/v1/contracts/{contract['id']}/service-records/batch"
    records = [record() for _ in range(5)]
    records[1] = record(category="parking")
    records[3] = record(30)
    response = await client.post(
        path, json={"batch_key": "bad", "records": records}, headers=estate.company_h
    )
    assert response.status_code == 422
    fields = [e["field"] for e in response.json()["errors"]]
    assert fields == ["records[1].category", "records[3].performed_on"]
    assert await ServiceRecord.count().where(ServiceRecord.contract == contract["id"]) == 0
    # The key stays unused: the corrected batch goes through under it.
    records[1], records[3] = record(), record()
    fixed = await client.post(
        path, json={"batch_key": "bad", "records": records}, headers=estate.company_h
    )
    assert fixed.status_code == 201


async def test_a_batch_holds_at_most_1000_records(client: httpx.AsyncClient, world: World) -> None:
    estate = await make_estate(client, world)
    contract = await make_contract(client, world, estate, starts_on="2020-01-01")
    path = f"/api/v1/contracts/{contract['id']}/service-records/batch"
    too_many = await client.post(
        path,
        json={"batch_key": "big", "records": [record() for _ in range(1001)]},
        headers=estate.company_h,
    )
    assert too_many.status_code == 422
    assert too_many.json()["errors"][0]["field"] == "records"
    full = await client.post(
        path,
        json={"batch_key": "big", "records": [record(i % 7) for i in range(1000)]},
        headers=estate.company_h,
    )
    assert full.status_code == 201, full.text
    assert full.json()["count"] == 1000
    page = await client.get(
        f"/api/v1/contracts/{contract['id']}/service-records?limit=500", headers=world.h("bureau")
    )
    assert len(page.json()["items"]) == 500
    assert page.json()["next_cursor"]


async def test_records_are_refused_once_the_contract_has_ended(
    client: httpx.AsyncClient, world: World
) -> None:
    estate = await make_estate(client, world)
    contract = await make_contract(
        client, world, estate, starts_on="2020-01-01", ends_on="2022-12-31"
    )
    await Contract.update({Contract.notice_given_on: date(2022, 9, 1)}).where(
        Contract.id == contract["id"]
    )
    await client.post(f"/api/v1/contracts/{contract['id']}/end", headers=world.h("bureau"))
    # Art. 950: ended only once the successor started and the hand-over is confirmed.
    await make_contract(client, world, estate, starts_on="2023-01-01")
    await finish_handover(client, world, estate, contract["id"])
    response = await client.post(
        f"/api/v1/contracts/{contract['id']}/service-records",
        json=record(),
        headers=estate.company_h,
    )
    assert response.status_code == 409


async def test_control_characters_in_a_record_are_refused(
    client: httpx.AsyncClient, world: World
) -> None:
    estate = await make_estate(client, world)
    contract = await make_contract(client, world, estate)
    path = f"/api/v1/contracts/{contract['id']}/service-records"
    nul = await client.post(path, json=record(description="清扫\u0000"), headers=estate.company_h)
    assert nul.status_code == 422
    lines = await client.post(path, json=record(description="清扫\n清运"), headers=estate.company_h)
    assert lines.status_code == 201
