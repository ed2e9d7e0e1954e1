"""Set-based generation of registry and fund rows for the benchmarks (PostgreSQL only).

Everything is ``INSERT ... SELECT generate_series`` on one asyncpg connection, so a
district of 1.6 million households is a handful of statements. Rows fill every column
the tables declare (see migrations/ and the context's tables.py).

First deposits are posted set-based too: one ``first_deposit`` entry per community with
its lines, the balance cache, ``first_deposit_fen`` and the chain row, exactly as
``batches.post_first_deposits_for_community`` leaves them — except the entry's hash,
which is a stand-in (SQL does not rebuild the canonical JSON), so ``fund verify`` would
flag these generated entries; nothing the benchmarks time reads the hash back.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

GENESIS_HASH = "0" * 64
RATE_FEN_PER_M2 = 4500  # the demo's rate (45 yuan/m², multi-storey)


@dataclass
class Generated:
    district_id: uuid.UUID
    community_ids: list[uuid.UUID]
    households: int


async def add_district(conn: Any, *, code: str, name: str) -> tuple[uuid.UUID, uuid.UUID]:
    """A district with one area; returns (district id, area id)."""
    district, area = uuid.uuid4(), uuid.uuid4()
    await conn.execute(
        "INSERT INTO district (id, name, code) VALUES ($1, $2, $3)", district, name, code
    )
    await conn.execute(
        "INSERT INTO area (id, district, name, code, renovation_year, created_at)"
        " VALUES ($1, $2, $3, $4, 2021, now())",
        area,
        district,
        f"{name}片区",
        f"{code}-A",
    )
    return district, area


async def add_communities(
    conn: Any,
    *,
    district_id: uuid.UUID,
    area_id: uuid.UUID,
    communities: int,
    households: int,
    code_prefix: str,
) -> list[uuid.UUID]:
    """``communities`` communities (one building each) sharing ``households`` households
    round-robin; one owner per household, floor areas 45.00-94.99 m²."""
    await conn.execute("DROP TABLE IF EXISTS bench_c")
    await conn.execute(
        "CREATE TEMP TABLE bench_c AS SELECT g - 1 AS n, gen_random_uuid() AS id,"
        " gen_random_uuid() AS building FROM generate_series(1, $1::int) AS g",
        communities,
    )
    await conn.execute("ALTER TABLE bench_c ADD PRIMARY KEY (n)")
    await conn.execute(
        "INSERT INTO community (id, district, area, name, code, built_year, deposit_rate_fen,"
        " vote_rule, fund_draw_order, created_at)"
        " SELECT id, $1, $2, '基准小区' || n, $3 || '-' || n, 1990, $4, 'civil_code',"
        " 'interest_first', now() FROM bench_c",
        district_id,
        area_id,
        code_prefix,
        RATE_FEN_PER_M2,
    )
    await conn.execute(
        "INSERT INTO building (id, community, name, floors, has_elevator, created_at)"
        " SELECT building, id, '1号楼', 6, false, now() FROM bench_c"
    )
    await conn.execute("DROP TABLE IF EXISTS bench_h")
    await conn.execute(
        "CREATE TEMP TABLE bench_h AS SELECT g - 1 AS n, gen_random_uuid() AS id,"
        " gen_random_uuid() AS owner FROM generate_series(1, $1::int) AS g",
        households,
    )
    await conn.execute(
        "INSERT INTO owner (id, district, name, id_digest, id_masked, phone, created_at)"
        " SELECT owner, $1, '业主' || n, md5($2 || n) || md5(n || $2),"
        " '410302**********' || lpad((n % 10000)::text, 4, '0'), NULL, now() FROM bench_h",
        district_id,
        code_prefix,
    )
    await conn.execute(
        "INSERT INTO household (id, district, community, building, unit_no, room_no,"
        " floor_area, owner, created_at)"
        " SELECT h.id, $1, c.id, c.building, '1', h.n::text, 4500 + (h.n * 37) % 5000,"
        " h.owner, now() FROM bench_h AS h JOIN bench_c AS c ON c.n = h.n % $2::int",
        district_id,
        communities,
    )
    await conn.execute(
        "INSERT INTO ownership (id, household, owner, since, until, recorded_at)"
        " SELECT gen_random_uuid(), id, owner, DATE '2000-01-01', NULL, now() FROM bench_h"
    )
    rows = await conn.fetch("SELECT id FROM bench_c ORDER BY n")
    return [r["id"] for r in rows]


async def post_first_deposits(conn: Any, community_ids: list[uuid.UUID]) -> int:
    """Open every household's account with its first deposit (rate × area, half up),
    one entry per community; returns the households posted for."""
    await conn.execute("DROP TABLE IF EXISTS bench_fd")
    await conn.execute(
        "CREATE TEMP TABLE bench_fd AS SELECT h.id AS household, h.community, h.owner,"
        " gen_random_uuid() AS account,"
        " (c.deposit_rate_fen * h.floor_area) / 100"
        " + CASE WHEN (c.deposit_rate_fen * h.floor_area) % 100 >= 50 THEN 1 ELSE 0 END AS fd"
        " FROM household AS h JOIN community AS c ON c.id = h.community"
        " WHERE h.community = ANY($1::uuid[])",
        community_ids,
    )
    await conn.execute("DROP TABLE IF EXISTS bench_fe")
    await conn.execute(
        "CREATE TEMP TABLE bench_fe AS SELECT f.community, c.district,"
        " gen_random_uuid() AS entry, gen_random_uuid() AS custody, SUM(f.fd) AS total,"
        " encode(sha256(convert_to('bench:' || f.community::text, 'UTF8')), 'hex') AS hash"
        " FROM bench_fd AS f JOIN community AS c ON c.id = f.community GROUP BY f.community,"
        " c.district"
    )
    await conn.execute(
        "INSERT INTO fund_account (id, kind, district, community, building, household,"
        " principal_fen, interest_fen, first_deposit_fen, opened_at, closed_at)"
        " SELECT f.account, 'household', e.district, f.community, NULL, f.household,"
        " f.fd, 0, f.fd, now(), NULL FROM bench_fd AS f JOIN bench_fe AS e USING (community)"
    )
    await conn.execute(
        "INSERT INTO fund_account (id, kind, district, community, building, household,"
        " principal_fen, interest_fen, first_deposit_fen, opened_at, closed_at)"
        " SELECT custody, 'custody', district, community, NULL, NULL, -total, 0, NULL,"
        " now(), NULL FROM bench_fe"
    )
    await conn.execute(
        "INSERT INTO fund_entry (id, district, community, seq, kind, posted_at, value_date,"
        " book_year, period, memo, reverses_entry, amount_fen, actor_id, idempotency_key,"
        " fund_use_id, prev_hash, hash)"
        " SELECT entry, district, community, 1, 'first_deposit', now(), current_date,"
        " extract(year FROM current_date)::int, NULL, '首期维修资金（基准生成）', NULL, total,"
        " NULL, NULL, NULL, $1, hash FROM bench_fe",
        GENESIS_HASH,
    )
    await conn.execute(
        "INSERT INTO fund_line (entry, account, household, owner, principal_delta,"
        " interest_delta)"
        " SELECT e.entry, f.account, f.household, f.owner, f.fd, 0"
        " FROM bench_fd AS f JOIN bench_fe AS e USING (community)"
        " UNION ALL SELECT entry, custody, NULL, NULL, -total, 0 FROM bench_fe"
    )
    await conn.execute(
        "INSERT INTO fund_chain (id, community, last_seq, head_hash)"
        " SELECT gen_random_uuid(), community, 1, hash FROM bench_fe"
    )
    return int(await conn.fetchval("SELECT COUNT(*) FROM bench_fd"))
