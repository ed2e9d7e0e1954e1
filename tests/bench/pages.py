"""How long each web page takes to render on the demo district: one signed-in browser
(no concurrency), every page of the committee's and an owner's journeys, ``rounds`` times
each after two warm-up requests; the time is the whole answer as the client sees it."""

from __future__ import annotations

import re
import statistics
import time
from typing import Any

import asyncpg
import httpx

from tests.bench.common import Server

BUDGET_MS = 200.0
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


async def sign_in(http: httpx.AsyncClient, username: str, password: str) -> None:
    form = await http.get("/login")
    found = CSRF.search(form.text)
    assert found
    answer = await http.post(
        "/login", data={"username": username, "password": password, "csrf_token": found.group(1)}
    )
    assert answer.status_code == 303, answer.text[:500]


async def journeys(url: str) -> dict[str, list[tuple[str, str]]]:
    """(label, path) of every page of the demo committee's and demo owner's journeys."""
    conn = await asyncpg.connect(url)
    try:
        community = await conn.fetchval(
            "SELECT o.community FROM account AS a JOIN organization AS o ON o.id = a.organization"
            " WHERE a.username = 'committee'"
        )
        owner = await conn.fetchval("SELECT owner FROM account WHERE username = 'owner'")
        uses = await conn.fetch(
            "SELECT id, status FROM fund_use WHERE community = $1 ORDER BY created_at", community
        )
        tickets = await conn.fetch(
            "SELECT id, status FROM repair_ticket WHERE community = $1 ORDER BY reported_at",
            community,
        )
        household = await conn.fetchval(
            "SELECT household FROM fund_self_funded AS s JOIN household AS h ON h.id = s.household"
            " WHERE h.community = $1 LIMIT 1",
            community,
        )
        own = await conn.fetch("SELECT id FROM household WHERE owner = $1 ORDER BY id", owner)
        period = await conn.fetchval("SELECT id FROM rating_period WHERE status = 'open' LIMIT 1")
    finally:
        await conn.close()
    voting = next(u["id"] for u in uses if u["status"] == "voting")
    committee = [
        ("home (redirect)", "/"),
        ("community: fund at a glance", f"/communities/{community}"),
        ("ledger check (htmx)", f"/communities/{community}/fund/verify"),
        ("household lookup", f"/communities/{community}/households"),
        ("household lookup, filtered", f"/communities/{community}/households?q=1号楼"),
        ("household account", f"/households/{household}"),
        ("fund uses", "/fund-uses"),
        *((f"fund use ({u['status']})", f"/fund-uses/{u['id']}") for u in uses),
        ("repairs", "/repairs"),
        *((f"repair ({t['status']})", f"/repairs/{t['id']}") for t in tickets[:3]),
    ]
    owner_pages = [
        ("owner home", "/households"),
        ("own household account", f"/households/{own[0]['id']}"),
        ("fund uses (own)", "/fund-uses"),
        ("open vote with ballot form", f"/fund-uses/{voting}"),
        ("repairs (own)", "/repairs"),
        ("report a repair (form)", "/repairs/new"),
        ("satisfaction survey", f"/rating-periods/{period}/satisfaction"),
    ]
    return {"committee": committee, "owner": owner_pages}


async def page_times(server: Server, url: str, rounds: int = 20) -> list[dict[str, Any]]:
    """Milliseconds per page: median, p95 and max over ``rounds``."""
    logins = {"committee": ("committee", "committee-demo"), "owner": ("owner", "owner-demo")}
    results = []
    for who, pages in (await journeys(url)).items():
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as http:
            await sign_in(http, *logins[who])
            for label, path in pages:
                times = []
                for attempt in range(rounds + 2):
                    started = time.perf_counter()
                    answer = await http.get(path)
                    elapsed = (time.perf_counter() - started) * 1000
                    assert answer.status_code in (200, 303), f"{path}: {answer.status_code}"
                    if attempt >= 2:
                        times.append(elapsed)
                times.sort()
                results.append(
                    {
                        "who": who,
                        "page": label,
                        "path": path,
                        "median": statistics.median(times),
                        "p95": times[max(0, round(0.95 * len(times)) - 1)],
                        "max": times[-1],
                        "bytes": len(answer.content),
                    }
                )
    return results
