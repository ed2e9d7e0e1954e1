"""Notices: the jobs that send them (once, however often they run), the inbox of an
organisation and of a user (scoped: another's notice is missing), the SMS outbox."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import httpx
import pytest

from jobs.deadlines import contract_ends, warranty_ends
from jobs.fund_notices import first_deposit_reminders, replenishment_notices
from jobs.fund_statements import publish_statements
from jobs.repair_escalation import escalate_overdue
from jobs.runs import Period
from service.clock import now, use_clock
from service.contracts.tables import Contract
from service.db import fetch
from service.notices.outbox import Outgoing, send_due
from tests.funds.conftest import deposit, make_estate, spend
from tests.support import World, add_user, assert_list_contract, created, login, unique
from tests.web.support import csrf_of, signed_in

pytestmark = pytest.mark.usefixtures("database")


@dataclass
class Town:
    community: str
    households: list[str]
    committee_org: str
    component: str
    contract: str


def period(job: str, at: datetime | None = None) -> Period:
    moment = at or now()
    return Period(job, moment.strftime("%Y-%m-%d"), moment)


@pytest.fixture(scope="module")
async def town(client: httpx.AsyncClient, world: World) -> Town:
    """A community of its own with a committee, two owners with logins, one flat below
    30%, one at its first deposit, one that never paid; a live contract ending in 75
    days and a roof whose warranty ends in about 50."""
    bureau = world.h("bureau")
    estate = await make_estate(client, world, areas=("10.00", "10.00", "10.00"))
    committee = await created(
        await client.post(
            "/api/v1/organizations",
            json={"kind": "committee", "name": unique("业委会"), "community_id": estate.community},
            headers=bureau,
        )
    )
    tag = unique("")
    await add_user(client, bureau, username=f"tc-{tag}", role="committee", org_id=committee["id"])
    world.headers["town_committee"] = await login(client, f"tc-{tag}")
    for key, household in (("town_owner", 0), ("town_other", 1)):
        await add_user(
            client,
            bureau,
            username=f"{key}-{tag}",
            role="owner",
            household_ids=[estate.households[household]],
        )
        world.headers[key] = await login(client, f"{key}-{tag}")
    await fetch(
        "UPDATE owner SET phone = '13800138000' WHERE id ="
        " (SELECT owner FROM household WHERE id = {})",
        uuid.UUID(estate.households[0]),
    )
    for household in estate.households[:2]:
        await deposit(client, world, household, "450.00")
    await spend(estate.households[0], 35000)  # 100.00 left, the line is 135.00
    contract = uuid.uuid4()
    await Contract.insert(
        Contract(
            id=contract,
            district=world.district_id,
            community=uuid.UUID(estate.community),
            company=uuid.UUID(world.ids["org_company"]),
            mode="market",
            status="live",
            starts_on=date(2024, 1, 1),
            ends_on=now().date() + timedelta(days=75),
            created_at=now(),
        )
    )
    accepted = now().date().replace(year=now().year - 5) + timedelta(days=50)
    work = await created(
        await client.post(
            "/api/v1/works",
            json={
                "community_id": estate.community,
                "title": "屋面防水改造",
                "contractor_id": world.ids["org_contractor"],
                "accepted_on": accepted.isoformat(),
                "settlement_amount": "100000.00",
                "components": [{"category": "roofing"}],
            },
            headers=bureau,
        )
    )
    return Town(
        estate.community,
        estate.households,
        committee["id"],
        work["components"][0]["id"],
        str(contract),
    )


async def inbox(client: httpx.AsyncClient, world: World, who: str, **params: Any) -> list[dict]:
    response = await client.get("/api/v1/notices", params=params, headers=world.h(who))
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def about(items: list[dict], kind: str, object_id: str) -> list[dict]:
    return [n for n in items if n["kind"] == kind and n["object_id"] == object_id]


async def test_replenishment_reaches_the_owner_and_the_committee_once_with_what_is_owed(
    client: httpx.AsyncClient, world: World, town: Town
) -> None:
    job = period("replenishment-notices")
    first = await replenishment_notices(job)
    assert first["notices"] >= 2
    mine = about(await inbox(client, world, "town_owner"), "replenishment", town.households[0])
    assert len(mine) == 1
    assert "35.00" in mine[0]["body"] and mine[0]["link"] == f"/households/{town.households[0]}"
    summary = about(
        await inbox(client, world, "town_committee"), "replenishment_summary", town.community
    )
    assert len(summary) == 1 and "1 户" in summary[0]["body"] and "35.00" in summary[0]["body"]
    # The other owner (at its first deposit) is told nothing.
    assert (
        about(await inbox(client, world, "town_other"), "replenishment", town.households[1]) == []
    )
    # However often the period runs again, nothing is sent twice.
    again = await replenishment_notices(job)
    assert again["notices"] == 0
    assert (
        len(about(await inbox(client, world, "town_owner"), "replenishment", town.households[0]))
        == 1
    )
    # An owner with a phone gets one SMS in the outbox.
    sms = await fetch(
        "SELECT o.channel, o.address FROM notice_outbox AS o JOIN notice AS n ON n.id = o.notice"
        " WHERE n.id = {}",
        uuid.UUID(mine[0]["id"]),
    )
    assert [(r["channel"], r["address"]) for r in sms] == [("sms", "13800138000")]


async def test_a_flat_that_never_paid_is_reminded_of_its_first_deposit(
    client: httpx.AsyncClient, world: World, town: Town
) -> None:
    counts = await first_deposit_reminders(period("first-deposit-reminders"))
    assert counts["households"] >= 1
    summary = about(
        await inbox(client, world, "town_committee"), "first_deposit_summary", town.community
    )
    assert len(summary) == 1 and "1 户" in summary[0]["body"] and "450.00" in summary[0]["body"]


async def test_a_warranty_ending_is_told_to_bureau_committee_company_and_contractor_once(
    client: httpx.AsyncClient, world: World, town: Town
) -> None:
    await warranty_ends(period("warranty-ends"))
    for who in ("bureau", "town_committee", "company", "contractor"):
        found = about(await inbox(client, world, who), "warranty_end", town.component)
        assert len(found) == 1, who
        assert "90 天内" in found[0]["title"]
    # The next day's run is the same 90-day reminder: not sent again.
    await warranty_ends(period("warranty-ends", now() + timedelta(days=1)))
    assert (
        len(about(await inbox(client, world, "town_committee"), "warranty_end", town.component))
        == 1
    )
    # Thirty days before the end comes the second reminder.
    await warranty_ends(period("warranty-ends", now() + timedelta(days=25)))
    titles = sorted(
        n["title"]
        for n in about(await inbox(client, world, "town_committee"), "warranty_end", town.component)
    )
    assert len(titles) == 2 and "30 天内" in titles[0]


async def test_a_contract_ending_is_told_to_company_committee_and_bureau(
    client: httpx.AsyncClient, world: World, town: Town
) -> None:
    await contract_ends(period("contract-ends"))
    for who in ("company", "town_committee", "bureau"):
        found = about(await inbox(client, world, who), "contract_end", town.contract)
        assert len(found) == 1 and "90 天内" in found[0]["title"], who
    await contract_ends(period("contract-ends", now() + timedelta(days=20)))
    found = about(await inbox(client, world, "town_committee"), "contract_end", town.contract)
    assert sorted(n["title"].split()[1] for n in found) == ["60", "90"]


async def test_an_overdue_repair_is_told_to_the_bureau(
    client: httpx.AsyncClient, world: World, town: Town
) -> None:
    ticket = await created(
        await client.post(
            "/api/v1/repairs",
            json={
                "community_id": town.community,
                "category": "plumbing",
                "description": "主水管爆裂",
                "urgency": "emergency",
            },
            headers=world.h("town_committee"),
        )
    )
    counts = await escalate_overdue(period("repair-escalation", now() + timedelta(days=3)))
    assert counts["escalated"] >= 1
    assert len(about(await inbox(client, world, "bureau"), "repair_overdue", ticket["id"])) == 1
    again = await escalate_overdue(period("repair-escalation", now() + timedelta(days=4)))
    assert again["escalated"] == 0
    assert len(about(await inbox(client, world, "bureau"), "repair_overdue", ticket["id"])) == 1


async def test_another_users_notice_is_missing_and_ones_own_is_marked_read(
    client: httpx.AsyncClient, world: World, town: Town
) -> None:
    await replenishment_notices(period("replenishment-notices"))
    notice = about(await inbox(client, world, "town_owner"), "replenishment", town.households[0])[0]
    for who in ("town_other", "town_committee", "owner1", "company"):
        answer = await client.post(f"/api/v1/notices/{notice['id']}/read", headers=world.h(who))
        assert answer.status_code == 404, who
    for bad in (str(uuid.uuid4()), "not-an-id"):
        answer = await client.post(f"/api/v1/notices/{bad}/read", headers=world.h("town_owner"))
        assert answer.status_code == 404
    assert notice["read_at"] is None
    read = await client.post(f"/api/v1/notices/{notice['id']}/read", headers=world.h("town_owner"))
    assert read.status_code == 200 and read.json()["read_at"] is not None
    again = await client.post(f"/api/v1/notices/{notice['id']}/read", headers=world.h("town_owner"))
    assert again.json()["read_at"] == read.json()["read_at"]
    unread = await inbox(client, world, "town_owner", unread="true")
    assert notice["id"] not in {n["id"] for n in unread}


async def test_the_inbox_is_newest_first_in_pages(
    client: httpx.AsyncClient, world: World, town: Town
) -> None:
    await warranty_ends(period("warranty-ends"))
    await replenishment_notices(period("replenishment-notices"))
    await contract_ends(period("contract-ends"))
    everything = await inbox(client, world, "town_committee", limit=500)
    assert len(everything) >= 3
    stamps = [n["created_at"] for n in everything]
    assert stamps == sorted(stamps, reverse=True)
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 1}
        if cursor:
            params["cursor"] = cursor
        page = await client.get("/api/v1/notices", params=params, headers=world.h("town_committee"))
        assert page.status_code == 200
        seen += [n["id"] for n in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if not cursor:
            break
    assert seen == [n["id"] for n in everything]


async def test_the_outbox_sends_each_message_once_and_retries_a_failure(
    client: httpx.AsyncClient, world: World, town: Town
) -> None:
    await replenishment_notices(period("replenishment-notices"))
    notice = about(await inbox(client, world, "town_owner"), "replenishment", town.households[0])[0]
    sent: list[Outgoing] = []

    async def down(message: Outgoing) -> None:
        raise ConnectionError("gateway down")

    async def up(message: Outgoing) -> None:
        sent.append(message)

    mine = "SELECT status, attempts FROM notice_outbox WHERE notice = {}"
    ours = [uuid.UUID(notice["id"])]
    await send_due(sender=down, notice_ids=ours)
    rows = await fetch(mine, uuid.UUID(notice["id"]))
    assert [(r["status"], r["attempts"]) for r in rows] == [("pending", 1)]
    await send_due(sender=up, notice_ids=ours)  # the backoff has not passed
    assert not [m for m in sent if m.title == notice["title"]]
    later = now() + timedelta(minutes=2)
    with use_clock(lambda: later):
        await send_due(sender=up, notice_ids=ours)
        await send_due(sender=up, notice_ids=ours)
    mine_sent = [m for m in sent if m.title == notice["title"]]
    assert len(mine_sent) == 1
    assert mine_sent[0].address == "13800138000"
    rows = await fetch(mine, uuid.UUID(notice["id"]))
    assert [(r["status"], r["attempts"]) for r in rows] == [("sent", 2)]


async def test_the_yearly_statement_is_published_with_its_pdf(
    client: httpx.AsyncClient, world: World, town: Town
) -> None:
    job = Period(
        "fund-statements", "2032-01-02T06:00", datetime.fromisoformat("2032-01-02T06:00+08:00")
    )
    counts = await publish_statements(job, [uuid.UUID(town.community)])
    assert counts["statements"] == 1
    found = about(await inbox(client, world, "town_committee"), "fund_statement", town.community)
    assert len(found) == 1 and "2031年度" in found[0]["title"]
    assert about(await inbox(client, world, "town_owner"), "fund_statement", town.community)
    pdf = await client.get(found[0]["attachment_url"], headers=world.h("town_committee"))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    foreign = await client.get(found[0]["attachment_url"], headers=world.h("committee"))
    assert foreign.status_code == 404
    assert (await publish_statements(job, [uuid.UUID(town.community)]))["statements"] == 0


async def test_one_communitys_failed_statement_holds_back_no_other(
    client: httpx.AsyncClient, world: World, town: Town, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The yearly job: a community whose statement cannot be rendered fails the run by
    name after every other community's statement went out; the retry does only it."""
    import jobs.fund_statements as job_module

    job = Period(
        "fund-statements", "2033-01-02T06:00", datetime.fromisoformat("2033-01-02T06:00+08:00")
    )
    other = uuid.UUID(world.ids["CA"])
    proper = job_module._file_name

    def broken(statement: Any) -> str:
        name = proper(statement)
        return f"missing/{name}" if str(statement.community["id"]) == town.community else name

    def of_2032(items: list[dict], community: str) -> list[dict]:
        return [n for n in about(items, "fund_statement", community) if "2032年度" in n["title"]]

    monkeypatch.setattr(job_module, "_file_name", broken)
    with pytest.raises(job_module.StatementsFailed) as failed:
        await publish_statements(job, [uuid.UUID(town.community), other])
    assert town.community in str(failed.value)
    assert not of_2032(await inbox(client, world, "town_committee"), town.community)
    assert of_2032(await inbox(client, world, "committee"), str(other))

    monkeypatch.setattr(job_module, "_file_name", proper)
    counts = await publish_statements(job, [uuid.UUID(town.community), other])
    assert counts["statements"] == 1  # the other community's notices went out already
    assert of_2032(await inbox(client, world, "town_committee"), town.community)


async def test_the_inbox_page_lists_the_notices_and_marks_one_read(
    app: Any, client: httpx.AsyncClient, world: World, town: Town
) -> None:
    await replenishment_notices(period("replenishment-notices"))
    summary = about(
        await inbox(client, world, "town_committee", unread="true"),
        "replenishment_summary",
        town.community,
    )
    page = await signed_in(app, client, world, "town_committee")
    try:
        listing = await page.get("/notices")
        assert listing.status_code == 200
        assert "维修资金需续交" in listing.text and 'href="/notices"' in listing.text
        if summary:  # still unread: the page's form marks it read and opens its object
            token = await csrf_of(page, "/notices")
            answer = await page.post(
                f"/notices/{summary[0]['id']}/read", data={"csrf_token": token}
            )
            assert answer.status_code == 303
            assert answer.headers["location"] == f"/communities/{town.community}"
            unread = await inbox(client, world, "town_committee", unread="true")
            assert summary[0]["id"] not in {n["id"] for n in unread}
        foreign = await page.post(
            f"/notices/{uuid.uuid4()}/read", data={"csrf_token": await csrf_of(page, "/notices")}
        )
        assert foreign.status_code == 404
        bare = await page.post(f"/notices/{uuid.uuid4()}/read", data={})
        assert bare.status_code == 403  # no form token
    finally:
        await page.aclose()


async def test_the_bureau_reads_the_job_runs(client: httpx.AsyncClient, world: World) -> None:
    from jobs.runs import execute

    async def work(_: Period) -> dict[str, int]:
        return {"checked": 3}

    await execute("api-probe", unique("p-"), work)
    runs = await client.get("/api/v1/jobs/runs?job=api-probe", headers=world.h("bureau"))
    assert runs.status_code == 200
    assert runs.json()["items"][0]["counts"] == {"checked": 3}
    assert runs.json()["items"][0]["status"] == "done"
    jobs = await assert_list_contract(client, "/api/v1/jobs", world.h("auditor"), key="name")
    assert "warranty-ends" in {j["name"] for j in jobs}
    assert [j["name"] for j in jobs] == sorted(j["name"] for j in jobs)
    for who in ("company", "committee", "owner1"):
        for path in ("/api/v1/jobs", "/api/v1/jobs/runs"):
            answer = await client.get(path, headers=world.h(who))
            assert answer.status_code == 403
    bad = await client.get("/api/v1/jobs/runs?status=lost", headers=world.h("bureau"))
    assert bad.status_code == 422


async def test_the_nightly_verification_witnesses_heads_and_tells_the_bureau_of_drift(
    client: httpx.AsyncClient, world: World, town: Town
) -> None:
    from jobs.ledger_check import verify_ledgers

    ours = [uuid.UUID(town.community)]
    counts = await verify_ledgers(period("ledger-verification"), ours)
    assert (counts["communities"], counts["failed"]) == (1, 0)
    seen = await fetch(
        "SELECT COUNT(*) AS n FROM chain_head_log WHERE community = {} AND reason = 'daily'",
        ours[0],
    )
    assert int(seen[0]["n"]) >= 1
    tamper = "UPDATE fund_account SET principal_fen = principal_fen + {} WHERE household = {}"
    await fetch(tamper, 1, uuid.UUID(town.households[1]))
    try:
        night = period("ledger-verification", now() + timedelta(days=1))
        assert (await verify_ledgers(night, ours))["failed"] == 1
    finally:
        await fetch(tamper, -1, uuid.UUID(town.households[1]))
    drift = about(await inbox(client, world, "bureau"), "ledger_drift", town.community)
    assert len(drift) == 1 and "不一致" in drift[0]["title"]
    assert about(await inbox(client, world, "town_committee"), "ledger_drift", town.community) == []


async def test_a_vote_closes_on_its_published_date_and_the_committee_is_told(
    client: httpx.AsyncClient, world: World, town: Town
) -> None:
    from jobs.vote_closings import close_due_votes

    closes = now().date() + timedelta(days=3)
    use = await created(
        await client.post(
            "/api/v1/fund-uses",
            json={
                "community_id": town.community,
                "title": "更换楼道给水立管",
                "description": "立管锈蚀渗漏",
                "estimated_cost": "3000.00",
                "household_ids": town.households,
                "component": "plumbing",
                "vote_closes_on": closes.isoformat(),
            },
            headers=world.h("town_committee"),
        )
    )
    assert use["status"] == "voting"
    ours = [uuid.UUID(use["id"])]
    assert (await close_due_votes(period("vote-closings"), ours))["closed"] == 0  # still open
    later = now() + timedelta(days=4)
    with use_clock(lambda: later):
        assert (await close_due_votes(period("vote-closings", later), ours))["closed"] == 1
        assert (await close_due_votes(period("vote-closings", later), ours))["closed"] == 0
    detail = await client.get(f"/api/v1/fund-uses/{use['id']}", headers=world.h("bureau"))
    assert detail.json()["status"] == "rejected"  # nobody voted: no quorum
    told = about(await inbox(client, world, "town_committee"), "vote_closed", use["id"])
    assert len(told) == 1 and "未通过" in told[0]["title"]


async def test_rating_quarters_open_on_schedule_and_their_reminders_go_out_once() -> None:
    from jobs.rating_reminders import open_quarters, quarter_of, rating_reminders
    from service.registry.tables import District, Organization

    district = uuid.uuid4()
    await District.insert(District(id=district, name="测试区", code=unique("RQ")))
    bureau, committee = uuid.uuid4(), uuid.uuid4()
    await Organization.insert(
        Organization(id=bureau, district=district, kind="bureau", name="住建局", created_at=now()),
        Organization(
            id=committee, district=district, kind="committee", name="业委会", created_at=now()
        ),
    )
    day = date(2031, 8, 15)
    assert quarter_of(day) == ("2031年第3季度", date(2031, 7, 1), date(2031, 9, 30))
    assert quarter_of(date(2031, 12, 31))[1:] == (date(2031, 10, 1), date(2031, 12, 31))
    assert await open_quarters(day, [district]) == 1
    assert await open_quarters(day + timedelta(days=1), [district]) == 0
    rows = await fetch(
        "SELECT name, starts_on, ends_on, status FROM rating_period WHERE district = {}", district
    )
    assert [(r["name"], r["status"]) for r in rows] == [("2031年第3季度", "open")]

    async def kinds(org: uuid.UUID) -> list[str]:
        found = await fetch(
            "SELECT kind, title FROM notice WHERE recipient_org = {} ORDER BY title", org
        )
        return sorted(str(r["kind"]) for r in found)

    def on(day: date) -> Period:
        moment = datetime(day.year, day.month, day.day, 8, 15, tzinfo=now().tzinfo)
        return Period("rating-periods", day.isoformat(), moment)

    for when in (date(2031, 7, 2), date(2031, 7, 3)):  # the period is announced once
        await rating_reminders(on(when), [district])
    assert await kinds(committee) == ["rating_open"]
    await rating_reminders(on(date(2031, 9, 25)), [district])
    await rating_reminders(on(date(2031, 10, 2)), [district])  # over, not finalised
    assert await kinds(bureau) == ["rating_close", "rating_close"]
    quarters = await fetch("SELECT name FROM rating_period WHERE district = {}", district)
    assert sorted(r["name"] for r in quarters) == ["2031年第3季度", "2031年第4季度"]
