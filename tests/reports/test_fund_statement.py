"""The yearly fund statement (art. 33) as a PDF: totals, projects with apportionment,
household accounts and the chain head, in an embedded CJK font, within scope."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from service.clock import today
from tests.reports.conftest import (
    Estate,
    bulk_households,
    deposit,
    make_estate,
    pdf_fonts,
    pdf_text,
    post_first_deposits,
    post_use,
)
from tests.support import World, created, unique

YEAR = 2026
USE_ID = uuid.UUID("7c0f2d9e-0000-4000-8000-000000000004")


@pytest.fixture(scope="module")
async def estate(client: httpx.AsyncClient, world: World) -> Estate:
    """2025: 101 deposits 3600.00. 2026: 102 deposits 2700.00, 201 deposits 4500.00,
    the bank credits 108.00 interest, and a roof repair of 1000.00 is charged by area
    (101: 333.33, 102: 250.00, 201: 416.67)."""
    made = await make_estate(client, world)
    h = made.households
    await deposit(client, world, h["101"], "3600.00", "2025-06-01")
    await deposit(client, world, h["102"], "2700.00", "2026-01-15")
    await deposit(client, world, h["201"], "4500.00", "2026-02-01")
    headers = {**world.h("bureau"), "Idempotency-Key": uuid.uuid4().hex}
    await created(
        await client.post(
            "/api/v1/fund/interest",
            json={"community_id": made.community, "period": "2026-Q3", "amount": "108.00"},
            headers=headers,
        )
    )
    await post_use(
        world,
        made.community,
        {h["101"]: 33333, h["102"]: 25000, h["201"]: 41667},
        date(2026, 10, 10),
        "1号楼屋面防水维修",
        USE_ID,
    )
    return made


async def statement(
    client: httpx.AsyncClient, estate: Estate, headers: dict[str, str], year: Any = YEAR
) -> httpx.Response:
    return await client.get(
        f"/api/v1/communities/{estate.community}/fund/statement.pdf",
        params={} if year is None else {"year": year},
        headers=headers,
    )


async def balance(client: httpx.AsyncClient, world: World, household: str) -> str:
    response = await client.get(f"/api/v1/households/{household}/fund", headers=world.h("bureau"))
    assert response.status_code == 200, response.text
    return str(response.json()["balance"])


def squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


def grouped(amount: str) -> str:
    """An API amount ("9908.00") as documents print it ("9,908.00")."""
    whole, cents = amount.split(".")
    return f"{int(whole):,}.{cents}"


def masked(name: str) -> str:
    return name[0] + "*" * (len(name) - 2) + name[-1]


async def test_the_statement_is_a_pdf_with_the_year_totals_households_and_chain_head(
    client: httpx.AsyncClient, world: World, estate: Estate, tmp_path: Path
) -> None:
    response = await statement(client, estate, world.h("bureau"))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    text = pdf_text(response.content, tmp_path)
    assert estate.name in text
    assert estate.code in text
    assert f"{YEAR} 年" in text
    flat = squeezed(text)
    # opening, deposited, earned, used, closing
    for figure in ("3,600.00", "7,200.00", "108.00", "1,000.00", "9,908.00"):
        assert figure in text, figure
    for room in ("101", "102", "201"):
        assert f"{room}室" in text
        assert grouped(await balance(client, world, estate.households[room])) in text
    # Published to the community: names masked (张*明), never whole.
    assert masked(estate.owner_name) in text and masked(estate.neighbour_name) in text
    assert estate.owner_name not in text and estate.neighbour_name not in text
    assert "1号楼屋面防水维修" in text
    for share in ("333.33", "250.00", "416.67"):
        assert share in text
    fund = (
        await client.get(f"/api/v1/communities/{estate.community}/fund", headers=world.h("bureau"))
    ).json()
    assert fund["chain_head"] in flat
    assert f"共{fund['entries']}笔" in flat
    assert "第1页/共" in flat


async def test_household_closing_balances_match_the_fund_api_and_sum_to_the_total(
    client: httpx.AsyncClient, world: World, estate: Estate, tmp_path: Path
) -> None:
    response = await statement(client, estate, world.h("auditor"))
    lines = pdf_text(response.content, tmp_path).splitlines()
    balances = {room: await balance(client, world, h) for room, h in estate.households.items()}
    assert sum(int(b.replace(".", "")) for b in balances.values()) == 990800
    for room, expected in balances.items():
        # The household table's row is the widest line naming the room (the project's
        # apportionment names it too, with three cells).
        row = max((line.split() for line in lines if f"{room}室" in line), key=len)
        assert len(row) >= 9, row
        assert row[-1] == grouped(expected), row


async def test_a_year_without_fund_uses_says_so(
    client: httpx.AsyncClient, world: World, estate: Estate, tmp_path: Path
) -> None:
    response = await statement(client, estate, world.h("committee") | estate.committee_h, 2025)
    assert response.status_code == 200, response.text
    text = pdf_text(response.content, tmp_path)
    assert "本年度无维修资金使用项目" in text
    assert "3,600.00" in text
    assert "9,908.00" not in text


async def test_the_pdf_embeds_a_cjk_font_on_body_and_page_numbers(
    client: httpx.AsyncClient, world: World, estate: Estate, tmp_path: Path
) -> None:
    response = await statement(client, estate, world.h("bureau"))
    fonts = pdf_fonts(response.content, tmp_path)
    cjk = [f for f in fonts if "CJK" in f["name"]]
    assert cjk, [f["line"] for f in fonts]
    assert all(f["emb"] == "yes" for f in fonts), [f["line"] for f in fonts]
    # No fallback face without CJK glyphs carries the text (that is how boxes appear).
    assert all("CJK" in f["name"] or "Mono" in f["name"] for f in fonts), fonts


async def test_every_role_in_scope_gets_the_statement(
    client: httpx.AsyncClient, world: World, estate: Estate
) -> None:
    for headers in (world.h("bureau"), world.h("auditor"), estate.committee_h, estate.owner_h):
        response = await statement(client, estate, headers)
        assert response.status_code == 200, response.text


async def test_out_of_scope_callers_get_404_and_a_contractor_403(
    client: httpx.AsyncClient, world: World, estate: Estate
) -> None:
    for who in ("committee", "company", "owner1"):
        assert (await statement(client, estate, world.h(who))).status_code == 404, who
    assert (await statement(client, estate, world.h("contractor"))).status_code == 403
    missing = await client.get(
        f"/api/v1/communities/{uuid.uuid4()}/fund/statement.pdf",
        params={"year": YEAR},
        headers=world.h("bureau"),
    )
    assert missing.status_code == 404


@pytest.mark.parametrize(
    "year", [None, "abc", "1989", "20260", "2026.5", str(date.today().year + 1)]
)
async def test_a_missing_or_impossible_year_is_a_422_naming_year(
    client: httpx.AsyncClient, world: World, estate: Estate, year: str | None
) -> None:
    response = await statement(client, estate, world.h("bureau"), year)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in response.json()["errors"]] == ["year"]


async def test_this_year_and_1990_are_accepted(
    client: httpx.AsyncClient, world: World, estate: Estate
) -> None:
    for year in (1990, today().year):
        assert (await statement(client, estate, world.h("bureau"), year)).status_code == 200


async def test_an_owner_sees_only_their_own_households_lines(
    client: httpx.AsyncClient, world: World, estate: Estate, tmp_path: Path
) -> None:
    response = await statement(client, estate, estate.owner_h)
    assert response.status_code == 200
    text = pdf_text(response.content, tmp_path)
    assert "101室" in text and "102室" in text
    assert "201室" not in text
    assert estate.neighbour_name not in text and masked(estate.neighbour_name) not in text
    # The owner's own lines carry the owner's full name.
    assert estate.owner_name in text
    assert "416.67" not in text  # the neighbour's share of the roof repair
    assert grouped(await balance(client, world, estate.households["201"])) not in text
    # The community's published totals stay whole.
    assert "9,908.00" in text and "1,000.00" in text


async def test_the_first_page_renders_readably(
    client: httpx.AsyncClient, world: World, estate: Estate, tmp_path: Path
) -> None:
    """Renders page 1 to PNG (kept in $CHANGXIAO_PREVIEW_DIR when set, for a person to
    look at)."""
    response = await statement(client, estate, world.h("bureau"))
    pdf = tmp_path / "statement.pdf"
    pdf.write_bytes(response.content)
    out = tmp_path / "page"
    subprocess.run(
        ["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", str(pdf), str(out)], check=True
    )
    pngs = list(tmp_path.glob("page*.png"))
    assert len(pngs) == 1
    assert pngs[0].read_bytes().startswith(b"\x89PNG")
    keep = os.environ.get("CHANGXIAO_PREVIEW_DIR")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(pngs[0], Path(keep) / "fund-statement-page1.png")


async def test_a_100_household_statement_renders_in_a_few_seconds(
    client: httpx.AsyncClient, world: World, tmp_path: Path
) -> None:
    made = await make_estate(client, world)
    ids = await bulk_households(world, made.community, made.building, 100)
    await post_first_deposits(world, made.community, {h: 300000 + i for i, h in enumerate(ids)})
    started = time.perf_counter()
    response = await statement(client, made, world.h("bureau"))
    elapsed = time.perf_counter() - started
    assert response.status_code == 200
    text = pdf_text(response.content, tmp_path)
    assert "业***9" in text  # 业主099, masked
    total = sum(300000 + i for i in range(100))
    assert f"{total // 100:,}.{total % 100:02d}" in text
    print(f"100-household statement: {elapsed:.2f} s, {len(response.content)} bytes")
    assert elapsed < 10


async def test_a_reversed_deposit_counts_against_deposits_not_as_a_use(
    client: httpx.AsyncClient, world: World, tmp_path: Path
) -> None:
    made = await make_estate(client, world)
    await deposit(client, world, made.households["101"], "3600.00", "2026-03-01")
    wrong = await deposit(client, world, made.households["201"], "4500.00", "2026-03-02")
    reversed_ = await client.post(
        f"/api/v1/fund/entries/{wrong['entry_id']}/reverse",
        json={"reason": "重复录入"},
        headers={**world.h("bureau"), "Idempotency-Key": uuid.uuid4().hex},
    )
    assert reversed_.status_code == 201, reversed_.text
    text = pdf_text((await statement(client, made, world.h("bureau"))).content, tmp_path)
    row = max((line.split() for line in text.splitlines() if "201室" in line), key=len)
    # opening, deposited, earned, used, closing of room 201
    assert row[-5:] == ["0.00", "0.00", "0.00", "0.00", "0.00"], row
    assert "本年度无维修资金使用项目" in text
    totals = max((line.split() for line in text.splitlines() if "合计" in line), key=len)
    assert totals[-5:] == ["0.00", "3,600.00", "0.00", "0.00", "3,600.00"], totals


async def self_funded_use(
    client: httpx.AsyncClient, world: World
) -> tuple[Any, dict[str, Any], dict[str, Any]]:
    """A block of four households whose emergency roof repair of 10,000.00 is paid this
    year: 8,000.00 from their accounts, 2,000.00 self-funded by 401's owner."""
    from tests.fund_uses.test_api import make_block, proposal

    block = await make_block(client, world, deposits=("2500.00", "2500.00", "2500.00", "500.00"))
    use = await created(
        await client.post(
            "/api/v1/fund-uses",
            json=proposal(block, emergency=True, emergency_reason="roof_leak"),
            headers=block.headers["company"],
        )
    )
    approved = await client.post(
        f"/api/v1/fund-uses/{use['id']}/approve", headers=world.h("bureau2")
    )
    assert approved.status_code == 200, approved.text
    paid = await created(
        await client.post(
            f"/api/v1/fund-uses/{use['id']}/disbursements",
            json={"amount": "10000.00", "stage": "final"},
            headers={**world.h("bureau"), "Idempotency-Key": uuid.uuid4().hex},
        )
    )
    return block, use, paid


async def test_a_project_shows_its_cost_what_the_fund_paid_and_what_owners_self_funded(
    client: httpx.AsyncClient, world: World, tmp_path: Path
) -> None:
    """Issue 10 item 9: a use costing 10,000.00 of which 2,000.00 is self-funded shows
    10,000.00, 8,000.00 and 2,000.00, and each household's share of each."""
    block, use, paid = await self_funded_use(client, world)
    assert (paid["amount"], paid["posted"], paid["self_funded"]) == (
        "10000.00",
        "8000.00",
        "2000.00",
    )
    shown = (await client.get(f"/api/v1/fund-uses/{use['id']}", headers=world.h("bureau"))).json()
    response = await client.get(
        f"/api/v1/communities/{block.community}/fund/statement.pdf",
        params={"year": today().year},
        headers=block.headers["committee"],
    )
    assert response.status_code == 200, response.text
    lines = pdf_text(response.content, tmp_path).splitlines()
    project = next(line.split() for line in lines if "1号楼屋面翻新" in line and "." in line)
    # households, cost, from the fund, self-funded
    assert project[-4:] == ["4", "10,000.00", "8,000.00", "2,000.00"], project
    assert project[-3] == grouped(shown["paid"])
    assert project[-1] == grouped(shown["self_funded"])
    shares = [line.split() for line in lines if "室" in line and len(line.split()) == 7]
    by_room = {row[2]: row[-3:] for row in shares}
    assert by_room["101室"] == ["2,500.00", "2,500.00", "0.00"], shares
    assert by_room["401室"] == ["2,500.00", "500.00", "2,000.00"], shares
    total = next(line.split() for line in lines if "合计（4 户）" in line)
    assert total[-3:] == ["10,000.00", "8,000.00", "2,000.00"], total
    # The yearly totals count only what left the accounts.
    fund = (
        await client.get(f"/api/v1/communities/{block.community}/fund", headers=world.h("bureau"))
    ).json()
    assert fund["balance"] == "0.00"


async def test_the_batch_writes_each_statement_through_a_process_pool(
    client: httpx.AsyncClient, world: World, estate: Estate, tmp_path: Path
) -> None:
    """``changxiao report fund-statements`` and the yearly job's path: the statements of
    the given communities as files, holding what the API's statement holds."""
    from service.reports.publish import render_fund_statements

    seen: list[tuple[int, int]] = []
    communities = [uuid.UUID(estate.community), uuid.UUID(world.ids["CA"])]
    paths = await render_fund_statements(
        YEAR,
        tmp_path / "out",
        community_ids=communities,
        workers=2,
        progress=lambda done, total: seen.append((done, total)),
    )
    assert paths[0].name == f"fund-statement-{estate.code}-{YEAR}.pdf"
    assert paths[1].name.startswith("fund-statement-CA") and paths[1].name.endswith(f"-{YEAR}.pdf")
    assert seen[0] == (0, 2) and seen[-1] == (2, 2)
    pdf = paths[0].read_bytes()
    assert pdf.startswith(b"%PDF-") and paths[1].read_bytes().startswith(b"%PDF-")
    text = pdf_text(pdf, tmp_path)
    assert estate.name in text and "9,908.00" in text and "1号楼屋面防水维修" in text
    fund = (
        await client.get(f"/api/v1/communities/{estate.community}/fund", headers=world.h("bureau"))
    ).json()
    assert fund["chain_head"] in squeezed(text)


async def test_a_statement_that_fails_stops_the_batch_or_is_reported_alone(
    world: World, estate: Estate, tmp_path: Path
) -> None:
    """One statement's file cannot be written (its folder is missing): the CLI's batch
    raises that error and leaves no partial file; the job's batch writes the others and
    returns the error in that community's place."""
    from service.reports import publish

    communities = [uuid.UUID(estate.community), uuid.UUID(world.ids["CA"])]
    out = tmp_path / "out"

    def file_name(statement: Any) -> str:
        name = publish.statement_file_name(statement)
        return f"missing/{name}" if str(statement.community["id"]) == estate.community else name

    with pytest.raises(FileNotFoundError):
        await publish.render_fund_statements(
            YEAR, out, community_ids=communities, workers=2, file_name=file_name
        )
    assert not [p for p in out.rglob("*") if p.name.endswith(".part")]

    results = await publish.render_fund_statements_each(
        YEAR, tmp_path / "each", communities, workers=2, file_name=file_name
    )
    assert isinstance(results[0], FileNotFoundError)
    assert isinstance(results[1], Path) and results[1].read_bytes().startswith(b"%PDF-")
    assert sorted(p.name for p in (tmp_path / "each").iterdir()) == [results[1].name]


async def test_the_batch_reads_a_chunk_only_when_few_statements_are_in_the_pools_hands(
    world: World, estate: Estate, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The batch's memory does not grow with the district: it reads the next
    ``READ_CHUNK`` statements only once fewer than ``MAX_IN_FLIGHT - READ_CHUNK`` are
    unfinished (rendering is far slower than reading, so without the bound every chunk
    would be read, and held, at once)."""
    from service.reports import publish

    monkeypatch.setattr(publish, "READ_CHUNK", 1)
    monkeypatch.setattr(publish, "MAX_IN_FLIGHT", 2)
    submitted, done, unfinished_at_read = [0], [0], []
    read = publish.statements_html

    async def counting(community_ids: list[uuid.UUID], year: int) -> Any:
        unfinished_at_read.append(submitted[0] - done[0])
        statements = await read(community_ids, year)
        submitted[0] += len(statements)
        return statements

    def progress(finished: int, total: int) -> None:
        done[0] = finished

    monkeypatch.setattr(publish, "statements_html", counting)
    communities = [uuid.UUID(c) for c in (estate.community, world.ids["CA"])] * 3
    paths = await publish.render_fund_statements(
        YEAR, tmp_path / "out", community_ids=communities, workers=2, progress=progress
    )
    assert len(paths) == 6 and done[0] == 6
    assert len(unfinished_at_read) == 6
    assert max(unfinished_at_read) <= 1, unfinished_at_read


async def test_the_batch_returns_only_after_every_statements_progress_is_reported(
    world: World, estate: Estate, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A statement can complete after the batch's wait has woken but before the batch
    runs on: its future reads as done while its progress is still to be reported. The
    batch counts a statement only once reported, so it returns (and reads the next
    chunk) only after ``progress`` has seen every statement it counts. A pool that
    completes each statement from the progress report of the one before makes that
    interleaving every time (the CLI's bar once ended at 5 of 6 this way)."""
    import concurrent.futures

    from service.reports import publish

    held: list[tuple[concurrent.futures.Future[str], str]] = []

    class Pool:
        """Completes the first statement at once, each next one when asked."""

        def __init__(self, **_: Any) -> None:
            pass

        def submit(self, _fn: Any, _html: str, path: str) -> concurrent.futures.Future[str]:
            future: concurrent.futures.Future[str] = concurrent.futures.Future()
            held.append((future, path))
            if len(held) == 1:
                future.set_result(path)
            return future

        def shutdown(self, **_: Any) -> None:
            pass

    reported: list[int] = []

    def progress(finished: int, total: int) -> None:
        reported.append(finished)
        if 0 < finished < len(held):
            future, path = held[finished]
            future.set_result(path)

    monkeypatch.setattr(publish, "ProcessPoolExecutor", Pool)
    communities = [uuid.UUID(c) for c in (estate.community, world.ids["CA"])] * 3
    paths = await publish.render_fund_statements(
        YEAR, tmp_path / "out", community_ids=communities, workers=2, progress=progress
    )
    assert len(paths) == 6
    assert reported == [0, 1, 2, 3, 4, 5, 6]


def test_a_pool_worker_ends_when_the_batchs_process_is_gone() -> None:
    """A worker watches the process whose batch it serves (``publish._leave_with``): when
    that process is gone (killed mid-batch, say) the worker ends instead of waiting for
    work for ever."""
    import multiprocessing
    import subprocess

    from service.reports import publish

    batch = subprocess.Popen(["sleep", "0.5"])
    worker = multiprocessing.get_context("spawn").Process(
        target=publish._leave_with, args=(batch.pid,)
    )
    worker.start()
    assert batch.wait() == 0
    worker.join(timeout=30)
    assert worker.exitcode == 1


async def test_the_batch_reads_every_statement_as_it_is_read_alone(
    client: httpx.AsyncClient, world: World, estate: Estate
) -> None:
    """``build_statements`` (the batch: a few queries for all communities, each cut at
    its own chain position) equals ``build_statement`` of each community alone, for
    every community of the database: with a fund use (the estate), with self-funded
    shares, with households but no journal, with no households; also in an owner's
    view. ``statements_html`` witnesses each shown head once (reason ``statement``)."""
    from service.db import fetch
    from service.reports import fund_statement
    from service.reports.publish import statements_html

    await self_funded_use(client, world)
    await make_estate(client, world)  # households, no journal
    bare = unique("R")
    await created(
        await client.post(
            "/api/v1/communities",
            json={
                "area_id": world.ids["area"],
                "name": f"空白小区{bare[-4:]}",
                "code": bare,
                "built_year": 1990,
                "deposit_rate_per_m2": "45.00",
            },
            headers=world.h("bureau"),
        )
    )
    ids = [uuid.UUID(str(r["id"])) for r in await fetch("SELECT id FROM community ORDER BY code")]
    headers = await fund_statement.community_headers(ids)
    together = await fund_statement.build_statements(headers, YEAR)
    alone = [await fund_statement.build_statement(header, YEAR) for header in headers]
    assert together == alone
    kinds = {
        "fund use": any(s.projects and s.projects[0].self_funded == 0 for s in together),
        "self-funded": any(p.self_funded for s in together for p in s.projects),
        "no journal": any(s.chain_seq == 0 and s.households_total for s in together),
        "no households": any(s.households_total == 0 for s in together),
    }
    assert all(kinds.values()), kinds
    owner = await fetch(
        "SELECT owner FROM household WHERE id = {}", uuid.UUID(estate.households["101"])
    )
    owner_id = uuid.UUID(str(owner[0]["owner"]))
    viewed = await fund_statement.build_statements(headers, YEAR, owner_id=owner_id)
    assert viewed == [
        await fund_statement.build_statement(header, YEAR, owner_id=owner_id) for header in headers
    ]
    mine = next(s for s in viewed if str(s.community["id"]) == estate.community)
    assert [line.label.split()[-1] for line in mine.lines] == ["101室", "102室"]
    assert mine.households_total == 3 and mine.owner_view

    def logged() -> Any:
        return fetch(
            "SELECT community, COUNT(*) AS n FROM chain_head_log WHERE reason = 'statement'"
            " GROUP BY community"
        )

    before = {str(r["community"]): int(r["n"]) for r in await logged()}
    made = await statements_html(ids, YEAR)
    after = {str(r["community"]): int(r["n"]) for r in await logged()}
    for community_id, (statement, html) in zip(ids, made, strict=True):
        added = after.get(str(community_id), 0) - before.get(str(community_id), 0)
        assert added == (1 if statement.chain_seq > 0 else 0), statement.community
        assert statement.chain_head in html and statement == together[ids.index(community_id)]
    heads = await fetch(
        "SELECT seq, head_hash FROM chain_head_log WHERE community = {} ORDER BY id DESC",
        uuid.UUID(estate.community),
    )
    shown = together[ids.index(uuid.UUID(estate.community))]
    assert (int(heads[0]["seq"]), str(heads[0]["head_hash"])) == (
        shown.chain_seq,
        shown.chain_head,
    )


def _open_files_and_threads() -> tuple[list[str], int]:
    """In a pool worker: what its file descriptors point at, and its thread count."""
    import threading

    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            found.append(os.readlink(f"/proc/self/fd/{fd}"))
        except OSError:
            continue
    return found, threading.active_count()


@pytest.mark.usefixtures("database")
@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc")
async def test_a_pool_worker_holds_no_database_connection_or_thread_of_the_parent() -> None:
    """The workers fork from a warmed pool server started after the database was opened:
    no socket or database file of this process, one thread, WeasyPrint already warm."""
    import asyncio
    from concurrent.futures import ProcessPoolExecutor

    from service.db import fetch, is_postgres
    from service.reports import publish

    await fetch("SELECT 1 AS one")  # a connection (PostgreSQL: a pooled socket) is open
    parent = set(_open_files_and_threads()[0])
    publish._batches += 1
    try:
        with ProcessPoolExecutor(
            max_workers=1, mp_context=publish.pool_context(), initializer=publish._warm_worker
        ) as pool:
            started = time.perf_counter()
            files, threads = await asyncio.get_running_loop().run_in_executor(
                pool, _open_files_and_threads
            )
            print(f"first answer from a worker after {time.perf_counter() - started:.2f} s")
    finally:
        publish._batches -= 1
        publish._stop_pool_server()
    assert threads == 1
    if is_postgres():
        assert any(f.startswith("socket:") for f in parent)
    shared = {f for f in files if f.startswith("socket:")} & parent
    assert not shared, shared
    assert not [f for f in files if "sqlite" in f], files
