"""The bare HTTP ceiling for the hot reads: Litestar + asyncpg doing only each read's own
SQL statement with the bureau's district predicate (the balance: ``reads.HOUSEHOLD_FUND_SQL``;
the community summary: ``reads.community_fund_sql``; the statement's first page:
``reads.HOUSEHOLD_ENTRIES_SQL``), no token, no scope layer, no response model; served by
uvicorn like ``changxiao serve`` (same workers, same access log).
``python -m tests.bench.bare --port P --workers N`` with ``DATABASE_URL``."""

from __future__ import annotations

import argparse
import os
from typing import Any
from uuid import UUID

import asyncpg
from litestar import Litestar, get
from litestar.exceptions import NotFoundException

from service.db import _numbered
from service.funds.reads import HOUSEHOLD_ENTRIES_SQL, HOUSEHOLD_FUND_SQL, community_fund_sql
from service.pagination import DEFAULT_LIMIT

SQL = HOUSEHOLD_FUND_SQL.replace("{}", "$1") + " AND h.district = $2"
COMMUNITY_SQL = _numbered(community_fund_sql("c.district = {}"))
ENTRIES_SQL = _numbered(f"{HOUSEHOLD_ENTRIES_SQL} AND h.district = {{}} ORDER BY x.seq")
state: dict[str, Any] = {}


async def open_pool() -> None:
    state["pool"] = await asyncpg.create_pool(os.environ["DATABASE_URL"], min_size=4, max_size=4)
    async with state["pool"].acquire() as conn:
        state["district"] = await conn.fetchval(
            "SELECT district FROM account WHERE username = 'bureau'"
        )


async def close_pool() -> None:
    await state["pool"].close()


@get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@get("/api/v1/households/{household_id:uuid}/fund")
async def fund(household_id: UUID) -> dict[str, Any]:
    async with state["pool"].acquire() as conn:
        row = await conn.fetchrow(SQL, household_id, state["district"])
    if row is None:
        raise NotFoundException()
    balance = int(row["principal_fen"] or 0) + int(row["interest_fen"] or 0)
    return {
        "household_id": str(row["id"]),
        "principal": row["principal_fen"],
        "interest": row["interest_fen"],
        "balance": balance,
        "self_funded_due": row["self_funded_due"],
    }


@get("/api/v1/communities/{community_id:uuid}/fund")
async def community_fund(community_id: UUID) -> dict[str, Any]:
    async with state["pool"].acquire() as conn:
        rows = await conn.fetch(
            COMMUNITY_SQL, community_id, state["district"], community_id, community_id, community_id
        )
    if not rows:
        raise NotFoundException()
    head = next(r for r in rows if r["part"] == 0)
    return {
        "community_id": str(community_id),
        "principal": int(head["p"]),
        "interest": int(head["i"]),
        "households": head["households"],
        "chain_head": head["head_hash"],
        "years": [[r["year"], r["kind"], int(r["amount"])] for r in rows if r["part"] == 1],
    }


@get("/api/v1/households/{household_id:uuid}/fund/entries")
async def entries(household_id: UUID) -> dict[str, Any]:
    async with state["pool"].acquire() as conn:
        rows = await conn.fetch(
            ENTRIES_SQL, household_id, 0, DEFAULT_LIMIT + 1, household_id, state["district"]
        )
    if not rows:
        raise NotFoundException()
    lines = [r for r in rows if r["seq"] is not None][:DEFAULT_LIMIT]
    return {
        "items": [
            {
                "entry_id": str(r["id"]),
                "seq": r["seq"],
                "kind": r["kind"],
                "principal_delta": r["principal_delta"],
                "interest_delta": r["interest_delta"],
                "posted_at": r["posted_at"].isoformat(),
                "owner_name": r["owner_name"],
            }
            for r in lines
        ],
        "next_cursor": str(lines[-1]["seq"]) if len(rows) > DEFAULT_LIMIT else None,
    }


def create_app() -> Litestar:
    return Litestar(
        [healthz, fund, community_fund, entries], on_startup=[open_pool], on_shutdown=[close_pool]
    )


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    uvicorn.run(
        "tests.bench.bare:create_app",
        factory=True,
        host="127.0.0.1",
        port=args.port,
        workers=args.workers,
        log_level="info",
    )


if __name__ == "__main__":
    main()
