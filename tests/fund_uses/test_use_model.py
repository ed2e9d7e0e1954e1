"""A hypothesis state machine walks fund uses through the API (proposals, ballots,
closing votes, approvals, cancels and staged payments, in any order, legal or not) and
compares every use's status and paid total and every household's balance with a pure
model after each step; the journal verifies at the end."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable
from typing import Any, ClassVar, TypeVar

import httpx
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from service.fund_uses.rules import IllegalTransition, UseAction, UseStatus, next_status, payable
from service.funds import ledger
from service.funds.rules import allocate_by_weight
from service.votes.rules import Choice, Flat, tally_owner_vote
from tests.fund_uses.test_api import Block, make_block, proposal
from tests.support import World, unique

T = TypeVar("T")
AREA = 10_000  # every flat 100.00 m²
DEPOSIT = 5_000_000  # 50,000.00 each: no payment here runs an account dry
COSTS = st.sampled_from([10_000, 12_345, 30_001])
AMOUNTS = st.sampled_from([1, 3_333, 5_000, 10_000, 30_001])


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def _fen(text: str) -> int:
    whole, _, part = text.partition(".")
    return int(whole) * 100 + int(part.ljust(2, "0"))


class UseMachine(RuleBasedStateMachine):
    loop: ClassVar[asyncio.AbstractEventLoop]
    client: ClassVar[httpx.AsyncClient]
    world: ClassVar[World]
    block: ClassVar[Block]
    balances: ClassVar[dict[str, int]]

    def __init__(self) -> None:
        super().__init__()
        # use id → status, cost, paid, ballots (household → choice)
        self.uses: dict[str, dict[str, Any]] = {}

    def run(self, factory: Awaitable[T]) -> T:
        return asyncio.run_coroutine_threadsafe(factory, self.loop).result(timeout=120)  # type: ignore[arg-type]

    def h(self, who: str) -> dict[str, str]:
        headers = self.block.headers.get(who) or self.world.h(who)
        return {**headers, "Idempotency-Key": unique("model-")}

    def post(self, path: str, who: str, body: Any = None) -> httpx.Response:
        return self.run(self.client.post(f"/api/v1/{path}", json=body, headers=self.h(who)))

    def expect(self, answer: httpx.Response, allowed: bool) -> bool:
        if allowed:
            assert answer.status_code in (200, 201), answer.text
        else:
            assert answer.status_code == 409, answer.text
        return allowed

    def _next(self, use: dict[str, Any], action: UseAction) -> UseStatus | None:
        try:
            return next_status(use["status"], action)
        except IllegalTransition:
            return None

    @initialize(cost=COSTS)
    def an_approved_use_and_an_open_vote(self, cost: int) -> None:
        """Start where payments and ballots have something to act on."""
        self.propose(cost, emergency=True)
        self.approve(0)
        self.propose(cost, emergency=False)

    @rule(cost=COSTS, emergency=st.booleans())
    def propose(self, cost: int, emergency: bool) -> None:
        extra = {"emergency": True, "emergency_reason": "roof_leak"} if emergency else {}
        answer = self.post("fund-uses", "company", proposal(self.block, cost=_yuan(cost), **extra))
        assert answer.status_code == 201, answer.text
        status = UseStatus.PENDING_APPROVAL if emergency else UseStatus.VOTING
        self.uses[answer.json()["id"]] = {"status": status, "cost": cost, "paid": 0, "ballots": {}}

    def pick(self, index: int) -> tuple[str, dict[str, Any]]:
        use_id = sorted(self.uses)[index % len(self.uses)]
        return use_id, self.uses[use_id]

    @precondition(lambda self: self.uses)
    @rule(index=st.integers(0, 50), flat=st.integers(0, 3), choice=st.sampled_from(["yes", "no"]))
    def ballot(self, index: int, flat: int, choice: str) -> None:
        use_id, use = self.pick(index)
        household = self.block.households[flat]
        answer = self.post(
            f"fund-uses/{use_id}/ballots",
            "committee",
            {"household_id": household, "choice": choice},
        )
        if self.expect(answer, use["status"] == UseStatus.VOTING):
            use["ballots"][household] = Choice(choice)

    @precondition(lambda self: self.uses)
    @rule(index=st.integers(0, 50))
    def close(self, index: int) -> None:
        use_id, use = self.pick(index)
        answer = self.post(f"fund-uses/{use_id}/close-vote", "bureau")
        if self.expect(answer, use["status"] == UseStatus.VOTING):
            flats = [Flat(h, h, AREA) for h in self.block.households]
            tally = tally_owner_vote(flats, use["ballots"])
            use["status"] = UseStatus.OWNERS_APPROVED if tally.approved else UseStatus.REJECTED
            assert answer.json()["status"] == use["status"]

    @precondition(lambda self: self.uses)
    @rule(index=st.integers(0, 50))
    def approve(self, index: int) -> None:
        use_id, use = self.pick(index)
        after = self._next(use, UseAction.APPROVE)
        if self.expect(self.post(f"fund-uses/{use_id}/approve", "bureau2"), after is not None):
            use["status"] = after

    @precondition(lambda self: self.uses)
    @rule(index=st.integers(0, 50))
    def cancel(self, index: int) -> None:
        use_id, use = self.pick(index)
        after = self._next(use, UseAction.CANCEL)
        if self.expect(self.post(f"fund-uses/{use_id}/cancel", "bureau"), after is not None):
            use["status"] = after

    @precondition(lambda self: self.uses)
    @rule(index=st.integers(0, 50), amount=AMOUNTS, final=st.booleans())
    def pay(self, index: int, amount: int, final: bool) -> None:
        use_id, use = self.pick(index)
        after = self._next(use, UseAction.PAY_FINAL if final else UseAction.PAY)
        allowed = after is not None and payable(use["cost"], use["paid"], amount)
        body = {"amount": _yuan(amount), "stage": "final" if final else "advance"}
        if self.expect(self.post(f"fund-uses/{use_id}/disbursements", "bureau", body), allowed):
            use["status"], use["paid"] = after, use["paid"] + amount
            weights = dict.fromkeys(self.block.households, use["cost"])
            for household, fen in allocate_by_weight(amount, weights).items():
                self.balances[household] -= fen

    @invariant()
    def uses_and_balances_agree_with_the_model(self) -> None:
        for use_id, use in self.uses.items():
            answer = self.run(
                self.client.get(f"/api/v1/fund-uses/{use_id}", headers=self.world.h("bureau"))
            ).json()
            assert (answer["status"], _fen(answer["paid"])) == (use["status"], use["paid"])
        for household in self.block.households:
            answer = self.run(
                self.client.get(
                    f"/api/v1/households/{household}/fund", headers=self.world.h("bureau")
                )
            ).json()
            assert _fen(answer["balance"]) == self.balances[household], household

    def teardown(self) -> None:
        result = self.run(ledger.verify(uuid.UUID(self.block.community)))
        assert result.ok, result.problems


async def test_fund_uses_agree_with_a_pure_model_after_every_step(
    client: httpx.AsyncClient, world: World
) -> None:
    block = await make_block(client, world, deposits=(_yuan(DEPOSIT),) * 4)
    UseMachine.loop = asyncio.get_running_loop()
    UseMachine.client, UseMachine.world, UseMachine.block = client, world, block
    UseMachine.balances = dict.fromkeys(block.households, DEPOSIT)
    await asyncio.to_thread(
        run_state_machine_as_test,
        UseMachine,
        settings=settings(
            max_examples=12,
            stateful_step_count=12,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
