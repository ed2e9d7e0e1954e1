"""Competing contract steps (issue 11 item 1): every state change locks the contract row
and rechecks its state, so of two steps fired at once exactly one wins, the other gets
409, and the final state agrees with the answers given. Several rounds of each pair."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any

import httpx

from service.clock import today
from service.contracts.tables import Contract, HandoverRecord
from tests.contracts.estate import (
    DECISIONS,
    contract_body,
    make_company,
    make_contract,
    make_estate,
    pass_decision,
)
from tests.support import World, created

API = "/api/v1/contracts"
ROUNDS = 5


async def withdraw_notice(contract_id: str) -> None:
    """Back to a no-fixed-term contract with no notice, for the next round."""
    await Contract.update(
        {
            Contract.ends_on: None,
            Contract.notice_given_on: None,
            Contract.notice_by: "",
            Contract.dismissal_id: None,
            Contract.end_reason: "",
        }
    ).where(Contract.id == contract_id)


def one_winner(answers: list[httpx.Response], ok: int = 200) -> int:
    """The index of the single answer that succeeded; the other is a 409."""
    codes = [r.status_code for r in answers]
    assert sorted(codes) == sorted([ok, 409]), [r.text for r in answers]
    return codes.index(ok)


async def test_two_notices_at_once_one_from_each_side_exactly_one_is_taken(
    client: httpx.AsyncClient, world: World
) -> None:
    estate = await make_estate(client, world)
    contract = await make_contract(
        client, world, estate, starts_on="2022-01-01", ends_on="2025-12-31"
    )
    path = f"{API}/{contract['id']}"
    assert (await client.post(f"{path}/continue", headers=world.h("bureau"))).status_code == 200
    dismissal = await pass_decision(client, estate, "dismiss", contract_id=contract["id"])
    for _ in range(ROUNDS):
        await withdraw_notice(contract["id"])
        company_day = today() - timedelta(days=1)
        answers = await asyncio.gather(
            client.post(
                f"{path}/terminate",
                json={"notice_given_on": company_day.isoformat()},
                headers=estate.company_h,
            ),
            client.post(
                f"{path}/terminate",
                json={"notice_given_on": today().isoformat(), "decision_id": dismissal["id"]},
                headers=estate.committee_h,
            ),
        )
        winner = one_winner(list(answers))
        final = (await client.get(path, headers=world.h("bureau"))).json()
        assert final["notice_by"] == ("company", "owners")[winner]
        day = (company_day, today())[winner]
        assert final["notice_given_on"] == day.isoformat()
        assert final["ends_on"] == (day + timedelta(days=60)).isoformat()


async def test_the_same_notice_twice_at_once_is_taken_once(
    client: httpx.AsyncClient, world: World
) -> None:
    estate = await make_estate(client, world)
    contract = await make_contract(
        client, world, estate, starts_on="2022-01-01", ends_on="2025-12-31"
    )
    path = f"{API}/{contract['id']}"
    await client.post(f"{path}/continue", headers=world.h("bureau"))
    for _ in range(ROUNDS):
        await withdraw_notice(contract["id"])
        body = {"notice_given_on": today().isoformat()}
        answers = await asyncio.gather(
            client.post(f"{path}/terminate", json=body, headers=estate.company_h),
            client.post(f"{path}/terminate", json=body, headers=estate.company_h),
        )
        one_winner(list(answers))
        rows = await Contract.select(Contract.end_reason).where(Contract.id == contract["id"])
        assert rows[0]["end_reason"] == "terminated"


async def test_two_overlapping_drafts_filed_at_once_exactly_one_goes_live(
    client: httpx.AsyncClient, world: World
) -> None:
    estate = await make_estate(client, world)
    other_company, _ = await make_company(client, world)
    drafts: list[dict[str, Any]] = []
    for company in (estate.company, other_company):
        chosen = await pass_decision(client, estate, company_id=company)
        drafts.append(
            await created(
                await client.post(
                    API,
                    json=contract_body(estate, company_id=company, decision_id=chosen["id"]),
                    headers=estate.committee_h,
                )
            )
        )
    for _ in range(ROUNDS):
        await Contract.update({Contract.status: "draft"}).where(
            Contract.community == estate.community
        )
        answers = await asyncio.gather(
            *(client.post(f"{API}/{d['id']}/activate", headers=world.h("bureau")) for d in drafts)
        )
        winner = one_winner(list(answers))
        live = await Contract.select(Contract.id).where(
            (Contract.community == estate.community) & (Contract.status == "live")
        )
        assert [str(r["id"]) for r in live] == [drafts[winner]["id"]]


async def test_one_draft_filed_twice_at_once_goes_live_once(
    client: httpx.AsyncClient, world: World
) -> None:
    estate = await make_estate(client, world)
    chosen = await pass_decision(client, estate)
    draft = await created(
        await client.post(
            API,
            json=contract_body(estate, decision_id=chosen["id"]),
            headers=estate.committee_h,
        )
    )
    for _ in range(ROUNDS):
        await Contract.update({Contract.status: "draft"}).where(Contract.id == draft["id"])
        answers = await asyncio.gather(
            client.post(f"{API}/{draft['id']}/activate", headers=world.h("bureau")),
            client.post(f"{API}/{draft['id']}/activate", headers=world.h("bureau")),
        )
        one_winner(list(answers))
        final = (await client.get(f"{API}/{draft['id']}", headers=world.h("bureau"))).json()
        assert final["status"] == "live"


async def test_continue_and_end_of_one_expired_term_at_once_exactly_one_acts(
    client: httpx.AsyncClient, world: World
) -> None:
    estate = await make_estate(client, world)
    contract = await make_contract(
        client, world, estate, starts_on="2022-01-01", ends_on="2025-12-31"
    )
    path = f"{API}/{contract['id']}"
    for _ in range(ROUNDS):
        await Contract.update(
            {Contract.ends_on: date(2025, 12, 31), Contract.fixed_term_ended_on: None}
        ).where(Contract.id == contract["id"])
        answers = await asyncio.gather(
            client.post(f"{path}/continue", headers=world.h("bureau")),
            client.post(f"{path}/end", headers=world.h("bureau")),
        )
        one_winner(list(answers))
        final = (await client.get(path, headers=world.h("bureau"))).json()
        assert (final["status"], final["ends_on"], final["fixed_term_ended_on"]) == (
            "live",
            None,
            "2025-12-31",
        )


async def test_one_side_confirming_the_hand_over_twice_at_once_is_taken_once(
    client: httpx.AsyncClient, world: World
) -> None:
    estate = await make_estate(client, world)
    contract = await make_contract(
        client, world, estate, starts_on="2022-01-01", ends_on="2025-06-30"
    )
    await Contract.update({Contract.notice_given_on: today() - timedelta(days=600)}).where(
        Contract.id == contract["id"]
    )
    path = f"{API}/{contract['id']}"
    assert (await client.post(f"{path}/end", headers=world.h("bureau"))).json()[
        "status"
    ] == "handover"
    written = await client.put(
        f"{path}/handover", json={"keys": ["配电房钥匙"]}, headers=estate.company_h
    )
    assert written.status_code == 200
    for _ in range(ROUNDS):
        await HandoverRecord.update({HandoverRecord.incoming_confirmed_at: None}).where(
            HandoverRecord.contract == contract["id"]
        )
        answers = await asyncio.gather(
            *(
                client.post(
                    f"{path}/handover/confirm",
                    json={"side": "incoming"},
                    headers=estate.committee_h,
                )
                for _ in range(2)
            )
        )
        winner = one_winner(list(answers))
        record = (await client.get(f"{path}/handover", headers=world.h("bureau"))).json()
        assert record["incoming_confirmed_at"] is not None
        assert record["incoming_confirmed_at"] == answers[winner].json()["incoming_confirmed_at"]


async def test_a_ballot_racing_the_close_is_counted_or_refused(
    client: httpx.AsyncClient, world: World
) -> None:
    estate = await make_estate(client, world)
    for _ in range(ROUNDS):
        decision = await created(
            await client.post(
                DECISIONS,
                json={
                    "community_id": estate.community,
                    "kind": "choose",
                    "mode": "market",
                    "company_id": estate.company,
                },
                headers=estate.committee_h,
            )
        )
        url = f"{DECISIONS}/{decision['id']}"
        ballot, closed = await asyncio.gather(
            client.post(
                f"{url}/ballots",
                json={"household_id": estate.households[0], "choice": "yes"},
                headers=estate.owner_h,
            ),
            client.post(f"{url}/close", headers=estate.committee_h),
        )
        assert closed.status_code == 200, closed.text
        assert ballot.status_code in (201, 409)
        counted = closed.json()["tally"]["voted_owners"]
        assert counted == (1 if ballot.status_code == 201 else 0)
        again = await created(
            await client.post(
                DECISIONS,
                json={"community_id": estate.community, "kind": "choose", "mode": "self"},
                headers=estate.committee_h,
            )
        )
        closes = await asyncio.gather(
            client.post(f"{DECISIONS}/{again['id']}/close", headers=estate.committee_h),
            client.post(f"{DECISIONS}/{again['id']}/close", headers=world.h("bureau")),
        )
        winner = one_winner(list(closes))
        final = (await client.get(f"{DECISIONS}/{again['id']}", headers=world.h("bureau"))).json()
        assert final["closed_at"] == closes[winner].json()["closed_at"]
