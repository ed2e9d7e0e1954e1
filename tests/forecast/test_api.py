"""The fund forecast through the API on a real database: a small community computed by
hand month by month (with and without a repair from the works register), the scenarios,
bad parameters, and who may see which forecast."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from service.clock import now, today
from service.forecast.rules import add_months
from service.lifts.tables import LiftProject
from service.warranty.tables import Work, WorkBuilding, WorkComponent
from tests.funds.conftest import bulk_households, post, spend
from tests.support import World, created, unique


async def _community(
    client: httpx.AsyncClient, world: World, built_year: int
) -> tuple[str, str, list[str]]:
    """A community of two flats, 100.00 and 60.00 m², first deposits 4,500.00 and
    2,700.00 (45.00 yuan/m²), then 3,000.00 spent from the first: balance 4,200.00."""
    bureau = world.h("bureau")
    community = await created(
        await client.post(
            "/api/v1/communities",
            json={
                "area_id": world.ids["area"],
                "name": "预测测试小区",
                "code": unique("Y"),
                "built_year": built_year,
                "deposit_rate_per_m2": "45.00",
            },
            headers=bureau,
        )
    )
    building = await created(
        await client.post(
            f"/api/v1/communities/{community['id']}/buildings",
            json={"name": "1号楼", "floors": 6, "has_elevator": False},
            headers=bureau,
        )
    )
    households = [
        str(h)
        for h in await bulk_households(
            world.district_id,
            uuid.UUID(community["id"]),
            uuid.UUID(building["id"]),
            ("100.00", "60.00"),
        )
    ]
    for household, amount in zip(households, ("4500.00", "2700.00"), strict=True):
        await _deposit(client, world, household, amount, "first", today().isoformat())
    await spend(households[0], 300_000)
    return community["id"], building["id"], households


async def _roofing_work(world: World, community_id: str, accepted_on: date) -> None:
    work = Work(
        district=world.district_id,
        community=uuid.UUID(community_id),
        contractor=uuid.UUID(world.ids["org_contractor"]),
        title="屋面防水",
        accepted_on=accepted_on,
        created_at=now(),
    )
    await Work.insert(work)
    await WorkComponent.insert(
        WorkComponent(
            work=work.id,
            community=uuid.UUID(community_id),
            category="roofing",
            warranty_until=date(accepted_on.year + 5, accepted_on.month, 1),
        )
    )


async def _deposit(
    client: httpx.AsyncClient, world: World, household: str, amount: str, kind: str, on: str
) -> None:
    body = {"household_id": household, "amount": amount, "kind": kind, "paid_on": on}
    await created(await post(client, world, "/fund/deposits", body))


def _month(offset: int) -> str:
    """The forecast's month ``offset`` (1 = next month)."""
    year, month = add_months(today().year, today().month, offset)
    return f"{year:04d}-{month:02d}"


async def _get(
    client: httpx.AsyncClient, world: World, path: str, who: str = "bureau", **params: Any
) -> dict[str, Any]:
    response = await client.get(f"/api/v1{path}", params=params, headers=world.h(who))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


# Interest at our default 1.00% a year (no interest credited in the last 12 months):
# balance / 1200 each month, half up. 4200.00 → 4203.50 → 4207.00 → ...
WITHOUT_REPAIR = [
    ("420350", "350"),
    ("420700", "350"),
    ("421051", "351"),
    ("421402", "351"),
    ("421753", "351"),
    ("422104", "351"),
    ("422456", "352"),
    ("422808", "352"),
    ("423160", "352"),
    ("423513", "353"),
    ("423866", "353"),
    ("424219", "353"),
]
# Waterproofing (15 years, 25.00 yuan/m² × 160.00 m² = 4,000.00) in month 3. The line is
# 30% of 7,200.00 = 2,160.00; below it the owners are called back to the line and pay
# half (our default rate, nobody was called in the last 12 months), half up:
# m3: 4210.51 - 4000.00 = 210.51, called 1949.49, paid 974.75 → 1185.26
# m4: 1185.26 + 0.99 = 1186.25, called 973.75, paid 486.88 → 1673.13 ...
WITH_REPAIR = [
    ("420350", "350", "0", "0"),
    ("420700", "350", "0", "0"),
    ("118526", "351", "97475", "400000"),
    ("167313", "99", "48688", "0"),
    ("191726", "139", "24274", "0"),
    ("203943", "160", "12057", "0"),
    ("210057", "170", "5944", "0"),
    ("213116", "175", "2884", "0"),
    ("214647", "178", "1353", "0"),
    ("215413", "179", "587", "0"),
    ("215797", "180", "204", "0"),
    ("215989", "180", "12", "0"),
]


def _yuan(fen: str) -> str:
    value = int(fen)
    return f"{value // 100}.{value % 100:02d}"


async def test_a_small_community_without_a_repair_matches_by_hand_to_the_fen(
    client: httpx.AsyncClient, world: World
) -> None:
    community, _, _ = await _community(client, world, today().year - 5)
    body = await _get(client, world, f"/communities/{community}/fund/forecast", years=1)
    assert body["opening_balance"] == "4200.00"
    assert body["first_deposits"] == "7200.00"
    assert body["threshold"] == "2160.00"
    assert body["floor_area"] == "160.00"
    assert (body["interest_rate_percent"], body["interest_rate_source"]) == ("1.00", "default")
    assert (body["payment_rate_percent"], body["payment_rate_source"]) == ("50.00", "default")
    assert body["start"] == _month(1)
    assert body["repairs"] == []
    assert [
        (m["month"], m["balance"], m["interest"], m["deposits"], m["repairs"])
        for m in body["months"]
    ] == [
        (_month(i), _yuan(balance), _yuan(interest), "0.00", "0.00")
        for i, (balance, interest) in enumerate(WITHOUT_REPAIR, 1)
    ]
    assert body["first_below"] is None
    assert body["replenish_per_m2"] == "0.00"


async def test_a_small_community_with_a_repair_matches_by_hand_and_crosses_in_its_month(
    client: httpx.AsyncClient, world: World
) -> None:
    built = today().year - 15
    community, building, _ = await _community(client, world, built)
    # Roofing accepted 15 years before month 3: the waterproofing is renewed in month 3.
    year, month = add_months(today().year - 15, today().month, 3)
    await _roofing_work(world, community, date(year, month, 1))
    body = await _get(client, world, f"/communities/{community}/fund/forecast", years=1)
    assert [(m["balance"], m["interest"], m["deposits"], m["repairs"]) for m in body["months"]] == [
        tuple(_yuan(v) for v in row) for row in WITH_REPAIR
    ]
    assert body["repairs"] == [
        {
            "month": _month(3),
            "component": "waterproofing",
            "name": "屋面及外墙防水层",
            "building_id": building,
            "amount": "4000.00",
            "overdue": False,
        }
    ]
    assert body["first_below"] == _month(3)
    # 12.16 yuan/m² × 160.00 m² = 1,945.60 now: 6,145.60 → 6,160.98 after 3 months'
    # interest, 2,160.98 after the repair; 12.15 leaves 2,159.37, one step below the line.
    assert body["replenish_per_m2"] == "12.16"
    # The building's forecast: the same money, the same repair (one building).
    own = await _get(client, world, f"/buildings/{building}/fund/forecast", years=1)
    assert own["building_id"] == building
    assert own["months"] == body["months"]
    assert own["first_below"] == body["first_below"]


async def test_scenarios_no_replenishment_full_replenishment_and_a_major_repair(
    client: httpx.AsyncClient, world: World
) -> None:
    community, _, _ = await _community(client, world, today().year - 5)
    path = f"/communities/{community}/fund/forecast"
    major = await _get(
        client, world, path, years=2, scenario="major_repair", repair_year=2, component="pipes"
    )
    # Pipes, 30.00 yuan/m² × 160.00 m² = 4,800.00, brought forward to month 13.
    assert [(r["month"], r["component"], r["amount"]) for r in major["repairs"]] == [
        (_month(13), "pipes", "4800.00")
    ]
    assert major["first_below"] == _month(13)
    # The month's figures: the repair takes the whole balance (month 12's 4,242.19, see
    # WITHOUT_REPAIR, + 3.54 interest = 4,245.73 < 4,800.00); owners fund the rest, and
    # are called for the whole line of 2,160.00, half of it paid.
    thirteen = major["months"][12]
    assert (thirteen["repairs"], thirteen["interest"]) == ("4800.00", "3.54")
    assert thirteen["shortfall"] == "554.27"
    assert (thirteen["deposits"], thirteen["balance"]) == ("1080.00", "1080.00")
    none = await _get(
        client, world, path, years=2, scenario="none", repair_year=2, component="pipes"
    )
    assert none["repairs"] == []  # only a major_repair scenario brings one forward
    full = await _get(client, world, path, years=2, scenario="full")
    assert full["first_below"] is None
    default_major = await _get(client, world, path, years=3, scenario="major_repair")
    # The costliest component per m² without a lift: facades, in year 1.
    assert [(r["month"], r["component"]) for r in default_major["repairs"]] == [
        (_month(1), "facades")
    ]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"years": 0}, "years"),
        ({"years": 31}, "years"),
        ({"scenario": "hope"}, "scenario"),
        ({"component": "chimney"}, "component"),
        ({"years": 2, "scenario": "major_repair", "repair_year": 3}, "repair_year"),
    ],
)
async def test_bad_parameters_answer_422_naming_the_field(
    client: httpx.AsyncClient, world: World, params: dict[str, Any], field: str
) -> None:
    response = await client.get(
        f"/api/v1/communities/{world.ids['CA']}/fund/forecast",
        params=params,
        headers=world.h("bureau"),
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert field in {e["field"] for e in response.json()["errors"]} or field in response.text


@pytest.mark.parametrize("who", ["bureau", "auditor", "company", "committee", "owner1"])
async def test_the_forecast_is_read_where_the_fund_is_and_nowhere_else(
    client: httpx.AsyncClient, world: World, who: str
) -> None:
    ca, ca1 = world.ids["CA"], world.ids["CA-1"]
    for path in (f"/communities/{ca}/fund/forecast", f"/buildings/{ca1}/fund/forecast"):
        response = await client.get(f"/api/v1{path}", headers=world.h(who))
        assert response.status_code == 200, (who, path, response.text)
    wide = who in ("bureau", "auditor")
    targets = [f"/communities/{uuid.uuid4()}", f"/buildings/{uuid.uuid4()}", "/buildings/x"]
    if not wide:
        targets += [f"/communities/{world.ids['CB']}", f"/buildings/{world.ids['CB-1']}"]
    answers = set()
    for target in targets:
        response = await client.get(f"/api/v1{target}/fund/forecast", headers=world.h(who))
        assert response.status_code == 404, (who, target)
        answers.add(response.json()["title"])
    assert len(answers) == 1


async def test_a_contractor_may_not_read_a_forecast(
    client: httpx.AsyncClient, world: World
) -> None:
    response = await client.get(
        f"/api/v1/communities/{world.ids['CA']}/fund/forecast", headers=world.h("contractor")
    )
    assert response.status_code == 403


async def test_the_recent_interest_and_payment_rates_come_from_the_last_twelve_months(
    client: httpx.AsyncClient, world: World
) -> None:
    bureau = world.h("bureau")
    community = await created(
        await client.post(
            "/api/v1/communities",
            json={
                "area_id": world.ids["area"],
                "name": "近期利率小区",
                "code": unique("R"),
                "built_year": today().year - 5,
                "deposit_rate_per_m2": "45.00",
            },
            headers=bureau,
        )
    )
    building = await created(
        await client.post(
            f"/api/v1/communities/{community['id']}/buildings",
            json={"name": "1号楼", "floors": 6, "has_elevator": False},
            headers=bureau,
        )
    )
    h1, h2, h3 = [
        str(h)
        for h in await bulk_households(
            world.district_id,
            uuid.UUID(community["id"]),
            uuid.UUID(building["id"]),
            ("100.00", "60.00", "40.00"),
        )
    ]
    long_ago = (today() - timedelta(days=400)).isoformat()
    for household, amount in ((h1, "4500.00"), (h2, "2700.00"), (h3, "1800.00")):
        await _deposit(client, world, household, amount, "first", long_ago)
    # This month: 4,000.00 spent from h1 (below its line of 1,350.00), h2 and h3 replenish
    # 100.00 each, the bank credits 86.40 of interest.
    await spend(h1, 400_000)
    for household in (h2, h3):
        await _deposit(client, world, household, "100.00", "replenish", today().isoformat())
    response = await client.post(
        "/api/v1/fund/interest",
        json={"community_id": community["id"], "period": str(today().year), "amount": "86.40"},
        headers={**bureau, "Idempotency-Key": uuid.uuid4().hex},
    )
    assert response.status_code == 201, response.text
    body = await _get(client, world, f"/communities/{community['id']}/fund/forecast", years=1)
    # Month ends over the last 12 months: eleven of 9,000.00 and this one's 5,286.40;
    # 86.40 × 12 / 104,286.40 = 0.99%. Called: h1 (still below), h2, h3 (replenished): 2/3.
    assert (body["interest_rate_percent"], body["interest_rate_source"]) == ("0.99", "recent")
    assert (body["payment_rate_percent"], body["payment_rate_source"]) == ("66.67", "recent")
    assert body["opening_balance"] == "5286.40"
    # 5,286.40 × 0.99% / 12 = 4.3612... → 4.36
    assert body["months"][0]["interest"] == "4.36"


async def test_a_work_naming_buildings_renews_only_those_and_each_building_has_its_own(
    client: httpx.AsyncClient, world: World
) -> None:
    bureau = world.h("bureau")
    community = await created(
        await client.post(
            "/api/v1/communities",
            json={
                "area_id": world.ids["area"],
                "name": "两栋楼小区",
                "code": unique("B"),
                "built_year": today().year - 25,
                "deposit_rate_per_m2": "45.00",
            },
            headers=bureau,
        )
    )
    ids = []
    for name, area in (("A栋", "100.00"), ("B栋", "60.00")):
        building = await created(
            await client.post(
                f"/api/v1/communities/{community['id']}/buildings",
                json={"name": name, "floors": 6, "has_elevator": False},
                headers=bureau,
            )
        )
        (household,) = await bulk_households(
            world.district_id, uuid.UUID(community["id"]), uuid.UUID(building["id"]), (area,)
        )
        amount = "4500.00" if area == "100.00" else "2700.00"
        await _deposit(client, world, str(household), amount, "first", today().isoformat())
        ids.append(building["id"])
    a, b = ids
    last_year = date(today().year - 1, 6, 30)
    # B: everything renewed last year; A: its roof and facade only, not its pipes.
    for building, categories in (
        (b, ("roofing", "plumbing", "exterior_wall")),
        (a, ("roofing", "exterior_wall")),
    ):
        work = Work(
            district=world.district_id,
            community=uuid.UUID(community["id"]),
            contractor=uuid.UUID(world.ids["org_contractor"]),
            title="改造",
            accepted_on=last_year,
            created_at=now(),
        )
        await Work.insert(work)
        await WorkBuilding.insert(WorkBuilding(work=work.id, building=uuid.UUID(building)))
        await WorkComponent.insert(
            *[
                WorkComponent(
                    work=work.id,
                    community=uuid.UUID(community["id"]),
                    category=category,
                    warranty_until=date(last_year.year + 5, 6, 30),
                )
                for category in categories
            ]
        )
    whole = await _get(client, world, f"/communities/{community['id']}/fund/forecast", years=5)
    # A's pipes, 20 years old at construction 25 years ago: overdue, in month 1,
    # 30.00 × 100.00 m².
    assert [
        (r["month"], r["component"], r["building_id"], r["amount"], r["overdue"])
        for r in whole["repairs"]
    ] == [(_month(1), "pipes", a, "3000.00", True)]
    own_a = await _get(client, world, f"/buildings/{a}/fund/forecast", years=5)
    own_b = await _get(client, world, f"/buildings/{b}/fund/forecast", years=5)
    assert [r["component"] for r in own_a["repairs"]] == ["pipes"]
    assert own_b["repairs"] == []
    assert (own_a["opening_balance"], own_b["opening_balance"]) == ("4500.00", "2700.00")
    assert (own_a["floor_area"], own_b["floor_area"]) == ("100.00", "60.00")
    assert own_a["months"][0]["repairs"] == whole["months"][0]["repairs"] == "3000.00"


async def _work(
    world: World, community: str, on: date, categories: tuple[str, ...], building: str | None
) -> uuid.UUID:
    work = Work(
        district=world.district_id,
        community=uuid.UUID(community),
        contractor=uuid.UUID(world.ids["org_contractor"]),
        title="改造",
        accepted_on=on,
        created_at=now(),
    )
    await Work.insert(work)
    if building is not None:
        await WorkBuilding.insert(WorkBuilding(work=work.id, building=uuid.UUID(building)))
    await WorkComponent.insert(
        *[
            WorkComponent(
                work=work.id,
                community=uuid.UUID(community),
                category=category,
                warranty_until=date(on.year + 5, on.month, 1),
            )
            for category in categories
        ]
    )
    return work.id


async def test_an_accepted_lift_retrofit_is_a_lift_of_its_building(
    client: httpx.AsyncClient, world: World
) -> None:
    community, building, _ = await _community(client, world, today().year - 25)
    last_year = date(today().year - 1, 6, 30)
    await _work(world, community, last_year, ("roofing", "plumbing", "exterior_wall"), None)
    path = f"/communities/{community}/fund/forecast"
    assert (await _get(client, world, path, years=5))["repairs"] == []
    before = await _get(client, world, path, years=5, scenario="major_repair")
    assert [r["component"] for r in before["repairs"]] == ["facades"]  # no lift yet

    lift_work = await _work(world, community, last_year, ("equipment",), building)
    await LiftProject.insert(
        LiftProject(
            district=world.district_id,
            community=uuid.UUID(community),
            building=uuid.UUID(building),
            status="in_use",
            estimated_cost_fen=50_000_000,
            subsidy_fen=10_000_000,
            coefficients={"1": 0},
            total_area=16_000,
            work=lift_work,
            accepted_on=last_year,
            created_by=uuid.uuid4(),
            created_role="bureau",
            created_at=now(),
            updated_at=now(),
        )
    )
    # Renewed by its acceptance last year: not due within five years.
    assert (await _get(client, world, path, years=5))["repairs"] == []
    after = await _get(client, world, path, years=5, scenario="major_repair")
    # Now the costliest component per m²: the lift, 60.00 × 160.00 m².
    assert [(r["component"], r["amount"]) for r in after["repairs"]] == [("lifts", "9600.00")]
