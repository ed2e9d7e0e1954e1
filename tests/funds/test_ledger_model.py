"""A hypothesis state machine drives the posting service (deposits, interest, reversals,
duplicate and conflicting deliveries of one Idempotency-Key) and compares every balance
with a pure-Python model after each step; at the end the journal verifies."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any, ClassVar, TypeVar

import httpx
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    rule,
    run_state_machine_as_test,
)

from service.clock import now
from service.db import fetch
from service.errors import Conflict
from service.funds import batches, ledger, schemas, service
from service.funds.rules import allocate_by_weight
from service.idempotency import request_fingerprint, run_once
from service.registry.tables import Building, Community
from tests.funds.conftest import bulk_households
from tests.support import World, bureau_caller

T = TypeVar("T")
HOUSEHOLDS = 3
# Deposits are dated 2026-01-01 and count every day of these periods; interest and
# reversals are dated the day they are posted (later), and a reversal counts from the date
# of what it reverses: the balance-days are each account's live principal × the period's
# days, so the shares are those of the principal balances.
PERIODS = ("2026-01", "2026-02", "2026-03")


class FundMachine(RuleBasedStateMachine):
    loop: ClassVar[asyncio.AbstractEventLoop]
    world: ClassVar[World]

    def __init__(self) -> None:
        super().__init__()
        self.caller = bureau_caller(self.world.district_id, "model")
        self.community, self.households = self.run(self._setup)
        self.balances = {h: [0, 0] for h in self.households}  # principal, interest
        self.first_paid = dict.fromkeys(self.households, False)
        self.accounts: dict[uuid.UUID, uuid.UUID] = {}
        # entry id → (kind, {household: (principal, interest)}, period)
        self.entries: dict[str, tuple[str, dict[uuid.UUID, tuple[int, int]], str | None]] = {}
        self.reversed: set[str] = set()
        self.live_periods: dict[str, str] = {}
        self.deliveries: list[tuple[str, str, Any, Any]] = []  # key, path, body, answer

    def run(self, factory: Callable[[], Awaitable[T]]) -> T:
        return asyncio.run_coroutine_threadsafe(factory(), self.loop).result(timeout=60)

    async def _setup(self) -> tuple[uuid.UUID, list[uuid.UUID]]:
        community = Community(
            district=self.world.district_id,
            area=uuid.UUID(self.world.ids["area"]),
            name="模型小区",
            code=f"M{uuid.uuid4().hex[:10]}",
            built_year=1990,
            deposit_rate_fen=4500,
            created_at=now(),
        )
        await community.save()
        building = Building(community=community.id, name="1", floors=6, created_at=now())
        await building.save()
        households = await bulk_households(
            self.world.district_id, community.id, building.id, ["70.00"] * HOUSEHOLDS
        )
        return community.id, households

    def deliver(
        self, path: str, body: Any, operation: Callable[[], Awaitable[Any]], key: str | None = None
    ) -> Any:
        key = key or uuid.uuid4().hex
        _, answer = self.run(
            lambda: run_once(
                scope=str(self.world.district_id),
                key=key,
                fingerprint=request_fingerprint("POST", path, body),
                operation=lambda _key: operation(),
            )
        )
        self.deliveries.append((key, path, body, answer))
        return answer

    async def _account(self, household: uuid.UUID) -> uuid.UUID:
        rows = await fetch("SELECT id FROM fund_account WHERE household = {}", household)
        return uuid.UUID(str(rows[0]["id"]))

    @rule(index=st.integers(0, HOUSEHOLDS - 1), fen=st.integers(1, 10_000_000))
    def deposit(self, index: int, fen: int) -> None:
        household = self.households[index]
        kind = "replenish" if self.first_paid[household] else "first"
        body = schemas.DepositIn(
            household_id=household, amount=_yuan(fen), kind=kind, paid_on=date(2026, 1, 1)
        )
        answer = self.deliver("/fund/deposits", body, lambda: service.deposit(self.caller, body))
        self.balances[household][0] += fen
        self.first_paid[household] = True
        self.accounts.setdefault(household, self.run(lambda: self._account(household)))
        self.entries[answer["entry_id"]] = (
            "first_deposit" if kind == "first" else "replenish",
            {household: (fen, 0)},
            None,
        )
        assert answer["balance"] == _format(sum(self.balances[household]))

    @rule(period=st.sampled_from(PERIODS), fen=st.integers(1, 1_000_000))
    def interest(self, period: str, fen: int) -> None:
        body = schemas.InterestIn(community_id=self.community, period=period, amount=_yuan(fen))
        weights = {self.accounts[h]: b[0] for h, b in self.balances.items() if b[0] > 0}
        operation = lambda: batches.allocate_interest(self.caller, body)  # noqa: E731
        if period in self.live_periods or not weights:
            self.expect_conflict("/fund/interest", body, operation)
            return
        answer = self.deliver("/fund/interest", body, operation)
        shares = allocate_by_weight(fen, weights)
        by_household = {}
        for household, account in self.accounts.items():
            if account in shares:
                self.balances[household][1] += shares[account]
                by_household[household] = (0, shares[account])
        self.entries[answer["entry_id"]] = ("interest", by_household, period)
        self.live_periods[period] = answer["entry_id"]

    # Choices among earlier results are drawn as plain integers (modulo the list), so that
    # replays draw the same data even when random ids change which results exist.
    @rule(pick=st.integers(0, 1000))
    def reverse(self, pick: int) -> None:
        candidates = [e for e in self.entries if e not in self.reversed]
        if not candidates:
            return
        entry_id = candidates[pick % len(candidates)]
        kind, deltas, period = self.entries[entry_id]
        body = schemas.ReverseIn(reason="更正")
        target = uuid.UUID(entry_id)
        operation = lambda: service.reverse(self.caller, target, body)  # noqa: E731
        path = f"/fund/entries/{entry_id}/reverse"
        after = {
            h: (self.balances[h][0] - p, self.balances[h][1] - i) for h, (p, i) in deltas.items()
        }
        if any(p < 0 or i < 0 for p, i in after.values()):
            self.expect_conflict(path, body, operation)
            return
        answer = self.deliver(path, body, operation)
        for household, (p, i) in after.items():
            self.balances[household] = [p, i]
            if kind == "first_deposit":
                self.first_paid[household] = False
        self.reversed.add(entry_id)
        self.reversed.add(answer["entry_id"])  # a reversal is never reversed
        if period is not None:
            self.live_periods.pop(period, None)

    @rule(pick=st.integers(0, 1000))
    def deliver_again(self, pick: int) -> None:
        if not self.deliveries:
            return
        key, path, body, answer = self.deliveries[pick % len(self.deliveries)]

        async def must_not_run(_key: str) -> Any:
            raise AssertionError("a duplicate delivery ran its operation again")

        _, again = self.run(
            lambda: run_once(
                scope=str(self.world.district_id),
                key=key,
                fingerprint=request_fingerprint("POST", path, body),
                operation=must_not_run,
            )
        )
        assert again == answer

    @rule(pick=st.integers(0, 1000))
    def deliver_other_body_with_a_used_key(self, pick: int) -> None:
        if not self.deliveries:
            return
        key, path, _, _ = self.deliveries[pick % len(self.deliveries)]
        try:
            self.run(
                lambda: run_once(
                    scope=str(self.world.district_id),
                    key=key,
                    fingerprint=request_fingerprint("POST", path, {"other": 1}),
                    operation=lambda _key: asyncio.sleep(0),
                )
            )
        except Conflict:
            return
        raise AssertionError("a used key with another body was accepted")

    def expect_conflict(
        self, path: str, body: Any, operation: Callable[[], Awaitable[Any]]
    ) -> None:
        key = uuid.uuid4().hex
        try:
            self.deliver(path, body, operation, key=key)
        except Conflict:
            self.deliveries = [d for d in self.deliveries if d[0] != key]
            return
        raise AssertionError(f"expected a conflict for {path}")

    @invariant()
    def balances_agree_with_the_model(self) -> None:
        rows = self.run(
            lambda: fetch(
                "SELECT household, principal_fen, interest_fen FROM fund_account"
                " WHERE community = {} AND kind = 'household'",
                self.community,
            )
        )
        stored = {
            uuid.UUID(str(r["household"])): [int(r["principal_fen"]), int(r["interest_fen"])]
            for r in rows
        }
        for household, balance in self.balances.items():
            assert stored.get(household, [0, 0]) == balance, (household, stored, balance)

    def teardown(self) -> None:
        result = self.run(lambda: ledger.verify(self.community))
        assert result.ok, result.problems


def _yuan(fen: int) -> Any:
    from decimal import Decimal

    return Decimal(fen).scaleb(-2)


def _format(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


async def test_the_ledger_agrees_with_a_pure_model_after_every_step(
    client: httpx.AsyncClient, world: World
) -> None:
    FundMachine.loop = asyncio.get_running_loop()
    FundMachine.world = world
    await asyncio.to_thread(
        run_state_machine_as_test,
        FundMachine,
        settings=settings(
            max_examples=25,
            stateful_step_count=15,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
