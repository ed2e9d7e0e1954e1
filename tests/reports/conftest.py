"""Report test fixtures: a community of its own with an owner of two flats, a neighbour,
its committee, and fund postings made through the API (and, for fund uses, whose tables
do not exist yet, through the ledger's one posting service)."""

from __future__ import annotations

import shutil
import subprocess
import uuid
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from service.clock import now
from service.db import transaction
from service.funds import ledger
from service.funds.ledger import EntryDraft, LineDraft
from service.registry.tables import Household, Owner
from tests.support import World, add_household, add_user, created, login, make_id_no, unique

POPPLER = ("pdftotext", "pdffonts", "pdftoppm")


@dataclass
class Estate:
    community: str
    name: str
    code: str
    building: str
    # room label → household id
    households: dict[str, str]
    owner_h: dict[str, str]
    committee_h: dict[str, str]
    owner_name: str
    neighbour_name: str
    extra: dict[str, Any] = field(default_factory=dict)


async def make_estate(client: httpx.AsyncClient, world: World) -> Estate:
    """Community 报表测试小区 with 1号楼: rooms 101 (80.00 m²) and 102 (60.00 m²) of one
    owner, 201 (100.00 m²) of a neighbour; a committee user; an owner user of 101+102."""
    bureau = world.h("bureau")
    code = unique("R")
    name = f"报表测试小区{code[-4:]}"
    community = await created(
        await client.post(
            "/api/v1/communities",
            json={
                "area_id": world.ids["area"],
                "name": name,
                "code": code,
                "built_year": 1993,
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
    serial = uuid.uuid4().int % 900 + 100
    owner = ("周晓梅", make_id_no(serial, birth="19650303"))
    neighbour = ("吴建国", make_id_no(serial + 1, birth="19580808"))
    households = {
        "101": await add_household(client, bureau, building["id"], "101", "80.00", owner),
        "102": await add_household(client, bureau, building["id"], "102", "60.00", owner),
        "201": await add_household(client, bureau, building["id"], "201", "100.00", neighbour),
    }
    committee = await created(
        await client.post(
            "/api/v1/organizations",
            json={"kind": "committee", "name": unique("业委会"), "community_id": community["id"]},
            headers=bureau,
        )
    )
    committee_user = unique("rcm-")
    await add_user(
        client, bureau, username=committee_user, role="committee", org_id=committee["id"]
    )
    owner_user = unique("row-")
    await add_user(
        client,
        bureau,
        username=owner_user,
        role="owner",
        household_ids=[households["101"], households["102"]],
    )
    return Estate(
        community=community["id"],
        name=name,
        code=code,
        building=building["id"],
        households=households,
        owner_h=await login(client, owner_user),
        committee_h=await login(client, committee_user),
        owner_name=owner[0],
        neighbour_name=neighbour[0],
    )


async def deposit(
    client: httpx.AsyncClient, world: World, household: str, amount: str, paid_on: str
) -> dict[str, Any]:
    """A first deposit through the API (bureau, fresh Idempotency-Key)."""
    headers = {**world.h("bureau"), "Idempotency-Key": uuid.uuid4().hex}
    body = {"household_id": household, "amount": amount, "kind": "first", "paid_on": paid_on}
    return await created(await client.post("/api/v1/fund/deposits", json=body, headers=headers))


async def post_use(
    world: World,
    community: str,
    shares: dict[str, int],
    value_date: date,
    memo: str,
    fund_use_id: uuid.UUID,
) -> None:
    """Charge a fund use to households (fen per household id) through the ledger's posting
    service: the fund-use API (issue 4) does not exist yet."""
    community_id = uuid.UUID(community)
    ids = [uuid.UUID(h) for h in shares]
    owners = {
        r["id"]: r["owner"]
        for r in await Household.select(Household.id, Household.owner).where(
            Household.id.is_in(ids)
        )
    }
    async with transaction():
        chain = await ledger.lock_community(community_id)
        custody = await ledger.custody_account(world.district_id, community_id)
        accounts = await ledger.household_accounts(world.district_id, community_id, ids)
        lines = [LineDraft(accounts[h], h, owners[h], -shares[str(h)], 0) for h in ids]
        lines.append(LineDraft(custody, None, None, sum(shares.values()), 0))
        await ledger.post_entry(
            EntryDraft(
                chain=chain,
                district_id=world.district_id,
                kind="use",
                lines=lines,
                custody=custody,
                value_date=value_date,
                memo=memo,
                fund_use_id=fund_use_id,
            )
        )


async def bulk_households(
    world: World, community: str, building: str, count: int
) -> list[uuid.UUID]:
    """``count`` households of 50.00-99.00 m², one owner each, inserted directly (fast)."""
    owners = [
        Owner(
            district=world.district_id,
            name=f"业主{i:03d}",
            id_digest=uuid.uuid4().hex,
            id_masked="4103**********0000",
            created_at=now(),
        )
        for i in range(count)
    ]
    households = [
        Household(
            district=world.district_id,
            community=uuid.UUID(community),
            building=uuid.UUID(building),
            unit_no=str(i // 20 + 2),  # unit 1 holds make_estate's rooms
            room_no=f"{(i % 20) // 2 + 1}0{i % 2 + 1}",
            floor_area=5000 + (i * 137) % 5000,
            owner=owner.id,
            created_at=now(),
        )
        for i, owner in enumerate(owners)
    ]
    await Owner.insert(*owners)
    await Household.insert(*households)
    return [h.id for h in households]


async def post_first_deposits(world: World, community: str, amounts: dict[uuid.UUID, int]) -> None:
    """One first-deposit entry per household through the ledger (fast set-up)."""
    community_id = uuid.UUID(community)
    owners = {
        r["id"]: r["owner"]
        for r in await Household.select(Household.id, Household.owner).where(
            Household.id.is_in(list(amounts))
        )
    }
    async with transaction():
        chain = await ledger.lock_community(community_id)
        custody = await ledger.custody_account(world.district_id, community_id)
        accounts = await ledger.household_accounts(world.district_id, community_id, list(amounts))
        for household, amount in amounts.items():
            await ledger.post_entry(
                EntryDraft(
                    chain=chain,
                    district_id=world.district_id,
                    kind="first_deposit",
                    lines=[
                        LineDraft(accounts[household], household, owners[household], amount, 0),
                        LineDraft(custody, None, None, -amount, 0),
                    ],
                    custody=custody,
                    value_date=date(2026, 3, 1),
                )
            )


def pdf_text(pdf: bytes, tmp_path: Path, *, layout: bool = True) -> str:
    """The PDF's text by poppler's pdftotext: with ``layout`` a table row stays on one
    line; without, a wrapped cell's text stays together."""
    path = tmp_path / f"{uuid.uuid4().hex}.pdf"
    path.write_bytes(pdf)
    mode = ["-layout"] if layout else []
    return subprocess.run(
        ["pdftotext", *mode, str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def pdf_fonts(pdf: bytes, tmp_path: Path) -> list[dict[str, str]]:
    """``pdffonts`` rows: name, type and whether the font is embedded."""
    path = tmp_path / f"{uuid.uuid4().hex}.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(
        ["pdffonts", str(path)], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    rows = []
    for line in out[2:]:
        parts = line.split()
        # name type [type...] encoding emb sub uni object ID
        rows.append({"name": parts[0], "emb": parts[-5], "line": line})
    return rows


@pytest.fixture(scope="session", autouse=True)
def poppler() -> None:
    missing = [tool for tool in POPPLER if shutil.which(tool) is None]
    assert not missing, f"poppler-utils missing ({missing}): apt-get install poppler-utils"


async def paid_emergency_use(
    client: httpx.AsyncClient, world: World, block: Any, cost: str = "10000.00", **extra: Any
) -> dict[str, Any]:
    """An emergency fund use of ``block`` (a roof leak, no vote), approved by the bureau and
    paid in full in one final disbursement."""
    from tests.fund_uses.test_api import proposal

    use = await created(
        await client.post(
            "/api/v1/fund-uses",
            json=proposal(block, cost, emergency=True, emergency_reason="roof_leak", **extra),
            headers=block.headers["company"],
        )
    )
    approved = await client.post(
        f"/api/v1/fund-uses/{use['id']}/approve", headers=world.h("bureau2")
    )
    assert approved.status_code == 200, approved.text
    await created(
        await client.post(
            f"/api/v1/fund-uses/{use['id']}/disbursements",
            json={"amount": cost, "stage": "final"},
            headers={**world.h("bureau"), "Idempotency-Key": uuid.uuid4().hex},
        )
    )
    return use
