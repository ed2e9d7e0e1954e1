"""The bare HTTP ceiling for the balance read: Litestar + asyncpg doing only the read's own
SQL statement (``reads.HOUSEHOLD_FUND_SQL`` with a district predicate), no token, no scope
layer, no response model; served by uvicorn like ``changxiao serve`` (same workers, same
access log). ``python -m tests.bench.bare --port P --workers N`` with ``DATABASE_URL``."""

from __future__ import annotations

import argparse
import os
from typing import Any
from uuid import UUID

import asyncpg
from litestar import Litestar, get
from litestar.exceptions import NotFoundException

from service.funds.reads import HOUSEHOLD_FUND_SQL

SQL = HOUSEHOLD_FUND_SQL.replace("{}", "$1") + " AND h.district = $2"
state: dict[str, Any] = {}


async def open_pool() -> None:
    state["pool"] = await asyncpg.create_pool(os.environ["DATABASE_URL"], min_size=4, max_size=4)
    async with state["pool"].acquire() as conn:
        state["district"] = await conn.fetchval("SELECT district FROM household LIMIT 1")


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


def create_app() -> Litestar:
    return Litestar([healthz, fund], on_startup=[open_pool], on_shutdown=[close_pool])


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
