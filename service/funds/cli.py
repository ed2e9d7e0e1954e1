"""``changxiao fund verify``: recompute every community's hash chain and balances."""

from __future__ import annotations

from uuid import UUID

from service.db import is_missing_table
from service.funds import ledger
from service.registry.tables import Community


async def verify_cli(community_code: str | None = None) -> int:
    """The command: open the database, ``report_verification``, close it."""
    from service.db import close_database, open_database

    await open_database()
    try:
        return await report_verification(community_code)
    finally:
        await close_database()


async def report_verification(community_code: str | None = None) -> int:
    """Verify one community (by code, in every district) or all; print ok/FAILED per
    community with its problems.

    Returns the exit status: 0 when every community verifies, 1 on any mismatch, 2 when
    no community has the code.
    """
    query = Community.select(Community.id, Community.code, Community.name).order_by(Community.code)
    if community_code is not None:
        query = query.where(Community.code == community_code)
    try:
        communities = await query
    except Exception as exc:
        if not is_missing_table(exc):
            raise
        print("数据库尚未建表，请先运行 changxiao migrate (database not migrated).")
        return 2
    if not communities and community_code is None:
        print("数据库中没有小区，无需校验 (no communities: nothing to verify).")
        print("0 ok, 0 failed")
        return 0
    if not communities:
        print(f"没有编号为 {community_code} 的小区 (no such community).")
        return 2
    failed = 0
    for community in communities:
        result = await ledger.verify(UUID(str(community["id"])))
        status = "ok" if result.ok else "FAILED"
        print(
            f"{status:<6} {community['code']:<20} {community['name']}"
            f"  entries={result.entries} head={result.chain_head}"
        )
        for problem in result.problems:
            print(f"       - {problem}")
        failed += 0 if result.ok else 1
    print(f"{len(communities) - failed} ok, {failed} failed")
    return 1 if failed else 0
