"""``changxiao fund verify`` (service.funds.cli.verify_cli)."""

from __future__ import annotations

import httpx
import pytest

from service.funds.cli import report_verification
from service.funds.tables import FundAccount
from tests.funds.conftest import Estate, deposit
from tests.support import World


async def test_fund_verify_prints_ok_and_exits_zero_for_a_sound_community(
    client: httpx.AsyncClient, world: World, estate: Estate, capsys: pytest.CaptureFixture[str]
) -> None:
    await deposit(client, world, estate.households[0], "10.00")
    code = (
        await client.get(f"/api/v1/communities/{estate.community}", headers=world.h("bureau"))
    ).json()["code"]
    assert await report_verification(code) == 0
    assert capsys.readouterr().out.startswith("ok")


async def test_fund_verify_exits_one_on_a_mismatch(
    client: httpx.AsyncClient, world: World, estate: Estate, capsys: pytest.CaptureFixture[str]
) -> None:
    await deposit(client, world, estate.households[0], "10.00")
    code = (
        await client.get(f"/api/v1/communities/{estate.community}", headers=world.h("bureau"))
    ).json()["code"]
    where = FundAccount.household == estate.households[0]
    await FundAccount.update({FundAccount.interest_fen: FundAccount.interest_fen + 1}).where(where)
    try:
        assert await report_verification(code) == 1
        assert "FAILED" in capsys.readouterr().out
    finally:
        await FundAccount.update({FundAccount.interest_fen: FundAccount.interest_fen - 1}).where(
            where
        )


async def test_fund_verify_exits_two_for_an_unknown_code(client: httpx.AsyncClient) -> None:
    assert await report_verification("NO-SUCH-CODE") == 2
