"""The whole cycle through the API, as the district would run it: a contract, a quarter
of service records from the company, owner satisfaction, the evidence beside the score
sheet, a rating with an appeal and its answer, finalisation, the subsidy, approval and
release by two bureau users, and the company's credit record."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import httpx
import pytest

from tests.contracts.estate import make_contract, make_estate
from tests.ratings.flow import make_period, rate, scores
from tests.support import World, created

Q3_START, Q3_END = date(2026, 7, 1), date(2026, 9, 30)


def quarter_of_records() -> list[dict[str, str]]:
    records = []
    day = Q3_START
    while day <= Q3_END:
        n = (day - Q3_START).days
        records.append(
            {"performed_on": day.isoformat(), "category": "cleaning", "description": "日常保洁"}
        )
        if n % 2 == 0:
            records.append(
                {
                    "performed_on": day.isoformat(),
                    "category": "patrol",
                    "description": "夜间巡查",
                    "place": "东门",
                }
            )
        if n % 7 == 0:
            records.append(
                {"performed_on": day.isoformat(), "category": "greening", "description": "修剪草坪"}
            )
            records.append(
                {
                    "performed_on": day.isoformat(),
                    "category": "facility_check",
                    "description": "检查消防栓",
                }
            )
        day += timedelta(days=1)
    return records


async def test_contract_records_rating_appeal_finalisation_subsidy_and_release(
    client: httpx.AsyncClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The district allows recording a whole past quarter (back-dating is configurable).
    monkeypatch.setenv("CHANGXIAO_RECORD_BACKDATE_DAYS", "400")
    bureau, bureau2 = world.h("bureau"), world.h("bureau2")
    estate = await make_estate(client, world)  # 80.00 + 70.00 m²
    contract = await make_contract(
        client,
        world,
        estate,
        starts_on="2026-07-01",
        ends_on="2029-06-30",
        subsidy_per_m2_month="0.30",
    )

    records = quarter_of_records()
    path = f"/api/v1/contracts/{contract['id']}/service-records/batch"
    batch = await created(
        await client.post(
            path, json={"batch_key": "2026Q3", "records": records}, headers=estate.company_h
        )
    )
    assert batch["count"] == len(records) == 92 + 46 + 14 + 14

    period = await make_period(client, world, "2026-07-01", "2026-09-30")
    survey = f"/api/v1/rating-periods/{period['id']}/satisfaction"
    await created(
        await client.post(
            survey, json={"household_id": estate.households[0], "score": 4}, headers=estate.owner_h
        )
    )
    await created(
        await client.post(
            survey,
            json={"household_id": estate.households[1], "score": 5, "comment": "代业主填写"},
            headers=estate.committee_h,
        )
    )
    foreign = await client.post(
        survey, json={"household_id": world.ids["h4"], "score": 1}, headers=estate.committee_h
    )
    assert foreign.status_code == 422

    evidence = await client.get(
        f"/api/v1/rating-periods/{period['id']}/evidence",
        params={"contract_id": contract["id"]},
        headers=bureau,
    )
    assert evidence.status_code == 200, evidence.text
    seen = evidence.json()
    assert seen["served_days"] == seen["period_days"] == 92
    assert seen["record_days"] == {
        "cleaning": 92,
        "patrol": 46,
        "greening": 14,
        "facility_check": 14,
        "repair": 0,
    }
    by_item = {i["code"]: i for i in seen["items"]}
    assert by_item["cleaning"]["record_days"] == 92
    assert by_item["facilities"]["record_days"] == 14
    assert seen["satisfaction_answers"] == 2
    assert seen["satisfaction_average"] == "4.50"
    assert by_item["satisfaction"]["suggested_score"] == "18.00"
    assert seen["repair_tickets_closed"] == 0

    rated = await rate(
        client,
        world,
        period,
        contract,
        scores(general="8.00", greening="7.50", satisfaction="18.00"),
    )
    assert rated.status_code == 201, rated.text
    rating = rated.json()
    assert (rating["total"], rating["grade"], rating["subsidy_ratio"]) == ("88.50", "良好", "0.80")

    appeal = await created(
        await client.post(
            f"/api/v1/ratings/{rating['rating_id']}/appeals",
            json={"reason": "综合管理台账齐全，请复核"},
            headers=estate.company_h,
        )
    )
    finalize = f"/api/v1/rating-periods/{period['id']}/finalize"
    assert (await client.post(finalize, headers=bureau)).status_code == 409
    answered = await client.post(
        f"/api/v1/appeals/{appeal['appeal_id']}/answer",
        json={
            "decision": "upheld",
            "note": "复核属实",
            "items": [{"code": "general", "score": "15", "note": "复核"}],
        },
        headers=bureau,
    )
    assert answered.status_code == 200, answered.text
    assert (await client.post(finalize, headers=bureau)).status_code == 200
    after = await client.post(
        survey, json={"household_id": estate.households[0], "score": 1}, headers=estate.owner_h
    )
    assert after.status_code == 409

    computed = await created(
        await client.post(f"/api/v1/rating-periods/{period['id']}/subsidies", headers=bureau)
    )
    subsidy = computed[0]
    # 0.30 × 150.00 m² × 3 months = 135.00; total 95.50 is excellent → 100%.
    assert (subsidy["base"], subsidy["ratio"], subsidy["amount"]) == ("135.00", "1.00", "135.00")
    assert subsidy["contract_id"] == contract["id"]

    step = f"/api/v1/subsidies/{subsidy['subsidy_id']}"
    assert (await client.post(f"{step}/approve", headers=bureau)).status_code == 200
    assert (
        await client.post(
            f"{step}/release", headers={**bureau, "Idempotency-Key": str(uuid.uuid4())}
        )
    ).status_code == 403  # the four-eyes rule answers 403 everywhere
    released = await client.post(
        f"{step}/release", headers={**bureau2, "Idempotency-Key": str(uuid.uuid4())}
    )
    assert released.status_code == 200
    assert released.json()["status"] == "released"

    credit = (
        await client.get(f"/api/v1/companies/{estate.company}/credit", headers=estate.company_h)
    ).json()
    assert credit["released_total"] == "135.00"
    assert [(e["total"], e["grade"]) for e in credit["entries"]] == [("95.50", "优秀")]

    audit = await client.get(
        "/api/v1/audit",
        params={"entity": "subsidy", "entity_id": subsidy["subsidy_id"]},
        headers=world.h("auditor"),
    )
    if audit.status_code == 200:
        actions = {
            e["action"] for e in audit.json()["items"] if e["entity_id"] == subsidy["subsidy_id"]
        }
        assert {"subsidy.compute", "subsidy.approve", "subsidy.release"} <= actions
