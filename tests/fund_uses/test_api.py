"""A fund use walked through the API: proposal, vote, approval, staged payment — with
balances, owed amounts and the journal checked at every step."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta

import httpx
import pytest

from service.clock import now
from service.contracts.tables import Contract
from tests.support import (
    World,
    add_household,
    add_user,
    assert_list_contract,
    created,
    login,
    make_id_no,
    unique,
)

# Identity numbers of block owners: their own birth date, 100 blocks before a repeat.
_serial = iter(range(0, 1000, 10))


@dataclass
class Block:
    community: str
    building: str
    households: list[str]
    headers: dict[str, dict[str, str]] = field(default_factory=dict)


async def deposit(client: httpx.AsyncClient, world: World, household: str, amount: str) -> None:
    response = await client.post(
        "/api/v1/fund/deposits",
        json={
            "household_id": household,
            "amount": amount,
            "kind": "first",
            "paid_on": "2024-01-10",
        },
        headers={**world.h("bureau"), "Idempotency-Key": unique("dep-")},
    )
    assert response.status_code == 201, response.text


async def balance(client: httpx.AsyncClient, world: World, household: str) -> str:
    response = await client.get(f"/api/v1/households/{household}/fund", headers=world.h("bureau"))
    assert response.status_code == 200, response.text
    return str(response.json()["balance"])


async def make_block(
    client: httpx.AsyncClient,
    world: World,
    areas: tuple[str, ...] = ("100.00", "100.00", "100.00", "100.00"),
    deposits: tuple[str, ...] = ("5000.00", "5000.00", "5000.00", "1000.00"),
) -> Block:
    """A community with one building, households of ``areas`` (owners o0..), their first
    deposits, a company with a live contract, a committee, and an owner login for o0."""
    bureau = world.h("bureau")
    community = await created(
        await client.post(
            "/api/v1/communities",
            json={
                "area_id": world.ids["area"],
                "name": "使用测试小区",
                "code": unique("U"),
                "built_year": 1995,
                "deposit_rate_per_m2": "45.00",
            },
            headers=bureau,
        )
    )
    building = await created(
        await client.post(
            f"/api/v1/communities/{community['id']}/buildings",
            json={"name": "1号楼", "floors": 6, "has_elevator": False},
            headers=bureau,
        )
    )
    # A birth date of their own: the fixed numbers other tests register never collide.
    seq = next(_serial)
    households = [
        await add_household(
            client,
            bureau,
            building["id"],
            f"{i + 1}01",
            area,
            (f"业主{i}", make_id_no(seq + i, birth="19660606")),
        )
        for i, area in enumerate(areas)
    ]
    for household, amount in zip(households, deposits, strict=True):
        await deposit(client, world, household, amount)
    block = Block(community["id"], building["id"], households)
    company = await created(
        await client.post(
            "/api/v1/organizations",
            json={"kind": "company", "name": unique("物业")},
            headers=bureau,
        )
    )
    await Contract.insert(
        Contract(
            district=world.district_id,
            community=uuid.UUID(community["id"]),
            company=uuid.UUID(company["id"]),
            mode="market",
            status="live",
            starts_on=date(2024, 1, 1),
            ends_on=date(2027, 12, 31),
            created_at=now(),
        )
    )
    committee = await created(
        await client.post(
            "/api/v1/organizations",
            json={"kind": "committee", "name": unique("业委会"), "community_id": community["id"]},
            headers=bureau,
        )
    )
    for role, org in (("company", company["id"]), ("committee", committee["id"])):
        username = unique(f"{role}-")
        await add_user(client, bureau, username=username, role=role, org_id=org)
        block.headers[role] = await login(client, username)
    owner = unique("o0-")
    await add_user(client, bureau, username=owner, role="owner", household_ids=[households[0]])
    block.headers["owner0"] = await login(client, owner)
    return block


def proposal(block: Block, cost: str = "10000.00", **extra: object) -> dict[str, object]:
    return {
        "community_id": block.community,
        "title": "1号楼屋面翻新",
        "description": "屋面防水层老化渗漏，整体翻新。",
        "estimated_cost": cost,
        "building_ids": [block.building],
        "component": "roofing",
        **extra,
    }


async def vote(client: httpx.AsyncClient, block: Block, use_id: str, choices: list[str]) -> None:
    for household, choice in zip(block.households, choices, strict=False):
        response = await client.post(
            f"/api/v1/fund-uses/{use_id}/ballots",
            json={"household_id": household, "choice": choice},
            headers=block.headers["committee"],
        )
        assert response.status_code == 201, response.text


async def test_a_full_fund_use_from_proposal_to_settlement(
    client: httpx.AsyncClient, world: World
) -> None:
    block = await make_block(client, world)
    proposed = await client.post(
        "/api/v1/fund-uses", json=proposal(block), headers=block.headers["company"]
    )
    assert proposed.status_code == 201, proposed.text
    use = proposed.json()
    assert use["status"] == "voting"
    assert use["total_area"] == "400.00"
    assert sorted(s["share"] for s in use["apportionment"]) == ["2500.00"] * 4

    # The owner votes for their own flat; the committee records paper ballots, one replaced.
    mine = await client.post(
        f"/api/v1/fund-uses/{use['id']}/ballots",
        json={"household_id": block.households[0], "choice": "no"},
        headers=block.headers["owner0"],
    )
    assert mine.status_code == 201
    neighbour = await client.post(
        f"/api/v1/fund-uses/{use['id']}/ballots",
        json={"household_id": block.households[1], "choice": "yes"},
        headers=block.headers["owner0"],
    )
    assert neighbour.status_code == 404
    again = await client.post(
        f"/api/v1/fund-uses/{use['id']}/ballots",
        json={"household_id": block.households[0], "choice": "yes"},
        headers=block.headers["owner0"],
    )
    assert again.json()["replaced"] is True
    for household, choice in zip(block.households[1:3], ["yes", "no"], strict=True):
        response = await client.post(
            f"/api/v1/fund-uses/{use['id']}/ballots",
            json={"household_id": household, "choice": choice},
            headers=block.headers["committee"],
        )
        assert response.status_code == 201

    tally = (
        await client.get(f"/api/v1/fund-uses/{use['id']}/tally", headers=world.h("auditor"))
    ).json()
    assert tally["eligible_owners"] == 4 and tally["voted_owners"] == 3
    assert tally["eligible_area"] == "400.00" and tally["voted_area"] == "300.00"
    assert tally["yes_owners"] == 2 and tally["yes_area"] == "200.00"
    assert tally["quorum_met"] is True and tally["approved"] is True

    # No closing date was published and one owner has not voted: the committee may not
    # cut the vote short; the bureau may.
    early = await client.post(
        f"/api/v1/fund-uses/{use['id']}/close-vote", headers=block.headers["committee"]
    )
    assert early.status_code == 409
    closed = await client.post(
        f"/api/v1/fund-uses/{use['id']}/close-vote", headers=world.h("bureau")
    )
    assert closed.status_code == 200 and closed.json()["status"] == "owners_approved"
    late = await client.post(
        f"/api/v1/fund-uses/{use['id']}/ballots",
        json={"household_id": block.households[3], "choice": "yes"},
        headers=block.headers["committee"],
    )
    assert late.status_code == 409

    approved = await client.post(
        f"/api/v1/fund-uses/{use['id']}/approve", headers=world.h("bureau2")
    )
    assert approved.status_code == 200 and approved.json()["status"] == "approved"

    key = unique("pay-")
    pay = {"amount": "4000.00", "stage": "advance"}
    first = await client.post(
        f"/api/v1/fund-uses/{use['id']}/disbursements",
        json=pay,
        headers={**world.h("bureau"), "Idempotency-Key": key},
    )
    assert first.status_code == 201, first.text
    advance = first.json()
    assert advance["posted"] == "4000.00" and advance["self_funded"] == "0.00"
    repeat = await client.post(
        f"/api/v1/fund-uses/{use['id']}/disbursements",
        json=pay,
        headers={**world.h("bureau"), "Idempotency-Key": key},
    )
    assert repeat.json()["disbursement_id"] == advance["disbursement_id"]
    assert await balance(client, world, block.households[0]) == "4000.00"

    too_much = await client.post(
        f"/api/v1/fund-uses/{use['id']}/disbursements",
        json={"amount": "6000.01", "stage": "final"},
        headers={**world.h("bureau"), "Idempotency-Key": unique("pay-")},
    )
    assert too_much.status_code == 409

    final = await client.post(
        f"/api/v1/fund-uses/{use['id']}/disbursements",
        json={"amount": "6000.00", "stage": "final"},
        headers={**world.h("bureau"), "Idempotency-Key": unique("pay-")},
    )
    assert final.status_code == 201, final.text
    settled = final.json()
    assert settled["status"] == "settled"
    # The fourth flat held 1000.00 and owed 2500.00 in all: 1000.00 paid, 1500.00 self-funded.
    assert settled["self_funded"] == "1500.00"
    assert await balance(client, world, block.households[0]) == "2500.00"
    assert await balance(client, world, block.households[3]) == "0.00"
    summary = (
        await client.get(
            f"/api/v1/households/{block.households[3]}/fund", headers=world.h("bureau")
        )
    ).json()
    assert summary["self_funded_due"] == "1500.00"

    owed = (
        await client.get(f"/api/v1/fund-uses/{use['id']}/self-funded", headers=world.h("bureau"))
    ).json()["items"]
    assert [(o["household_id"], o["amount"]) for o in owed] == [(block.households[3], "1500.00")]
    verify = (
        await client.get(
            f"/api/v1/communities/{block.community}/fund/verify", headers=world.h("auditor")
        )
    ).json()
    assert verify["ok"] is True
    entries = (
        await client.get(
            f"/api/v1/households/{block.households[0]}/fund/entries", headers=world.h("bureau")
        )
    ).json()
    assert [e["fund_use_id"] for e in entries["items"] if e["kind"] == "use"] == [
        use["id"],
        use["id"],
    ]

    audit = (
        await client.get(
            f"/api/v1/audit?entity=fund_use&entity_id={use['id']}", headers=world.h("bureau")
        )
    ).json()
    actions = [e["action"] for e in audit["items"]]
    assert actions[0] == "fund_use.propose" and actions[-1] == "fund_use.disburse"
    assert "fund_use.close_vote" in actions and "fund_use.approve" in actions


async def test_exactly_half_yes_is_rejected(client: httpx.AsyncClient, world: World) -> None:
    block = await make_block(client, world)
    use = (
        await client.post(
            "/api/v1/fund-uses", json=proposal(block), headers=block.headers["company"]
        )
    ).json()
    await vote(client, block, use["id"], ["yes", "yes", "no", "no"])
    closed = await client.post(
        f"/api/v1/fund-uses/{use['id']}/close-vote", headers=block.headers["committee"]
    )
    assert closed.json()["status"] == "rejected"
    approve = await client.post(f"/api/v1/fund-uses/{use['id']}/approve", headers=world.h("bureau"))
    assert approve.status_code == 409


async def test_a_bureau_user_cannot_approve_their_own_proposal(
    client: httpx.AsyncClient, world: World
) -> None:
    block = await make_block(client, world)
    use = (
        await client.post(
            "/api/v1/fund-uses",
            json=proposal(block, emergency=True, emergency_reason="roof_leak"),
            headers=world.h("bureau"),
        )
    ).json()
    assert use["status"] == "pending_approval" and use["published_at"] is None
    own = await client.post(f"/api/v1/fund-uses/{use['id']}/approve", headers=world.h("bureau"))
    assert own.status_code == 403
    other = await client.post(f"/api/v1/fund-uses/{use['id']}/approve", headers=world.h("bureau2"))
    assert other.status_code == 200
    assert other.json()["status"] == "approved" and other.json()["published_at"] is not None


async def test_an_emergency_skips_the_vote(client: httpx.AsyncClient, world: World) -> None:
    block = await make_block(client, world)
    use = (
        await client.post(
            "/api/v1/fund-uses",
            json=proposal(block, emergency=True, emergency_reason="lift"),
            headers=block.headers["company"],
        )
    ).json()
    ballot = await client.post(
        f"/api/v1/fund-uses/{use['id']}/ballots",
        json={"household_id": block.households[0], "choice": "no"},
        headers=block.headers["committee"],
    )
    assert ballot.status_code == 409
    bad = await client.post(
        "/api/v1/fund-uses",
        json=proposal(block, emergency=True, emergency_reason="wants it"),
        headers=block.headers["company"],
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "emergency_reason"


async def test_a_component_under_warranty_cannot_be_paid_from_the_fund(
    client: httpx.AsyncClient, world: World
) -> None:
    block = await make_block(client, world)
    work = await client.post(
        "/api/v1/works",
        json={
            "community_id": block.community,
            "title": "屋面防水改造",
            "contractor_id": world.ids["org_contractor"],
            "accepted_on": (date.today() - timedelta(days=400)).isoformat(),
            "settlement_amount": "300000.00",
            "components": [{"category": "roofing"}],
        },
        headers=world.h("bureau"),
    )
    assert work.status_code == 201, work.text
    refused = await client.post(
        "/api/v1/fund-uses",
        json=proposal(block, component="roofing"),
        headers=block.headers["company"],
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "component"
    operator = await client.post(
        "/api/v1/fund-uses",
        json=proposal(block, component="operator_pipeline"),
        headers=block.headers["company"],
    )
    assert operator.status_code == 422
    allowed = await client.post(
        "/api/v1/fund-uses",
        json=proposal(block, component="plumbing"),
        headers=block.headers["company"],
    )
    assert allowed.status_code == 201


async def test_another_communitys_committee_gets_404_on_everything(
    client: httpx.AsyncClient, world: World
) -> None:
    block = await make_block(client, world)
    use = (
        await client.post(
            "/api/v1/fund-uses", json=proposal(block), headers=block.headers["company"]
        )
    ).json()
    outsider = world.h("committee")  # the committee of CA
    for method, path, body in (
        ("GET", f"/api/v1/fund-uses/{use['id']}", None),
        ("GET", f"/api/v1/fund-uses/{use['id']}/tally", None),
        (
            "POST",
            f"/api/v1/fund-uses/{use['id']}/ballots",
            {"household_id": block.households[0], "choice": "yes"},
        ),
        ("POST", f"/api/v1/fund-uses/{use['id']}/close-vote", None),
        ("POST", f"/api/v1/fund-uses/{use['id']}/cancel", None),
        ("POST", "/api/v1/fund-uses", proposal(block)),
    ):
        response = await client.request(method, path, json=body, headers=outsider)
        assert response.status_code == 404, (path, response.text)
    listed = (await client.get("/api/v1/fund-uses", headers=outsider)).json()
    assert use["id"] not in {u["id"] for u in listed["items"]}
    for role in ("owner1", "contractor", "auditor"):
        response = await client.post(
            "/api/v1/fund-uses", json=proposal(block), headers=world.h(role)
        )
        assert response.status_code == 403


async def test_payments_racing_on_one_household_never_overdraw_it(
    client: httpx.AsyncClient, world: World
) -> None:
    block = await make_block(client, world, areas=("100.00",), deposits=("3000.00",))
    use_ids = []
    for _ in range(2):
        use = (
            await client.post(
                "/api/v1/fund-uses",
                json=proposal(
                    block, cost="2000.00", emergency=True, emergency_reason="drain_failure"
                ),
                headers=block.headers["company"],
            )
        ).json()
        assert (
            await client.post(f"/api/v1/fund-uses/{use['id']}/approve", headers=world.h("bureau2"))
        ).status_code == 200
        use_ids.append(use["id"])
    results = await asyncio.gather(
        *(
            client.post(
                f"/api/v1/fund-uses/{use_id}/disbursements",
                json={"amount": "2000.00", "stage": "final"},
                headers={**world.h("bureau"), "Idempotency-Key": unique("race-")},
            )
            for use_id in use_ids
        )
    )
    assert [r.status_code for r in results] == [201, 201]
    bodies = [r.json() for r in results]
    assert sorted(b["self_funded"] for b in bodies) == ["0.00", "1000.00"]
    assert await balance(client, world, block.households[0]) == "0.00"
    verify = (
        await client.get(
            f"/api/v1/communities/{block.community}/fund/verify", headers=world.h("bureau")
        )
    ).json()
    assert verify["ok"] is True


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"estimated_cost": "100.001"}, "estimated_cost"),
        ({"estimated_cost": "-5"}, "estimated_cost"),
        ({"building_ids": None}, "household_ids"),
        (
            {"household_ids": ["00000000-0000-4000-8000-000000000000"], "building_ids": None},
            "household_ids",
        ),
        ({"component": "spaceship"}, "component"),
        ({"emergency_reason": "lift"}, "emergency_reason"),
    ],
)
async def test_a_bad_proposal_names_the_field(
    client: httpx.AsyncClient, world: World, body: dict[str, object], field: str
) -> None:
    block = await make_block(client, world, areas=("50.00",), deposits=("100.00",))
    response = await client.post(
        "/api/v1/fund-uses", json={**proposal(block), **body}, headers=block.headers["company"]
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == field


async def test_attachments_are_checked_by_content_and_stored_for_those_in_scope(
    client: httpx.AsyncClient, world: World
) -> None:
    block = await make_block(client, world, areas=("50.00",), deposits=("100.00",))
    use = (
        await client.post(
            "/api/v1/fund-uses", json=proposal(block), headers=block.headers["company"]
        )
    ).json()
    pdf = b"%PDF-1.4\n% quote\n" + b"0" * 2000
    uploaded = await client.post(
        f"/api/v1/fund-uses/{use['id']}/attachments",
        files={"file": ("报价单.pdf", pdf, "application/pdf")},
        data={"kind": "quote"},
        headers=block.headers["company"],
    )
    assert uploaded.status_code == 201, uploaded.text
    attachment = uploaded.json()
    assert attachment["content_type"] == "application/pdf" and attachment["size"] == len(pdf)

    disguised = await client.post(
        f"/api/v1/fund-uses/{use['id']}/attachments",
        files={"file": ("photo.jpg", b"MZ\x90\x00 not an image", "image/jpeg")},
        headers=block.headers["company"],
    )
    assert disguised.status_code == 422 and disguised.json()["errors"][0]["field"] == "file"
    too_big = await client.post(
        f"/api/v1/fund-uses/{use['id']}/attachments",
        files={"file": ("big.png", b"\x89PNG\r\n\x1a\n" + b"0" * (9 * 1024 * 1024), "image/png")},
        headers=block.headers["company"],
    )
    assert too_big.status_code == 422

    listed = (
        await client.get(
            f"/api/v1/fund-uses/{use['id']}/attachments", headers=block.headers["owner0"]
        )
    ).json()
    assert [a["id"] for a in listed["items"]] == [attachment["id"]]
    assert listed["next_cursor"] is None
    download = await client.get(
        f"/api/v1/fund-uses/{use['id']}/attachments/{attachment['id']}",
        headers=block.headers["committee"],
    )
    assert download.status_code == 200 and download.content == pdf
    outsider = await client.get(
        f"/api/v1/fund-uses/{use['id']}/attachments/{attachment['id']}",
        headers=world.h("committee"),
    )
    assert outsider.status_code == 404


async def test_the_attachment_list_comes_in_pages_to_those_in_scope(
    client: httpx.AsyncClient, world: World
) -> None:
    block = await make_block(client, world, areas=("50.00",), deposits=("100.00",))
    use = await created(
        await client.post(
            "/api/v1/fund-uses", json=proposal(block), headers=block.headers["company"]
        )
    )
    path = f"/api/v1/fund-uses/{use['id']}/attachments"
    for n in range(5):
        await created(
            await client.post(
                path,
                files={
                    "file": (f"报价{n}.pdf", b"%PDF-1.4\n" + bytes([n]) * 100, "application/pdf")
                },
                headers=block.headers["company"],
            )
        )
    listed = await assert_list_contract(client, path, block.headers["owner0"])
    # In the order they were uploaded, as a clerk reads a file.
    assert [a["filename"] for a in listed] == [f"报价{n}.pdf" for n in range(5)]
    for outsider in (world.h("committee"), world.h("owner1")):
        assert (await client.get(path, headers=outsider)).status_code == 404


async def test_the_self_funded_list_comes_in_pages(client: httpx.AsyncClient, world: World) -> None:
    """Three flats hold 100.00 each and owe 1000.00 each: three self-funded rows."""
    block = await make_block(client, world, areas=("50.00",) * 3, deposits=("100.00",) * 3)
    use = await created(
        await client.post(
            "/api/v1/fund-uses", json=proposal(block, "3000.00"), headers=block.headers["company"]
        )
    )
    await vote(client, block, use["id"], ["yes"] * 3)
    closed = await client.post(
        f"/api/v1/fund-uses/{use['id']}/close-vote", headers=world.h("bureau")
    )
    assert closed.status_code == 200 and closed.json()["status"] == "owners_approved"
    approved = await client.post(
        f"/api/v1/fund-uses/{use['id']}/approve", headers=world.h("bureau2")
    )
    assert approved.status_code == 200, approved.text
    paid = await client.post(
        f"/api/v1/fund-uses/{use['id']}/disbursements",
        json={"amount": "3000.00", "stage": "final"},
        headers={**world.h("bureau"), "Idempotency-Key": unique("pay-")},
    )
    assert paid.status_code == 201 and paid.json()["self_funded"] == "2700.00", paid.text
    path = f"/api/v1/fund-uses/{use['id']}/self-funded"
    owed = await assert_list_contract(client, path, block.headers["committee"], key="household_id")
    assert sorted((o["household_id"], o["amount"]) for o in owed) == sorted(
        (h, "900.00") for h in block.households
    )
    assert (await client.get(path, headers=world.h("committee"))).status_code == 404


async def test_the_yearly_statement_names_the_fund_use_and_its_cost(
    client: httpx.AsyncClient, world: World
) -> None:
    import subprocess

    block = await make_block(
        client, world, areas=("100.00", "100.00"), deposits=("5000.00", "5000.00")
    )
    use = (
        await client.post(
            "/api/v1/fund-uses",
            json=proposal(block, cost="800.00", emergency=True, emergency_reason="railing_damage"),
            headers=block.headers["company"],
        )
    ).json()
    await client.post(f"/api/v1/fund-uses/{use['id']}/approve", headers=world.h("bureau2"))
    paid = await client.post(
        f"/api/v1/fund-uses/{use['id']}/disbursements",
        json={"amount": "800.00", "stage": "final"},
        headers={**world.h("bureau"), "Idempotency-Key": unique("pay-")},
    )
    assert paid.status_code == 201
    pdf = await client.get(
        f"/api/v1/communities/{block.community}/fund/statement.pdf",
        params={"year": date.today().year},
        headers=block.headers["committee"],
    )
    assert pdf.status_code == 200
    text = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf.content, capture_output=True, check=True
    ).stdout.decode()
    assert "1号楼屋面翻新" in text
    assert "800.00" in text and "400.00" in text


async def test_the_approver_cannot_also_pay_and_a_payment_is_not_reversed_behind_the_use(
    client: httpx.AsyncClient, world: World
) -> None:
    block = await make_block(client, world, areas=("100.00",), deposits=("3000.00",))
    use = (
        await client.post(
            "/api/v1/fund-uses",
            json=proposal(block, cost="1000.00", emergency=True, emergency_reason="lift"),
            headers=block.headers["company"],
        )
    ).json()
    await client.post(f"/api/v1/fund-uses/{use['id']}/approve", headers=world.h("bureau"))
    body = {"amount": "1000.00", "stage": "final"}
    same = await client.post(
        f"/api/v1/fund-uses/{use['id']}/disbursements",
        json=body,
        headers={**world.h("bureau"), "Idempotency-Key": unique("pay-")},
    )
    assert same.status_code == 403
    paid = await client.post(
        f"/api/v1/fund-uses/{use['id']}/disbursements",
        json=body,
        headers={**world.h("bureau2"), "Idempotency-Key": unique("pay-")},
    )
    assert paid.status_code == 201
    reversed_ = await client.post(
        f"/api/v1/fund/entries/{paid.json()['entry_id']}/reverse",
        json={"reason": "试图绕过使用申请"},
        headers={**world.h("bureau"), "Idempotency-Key": unique("rev-")},
    )
    assert reversed_.status_code == 409
    assert await balance(client, world, block.households[0]) == "2000.00"


async def test_the_list_shows_how_many_households_each_use_charges(
    client: httpx.AsyncClient, world: World
) -> None:
    block = await make_block(client, world)
    one = await client.post(
        "/api/v1/fund-uses",
        json={**proposal(block), "building_ids": None, "household_ids": block.households[:1]},
        headers=block.headers["company"],
    )
    everyone = await client.post(
        "/api/v1/fund-uses", json=proposal(block), headers=block.headers["company"]
    )
    listed = await client.get(
        "/api/v1/fund-uses", params={"community_id": block.community}, headers=world.h("bureau")
    )
    counts = {u["id"]: u["households"] for u in listed.json()["items"]}
    assert counts == {one.json()["id"]: 1, everyone.json()["id"]: 4}
