"""Fund ledger at the plan's scale: 126 communities, 16,219 households.

    python -m tests.bench.fund_bench                      # SQLite, temporary file
    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \
        python -m tests.bench.fund_bench                  # PostgreSQL, scratch database

Times: first deposits for the whole district (the demo seed's path), one interest
allocation per community, and ``verify`` of every community. On PostgreSQL a database
``changxiao_fund_bench`` is created next to the one named and dropped afterwards.
"""

from __future__ import annotations

import asyncio
import datetime
import os
import shutil
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse
from uuid import UUID

COMMUNITIES = 126
HOUSEHOLDS = 16_219

_admin_url = os.environ.get("BENCH_DATABASE_URL", "")
if _admin_url.startswith("postgres"):
    os.environ["DATABASE_URL"] = (
        urlparse(_admin_url)._replace(path="/changxiao_fund_bench").geturl()
    )
else:
    _scratch = Path(tempfile.mkdtemp(prefix="changxiao-fund-bench-"))
    os.environ["DATABASE_URL"] = f"sqlite:///{_scratch / 'bench.sqlite3'}"
os.environ["PICCOLO_CONF"] = "service.piccolo_conf"
os.environ.setdefault("CHANGXIAO_TOKEN_SECRET", "bench-" + "x" * 40)
os.environ.setdefault("CHANGXIAO_ID_PEPPER", "bench-" + "y" * 40)


async def _admin(statement: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(_admin_url)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def build_district() -> tuple[UUID, list[UUID]]:
    import uuid

    from service.clock import now
    from service.registry.tables import Area, Building, Community, District, Household, Owner

    district = District(name="基准区", code="BENCH")
    await district.save()
    area = Area(district=district.id, name="片区", code="A", created_at=now())
    await area.save()
    communities, owners, households = [], [], []
    for c in range(COMMUNITIES):
        community = Community(
            district=district.id,
            area=area.id,
            name=f"小区{c}",
            code=f"C{c}",
            built_year=1995,
            deposit_rate_fen=4500,
            created_at=now(),
        )
        building = Building(community=community.id, name="1", floors=6, created_at=now())
        communities.append((community, building))
    for c, (community, _) in enumerate(communities):
        await community.save()
        await communities[c][1].save()
    for i in range(HOUSEHOLDS):
        community, building = communities[i % COMMUNITIES]
        owner = Owner(
            district=district.id,
            name=f"业主{i}",
            id_digest=uuid.uuid4().hex,
            id_masked="4103**********0000",
            created_at=now(),
        )
        owners.append(owner)
        households.append(
            Household(
                district=district.id,
                community=community.id,
                building=building.id,
                unit_no="1",
                room_no=str(i),
                floor_area=5000 + (i * 37) % 5000,
                owner=owner.id,
                created_at=now(),
            )
        )
    for start in range(0, HOUSEHOLDS, 1000):
        await Owner.insert(*owners[start : start + 1000])
        await Household.insert(*households[start : start + 1000])
    return district.id, [c.id for c, _ in communities]


async def main() -> None:
    from decimal import Decimal

    from service.db import close_database, open_database
    from service.funds import batches, ledger, schemas
    from service.migrate import migrate
    from tests.bench.allocation import bureau_caller

    postgres = _admin_url.startswith("postgres")
    if postgres:
        await _admin("DROP DATABASE IF EXISTS changxiao_fund_bench")
        await _admin("CREATE DATABASE changxiao_fund_bench")
    await migrate()
    await open_database()
    try:
        district, communities = await build_district()
        caller = bureau_caller(district)
        started = time.perf_counter()
        posted = await batches.post_first_deposits_for_district(district)
        first = time.perf_counter() - started
        started = time.perf_counter()
        for community in communities:
            await batches.allocate_interest(
                caller,
                schemas.InterestIn(
                    community_id=community,
                    # first deposits are dated today: this year's balance-days count them
                    period=str(datetime.date.today().year),
                    amount=Decimal("1234.56"),
                ),
            )
        interest = time.perf_counter() - started
        started = time.perf_counter()
        results = [await ledger.verify(c) for c in communities]
        verify = time.perf_counter() - started
        assert posted == HOUSEHOLDS and all(r.ok for r in results)
        engine = "PostgreSQL" if postgres else "SQLite"
        print(
            f"{engine}: first deposits for {posted} households in {first:.2f} s;"
            f" interest for {len(communities)} communities in {interest:.2f} s;"
            f" verify of every community in {verify:.2f} s"
        )
    finally:
        await close_database()
        if postgres:
            await _admin("DROP DATABASE IF EXISTS changxiao_fund_bench WITH (FORCE)")
        else:
            shutil.rmtree(_scratch, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
