"""Issue 10 item 1, through the API: either side ends a no-fixed-term contract on 60 days'
notice (Civil Code art. 948), a term that ends without a successor is handed over with the
old company still serving and paid (arts. 949-950), the owners' decision (or the bureau's
placement) behind every committee step (art. 278), and owners' self-management."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

import httpx

from service.clock import today
from service.contracts.service import advance, sweep_expired_terms
from service.contracts.tables import Contract
from service.db import transaction
from tests.contracts.estate import (
    DECISIONS,
    Estate,
    contract_body,
    finish_handover,
    make_company,
    make_contract,
    make_estate,
    pass_decision,
)
from tests.ratings.flow import make_period, rate, scores
from tests.support import World, add_household, created, make_id_no, unique

API = "/api/v1/contracts"


async def no_fixed_term(client: httpx.AsyncClient, world: World, estate: Estate) -> dict[str, Any]:
    """A contract whose fixed term ran out and that continues without one (art. 948)."""
    contract = await make_contract(
        client, world, estate, starts_on="2022-01-01", ends_on="2025-12-31"
    )
    continued = await client.post(f"{API}/{contract['id']}/continue", headers=world.h("bureau"))
    assert continued.status_code == 200, continued.text
    assert continued.json()["no_fixed_term"] is True
    result: dict[str, Any] = continued.json()
    return result


async def repair(client: httpx.AsyncClient, estate: Estate) -> dict[str, Any]:
    """A routine repair of a common part (no renovation work covers it)."""
    return await created(
        await client.post(
            "/api/v1/repairs",
            json={
                "community_id": estate.community,
                "building_id": estate.building,
                "category": "other",
                "description": "楼道灯不亮",
                "part": "common",
            },
            headers=estate.committee_h,
        )
    )


async def advance_on(contract_id: str, on: date) -> None:
    """What the daily sweep does to one contract on ``on`` (a later day, without moving
    the other tests' contracts)."""
    async with transaction():
        row = await Contract.select().where(Contract.id == contract_id).first()
        assert row is not None
        await advance(None, row, on)


# --- art. 948 para 2: either side, 60 days ------------------------------------------


async def test_a_company_ends_a_no_fixed_term_contract_on_sixty_days_notice(
    client: httpx.AsyncClient, world: World
) -> None:
    estate = await make_estate(client, world)
    contract = await no_fixed_term(client, world, estate)
    notice = today() - timedelta(days=3)
    given = await client.post(
        f"{API}/{contract['id']}/terminate",
        json={"notice_given_on": notice.isoformat()},
        headers=estate.company_h,
    )
    assert given.status_code == 200, given.text
    body = given.json()
    assert body["status"] == "live"
    assert body["notice_given_on"] == notice.isoformat()
    assert body["notice_by"] == "company"
    assert body["ends_on"] == (notice + timedelta(days=60)).isoformat()
    assert body["end_reason"] == "terminated"
    # One notice at a time: the owners' side cannot give a second one now.
    dismissal = await pass_decision(client, estate, "dismiss", contract_id=contract["id"])
    again = await client.post(
        f"{API}/{contract['id']}/terminate",
        json={"notice_given_on": notice.isoformat(), "decision_id": dismissal["id"]},
        headers=estate.committee_h,
    )
    assert again.status_code == 409
    assert "已有解除通知" in again.json()["detail"]


async def test_a_company_cannot_end_a_fixed_term_early(
    client: httpx.AsyncClient, world: World
) -> None:
    estate = await make_estate(client, world)
    contract = await make_contract(client, world, estate, starts_on="2026-01-01")
    response = await client.post(
        f"{API}/{contract['id']}/terminate",
        json={"notice_given_on": today().isoformat(), "ends_on": "2027-06-30"},
        headers=estate.company_h,
    )
    assert response.status_code == 409
    assert "第九百四十七条" in response.json()["detail"]


async def test_a_notice_ending_before_sixty_days_is_refused_and_a_later_end_taken(
    client: httpx.AsyncClient, world: World
) -> None:
    estate = await make_estate(client, world)
    contract = await no_fixed_term(client, world, estate)
    notice = today()
    short = await client.post(
        f"{API}/{contract['id']}/terminate",
        json={
            "notice_given_on": notice.isoformat(),
            "ends_on": (notice + timedelta(days=59)).isoformat(),
        },
        headers=estate.company_h,
    )
    assert short.status_code == 422
    assert short.json()["errors"][0]["field"] == "ends_on"
    later = await client.post(
        f"{API}/{contract['id']}/terminate",
        json={
            "notice_given_on": notice.isoformat(),
            "ends_on": (notice + timedelta(days=90)).isoformat(),
        },
        headers=estate.company_h,
    )
    assert later.status_code == 200, later.text
    assert later.json()["ends_on"] == (notice + timedelta(days=90)).isoformat()


async def test_another_company_cannot_give_notice_on_a_contract_not_its_own(
    client: httpx.AsyncClient, world: World
) -> None:
    estate = await make_estate(client, world)
    contract = await no_fixed_term(client, world, estate)
    _, stranger = await make_company(client, world)
    response = await client.post(
        f"{API}/{contract['id']}/terminate",
        json={"notice_given_on": today().isoformat()},
        headers=stranger,
    )
    assert response.status_code == 404


# --- arts. 949-950: hand-over ------------------------------------------------------


async def test_a_term_ending_without_successor_is_handed_over_and_the_company_still_serves(
    client: httpx.AsyncClient, world: World
) -> None:
    estate = await make_estate(client, world)
    end = today() - timedelta(days=40)
    contract = await make_contract(
        client, world, estate, starts_on="2024-01-01", ends_on=end.isoformat()
    )
    await Contract.update({Contract.notice_given_on: end - timedelta(days=120)}).where(
        Contract.id == contract["id"]
    )
    await sweep_expired_terms(today())
    row = (await client.get(f"{API}/{contract['id']}", headers=world.h("bureau"))).json()
    assert row["status"] == "handover"
    assert row["handover_since"] == (end + timedelta(days=1)).isoformat()
    # Still in the company's scope, routed to and recording its service.
    seen = await client.get(f"/api/v1/communities/{estate.community}", headers=estate.company_h)
    assert seen.status_code == 200
    ticket = await repair(client, estate)
    assert (ticket["responsible_kind"], ticket["responsible_org_id"]) == (
        "company",
        estate.company,
    )
    served = await client.post(
        f"{API}/{contract['id']}/service-records",
        json={"performed_on": today().isoformat(), "category": "cleaning", "description": "清扫"},
        headers=estate.company_h,
    )
    assert served.status_code == 201, served.text
    # Entitled to its fee: a period after the term counts its served days.
    first = (end + timedelta(days=1)).replace(day=1) + timedelta(days=32)
    first = first.replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    period = await make_period(client, world, first.isoformat(), last.isoformat())
    rated = await rate(client, world, period, contract, scores())
    assert rated.status_code == 201, rated.text
    # Sweeping again changes nothing while no successor has started.
    await sweep_expired_terms(today())
    again = (await client.get(f"{API}/{contract['id']}", headers=world.h("bureau"))).json()
    assert again["status"] == "handover"


async def test_the_old_contract_ends_once_the_successor_started_and_both_confirmed(
    client: httpx.AsyncClient, world: World
) -> None:
    estate = await make_estate(client, world)
    old = await make_contract(client, world, estate, starts_on="2023-01-01", ends_on="2025-06-30")
    await Contract.update({Contract.notice_given_on: date(2025, 3, 1)}).where(
        Contract.id == old["id"]
    )
    await sweep_expired_terms(today())
    next_company, next_h = await make_company(client, world)
    chosen = await pass_decision(client, estate, company_id=next_company)
    starts = today() + timedelta(days=10)
    draft = await created(
        await client.post(
            API,
            json=contract_body(
                estate,
                company_id=next_company,
                starts_on=starts.isoformat(),
                decision_id=chosen["id"],
            ),
            headers=estate.committee_h,
        )
    )
    filed = await client.post(f"{API}/{draft['id']}/activate", headers=world.h("bureau"))
    assert filed.status_code == 200, filed.text
    # The successor has not started: the old company is still the one routed to.
    ticket = await repair(client, estate)
    assert ticket["responsible_org_id"] == estate.company
    handed = await finish_handover(client, world, estate, old["id"])
    assert handed["contract_status"] == "handover"
    assert handed["outgoing_confirmed_at"] and handed["incoming_confirmed_at"]
    # The day the successor starts, the sweep ends the old contract the day before.
    await advance_on(old["id"], starts)
    row = (await client.get(f"{API}/{old['id']}", headers=world.h("bureau"))).json()
    assert (row["status"], row["ends_on"]) == ("ended", (starts - timedelta(days=1)).isoformat())
    record = await client.get(f"{API}/{old['id']}/handover", headers=next_h)
    assert record.status_code == 200
    assert record.json()["rooms"] == ["物业服务用房 1号楼底层 40m²"]


async def test_the_successor_company_confirms_receipt_and_a_side_confirms_once(
    client: httpx.AsyncClient, world: World
) -> None:
    estate = await make_estate(client, world)
    old = await make_contract(client, world, estate, starts_on="2023-01-01", ends_on="2025-06-30")
    await Contract.update({Contract.notice_given_on: date(2025, 3, 1)}).where(
        Contract.id == old["id"]
    )
    await sweep_expired_terms(today())
    next_company, next_h = await make_company(client, world)
    await make_contract(client, world, estate, company_id=next_company, starts_on="2026-01-01")
    path = f"{API}/{old['id']}/handover"
    not_yet = await client.post(
        f"{path}/confirm", json={"side": "outgoing"}, headers=estate.company_h
    )
    assert not_yet.status_code == 409  # nothing recorded yet
    written = await client.put(path, json={"documents": ["档案"]}, headers=estate.company_h)
    assert written.status_code == 200, written.text
    wrong_side = await client.post(f"{path}/confirm", json={"side": "outgoing"}, headers=next_h)
    assert wrong_side.status_code == 403
    _, stranger = await make_company(client, world)
    hidden = await client.post(f"{path}/confirm", json={"side": "incoming"}, headers=stranger)
    assert hidden.status_code == 404
    out = await client.post(f"{path}/confirm", json={"side": "outgoing"}, headers=estate.company_h)
    assert out.status_code == 200
    twice = await client.post(
        f"{path}/confirm", json={"side": "outgoing"}, headers=estate.company_h
    )
    assert twice.status_code == 409
    locked = await client.put(path, json={"documents": []}, headers=estate.company_h)
    assert locked.status_code == 409
    into = await client.post(f"{path}/confirm", json={"side": "incoming"}, headers=next_h)
    assert into.status_code == 200, into.text
    # The successor started on 2026-01-01 and both confirmed: ended the day before.
    assert into.json()["contract_status"] == "ended"
    row = (await client.get(f"{API}/{old['id']}", headers=world.h("bureau"))).json()
    assert row["ends_on"] == "2025-12-31"
    ticket = await repair(client, estate)
    assert ticket["responsible_org_id"] == next_company


# --- art. 278: the owners' decision, or the bureau's placement ----------------------


async def test_a_committee_draft_names_a_passed_decision(
    client: httpx.AsyncClient, world: World
) -> None:
    estate = await make_estate(client, world)
    missing = await client.post(API, json=contract_body(estate), headers=estate.committee_h)
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "decision_id"
    assert "业主共同决定" in missing.json()["detail"]
    voting = await created(
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
    assert voting["status"] == "voting"
    early = await client.post(
        API, json=contract_body(estate, decision_id=voting["id"]), headers=estate.committee_h
    )
    assert early.status_code == 409
    assert "表决中" in early.json()["detail"]
    # Nobody voted: no quorum, rejected.
    closed = await client.post(f"{DECISIONS}/{voting['id']}/close", headers=estate.committee_h)
    assert closed.json()["status"] == "rejected"
    assert closed.json()["tally"]["quorum_met"] is False
    refused = await client.post(
        API, json=contract_body(estate, decision_id=voting["id"]), headers=estate.committee_h
    )
    assert refused.status_code == 409
    assert "未获通过" in refused.json()["detail"]
    late = await client.post(
        f"{DECISIONS}/{voting['id']}/ballots",
        json={"household_id": estate.households[0], "choice": "yes"},
        headers=estate.owner_h,
    )
    assert late.status_code == 409
    # A passed choice of another company does not fit this contract.
    other_company, _ = await make_company(client, world)
    elsewhere = await pass_decision(client, estate, company_id=other_company)
    mismatch = await client.post(
        API, json=contract_body(estate, decision_id=elsewhere["id"]), headers=estate.committee_h
    )
    assert mismatch.status_code == 422
    chosen = await pass_decision(client, estate)
    assert chosen["tally"]["matter"] == "management"
    draft = await client.post(
        API, json=contract_body(estate, decision_id=chosen["id"]), headers=estate.committee_h
    )
    assert draft.status_code == 201, draft.text
    reused = await client.post(
        API,
        json=contract_body(
            estate, decision_id=chosen["id"], starts_on="2031-01-01", ends_on="2031-12-31"
        ),
        headers=estate.committee_h,
    )
    assert reused.status_code == 409


async def test_the_owners_vote_needs_two_thirds_taking_part_and_more_than_half_agreeing(
    client: httpx.AsyncClient, world: World
) -> None:
    # Two owners of 80 and 70 m²: the larger alone is 8/15 of the area but 1/2 of heads.
    estate = await make_estate(client, world)
    seq = random.randint(100, 999)
    second = await add_household(
        client,
        world.h("bureau"),
        estate.building,
        "301",
        "70.00",
        (f"李{seq}", make_id_no(seq, birth="19810303")),
    )
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
    ballots = f"{DECISIONS}/{decision['id']}/ballots"
    for household in estate.households:
        await created(
            await client.post(
                ballots, json={"household_id": household, "choice": "yes"}, headers=estate.owner_h
            )
        )
    paper = await client.post(
        ballots, json={"household_id": second, "choice": "no"}, headers=estate.committee_h
    )
    assert paper.status_code == 201
    live = (await client.get(f"{DECISIONS}/{decision['id']}", headers=estate.owner_h)).json()
    assert live["tally"]["voted_owners"] == 2 and live["tally"]["yes_owners"] == 1
    closed = await client.post(f"{DECISIONS}/{decision['id']}/close", headers=world.h("bureau"))
    # Everyone took part; exactly half of the heads said yes: not more than half.
    assert closed.json()["status"] == "rejected"
    assert closed.json()["tally"]["quorum_met"] is True


async def test_the_owners_side_terminates_only_with_a_passed_dismissal(
    client: httpx.AsyncClient, world: World
) -> None:
    estate = await make_estate(client, world)
    contract = await make_contract(client, world, estate, starts_on="2026-01-01")
    body = {"notice_given_on": today().isoformat(), "ends_on": "2027-06-30"}
    bare = await client.post(
        f"{API}/{contract['id']}/terminate", json=body, headers=estate.committee_h
    )
    assert bare.status_code == 422
    assert bare.json()["errors"][0]["field"] == "decision_id"
    assert "解聘" in bare.json()["detail"]
    chosen = await pass_decision(client, estate)
    wrong_kind = await client.post(
        f"{API}/{contract['id']}/terminate",
        json={**body, "decision_id": chosen["id"]},
        headers=estate.committee_h,
    )
    assert wrong_kind.status_code == 422
    dismissal = await pass_decision(client, estate, "dismiss", contract_id=contract["id"])
    done = await client.post(
        f"{API}/{contract['id']}/terminate",
        json={**body, "decision_id": dismissal["id"]},
        headers=estate.committee_h,
    )
    assert done.status_code == 200, done.text
    assert (done.json()["ends_on"], done.json()["notice_by"]) == ("2027-06-30", "owners")


async def test_the_bureau_places_guaranteed_service_where_owners_cannot_decide(
    client: httpx.AsyncClient, world: World
) -> None:
    estate = await make_estate(client, world)
    by_committee = await client.post(
        DECISIONS,
        json={
            "community_id": estate.community,
            "kind": "placement",
            "company_id": estate.company,
            "note": "业主大会两次未达参与表决人数",
        },
        headers=estate.committee_h,
    )
    assert by_committee.status_code == 403
    no_reason = await client.post(
        DECISIONS,
        json={"community_id": estate.community, "kind": "placement", "company_id": estate.company},
        headers=world.h("bureau"),
    )
    assert no_reason.status_code == 422
    placed = await created(
        await client.post(
            DECISIONS,
            json={
                "community_id": estate.community,
                "kind": "placement",
                "company_id": estate.company,
                "note": "业主大会两次未达参与表决人数",
            },
            headers=world.h("bureau"),
        )
    )
    assert (placed["status"], placed["mode"]) == ("placed", "guaranteed")
    market = await client.post(
        API, json=contract_body(estate, decision_id=placed["id"]), headers=estate.committee_h
    )
    assert market.status_code == 422
    draft = await created(
        await client.post(
            API,
            json=contract_body(estate, mode="guaranteed", decision_id=placed["id"]),
            headers=estate.committee_h,
        )
    )
    filed = await client.post(f"{API}/{draft['id']}/activate", headers=world.h("bureau"))
    assert filed.status_code == 200, filed.text
    # The bureau ends what it placed without an owners' decision.
    ended = await client.post(
        f"{API}/{draft['id']}/terminate",
        json={"notice_given_on": today().isoformat(), "ends_on": "2027-06-30"},
        headers=world.h("bureau"),
    )
    assert ended.status_code == 200, ended.text


async def test_decisions_of_another_community_are_not_found(
    client: httpx.AsyncClient, world: World
) -> None:
    estate = await make_estate(client, world)
    other = await make_estate(client, world)
    decision = await pass_decision(client, other, company_id=other.company)
    for headers in (estate.committee_h, estate.owner_h, estate.company_h):
        seen = await client.get(f"{DECISIONS}/{decision['id']}", headers=headers)
        assert seen.status_code == 404
    foreign = await client.post(
        API, json=contract_body(estate, decision_id=decision["id"]), headers=estate.committee_h
    )
    assert foreign.status_code == 422
    ballot = await client.post(
        f"{DECISIONS}/{decision['id']}/ballots",
        json={"household_id": estate.households[0], "choice": "yes"},
        headers=estate.committee_h,
    )
    assert ballot.status_code == 404


# --- 业主自治 ------------------------------------------------------------------------


async def test_owners_manage_themselves_without_a_company(
    client: httpx.AsyncClient, world: World
) -> None:
    estate = await make_estate(client, world)
    chosen = await pass_decision(client, estate, mode="self", company_id=None)
    assert chosen["company_id"] is None
    body = contract_body(estate, mode="self", decision_id=chosen["id"], fee_per_m2_month="0.50")
    del body["company_id"]
    draft = await created(await client.post(API, json=body, headers=estate.committee_h))
    assert (draft["mode"], draft["company_id"]) == ("self", None)
    filed = await client.post(f"{API}/{draft['id']}/activate", headers=world.h("bureau"))
    assert filed.status_code == 200, filed.text
    ticket = await repair(client, estate)
    assert ticket["responsible_kind"] == "committee"
    assert ticket["responsible_org_id"] == draft["manager_id"]
    accepted = await client.post(
        f"/api/v1/repairs/{ticket['id']}/transitions",
        json={"action": "accept"},
        headers=estate.committee_h,
    )
    assert accepted.status_code == 201, accepted.text
    with_company = await client.post(
        API,
        json=contract_body(estate, mode="self", starts_on="2031-01-01", ends_on="2031-12-31"),
        headers=world.h("bureau"),
    )
    assert with_company.status_code == 422
    assert with_company.json()["errors"][0]["field"] == "company_id"


async def test_self_management_needs_a_committee(client: httpx.AsyncClient, world: World) -> None:
    estate = await make_estate(client, world)
    bare = await created(
        await client.post(
            "/api/v1/communities",
            json={
                "area_id": world.ids["area"],
                "name": "无业委会小区",
                "code": unique("N"),
                "built_year": 1990,
                "deposit_rate_per_m2": "45.00",
            },
            headers=world.h("bureau"),
        )
    )
    body = contract_body(estate, mode="self", community_id=bare["id"])
    del body["company_id"]
    response = await client.post(API, json=body, headers=world.h("bureau"))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "mode"


async def test_a_renewal_decision_backs_the_next_term_with_the_same_company(
    client: httpx.AsyncClient, world: World
) -> None:
    estate = await make_estate(client, world)
    current = await make_contract(
        client, world, estate, starts_on="2024-01-01", ends_on="2026-12-31"
    )
    renewal = await pass_decision(client, estate, "renew", contract_id=current["id"])
    assert (renewal["company_id"], renewal["mode"]) == (estate.company, "market")
    other_company, _ = await make_company(client, world)
    elsewhere = await client.post(
        API,
        json=contract_body(
            estate,
            company_id=other_company,
            starts_on="2027-01-01",
            ends_on="2029-12-31",
            decision_id=renewal["id"],
        ),
        headers=estate.committee_h,
    )
    assert elsewhere.status_code == 422
    assert elsewhere.json()["errors"][0]["field"] == "decision_id"
    renewed = await client.post(
        API,
        json=contract_body(
            estate, starts_on="2027-01-01", ends_on="2029-12-31", decision_id=renewal["id"]
        ),
        headers=estate.committee_h,
    )
    assert renewed.status_code == 201, renewed.text
    filed = await client.post(f"{API}/{renewed.json()['id']}/activate", headers=world.h("bureau"))
    assert filed.status_code == 200, filed.text
