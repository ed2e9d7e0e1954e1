"""Two steps on one fund use fired at the same moment, many times, on both engines: never
both win where one excludes the other, the loser gets 409, and the use ends in the state
some order of the winners explains. A ballot acknowledged while the vote was being closed
is in the published tally."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import NamedTuple

import httpx
import pytest

from service.fund_uses.rules import IllegalTransition, UseAction, UseStatus, next_status, payable
from tests.fund_uses.test_api import Block, make_block, proposal
from tests.races.harness import Step, assert_explained, fire, status_of
from tests.support import World, unique

ROUNDS = 3
COST = 10_000  # fen: every use here costs 100.00


class Use(NamedTuple):
    status: str
    paid: int


def _moved(use: Use, action: UseAction, paid: int = 0) -> Use | None:
    try:
        return Use(next_status(use.status, action).value, use.paid + paid)
    except IllegalTransition:
        return None


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


class Race:
    def __init__(self, client: httpx.AsyncClient, world: World, block: Block) -> None:
        self.client, self.world, self.block = client, world, block

    def h(self, who: str) -> dict[str, str]:
        """The world's users, with the block's own committee and company."""
        return self.block.headers.get(who) or self.world.h(who)

    def post(
        self, path: str, who: str, body: object | None = None
    ) -> Callable[[], Awaitable[httpx.Response]]:
        headers = {**self.h(who), "Idempotency-Key": unique("race-")}
        return lambda: self.client.post(f"/api/v1/fund-uses/{path}", json=body, headers=headers)

    async def use(self, emergency: bool = True, approve: bool = True) -> str:
        extra = {"emergency": True, "emergency_reason": "roof_leak"} if emergency else {}
        answer = await self.client.post(
            "/api/v1/fund-uses",
            json=proposal(self.block, cost=_yuan(COST), **extra),
            headers=self.block.headers["company"],
        )
        assert answer.status_code == 201, answer.text
        use_id = str(answer.json()["id"])
        if approve:
            approved = await self.client.post(
                f"/api/v1/fund-uses/{use_id}/approve", headers=self.world.h("bureau2")
            )
            assert approved.status_code == 200, approved.text
        return use_id

    async def state(self, use_id: str) -> Use:
        answer = await self.client.get(
            f"/api/v1/fund-uses/{use_id}", headers=self.world.h("bureau")
        )
        body = answer.json()
        return Use(body["status"], int(body["paid"].replace(".", "")))

    def cancel(self, use_id: str) -> Step[Use]:
        return Step(
            "cancel",
            self.post(f"{use_id}/cancel", "bureau"),
            lambda u, _: _moved(u, UseAction.CANCEL),
        )

    def approve(self, use_id: str) -> Step[Use]:
        return Step(
            "approve",
            self.post(f"{use_id}/approve", "bureau2"),
            lambda u, _: _moved(u, UseAction.APPROVE),
        )

    def pay(self, use_id: str, fen: int, final: bool = False) -> Step[Use]:
        action = UseAction.PAY_FINAL if final else UseAction.PAY
        body = {"amount": _yuan(fen), "stage": "final" if final else "advance"}

        def model(u: Use, _: httpx.Response) -> Use | None:
            return _moved(u, action, fen) if payable(COST, u.paid, fen) else None

        return Step(
            f"pay {fen}{' final' if final else ''}",
            self.post(f"{use_id}/disbursements", "bureau", body),
            model,
        )

    def close(self, use_id: str) -> Step[Use]:
        def model(u: Use, answer: httpx.Response) -> Use | None:
            if u.status != UseStatus.VOTING:
                return None
            closed = status_of(answer) if answer.status_code == 200 else UseStatus.REJECTED
            return Use(closed, u.paid)

        return Step("close", self.post(f"{use_id}/close-vote", "bureau"), model)

    def ballot(self, use_id: str) -> Step[Use]:
        body = {"household_id": self.block.households[0], "choice": "yes"}

        def model(u: Use, _: httpx.Response) -> Use | None:
            return u if u.status == UseStatus.VOTING else None

        return Step("ballot", self.post(f"{use_id}/ballots", "committee", body), model)


@pytest.fixture
async def race(client: httpx.AsyncClient, world: World) -> Race:
    block = await make_block(
        client, world, deposits=("50000.00", "50000.00", "50000.00", "50000.00")
    )
    return Race(client, world, block)


PAIRS = {
    "cancel vs advance": (True, lambda r, u: [r.cancel(u), r.pay(u, 5_000)]),
    "cancel vs final": (True, lambda r, u: [r.cancel(u), r.pay(u, 7_000, final=True)]),
    "final vs advance": (True, lambda r, u: [r.pay(u, 7_000, final=True), r.pay(u, 5_000)]),
    "advance vs advance": (True, lambda r, u: [r.pay(u, 6_000), r.pay(u, 6_000)]),
    "approve vs cancel": (False, lambda r, u: [r.approve(u), r.cancel(u)]),
    "approve vs approve": (False, lambda r, u: [r.approve(u), r.approve(u)]),
}


@pytest.mark.parametrize("pair", sorted(PAIRS))
async def test_of_two_competing_steps_the_answers_and_the_end_agree(race: Race, pair: str) -> None:
    approved, build = PAIRS[pair]
    for _ in range(ROUNDS):
        use_id = await race.use(emergency=True, approve=approved)
        start = await race.state(use_id)
        steps = build(race, use_id)
        answers = await fire(steps)
        assert_explained(start, steps, answers, await race.state(use_id))


@pytest.mark.parametrize("pair", ["close vs cancel", "close vs close"])
async def test_closing_a_vote_competes_with_cancel_and_with_itself(race: Race, pair: str) -> None:
    for _ in range(ROUNDS):
        use_id = await race.use(emergency=False, approve=False)
        start = await race.state(use_id)
        other = race.cancel(use_id) if pair == "close vs cancel" else race.close(use_id)
        steps = [race.close(use_id), other]
        answers = await fire(steps)
        assert_explained(start, steps, answers, await race.state(use_id))


async def test_a_ballot_acknowledged_while_the_vote_closes_is_in_the_published_tally(
    race: Race,
) -> None:
    for _ in range(ROUNDS * 2):
        use_id = await race.use(emergency=False, approve=False)
        start = await race.state(use_id)
        steps = [race.ballot(use_id), race.close(use_id)]
        ballot, close = await fire(steps)
        assert_explained(start, steps, [ballot, close], await race.state(use_id))
        tally = (
            await race.client.get(f"/api/v1/fund-uses/{use_id}/tally", headers=race.h("auditor"))
        ).json()
        assert tally["voted_owners"] == (1 if ballot.status_code == 201 else 0), (
            ballot.status_code,
            tally,
        )
