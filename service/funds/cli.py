"""``changxiao fund verify``: recompute every community's hash chain and balances."""

from __future__ import annotations

import json
from uuid import UUID

from service.db import is_missing_table
from service.funds import witness
from service.registry.tables import Community


async def verify_cli(community_code: str | None = None, head: str | None = None) -> int:
    """The command: open the database, ``report_verification`` (or ``report_head``),
    close it."""
    from service.db import close_database, open_database

    await open_database()
    try:
        if head is not None:
            return await report_head(head, community_code)
        return await report_verification(community_code)
    finally:
        await close_database()


async def heads_cli(community_code: str | None = None) -> int:
    """``changxiao fund heads``: the witness log as JSON lines, for a committee to keep."""
    from service.db import close_database, fetch, open_database

    await open_database()
    try:
        sql = (
            "SELECT c.code, l.community, l.seq, l.head_hash, l.tag, l.reason, l.recorded_at"
            " FROM chain_head_log AS l JOIN community AS c ON c.id = l.community"
        )
        rows = await (
            fetch(sql + " WHERE c.code = {} ORDER BY l.id", community_code)
            if community_code is not None
            else fetch(sql + " ORDER BY l.id")
        )
        for row in rows:
            print(json.dumps({k: str(v) for k, v in row.items()}, ensure_ascii=False))
        return 0
    finally:
        await close_database()


async def report_head(head: str, community_code: str | None = None) -> int:
    """Check a kept head against every community the witness log (or the journal) puts
    it in; exit 0 when the journal still holds it there, 1 when not, 2 when unknown."""
    from service.db import fetch

    head = head.strip().lower()
    sql = (
        "SELECT DISTINCT c.id, c.code, c.name FROM community AS c WHERE"
        " (c.id IN (SELECT community FROM chain_head_log WHERE head_hash = {})"
        " OR c.id IN (SELECT community FROM fund_entry WHERE hash = {}))"
    )
    args: list[object] = [head, head]
    if community_code is not None:
        sql += " AND c.code = {}"
        args.append(community_code)
    communities = await fetch(sql, *args)
    if not communities:
        print(f"链头 {head} 不在见证日志与分录中 (head unknown: never published here).")
        return 2
    failed = 0
    for community in communities:
        found = await witness.check_head(UUID(str(community["id"])), head)
        when = found.recorded_at.isoformat() if found.recorded_at else "not witnessed"
        _report(community, found.ok, f"head at entry {found.seq} ({when})", found.problems)
        failed += 0 if found.ok else 1
    return 1 if failed else 0


def _report(community: dict[str, object], ok: bool, what: str, problems: list[str]) -> None:
    """One community's line (ok/FAILED, code, name, what was checked) and its problems."""
    print(f"{'ok' if ok else 'FAILED':<6} {community['code']!s:<20} {community['name']}  {what}")
    for problem in problems:
        print(f"       - {problem}")


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
        result = await witness.verify_with_witness(UUID(str(community["id"])))
        what = f"entries={result.entries} head={result.chain_head}"
        _report(community, result.ok, what, result.problems)
        failed += 0 if result.ok else 1
        if result.ok:
            await witness.record_seen_head(
                UUID(str(community["id"])), result.entries, result.chain_head, "verification"
            )
    print(f"{len(communities) - failed} ok, {failed} failed")
    return 1 if failed else 0
