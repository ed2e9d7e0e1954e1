"""The demo committee's inbox after the jobs' first run holds a replenishment notice and a
warranty-end notice (SQLite, as `make run` serves the demo).

The smaller path of the demo: the whole registry of a demo district, first deposits and
the demo's life only in the committee's community (the full `changxiao seed --demo` and
`changxiao serve` were checked by hand: see the README's jobs section)."""

from __future__ import annotations

from uuid import UUID

import httpx
import pytest

from jobs.catalog import job_named
from jobs.scheduler import catch_up
from service.db import fetch
from service.funds.batches import post_first_deposits_for_community
from service.registry.demo import DEMO_LOGINS, seed_demo_district
from service.registry.demo_life import seed_demo_life
from service.registry.demo_works import seed_recent_work
from tests.conftest import IS_POSTGRES
from tests.support import ensure_bureau, unique

pytestmark = [
    pytest.mark.usefixtures("database"),
    pytest.mark.skipif(IS_POSTGRES, reason="the demo as `make run` serves it: SQLite"),
]


async def test_the_demo_committee_hears_of_replenishment_and_a_warranty_ending_on_first_run(
    client: httpx.AsyncClient,
) -> None:
    await ensure_bureau()  # the shared test district stays the first district
    tag = unique("")
    suffix = f"-{tag}"
    plan = await seed_demo_district(
        district_code=f"DEMO{tag}",
        district_name="演示区",
        username_suffix=suffix,
        promise_first_deposits=False,
    )
    committee = f"{DEMO_LOGINS['committee'][0]}{suffix}"
    rows = await fetch(
        "SELECT o.community FROM account AS a JOIN organization AS o ON o.id = a.organization"
        " WHERE a.username = {}",
        committee,
    )
    community = UUID(str(rows[0]["community"]))
    await post_first_deposits_for_community(plan.district_id, community)
    await seed_demo_life({key: login[0] + suffix for key, login in DEMO_LOGINS.items()})
    await seed_recent_work(committee)

    jobs = [job_named("replenishment-notices"), job_named("warranty-ends")]
    assert all(jobs)
    await fetch(
        "DELETE FROM job_run WHERE job IN ('replenishment-notices', 'warranty-ends')"
    )  # a first run, as on a fresh `make run`
    assert await catch_up(jobs=[j for j in jobs if j is not None]) == 2

    login = await client.post(
        "/api/v1/auth/login",
        json={"username": committee, "password": DEMO_LOGINS["committee"][1]},
    )
    assert login.status_code == 200, login.text
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    response = await client.get("/api/v1/notices?limit=500", headers=headers)
    assert response.status_code == 200
    kinds = {n["kind"] for n in response.json()["items"]}
    assert {"replenishment_summary", "warranty_end"} <= kinds, kinds
