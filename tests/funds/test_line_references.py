"""A journal line names rows that exist, and its household is exactly its account's (a
household account's line names that household, the custody account's none): refused
otherwise, whether the lines come by INSERT or by COPY, and the statement writes nothing.
The rows a line names cannot be deleted (nor their ids changed) while it names them.

On PostgreSQL a per-statement trigger checks the references (migrations
``funds_2026_12_03t12_30_00`` and ``funds_2026_12_03t16_30_00``), on SQLite its foreign
keys and triggers."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from service.db import copy_rows, fetch, transaction
from tests.conftest import IS_POSTGRES
from tests.funds.conftest import Estate, deposit
from tests.support import World

COLUMNS = ("entry", "account", "household", "owner", "principal_delta", "interest_delta")


async def _posted(client: httpx.AsyncClient, world: World, estate: Estate) -> dict[str, Any]:
    """A deposit of the estate's first household: its line's entry, account, household,
    owner, and the second household's account."""
    await deposit(client, world, estate.households[0], "100.00")
    rows = await fetch(
        "SELECT l.entry, l.account, l.household, l.owner FROM fund_line AS l"
        " JOIN fund_account AS a ON a.id = l.account WHERE a.household = {}",
        estate.households[0],
    )
    line = dict(rows[0])
    other = await fetch("SELECT id FROM fund_account WHERE household = {}", estate.households[1])
    line["other_account"] = other[0]["id"] if other else None
    return line


def _ids(line: dict[str, Any]) -> dict[str, uuid.UUID]:
    return {k: uuid.UUID(str(v)) for k, v in line.items() if v is not None}


async def _lines_of(estate: Estate) -> int:
    rows = await fetch(
        "SELECT COUNT(*) AS n FROM fund_line AS l JOIN fund_entry AS e ON e.id = l.entry"
        " WHERE e.community = {}",
        estate.community,
    )
    return int(rows[0]["n"])


async def _insert_line(entry: Any, account: Any, household: Any = None) -> None:
    """One zero line by INSERT, naming ``household`` (or none) and no owner."""
    await fetch(
        "INSERT INTO fund_line (entry, account, household, owner, principal_delta,"
        " interest_delta) VALUES ({}, {}, {}, NULL, 0, 0)",
        str(entry),
        str(account),
        None if household is None else str(household),
    )


BAD = {
    "no entry": lambda ids: {**ids, "entry": None},
    "no account": lambda ids: {**ids, "account": None},
    "entry": lambda ids: {**ids, "entry": uuid.uuid4()},
    "account": lambda ids: {**ids, "account": uuid.uuid4()},
    "owner": lambda ids: {**ids, "owner": uuid.uuid4()},
    # A household account's line must name the household: its lines are found by account.
    "no household": lambda ids: {**ids, "household": None},
}


@pytest.mark.parametrize("how", ["insert", "copy"])
@pytest.mark.parametrize("broken", [*BAD, "household of another account"])
async def test_a_line_naming_what_does_not_exist_or_another_households_account_is_refused(
    client: httpx.AsyncClient, world: World, estate: Estate, broken: str, how: str
) -> None:
    ids = _ids(await _posted(client, world, estate))
    before = await _lines_of(estate)
    if broken == "household of another account":
        # A second household's deposit opens its account; the line names the first
        # household with the second household's account.
        await deposit(client, world, estate.households[1], "50.00")
        account = await fetch(
            "SELECT id FROM fund_account WHERE household = {}", estate.households[1]
        )
        bad = {**ids, "account": uuid.UUID(str(account[0]["id"]))}
        before = await _lines_of(estate)
    else:
        bad = BAD[broken](ids)
    good = (ids["entry"], ids["account"], ids["household"], ids["owner"], 0, 0)
    row = (bad["entry"], bad["account"], bad["household"], bad["owner"], 0, 0)
    with pytest.raises(Exception, match=r"(?i)foreign key|not.null|fund_line\.|household"):
        async with transaction():
            if how == "copy":
                await copy_rows("fund_line", COLUMNS, [good, row])
            else:
                await fetch(
                    "INSERT INTO fund_line (entry, account, household, owner,"
                    " principal_delta, interest_delta) VALUES ({}, {}, {}, {}, 0, 0),"
                    " ({}, {}, {}, {}, 0, 0)",
                    *(str(v) for v in good[:4]),
                    *(None if v is None else str(v) for v in row[:4]),
                )
    assert await _lines_of(estate) == before


async def test_a_custody_line_has_no_household_and_its_account_is_checked(
    client: httpx.AsyncClient, world: World, estate: Estate
) -> None:
    ids = _ids(await _posted(client, world, estate))
    custody = await fetch(
        "SELECT id FROM fund_account WHERE kind = 'custody' AND community = {}", estate.community
    )
    before = await _lines_of(estate)
    # A line with no household may name any account that exists (custody lines do)...
    async with transaction():
        await _insert_line(ids["entry"], custody[0]["id"])
    assert await _lines_of(estate) == before + 1
    # ... but not one that does not, and a custody line names no household.
    for account, household in [(uuid.uuid4(), None), (custody[0]["id"], ids["household"])]:
        with pytest.raises(Exception, match=r"(?i)foreign key|fund_line\."):
            async with transaction():
                await _insert_line(ids["entry"], account, household)
    assert await _lines_of(estate) == before + 1


async def test_the_rows_a_line_names_are_kept(
    client: httpx.AsyncClient, world: World, estate: Estate
) -> None:
    line = await _posted(client, world, estate)
    for statement, value in [
        ("DELETE FROM fund_account WHERE id = {}", line["account"]),
        ("DELETE FROM owner WHERE id = {}", line["owner"]),
        ("DELETE FROM household WHERE id = {}", line["household"]),
        ("UPDATE fund_account SET household = NULL WHERE id = {}", line["account"]),
    ]:
        with pytest.raises(Exception, match=r"(?i)foreign key|not allowed|constraint"):
            async with transaction():
                await fetch(statement, value)
    rows = await fetch(
        "SELECT a.household, o.id AS owner FROM fund_account AS a, owner AS o"
        " WHERE a.id = {} AND o.id = {}",
        line["account"],
        line["owner"],
    )
    assert str(rows[0]["household"]) == str(line["household"])
    # An owner's other particulars still change, and a balance still moves.
    await fetch("UPDATE owner SET name = name WHERE id = {}", line["owner"])
    await fetch(
        "UPDATE fund_account SET principal_fen = principal_fen WHERE id = {}", line["account"]
    )


@pytest.mark.skipif(not IS_POSTGRES, reason="PostgreSQL's check runs as a function")
async def test_a_temporary_table_cannot_stand_in_for_the_accounts(
    client: httpx.AsyncClient, world: World, estate: Estate
) -> None:
    """The check names its tables in their schema: a session's temporary ``fund_account``
    holding a made-up account does not let a line naming it through."""
    ids = _ids(await _posted(client, world, estate))
    made_up = uuid.uuid4()
    before = await _lines_of(estate)
    with pytest.raises(Exception, match=r"(?i)fund_line\.account"):
        async with transaction():
            await fetch(
                "CREATE TEMP TABLE fund_account ON COMMIT DROP AS"
                " SELECT * FROM public.fund_account LIMIT 0"
            )
            await fetch(
                "INSERT INTO pg_temp.fund_account (id, household) VALUES ({}, {})",
                str(made_up),
                str(ids["household"]),
            )
            await fetch(
                "INSERT INTO public.fund_line (entry, account, household, owner,"
                " principal_delta, interest_delta) VALUES ({}, {}, {}, NULL, 0, 0)",
                str(ids["entry"]),
                str(made_up),
                str(ids["household"]),
            )
    assert await _lines_of(estate) == before


@pytest.mark.skipif(not IS_POSTGRES, reason="writing a line past the checks needs PostgreSQL")
async def test_the_migration_counts_lines_the_new_rules_refuse(
    client: httpx.AsyncClient, world: World, estate: Estate
) -> None:
    """A line written before the rules (here past the triggers) whose household is not its
    account's is what the migrations stop on; the later one also on a household account's
    line that leaves the household out."""
    from migrations.funds.funds_2026_12_03t12_30_00_000000 import REFUSED
    from migrations.funds.funds_2026_12_03t16_30_00_000000 import REFUSED as REFUSED_LATER

    await deposit(client, world, estate.households[1], "50.00")
    line = await _posted(client, world, estate)
    assert int((await fetch(REFUSED))[0]["n"]) == 0
    assert int((await fetch(REFUSED_LATER))[0]["n"]) == 0

    class Rollback(Exception):
        pass

    with pytest.raises(Rollback):
        async with transaction():
            await fetch("SET LOCAL session_replication_role = replica")
            await _insert_line(line["entry"], line["other_account"], line["household"])
            assert int((await fetch(REFUSED))[0]["n"]) == 1
            assert int((await fetch(REFUSED_LATER))[0]["n"]) == 1
            await _insert_line(line["entry"], line["account"])
            assert int((await fetch(REFUSED))[0]["n"]) == 1
            assert int((await fetch(REFUSED_LATER))[0]["n"]) == 2
            raise Rollback
    assert int((await fetch(REFUSED))[0]["n"]) == 0
    assert int((await fetch(REFUSED_LATER))[0]["n"]) == 0


async def test_the_later_migration_counts_lines_leaving_their_household_out(
    client: httpx.AsyncClient, world: World, estate: Estate
) -> None:
    """On either engine: a household account's line written (past the check) without its
    household, or a custody line naming one, is what ``funds_2026_12_03t16_30_00`` stops on."""
    from migrations.funds.funds_2026_12_03t16_30_00_000000 import REFUSED

    line = await _posted(client, world, estate)
    custody = await fetch(
        "SELECT id FROM fund_account WHERE kind = 'custody' AND community = {}", estate.community
    )
    assert int((await fetch(REFUSED))[0]["n"]) == 0

    class Rollback(Exception):
        pass

    with pytest.raises(Rollback):
        async with transaction():
            if IS_POSTGRES:
                await fetch("SET LOCAL session_replication_role = replica")
            else:
                await fetch("DROP TRIGGER fund_line_household_of_account")
            for account, household in [
                (line["account"], None),
                (custody[0]["id"], line["household"]),
            ]:
                await _insert_line(line["entry"], account, household)
            assert int((await fetch(REFUSED))[0]["n"]) == 2
            raise Rollback
    assert int((await fetch(REFUSED))[0]["n"]) == 0
