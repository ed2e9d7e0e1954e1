"""Rating schemes, periods and ratings through the API: bands, bad input, appeals,
finalisation that freezes, and the review flag."""

from __future__ import annotations

from datetime import timedelta

import httpx

from service.clock import now
from service.ratings import rules
from service.ratings.tables import Rating
from tests.contracts.estate import make_contract, make_estate
from tests.ratings.flow import make_period, rate, scores
from tests.support import World, created


async def test_the_current_scheme_is_the_domain_default(
    client: httpx.AsyncClient, world: World
) -> None:
    response = await client.get("/api/v1/rating-schemes/current", headers=world.h("company"))
    assert response.status_code == 200
    scheme = response.json()
    assert [(i["code"], i["max_score"]) for i in scheme["items"]] == [
        ("general", "15.00"),
        ("security", "15.00"),
        ("cleaning", "20.00"),
        ("greening", "10.00"),
        ("facilities", "20.00"),
        ("satisfaction", "20.00"),
    ]
    assert [(b["min_score"], b["ratio"]) for b in scheme["bands"]] == [
        ("90.00", "1.00"),
        ("80.00", "0.80"),
        ("70.00", "0.60"),
        ("60.00", "0.30"),
        ("0.00", "0.00"),
    ]


async def test_editing_the_scheme_makes_a_new_version_and_periods_keep_theirs(
    client: httpx.AsyncClient, world: World
) -> None:
    bureau = world.h("bureau")
    before = (await client.get("/api/v1/rating-schemes/current", headers=bureau)).json()
    period = await make_period(client, world, "2024-01-01", "2024-03-31")
    assert period["scheme_id"] == before["id"]
    changed = {
        "items": [
            {"code": "general", "name": "综合管理", "max_score": "50"},
            {"code": "satisfaction", "name": "业主满意度", "max_score": "50"},
        ],
        "bands": [
            {"min_score": "80", "grade": "好", "ratio": "1"},
            {"min_score": "0", "grade": "差", "ratio": "0.5"},
        ],
    }
    try:
        made = await created(
            await client.post("/api/v1/rating-schemes", json=changed, headers=bureau)
        )
        assert made["version"] == before["version"] + 1
        assert made["bands"][1]["ratio"] == "0.50"
        kept = await client.get(f"/api/v1/rating-periods/{period['id']}", headers=bureau)
        assert kept.json()["scheme_id"] == before["id"]
        auditor = await client.post(
            "/api/v1/rating-schemes", json=changed, headers=world.h("auditor")
        )
        assert auditor.status_code == 403
        bad = await client.post(
            "/api/v1/rating-schemes",
            json={**changed, "items": changed["items"][:1]},
            headers=bureau,
        )
        assert bad.status_code == 422
        assert "100" in bad.json()["detail"]
    finally:
        restore = {
            "items": [
                {"code": i["code"], "name": i["name"], "max_score": i["max_score"]}
                for i in before["items"]
            ],
            "bands": [
                {"min_score": b["min_score"], "grade": b["grade"], "ratio": b["ratio"]}
                for b in before["bands"]
            ],
        }
        await created(await client.post("/api/v1/rating-schemes", json=restore, headers=bureau))


async def test_a_period_ending_before_it_starts_gets_a_clear_422(
    client: httpx.AsyncClient, world: World
) -> None:
    for starts_on, ends_on in (("2026-04-01", "2026-03-31"), ("2026-04-02", "2026-06-30")):
        response = await client.post(
            "/api/v1/rating-periods",
            json={"name": "第二季度", "starts_on": starts_on, "ends_on": ends_on},
            headers=world.h("bureau"),
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "ends_on"
    blank = await client.post(
        "/api/v1/rating-periods",
        json={"name": "", "starts_on": "2026-04-01", "ends_on": "2026-06-30"},
        headers=world.h("bureau"),
    )
    assert blank.status_code == 422


async def test_bad_scores_get_a_clear_422_naming_the_item(
    client: httpx.AsyncClient, world: World
) -> None:
    estate = await make_estate(client, world)
    contract = await make_contract(client, world, estate)
    period = await make_period(client, world, "2026-01-01", "2026-03-31")
    full = scores()
    cases = [
        (scores(cleaning="20.01"), "items[2].score", "满分"),
        (scores(cleaning="19.999"), "items[2].score", "两位小数"),
        (scores(cleaning="-1"), "items[2].score", "负数"),
        (
            [*full[:2], {"code": "cleaning", "score": 19.999}, *full[3:]],
            "items[2].score",
            "两位小数",
        ),
        ([*full[:2], {"code": "cleaning", "score": 20.5}, *full[3:]], "items[2].score", "满分"),
        (scores(cleaning="优"), "items[2].score", "不是有效"),
        ([*full[:5], {"code": "parking", "score": "20"}], "items[5].code", "未知"),
        (full[:5], "items", "satisfaction"),
        ([*full, full[0]], "items[6].code", "重复"),
    ]
    for items, field, words in cases:
        response = await rate(client, world, period, contract, items)
        assert response.status_code == 422, (items, response.text)
        errors = response.json()["errors"]
        assert field in [e["field"] for e in errors], errors
        assert words in response.json()["detail"], response.json()["detail"]
    assert await Rating.count().where(Rating.contract == contract["id"]) == 0


async def test_89_99_is_good_at_80_percent_and_90_00_excellent_at_100_percent(
    client: httpx.AsyncClient, world: World
) -> None:
    period = await make_period(client, world, "2026-01-01", "2026-03-31")
    results = []
    for satisfaction in ("9.99", "10.00"):
        estate = await make_estate(client, world)
        contract = await make_contract(client, world, estate)
        response = await rate(client, world, period, contract, scores(satisfaction=satisfaction))
        assert response.status_code == 201, response.text
        results.append(response.json())
    assert [(r["total"], r["grade"], r["subsidy_ratio"]) for r in results] == [
        ("89.99", "良好", "0.80"),
        ("90.00", "优秀", "1.00"),
    ]
    assert results[0]["rating_id"]


async def test_a_contract_is_rated_once_per_period_and_a_draft_not_at_all(
    client: httpx.AsyncClient, world: World
) -> None:
    estate = await make_estate(client, world)
    contract = await make_contract(client, world, estate)
    period = await make_period(client, world, "2026-01-01", "2026-03-31")
    assert (await rate(client, world, period, contract, scores())).status_code == 201
    assert (await rate(client, world, period, contract, scores())).status_code == 409
    overlapping = await make_period(client, world, "2026-03-01", "2026-05-31")
    assert (await rate(client, world, overlapping, contract, scores())).status_code == 409
    other = await make_estate(client, world)
    # A committee's draft names the decision behind it (Civil Code art. 278): here the
    # bureau's placement under 社区保障性物业.
    placement = await created(
        await client.post(
            "/api/v1/management-decisions",
            json={
                "community_id": other.community,
                "kind": "placement",
                "company_id": other.company,
                "note": "业主无法作出决定",
            },
            headers=world.h("bureau"),
        )
    )
    draft = await created(
        await client.post(
            "/api/v1/contracts",
            json={
                "community_id": other.community,
                "company_id": other.company,
                "decision_id": placement["id"],
                "mode": "guaranteed",
                "starts_on": "2026-01-01",
                "ends_on": "2026-12-31",
                "fee_per_m2_month": "0.50",
            },
            headers=other.committee_h,
        )
    )
    refused = await rate(client, world, period, draft, scores())
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "contract_id"


async def test_appeal_once_within_the_window_answer_then_finalise_freezes(
    client: httpx.AsyncClient, world: World
) -> None:
    estate = await make_estate(client, world)
    contract = await make_contract(client, world, estate)
    period = await make_period(client, world, "2026-04-01", "2026-06-30")
    rating = (await rate(client, world, period, contract, scores(general="5.00"))).json()
    appeals = f"/api/v1/ratings/{rating['rating_id']}/appeals"
    stranger = await client.post(appeals, json={"reason": "不服"}, headers=world.h("company"))
    assert stranger.status_code == 404
    appeal = await created(
        await client.post(appeals, json={"reason": "综合管理有台账为证"}, headers=estate.company_h)
    )
    twice = await client.post(appeals, json={"reason": "再次申诉"}, headers=estate.company_h)
    assert twice.status_code == 409
    finalize = f"/api/v1/rating-periods/{period['id']}/finalize"
    assert (await client.post(finalize, headers=world.h("bureau"))).status_code == 409
    answer = await client.post(
        f"/api/v1/appeals/{appeal['appeal_id']}/answer",
        json={
            "decision": "upheld",
            "note": "台账齐全，改为 14 分",
            "items": [{"code": "general", "score": "14"}],
        },
        headers=world.h("bureau"),
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["decision"] == "upheld"
    rescored = await client.get(f"/api/v1/ratings/{rating['rating_id']}", headers=estate.company_h)
    assert rescored.json()["total"] == "99.00"
    assert rescored.json()["appeal"]["decision"] == "upheld"
    done = await client.post(finalize, headers=world.h("bureau"))
    assert done.status_code == 200
    assert done.json()["status"] == "finalized"
    frozen = await client.put(
        f"/api/v1/ratings/{rating['rating_id']}",
        json={"items": scores()},
        headers=world.h("bureau"),
    )
    assert frozen.status_code == 409
    assert (await client.post(finalize, headers=world.h("bureau"))).status_code == 409


async def test_an_appeal_after_the_window_is_refused(
    client: httpx.AsyncClient, world: World
) -> None:
    estate = await make_estate(client, world)
    contract = await make_contract(client, world, estate)
    period = await make_period(client, world, "2026-04-01", "2026-06-30")
    rating = (await rate(client, world, period, contract, scores())).json()
    long_ago = now() - timedelta(days=rules.appeal_window_days() + 1)
    await Rating.update({Rating.created_at: long_ago}).where(Rating.id == rating["rating_id"])
    late = await client.post(
        f"/api/v1/ratings/{rating['rating_id']}/appeals",
        json={"reason": "晚了"},
        headers=estate.company_h,
    )
    assert late.status_code == 409
    assert "申诉期" in late.json()["detail"]


async def test_a_dismissed_appeal_keeps_the_scores(client: httpx.AsyncClient, world: World) -> None:
    estate = await make_estate(client, world)
    contract = await make_contract(client, world, estate)
    period = await make_period(client, world, "2026-04-01", "2026-06-30")
    rating = (await rate(client, world, period, contract, scores(cleaning="10"))).json()
    appeal = await created(
        await client.post(
            f"/api/v1/ratings/{rating['rating_id']}/appeals",
            json={"reason": "不服"},
            headers=estate.company_h,
        )
    )
    path = f"/api/v1/appeals/{appeal['appeal_id']}/answer"
    wrong = await client.post(
        path,
        json={"decision": "rejected", "note": "无"},
        headers=world.h("bureau"),
    )
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["field"] == "decision"
    answered = await client.post(
        path, json={"decision": "dismissed", "note": "现场检查属实"}, headers=world.h("bureau")
    )
    assert answered.status_code == 200
    again = await client.post(
        path, json={"decision": "dismissed", "note": "重复"}, headers=world.h("bureau")
    )
    assert again.status_code == 409
    kept = await client.get(f"/api/v1/ratings/{rating['rating_id']}", headers=world.h("bureau"))
    assert kept.json()["total"] == "90.00"


async def test_two_finalised_periods_in_a_row_below_60_flag_the_contract(
    client: httpx.AsyncClient, world: World
) -> None:
    estate = await make_estate(client, world)
    contract = await make_contract(client, world, estate, starts_on="2025-01-01")
    low = scores(cleaning="0", facilities="0", satisfaction="5")  # 45.00
    flags = []
    for starts_on, ends_on in (("2025-07-01", "2025-09-30"), ("2025-10-01", "2025-12-31")):
        period = await make_period(client, world, starts_on, ends_on)
        rating = (await rate(client, world, period, contract, low)).json()
        assert rating["total"] == "45.00"
        assert rating["grade"] == "不合格"
        await client.post(
            f"/api/v1/rating-periods/{period['id']}/finalize", headers=world.h("bureau")
        )
        flags.append(
            (
                await client.get(
                    f"/api/v1/ratings/{rating['rating_id']}", headers=world.h("bureau")
                )
            ).json()["review_flag"]
        )
        flagged = await client.get(
            f"/api/v1/rating-periods/{period['id']}/ratings?review_flag=true",
            headers=world.h("bureau"),
        )
        assert [r["contract_id"] for r in flagged.json()["items"]] == (
            [contract["id"]] if flags[-1] else []
        )
    assert flags == [False, True]


async def test_ratings_are_visible_to_their_company_and_committee_only(
    client: httpx.AsyncClient, world: World
) -> None:
    estate = await make_estate(client, world)
    contract = await make_contract(client, world, estate)
    period = await make_period(client, world, "2026-01-01", "2026-03-31")
    rating = (await rate(client, world, period, contract, scores())).json()
    path = f"/api/v1/ratings/{rating['rating_id']}"
    for headers, status in (
        (estate.company_h, 200),
        (estate.committee_h, 200),
        (world.h("auditor"), 200),
        (world.h("company"), 404),
        (world.h("committee"), 404),
        (world.h("owner1"), 403),
    ):
        assert (await client.get(path, headers=headers)).status_code == status
    listed = await client.get(
        f"/api/v1/rating-periods/{period['id']}/ratings", headers=estate.company_h
    )
    assert [r["rating_id"] for r in listed.json()["items"]] == [rating["rating_id"]]
    by_auditor = await client.post(
        f"/api/v1/rating-periods/{period['id']}/ratings",
        json={"contract_id": contract["id"], "items": scores()},
        headers=world.h("auditor"),
    )
    assert by_auditor.status_code == 403
