"""Every JSON column of every table round-trips on both databases, read through Piccolo
and through raw SQL, by the one reader ``service.db.read_json``.

The walk is generated from Piccolo's table registry: a JSON column added later by any
context is walked too, and the test fails until a row of it exists here (add a flow
that writes one to ``_write_every_json_column``).
"""

from __future__ import annotations

from typing import Any

import httpx
from piccolo.columns import JSON, JSONB
from piccolo.conf.apps import Finder
from piccolo.table import Table

from service.db import fetch, is_postgres, read_json
from tests.contracts.estate import (
    Estate,
    finish_handover,
    make_contract,
    make_estate,
    pass_decision,
)
from tests.contracts.test_service_records import record
from tests.fund_uses.test_api import make_block, proposal, vote
from tests.lifts.estate import close, consents, make_unit, new_project
from tests.lifts.estate import make_estate as make_lift_estate
from tests.ratings.flow import make_period, rate, scores
from tests.support import World, created

API = "/api/v1"
PHOTOS = ["photos/屋面 1.jpg", "photos/2.png"]


def json_columns() -> list[tuple[type[Table], str]]:
    """(table, column name) of every JSON column the apps register."""
    found = []
    for table in Finder().get_table_classes():
        for column in table._meta.columns:
            if isinstance(column, (JSON, JSONB)):
                found.append((table, column._meta.db_column_name))
    return sorted(found, key=lambda pair: (pair[0]._meta.tablename, pair[1]))


async def _repair_with_photos(client: httpx.AsyncClient, world: World) -> dict[str, Any]:
    return await created(
        await client.post(
            f"{API}/repairs",
            json={
                "community_id": world.ids["CA"],
                "category": "plumbing",
                "description": "楼道水管渗漏",
                "photos": PHOTOS,
            },
            headers=world.h("committee"),
        )
    )


async def test_repair_ticket_photos_come_back_as_sent(
    client: httpx.AsyncClient, world: World
) -> None:
    ticket = await _repair_with_photos(client, world)
    for path in (f"{API}/repairs/{ticket['id']}", f"{API}/repairs?limit=500"):
        answer = await client.get(path, headers=world.h("bureau"))
        assert answer.status_code == 200, answer.text
        body = answer.json()
        rows = body.get("items", [body])
        (read,) = [r for r in rows if r["id"] == ticket["id"]]
        assert read["photos"] == PHOTOS


async def test_service_record_photos_and_contract_services_come_back_as_sent(
    client: httpx.AsyncClient, world: World
) -> None:
    estate = await make_estate(client, world)
    contract = await make_contract(client, world, estate)
    path = f"{API}/contracts/{contract['id']}/service-records"
    made = await created(
        await client.post(
            path,
            json=record(photos=PHOTOS),
            headers=estate.company_h,
        )
    )
    listed = (await client.get(path, headers=world.h("bureau"))).json()["items"]
    assert [r["photos"] for r in listed if r["id"] == made["id"]] == [PHOTOS]
    read = (await client.get(f"{API}/contracts/{contract['id']}", headers=world.h("bureau"))).json()
    assert read["services"] == contract["services"]
    assert all(isinstance(s, str) and len(s) > 1 for s in read["services"])


async def _complaint_with_photos(client: httpx.AsyncClient, estate: Estate) -> dict[str, Any]:
    return await created(
        await client.post(
            f"{API}/communities/{estate.community}/complaints",
            json={
                "category": "cleaning",
                "place": "community",
                "description": "垃圾清运不及时",
                "photos": PHOTOS,
            },
            headers=estate.committee_h,
        )
    )


async def test_complaint_photos_come_back_as_sent(client: httpx.AsyncClient, world: World) -> None:
    estate = await make_estate(client, world)
    await make_contract(client, world, estate)
    complaint = await _complaint_with_photos(client, estate)
    for path in (
        f"{API}/complaints/{complaint['id']}",
        f"{API}/communities/{estate.community}/complaints",
    ):
        body = (await client.get(path, headers=world.h("bureau"))).json()
        (read,) = [r for r in body.get("items", [body]) if r["id"] == complaint["id"]]
        assert read["photos"] == PHOTOS


async def _write_every_json_column(client: httpx.AsyncClient, world: World) -> None:
    """Flows that leave a row in each JSON column (audit snapshots come with all of them)."""
    await _repair_with_photos(client, world)
    estate = await make_estate(client, world)
    contract = await make_contract(client, world, estate)
    await client.post(
        f"{API}/contracts/{contract['id']}/service-records",
        json=record(photos=PHOTOS),
        headers=estate.company_h,
    )
    period = await make_period(client, world, "2026-01-01", "2026-03-31")
    await created(await rate(client, world, period, contract, scores()))
    await _complaint_with_photos(client, estate)
    await pass_decision(client, estate, "dismiss", contract_id=contract["id"])
    await finish_handover(client, world, estate, contract["id"])
    block = await make_block(client, world)
    use = await created(
        await client.post(
            f"{API}/fund-uses", json=proposal(block), headers=block.headers["company"]
        )
    )
    await vote(client, block, use["id"], ["yes", "yes", "yes", "no"])
    closed = await client.post(
        f"{API}/fund-uses/{use['id']}/close-vote", headers=block.headers["committee"]
    )
    assert closed.status_code == 200, closed.text
    # The standards catalogue (made on first use) and an inspection's photos.
    await created(
        await client.post(
            f"{API}/inspections",
            json={
                "community_id": world.ids["CA"],
                "items": [{"code": "you_security", "result": "met", "photos": PHOTOS}],
            },
            headers=world.h("bureau"),
        )
    )


async def _walk_a_lift(client: httpx.AsyncClient, world: World) -> None:
    """A lift project (coefficients of its own and for upkeep), its published consent
    tally, acceptance and a year's upkeep (its coefficients), and the district's lift
    settings written back as they are."""
    bureau = world.h("bureau")
    settings = (await client.get(f"{API}/lift-settings", headers=bureau)).json()
    kept = await client.put(
        f"{API}/lift-settings",
        json={k: settings[k] for k in ("coefficients", "subsidy_per_lift")},
        headers=bureau,
    )
    assert kept.status_code == 200, kept.text
    estate = await make_lift_estate(client, world)
    unit = await make_unit(client, world, estate)
    project = await new_project(
        client,
        estate.committee,
        unit,
        upkeep_coefficients={str(f): "1" for f in range(1, 7)},
    )
    pid = project["id"]
    await consents(client, estate, pid, unit, {i: "yes" for i in range(12)})
    await close(client, estate.committee, pid)
    steps: list[tuple[str | None, dict[str, Any], dict[str, str]]] = [
        ("design_approval", {"action": "design_approved"}, estate.committee),
        ("construction_permit", {"action": "construction_done"}, estate.committee),
        (
            "acceptance_report",
            {
                "action": "accepted",
                "on": "2026-01-10",
                "contractor_id": estate.contractor_id,
                "settlement_amount": "298000.00",
                "warranty_years": 5,
            },
            bureau,
        ),
    ]
    for kind, body, headers in steps:
        document = {"kind": kind, "title": kind, "number": "1号", "issued_on": "2026-01-05"}
        await created(
            await client.post(
                f"{API}/lift-projects/{pid}/documents", json=document, headers=estate.committee
            )
        )
        moved = await client.post(
            f"{API}/lift-projects/{pid}/transitions", json=body, headers=headers
        )
        assert moved.status_code == 200, moved.text
    await created(
        await client.post(
            f"{API}/lift-projects/{pid}/upkeep",
            json={"year": 2026, "kind": "maintenance", "amount": "6000.00"},
            headers=estate.committee,
        )
    )


async def test_every_json_column_of_every_table_round_trips(
    client: httpx.AsyncClient, world: World
) -> None:
    await _write_every_json_column(client, world)
    await _walk_a_lift(client, world)
    columns = json_columns()
    assert len(columns) >= 8, columns
    unexercised = []
    for table, name in columns:
        tablename = table._meta.tablename
        raw = await fetch(f"SELECT id, {name} FROM {tablename} WHERE {name} IS NOT NULL")
        if not raw:
            unexercised.append(f"{tablename}.{name}")
            continue
        column = table._meta.get_column_by_name(name)
        pk = table._meta.primary_key
        through_piccolo = {
            str(row["id"]): read_json(row[name])
            for row in await table.select(pk.as_alias("id"), column.as_alias(name))
        }
        for row in raw:
            value = read_json(row[name])
            # Arrays or objects, never a string (a string is JSON stored as JSON text twice).
            assert isinstance(value, (list, dict)), (tablename, name, value)
            assert through_piccolo[str(row["id"])] == value, (tablename, name)
            # A list of single characters is text split by a reader that took it for a list.
            assert not (
                isinstance(value, list)
                and len(value) > 3
                and all(isinstance(i, str) and len(i) == 1 for i in value)
            ), (tablename, name, value)
        if is_postgres():
            kinds = await fetch(
                f"SELECT DISTINCT json_typeof({name}::json) AS kind FROM {tablename}"
                f" WHERE {name} IS NOT NULL"
            )
            assert {k["kind"] for k in kinds} <= {"array", "object", "null"}, (tablename, name)
    assert not unexercised, f"JSON columns no test flow writes: {unexercised}"
