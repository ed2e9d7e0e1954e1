"""First deposits for a whole district at once (the demo seed's path)."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from service import db
from service.clock import DISTRICT_ZONE, now, today, use_clock
from service.db import fetch, is_postgres
from service.errors import Conflict
from service.funds import batches, ledger, schemas, service
from service.funds.tables import FundEntry
from service.registry.tables import Area, Building, Community, District
from tests.funds.conftest import bulk_households
from tests.support import bureau_caller


async def make_district() -> tuple[uuid.UUID, dict[uuid.UUID, list[uuid.UUID]]]:
    """A district of its own: two communities (45.00 and 78.00 yuan/m²), three flats each."""
    district = District(name="测试区", code=f"D{uuid.uuid4().hex[:12]}")
    await district.save()
    area = Area(district=district.id, name="片区", code="A1", created_at=now())
    await area.save()
    households: dict[uuid.UUID, list[uuid.UUID]] = {}
    for code, rate in (("C1", 4500), ("C2", 7800)):
        community = Community(
            district=district.id,
            area=area.id,
            name=code,
            code=code,
            built_year=1990,
            deposit_rate_fen=rate,
            created_at=now(),
        )
        await community.save()
        building = Building(community=community.id, name="1", floors=6, created_at=now())
        await building.save()
        households[community.id] = await bulk_households(
            district.id, community.id, building.id, ["72.15", "60.00", "0.01"]
        )
    return district.id, households


async def test_every_household_without_one_gets_its_first_deposit_once(
    client: httpx.AsyncClient,
) -> None:
    district, households = await make_district()
    c1, c2 = list(households)
    caller = bureau_caller(district)
    await service.deposit(
        caller,
        schemas.DepositIn(
            household_id=households[c1][0],
            amount=Decimal("100.00"),
            kind="first",
            paid_on=date(2026, 1, 1),
        ),
    )
    assert await batches.post_first_deposits_for_district(district) == 5
    assert await batches.post_first_deposits_for_district(district) == 0
    rows = await fetch(
        "SELECT household, principal_fen, first_deposit_fen FROM fund_account"
        " WHERE district = {} AND kind = 'household'",
        district,
    )
    got = {
        uuid.UUID(str(r["household"])): (int(r["principal_fen"]), int(r["first_deposit_fen"]))
        for r in rows
    }
    assert got == {
        households[c1][0]: (10000, 10000),  # paid before, untouched
        households[c1][1]: (270000, 270000),  # 45.00 × 60.00
        households[c1][2]: (45, 45),  # 45.00 × 0.01 = 0.45
        households[c2][0]: (562770, 562770),  # 78.00 × 72.15 = 5627.70
        households[c2][1]: (468000, 468000),
        households[c2][2]: (78, 78),
    }
    for community in (c1, c2):
        assert (await ledger.verify(community)).ok
    assert await FundEntry.count().where(FundEntry.community == c2) == 1


async def test_the_district_interest_run_is_all_or_nothing(client: httpx.AsyncClient) -> None:
    district, households = await make_district()
    c1, c2 = list(households)
    caller = bureau_caller(district)
    # first deposits are dated today: this year's period counts them
    year = str(today().year)
    await batches.post_first_deposits_for_community(district, c1)
    with pytest.raises(Conflict):  # c2 has no balance to split over
        await batches.allocate_interest_for_district(caller, year, {c1: 100, c2: 100})
    assert not await FundEntry.exists().where(
        FundEntry.community.is_in([c1, c2]) & (FundEntry.kind == "interest")
    )
    await batches.post_first_deposits_for_community(district, c2)
    done = await batches.allocate_interest_for_district(caller, year, {c1: 100, c2: 250})
    assert sorted(d.allocated for d in done) == ["1.00", "2.50"]
    for community in (c1, c2):
        assert (await ledger.verify(community)).ok


async def test_a_run_crossing_midnight_dates_its_entries_once_and_never_after_posting(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch takes one value date for the whole run, before any entry's posting time:
    under a clock that moves a day at every reading, and with every community written as
    a group of its own while the next is made (``post_overlapped``), the run's entries
    share one value date and none is posted before the day it is dated."""
    district, households = await make_district()
    c1, c2 = list(households)
    caller = bureau_caller(district)
    monkeypatch.setattr(ledger, "OVERLAP_GROUP_LINES", 1)
    readings = [0]

    def a_day_a_reading() -> datetime:
        readings[0] += 1
        return datetime(2031, 6, 1, 12, tzinfo=DISTRICT_ZONE) + timedelta(days=readings[0])

    with use_clock(a_day_a_reading):
        assert await batches.post_first_deposits_for_district(district) == 6
        await batches.allocate_interest_for_district(caller, "2031", {c1: 100, c2: 250})
    rows = await fetch(
        "SELECT kind, value_date, posted_at FROM fund_entry WHERE community IN ({}, {})",
        c1,
        c2,
    )
    for kind in ("first_deposit", "interest"):
        ours = [r for r in rows if r["kind"] == kind]
        assert len(ours) == 2
        dated = {_date(r["value_date"]) for r in ours}
        assert len(dated) == 1, (kind, dated)
        for r in ours:
            posted = r["posted_at"]
            if not isinstance(posted, datetime):
                posted = datetime.fromisoformat(posted)  # SQLite keeps the text
            assert posted.astimezone(DISTRICT_ZONE).date() >= min(dated), (kind, r)
    for community in (c1, c2):
        assert (await ledger.verify(community)).ok


def _date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


async def test_a_district_batch_runs_under_the_batch_settings_until_its_end(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL the first deposits and the interest run of a district write their
    journal with ``db.BATCH_SETTINGS`` (no JIT compiling, room for hash aggregates), and
    those settings end with the batch's transaction: the next statement runs with the
    server's own. Its group writes are planned generically (``db.batch_writes``), its
    reads before them and its statements after them as usual. SQLite has no such
    settings; the batches run the same. On both, each batch writes its journal with
    Python's cyclic collector paused (``service.collector``: its rows live until it
    ends), on again after it."""
    import gc

    district, households = await make_district()
    c1, c2 = list(households)
    caller = bureau_caller(district)
    postgres = is_postgres()
    read = "SELECT current_setting('jit') AS jit, current_setting('work_mem') AS work_mem"
    before = dict((await fetch(read))[0]) if postgres else None
    seen: list[dict[str, str]] = []
    collecting: list[bool] = []
    plans = "SELECT current_setting('plan_cache_mode') AS mode"
    planner = (await fetch(plans))[0]["mode"] if postgres else None
    read_plans: list[str] = []
    after_writes: list[str] = []
    post_overlapped = ledger.post_overlapped

    async def watched(drafts: Any) -> Any:
        collecting.append(gc.isenabled())
        if postgres:
            seen.append(dict((await fetch(read))[0]))
            read_plans.append((await fetch(plans))[0]["mode"])
        posted = await post_overlapped(drafts)
        if postgres:  # the batch's later statements (marks, audit) planned as before
            after_writes.append((await fetch(plans))[0]["mode"])
        return posted

    planned: list[str] = []
    write = ledger.Postings.write

    async def watched_write(self: ledger.Postings, **kwargs: Any) -> Any:
        if postgres:
            planned.append((await fetch(plans))[0]["mode"])
        return await write(self, **kwargs)

    monkeypatch.setattr(ledger, "post_overlapped", watched)
    monkeypatch.setattr(ledger.Postings, "write", watched_write)
    assert planner != "force_generic_plan"
    assert await batches.post_first_deposits_for_district(district) == 6
    await batches.allocate_interest_for_district(caller, str(today().year), {c1: 100, c2: 250})
    assert collecting == [False, False] and gc.isenabled()
    if postgres:
        assert seen == [db.BATCH_SETTINGS, db.BATCH_SETTINGS]
        assert before is not None and before != db.BATCH_SETTINGS
        assert dict((await fetch(read))[0]) == before
        # Each batch's reads planned as usual, its group writes generically, and what it
        # runs after them (and the next transaction) as usual again.
        assert read_plans == [planner, planner]
        assert planned == ["force_generic_plan", "force_generic_plan"]
        assert after_writes == [planner, planner]
        assert (await fetch(plans))[0]["mode"] == planner
    for community in (c1, c2):
        assert (await ledger.verify(community)).ok
