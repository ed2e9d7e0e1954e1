"""The witness of the chain (issue 11 item 8): every published head is logged with its
place and time; a committee holding an earlier head detects a history rebuilt from
genesis by a database superuser, which the chain alone cannot."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any
from uuid import UUID

import httpx
import pytest

from service.db import fetch, is_postgres, transaction
from service.funds import ledger, witness
from service.funds.cli import report_head
from service.funds.ledger import GENESIS_HASH
from tests.fund_uses.test_api import Block, deposit, make_block
from tests.support import World, all_items, assert_list_contract

API = "/api/v1"


async def verify(
    client: httpx.AsyncClient, world: World, community: str, head: str | None = None
) -> dict[str, Any]:
    params = {"head": head} if head else {}
    answer = await client.get(
        f"{API}/communities/{community}/fund/verify", params=params, headers=world.h("bureau")
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def exported(client: httpx.AsyncClient, block: Block) -> list[dict[str, Any]]:
    return await all_items(
        client, f"{API}/communities/{block.community}/fund/heads", block.headers["committee"]
    )


async def rebuild_from_genesis_as_superuser(community: str) -> None:
    """What someone with database superuser rights can do: switch the append-only guards
    off, delete the community's journal, reset its chain, cached balances and kept year
    totals."""
    async with transaction():
        if is_postgres():
            await fetch("SET LOCAL session_replication_role = replica")
        else:
            for table in ("fund_entry", "fund_line"):
                await fetch(f"DROP TRIGGER IF EXISTS {table}_no_delete")
        await fetch(
            "DELETE FROM fund_line WHERE entry IN (SELECT id FROM fund_entry WHERE community = {})",
            community,
        )
        await fetch("DELETE FROM fund_entry WHERE community = {}", community)
        await fetch("DELETE FROM fund_year_total WHERE community = {}", community)
        await fetch(
            "UPDATE fund_chain SET last_seq = 0, head_hash = {} WHERE community = {}",
            GENESIS_HASH,
            community,
        )
        await fetch(
            "UPDATE fund_account SET principal_fen = 0, interest_fen = 0,"
            " first_deposit_fen = NULL WHERE community = {}",
            community,
        )
        if not is_postgres():
            for table in ("fund_entry", "fund_line"):
                await fetch(
                    f"CREATE TRIGGER IF NOT EXISTS {table}_no_delete BEFORE DELETE ON {table}"
                    f" BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
                )


async def test_a_verification_witnesses_its_head_and_the_export_shows_it(
    client: httpx.AsyncClient, world: World
) -> None:
    block = await make_block(client, world)
    result = await verify(client, world, block.community)
    assert result["ok"] and result["entries"] == 4
    rows = await exported(client, block)
    assert [(r["seq"], r["head_hash"], r["reason"]) for r in rows] == [
        (4, result["chain_head"], "verification")
    ]
    checked = (await verify(client, world, block.community, result["chain_head"]))["head"]
    assert checked["ok"] and checked["witnessed"] and checked["contained"]
    assert checked["seq"] == 4 and checked["recorded_at"] == rows[0]["recorded_at"]


async def test_the_head_export_is_a_list_in_pages_oldest_first(
    client: httpx.AsyncClient, world: World
) -> None:
    block = await make_block(client, world)
    for _ in range(3):
        await verify(client, world, block.community)
    path = f"{API}/communities/{block.community}/fund/heads"
    rows = await assert_list_contract(client, path, block.headers["committee"], key=None)
    assert len(rows) == 3
    assert [r["recorded_at"] for r in rows] == sorted(r["recorded_at"] for r in rows)
    # Another community's log is not the committee's: 404, as a missing one.
    for community in (world.ids["CA"], "00000000-0000-0000-0000-000000000000"):
        answer = await client.get(
            f"{API}/communities/{community}/fund/heads", headers=block.headers["committee"]
        )
        assert answer.status_code == 404, answer.text


async def test_a_statement_witnesses_the_head_it_prints(
    client: httpx.AsyncClient, world: World
) -> None:
    block = await make_block(client, world)
    answer = await client.get(
        f"{API}/communities/{block.community}/fund/statement.pdf",
        params={"year": 2024},
        headers=world.h("bureau"),
    )
    assert answer.status_code == 200
    (row,) = await exported(client, block)
    assert row["reason"] == "statement" and row["seq"] == 4


async def test_the_daily_hook_witnesses_every_community_with_a_journal(
    client: httpx.AsyncClient, world: World
) -> None:
    block = await make_block(client, world)
    assert await witness.witness_all_heads() >= 1
    assert [r["reason"] for r in await exported(client, block)] == ["daily"]


async def test_a_chain_rebuilt_from_genesis_passes_alone_but_not_against_a_kept_head(
    client: httpx.AsyncClient, world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    block = await make_block(client, world)
    kept = (await verify(client, world, block.community))["chain_head"]  # the committee keeps it

    await rebuild_from_genesis_as_superuser(block.community)
    for household in block.households[:3]:  # a different history, posted the normal way
        await deposit(client, world, household, "4500.00")

    alone = await ledger.verify(UUID(block.community))
    assert alone.ok, "the rebuilt chain verifies on its own: the hole the witness closes"
    # The service's verification reads the witness log too: the head it published is gone.
    witnessed = await verify(client, world, block.community)
    assert witnessed["ok"] is False
    assert "no longer in the journal" in " ".join(witnessed["problems"])
    against = await verify(client, world, block.community, kept)
    assert against["ok"] is False
    assert against["head"]["witnessed"] is True
    assert against["head"]["contained"] is False
    assert "rewritten" in " ".join(against["head"]["problems"])

    assert await report_head(kept) == 1
    assert "FAILED" in capsys.readouterr().out


async def test_a_kept_head_still_tells_when_the_superuser_also_empties_the_log(
    client: httpx.AsyncClient, world: World
) -> None:
    """The committee's own copy does not depend on the database."""
    block = await make_block(client, world)
    kept = (await verify(client, world, block.community))["chain_head"]
    await rebuild_from_genesis_as_superuser(block.community)
    async with transaction():
        if is_postgres():
            await fetch("SET LOCAL session_replication_role = replica")
        else:
            await fetch("DROP TRIGGER IF EXISTS chain_head_log_no_delete")
        await fetch("DELETE FROM chain_head_log WHERE community = {}", block.community)
        if not is_postgres():
            await fetch(
                "CREATE TRIGGER IF NOT EXISTS chain_head_log_no_delete BEFORE DELETE ON"
                " chain_head_log BEGIN SELECT RAISE(ABORT, 'chain_head_log is append-only'); END"
            )
    for household in block.households:
        await deposit(client, world, household, "4500.00")
    assert (await verify(client, world, block.community))["ok"] is True
    against = (await verify(client, world, block.community, kept))["head"]
    assert against["ok"] is False and against["contained"] is False


async def test_a_forged_witness_row_is_told_apart_by_its_tag(
    client: httpx.AsyncClient, world: World
) -> None:
    """Rewriting the log to match a rebuilt chain needs the key, which is not in the
    database: a row inserted without it fails the tag check."""
    block = await make_block(client, world)
    head = (await verify(client, world, block.community))["chain_head"]
    await rebuild_from_genesis_as_superuser(block.community)
    for household in block.households:
        await deposit(client, world, household, "100.00")
    chain = await fetch("SELECT head_hash FROM fund_chain WHERE community = {}", block.community)
    fake = str(chain[0]["head_hash"])
    stamp = datetime.fromisoformat((await exported(client, block))[0]["recorded_at"])
    async with transaction():
        await fetch(
            "INSERT INTO chain_head_log (district, community, seq, head_hash, tag, reason,"
            " recorded_at) SELECT district, id, 4, {}, {}, 'verification', {} FROM community"
            " WHERE id = {}",
            fake,
            "0" * 64,
            stamp,
            block.community,
        )
    forged = await witness.check_head(block.community, fake)
    assert any("invalid tag" in p for p in forged.problems)
    assert not forged.ok
    assert not (await witness.check_head(block.community, head)).ok


async def test_the_witness_log_is_append_only(client: httpx.AsyncClient, world: World) -> None:
    block = await make_block(client, world)
    await verify(client, world, block.community)
    with pytest.raises(Exception, match="append-only"):
        async with transaction():
            await fetch("DELETE FROM chain_head_log WHERE community = {}", block.community)


async def test_a_forged_numeric_cursor_is_refused_not_a_server_error(
    client: httpx.AsyncClient, world: World
) -> None:
    """The head export pages by a 64-bit key: a cursor naming a number no page ends with
    (past the column's range, negative, spelt with other digits or padding) → 422 naming
    ``cursor``, as any other cursor it did not give, never 500."""
    block = await make_block(client, world)
    for _ in range(2):
        await verify(client, world, block.community)
    path = f"{API}/communities/{block.community}/fund/heads"
    forged = ("9" * 30, "9223372036854775808", "-99999999999999999999", "-1", "١", " 1 ", "1_0")
    for raw in forged:
        cursor = base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")
        answer = await client.get(
            path, params={"cursor": cursor, "limit": 1}, headers=block.headers["committee"]
        )
        assert answer.status_code == 422, (raw, answer.text)
        assert [e["field"] for e in answer.json()["errors"]] == ["cursor"], answer.text
    # The audit trail pages by the same kind of key.
    answer = await client.get(
        f"{API}/audit",
        params={"cursor": base64.urlsafe_b64encode(b"9" * 30).decode()},
        headers=world.h("auditor"),
    )
    assert answer.status_code == 422, answer.text
