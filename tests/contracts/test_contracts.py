"""Property service contracts: one live contract per community at a time, who may see
and change them, and the Civil Code's notice and continuation rules."""

from __future__ import annotations

from datetime import date

import httpx

from service.contracts.service import sweep_expired_terms
from service.contracts.tables import Contract
from tests.contracts.estate import (
    contract_body,
    finish_handover,
    make_company,
    make_contract,
    make_estate,
    pass_decision,
)
from tests.support import World, created

API = "/api/v1/contracts"


async def test_bureau_files_a_live_contract_with_money_as_strings(
    client: httpx.AsyncClient, world: World
) -> None:
    estate = await make_estate(client, world)
    contract = await make_contract(client, world, estate)
    assert contract["status"] == "live"
    assert contract["fee_per_m2_month"] == "0.80"
    assert contract["subsidy_per_m2_month"] == "0.30"
    assert contract["services"][0] == "保洁"
    # The company's scope follows its live contract.
    seen = await client.get(f"/api/v1/communities/{estate.community}", headers=estate.company_h)
    assert seen.status_code == 200


async def test_an_overlapping_live_contract_is_refused(
    client: httpx.AsyncClient, world: World
) -> None:
    estate = await make_estate(client, world)
    await make_contract(client, world, estate, starts_on="2026-01-01", ends_on="2026-12-31")
    clash = await client.post(
        API,
        json=contract_body(estate, starts_on="2026-12-31", ends_on="2027-12-31"),
        headers=world.h("bureau"),
    )
    assert clash.status_code == 409, clash.text
    assert "重叠" in clash.json()["detail"]
    following = await client.post(
        API,
        json=contract_body(estate, starts_on="2027-01-01", ends_on="2027-12-31"),
        headers=world.h("bureau"),
    )
    assert following.status_code == 201, following.text


async def test_a_committee_drafts_and_the_bureau_files_it(
    client: httpx.AsyncClient, world: World
) -> None:
    estate = await make_estate(client, world)
    chosen = await pass_decision(client, estate)
    draft = await created(
        await client.post(
            API, json=contract_body(estate, decision_id=chosen["id"]), headers=estate.committee_h
        )
    )
    assert draft["status"] == "draft"
    assert draft["decision_id"] == chosen["id"]
    # A draft gives the company no scope yet.
    hidden = await client.get(f"/api/v1/communities/{estate.community}", headers=estate.company_h)
    assert hidden.status_code == 404
    live = await client.post(f"{API}/{draft['id']}/activate", headers=world.h("bureau"))
    assert live.status_code == 200, live.text
    assert live.json()["status"] == "live"
    again = await client.post(f"{API}/{draft['id']}/activate", headers=world.h("bureau"))
    assert again.status_code == 409


async def test_a_committee_cannot_draft_for_another_community(
    client: httpx.AsyncClient, world: World
) -> None:
    estate = await make_estate(client, world)
    other = await make_estate(client, world)
    response = await client.post(API, json=contract_body(other), headers=estate.committee_h)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "community_id"


async def test_activating_a_draft_that_overlaps_a_live_contract_is_refused(
    client: httpx.AsyncClient, world: World
) -> None:
    estate = await make_estate(client, world)
    chosen = await pass_decision(client, estate)
    draft = await created(
        await client.post(
            API,
            json=contract_body(
                estate, starts_on="2030-01-01", ends_on="2030-12-31", decision_id=chosen["id"]
            ),
            headers=estate.committee_h,
        )
    )
    await make_contract(client, world, estate, starts_on="2030-06-01", ends_on="2031-05-31")
    response = await client.post(f"{API}/{draft['id']}/activate", headers=world.h("bureau"))
    assert response.status_code == 409


async def test_contracts_are_visible_to_their_company_committee_and_the_bureau_only(
    client: httpx.AsyncClient, world: World
) -> None:
    estate = await make_estate(client, world)
    contract = await make_contract(client, world, estate)
    path = f"{API}/{contract['id']}"
    for who, status in (("bureau", 200), ("auditor", 200), ("company", 404), ("committee", 404)):
        assert (await client.get(path, headers=world.h(who))).status_code == status, who
    for role in ("contractor", "owner1"):
        assert (await client.get(path, headers=world.h(role))).status_code == 403
    assert (await client.get(path, headers=estate.company_h)).status_code == 200
    assert (await client.get(path, headers=estate.committee_h)).status_code == 200
    listed = await client.get(API, headers=estate.company_h)
    assert [c["id"] for c in listed.json()["items"]] == [contract["id"]]
    auditor_write = await client.post(API, json=contract_body(estate), headers=world.h("auditor"))
    assert auditor_write.status_code == 403


async def test_termination_needs_at_least_sixty_days_written_notice(
    client: httpx.AsyncClient, world: World
) -> None:
    # The owners' side now names its passed dismissal decision (art. 278 para 1 item 4).
    estate = await make_estate(client, world)
    contract = await make_contract(client, world, estate, starts_on="2025-01-01")
    dismissal = await pass_decision(client, estate, "dismiss", contract_id=contract["id"])
    path = f"{API}/{contract['id']}/terminate"
    short = await client.post(
        path,
        json={
            "notice_given_on": "2026-10-01",
            "ends_on": "2026-11-29",
            "decision_id": dismissal["id"],
        },
        headers=world.h("bureau"),
    )
    assert short.status_code == 422
    assert short.json()["errors"][0]["field"] == "ends_on"
    assert "60" in short.json()["detail"]
    enough = await client.post(
        path,
        json={
            "notice_given_on": "2026-10-01",
            "ends_on": "2026-11-30",
            "decision_id": dismissal["id"],
        },
        headers=estate.committee_h,
    )
    assert enough.status_code == 200, enough.text
    body = enough.json()
    # The last day (2026-11-30) has passed: hand-over began the next day (art. 950).
    assert (body["status"], body["handover_since"]) == ("handover", "2026-12-01")
    assert body["end_reason"] == "terminated"
    assert body["notice_given_on"] == "2026-10-01"
    assert body["notice_by"] == "owners"
    assert body["dismissal_id"] == dismissal["id"]


async def test_a_term_that_ran_out_continues_without_fixed_term_and_then_ends_on_notice(
    client: httpx.AsyncClient, world: World
) -> None:
    estate = await make_estate(client, world)
    contract = await make_contract(
        client, world, estate, starts_on="2023-01-01", ends_on="2025-12-31"
    )
    path = f"{API}/{contract['id']}"
    continued = await client.post(f"{path}/continue", headers=world.h("bureau"))
    assert continued.status_code == 200, continued.text
    body = continued.json()
    assert body["ends_on"] is None
    assert body["no_fixed_term"] is True
    assert body["fixed_term_ended_on"] == "2025-12-31"
    # Now no later contract may overlap the open-ended term.
    clash = await client.post(
        API, json=contract_body(estate, starts_on="2027-01-01"), headers=world.h("bureau")
    )
    assert clash.status_code == 409
    dismissal = await pass_decision(client, estate, "dismiss", contract_id=contract["id"])
    ended = await client.post(
        f"{path}/terminate",
        json={
            "notice_given_on": "2026-01-05",
            "ends_on": "2026-03-31",
            "decision_id": dismissal["id"],
        },
        headers=world.h("bureau"),
    )
    assert ended.status_code == 200, ended.text
    # Art. 950: with no successor the company hands over and keeps serving meanwhile.
    assert ended.json()["status"] == "handover"
    assert ended.json()["handover_since"] == "2026-04-01"
    kept = await client.get(f"/api/v1/communities/{estate.community}", headers=estate.company_h)
    assert kept.status_code == 200
    next_company, _ = await make_company(client, world)
    successor = await make_contract(
        client, world, estate, starts_on="2026-05-01", company_id=next_company
    )
    await finish_handover(client, world, estate, contract["id"])
    done = (await client.get(path, headers=world.h("bureau"))).json()
    assert (done["status"], done["ends_on"]) == ("ended", "2026-04-30")
    # The company's scope went with its last contract; the successor's company has it.
    assert successor["status"] == "live"
    gone = await client.get(f"/api/v1/communities/{estate.community}", headers=estate.company_h)
    assert gone.status_code == 404


async def test_an_expired_contract_closed_by_the_bureau_continues_or_hands_over(
    client: httpx.AsyncClient, world: World
) -> None:
    estate = await make_estate(client, world)
    running = await make_contract(
        client, world, estate, starts_on="2026-01-01", ends_on="2099-12-31"
    )
    early = await client.post(f"{API}/{running['id']}/end", headers=world.h("bureau"))
    assert early.status_code == 409
    other = await make_estate(client, world)
    old = await make_contract(client, world, other, starts_on="2020-01-01", ends_on="2022-12-31")
    # No notice and no successor: art. 948, it continues with no fixed term.
    continued = await client.post(f"{API}/{old['id']}/end", headers=world.h("bureau"))
    assert continued.status_code == 200
    assert (continued.json()["status"], continued.json()["no_fixed_term"]) == ("live", True)
    third = await make_estate(client, world)
    noticed = await make_contract(
        client, world, third, starts_on="2020-01-01", ends_on="2022-12-31"
    )
    await Contract.update({Contract.notice_given_on: date(2022, 9, 1)}).where(
        Contract.id == noticed["id"]
    )
    handed = await client.post(f"{API}/{noticed['id']}/end", headers=world.h("bureau"))
    assert handed.status_code == 200
    assert handed.json()["status"] == "handover"
    assert handed.json()["end_reason"] == "expired"


async def test_bad_contract_input_gets_a_clear_422(client: httpx.AsyncClient, world: World) -> None:
    estate = await make_estate(client, world)
    bureau = world.h("bureau")
    cases = [
        ({"ends_on": "2025-12-31"}, "ends_on"),
        ({"mode": "rental"}, "mode"),
        ({"fee_per_m2_month": "0.805"}, "fee_per_m2_month"),
        ({"subsidy_per_m2_month": "-1"}, "subsidy_per_m2_month"),
        ({"company_id": world.ids["org_committee"]}, "company_id"),
        ({"surprise": 1}, "surprise"),
    ]
    for overrides, field in cases:
        response = await client.post(API, json=contract_body(estate, **overrides), headers=bureau)
        assert response.status_code == 422, (overrides, response.text)
        assert field in [e["field"] for e in response.json()["errors"]], response.json()


async def test_the_daily_sweep_hands_over_noticed_terms_and_continues_the_rest(
    client: httpx.AsyncClient, world: World
) -> None:
    estate = await make_estate(client, world)
    noticed = await make_contract(
        client, world, estate, starts_on="2019-01-01", ends_on="2020-12-31"
    )
    await Contract.update({Contract.notice_given_on: date(2020, 9, 1)}).where(
        Contract.id == noticed["id"]
    )
    quiet_estate = await make_estate(client, world)
    quiet = await make_contract(
        client, world, quiet_estate, starts_on="2019-01-01", ends_on="2020-12-31"
    )
    other = await make_estate(client, world)
    # Its last day is the sweep's day: still within its term, untouched.
    running = await make_contract(
        client, world, other, starts_on="2019-01-01", ends_on="2021-01-01"
    )
    handed, continued = await sweep_expired_terms(date(2021, 1, 1))
    assert handed >= 1 and continued >= 1
    # Art. 950: no successor yet, so the noticed contract is handed over, not ended.
    gone = (await client.get(f"{API}/{noticed['id']}", headers=world.h("bureau"))).json()
    assert (gone["status"], gone["end_reason"]) == ("handover", "expired")
    assert gone["handover_since"] == "2021-01-01" and gone["ends_on"] is None
    # Civil Code art. 948: no notice, the company keeps serving, no fixed term.
    kept = (await client.get(f"{API}/{quiet['id']}", headers=world.h("bureau"))).json()
    assert kept["status"] == "live" and kept["ends_on"] is None
    assert kept["fixed_term_ended_on"] == "2020-12-31"
    still = (await client.get(f"{API}/{running['id']}", headers=world.h("bureau"))).json()
    assert still["status"] == "live" and still["ends_on"] == "2021-01-01"


async def test_a_company_that_will_not_renew_gives_90_days_notice_and_then_cannot_continue(
    client: httpx.AsyncClient, world: World
) -> None:
    estate = await make_estate(client, world)
    contract = await make_contract(
        client, world, estate, starts_on="2024-01-01", ends_on="2026-06-30"
    )
    path = f"{API}/{contract['id']}"
    late = await client.post(
        f"{path}/non-renewal", json={"notice_given_on": "2026-04-02"}, headers=estate.company_h
    )
    assert late.status_code == 422
    assert late.json()["errors"][0]["field"] == "notice_given_on"
    stranger = await client.post(
        f"{path}/non-renewal", json={"notice_given_on": "2026-04-01"}, headers=world.h("company")
    )
    assert stranger.status_code == 404
    given = await client.post(
        f"{path}/non-renewal", json={"notice_given_on": "2026-04-01"}, headers=estate.company_h
    )
    assert given.status_code == 200, given.text
    assert given.json()["notice_given_on"] == "2026-04-01"
    assert (await client.post(f"{path}/continue", headers=world.h("bureau"))).status_code == 409
    handed = await client.post(f"{path}/end", headers=world.h("bureau"))
    assert handed.json()["status"] == "handover"
