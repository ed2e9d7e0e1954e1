"""Fund postings for one household or entry (deposit, refund, reversal), each in one
transaction with its audit entry; batch postings live in ``batches.py``.

All of them go through ``ledger.post_entry`` after ``ledger.lock_community``.

Sub-accounts: deposits go to principal; interest and the owners' share of income from
common parts (公共收益, art. 28) go to the interest (earnings) sub-account.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from litestar.exceptions import NotFoundException

from service.audit.service import record
from service.auth.roles import Caller
from service.clock import now, today
from service.db import fetch, transaction
from service.errors import Conflict, InputError
from service.funds import ledger, schemas
from service.funds.ledger import EntryDraft, LineDraft
from service.funds.rules import earliest_value_date
from service.idempotency import Lead
from service.units import format_yuan, parse_fen


def within_fund_life(value: date, field: str, built_year: int | None = None) -> date:
    """A value date inside the fund's life: not after today, not before
    ``rules.earliest_value_date`` (1990, or the community's built year)."""
    if value > today():
        raise InputError(field, "不能晚于今天")
    earliest = earliest_value_date(built_year)
    if value < earliest:
        raise InputError(field, f"不能早于 {earliest.isoformat()}（维修资金存续期之前）")
    return value


async def _household(district_id: UUID, household_id: UUID, field: str) -> dict[str, Any]:
    rows = await fetch(
        "SELECT id, community, owner, floor_area FROM household WHERE id = {} AND district = {}",
        household_id,
        district_id,
    )
    if not rows:
        raise InputError(field, "房屋不存在")
    return rows[0]


# What reversing an entry of this kind undoes on its accounts besides the balances.
REOPENS = {"first_deposit": "first_deposit_fen", "refund": "closed_at"}


async def _owner_now(household_id: UUID) -> UUID:
    """The owner at posting time (read inside the posting transaction)."""
    rows = await fetch("SELECT owner FROM household WHERE id = {}", household_id)
    return UUID(str(rows[0]["owner"]))


ACCOUNT_STATE_SQL = (
    "SELECT h.owner, a.id AS account, a.closed_at, a.first_deposit_fen, a.principal_fen,"
    " a.interest_fen, c.id AS custody, m.built_year FROM household AS h"
    " JOIN community AS m ON m.id = h.community"
    " LEFT JOIN fund_account AS a ON a.household = h.id AND a.kind = 'household'"
    " LEFT JOIN fund_account AS c ON c.community = h.community AND c.kind = 'custody'"
    " WHERE h.id = {}"
)


async def _account_state(
    district_id: UUID, community_id: UUID, household_id: UUID
) -> dict[str, Any]:
    """The household's account, its current owner and the community's custody account in
    one read (under the community lock), opening the accounts on first use."""
    rows = await fetch(ACCOUNT_STATE_SQL, household_id)
    if rows[0]["account"] is None or rows[0]["custody"] is None:
        await ledger.custody_account(district_id, community_id)
        await ledger.household_accounts(district_id, community_id, [household_id])
        rows = await fetch(ACCOUNT_STATE_SQL, household_id)
    return rows[0]


async def deposit(
    caller: Caller, data: schemas.DepositIn, *, key: str | None = None, lead: Lead | None = None
) -> schemas.DepositOut:
    """Post a first deposit (首期, once per household) or a replenishment (续交, art. 17).
    ``lead``: the community's journal lock already taken with the idempotency claim
    (``ledger.household_lock_lead``)."""
    amount = parse_fen(data.amount, "amount")
    paid_on = within_fund_life(data.paid_on, "paid_on")
    household_id = data.household_id
    async with transaction():
        chain = await ledger.lock_community_of_household(caller.district_id, household_id, lead)
        if chain is None:
            raise InputError("household_id", "房屋不存在")
        state = await _account_state(caller.district_id, chain.community, household_id)
        account, custody = state["account"], state["custody"]
        within_fund_life(paid_on, "paid_on", int(state["built_year"]))
        if state["closed_at"] is not None:
            raise Conflict("该房屋已因灭失退还维修资金并销户，不能再交存。")
        if data.kind == "first":
            if state["first_deposit_fen"] is not None:
                raise Conflict("该房屋已交存首期维修资金；续交请使用 kind=replenish。")
            await fetch(
                "UPDATE fund_account SET first_deposit_fen = {} WHERE id = {}", amount, account
            )
        elif state["first_deposit_fen"] is None:
            raise Conflict("该房屋尚未交存首期维修资金，请先交存首期（kind=first）。")
        posted = await ledger.post_entry(
            EntryDraft(
                chain=chain,
                district_id=caller.district_id,
                kind="first_deposit" if data.kind == "first" else "replenish",
                lines=[
                    LineDraft(account, household_id, state["owner"], amount, 0),
                    LineDraft(custody, None, None, -amount, 0),
                ],
                custody=custody,
                value_date=paid_on,
                memo=data.memo,
                actor_id=caller.id,
                idempotency_key=key,
            ),
            # Nothing below reads what the posting writes: it goes out at COMMIT, in one
            # statement with the audit row and the stored idempotent answer.
            at_commit=True,
        )
        # Read under the community lock, which every posting to this account takes.
        balance = int(state["principal_fen"]) + int(state["interest_fen"]) + amount
        await record(
            caller,
            "fund.deposit",
            "fund_entry",
            posted.entry_id,
            after={
                "household_id": household_id,
                "kind": data.kind,
                "amount_fen": amount,
                "paid_on": paid_on,
                "seq": posted.seq,
                "hash": posted.hash,
            },
        )
    return schemas.DepositOut(
        entry_id=posted.entry_id,
        household_id=household_id,
        amount=format_yuan(amount),
        balance=format_yuan(balance),
    )


async def refund(
    caller: Caller, data: schemas.RefundIn, *, key: str | None = None
) -> schemas.RefundOut:
    """Refund a household's whole balance, principal and interest, on demolition (art. 30),
    and close its account: no more deposits, income shares or replenishment calls."""
    household = await _household(caller.district_id, data.household_id, "household_id")
    community_id = household["community"]
    async with transaction():
        chain = await ledger.lock_community(community_id)
        rows = await fetch(
            "SELECT id, principal_fen, interest_fen FROM fund_account WHERE household = {}",
            household["id"],
        )
        if not rows or int(rows[0]["principal_fen"]) + int(rows[0]["interest_fen"]) == 0:
            raise Conflict("该房屋的维修资金余额为零，无可退还。")
        account = UUID(str(rows[0]["id"]))
        principal, interest = int(rows[0]["principal_fen"]), int(rows[0]["interest_fen"])
        custody = await ledger.custody_account(caller.district_id, community_id)
        posted = await ledger.post_entry(
            EntryDraft(
                chain=chain,
                district_id=caller.district_id,
                kind="refund",
                lines=[
                    LineDraft(
                        account,
                        household["id"],
                        await _owner_now(household["id"]),
                        -principal,
                        -interest,
                    ),
                    LineDraft(custody, None, None, principal, interest),
                ],
                custody=custody,
                value_date=today(),
                memo=data.reason.strip(),
                actor_id=caller.id,
                idempotency_key=key,
            )
        )
        await fetch("UPDATE fund_account SET closed_at = {} WHERE id = {}", now(), account)
        await record(
            caller,
            "fund.refund",
            "fund_entry",
            posted.entry_id,
            after={
                "household_id": household["id"],
                "principal_fen": principal,
                "interest_fen": interest,
                "reason": data.reason,
            },
        )
    return schemas.RefundOut(
        entry_id=posted.entry_id,
        household_id=household["id"],
        amount=format_yuan(principal + interest),
        principal=format_yuan(principal),
        interest=format_yuan(interest),
    )


async def reverse(
    caller: Caller, entry_id: UUID, data: schemas.ReverseIn, *, key: str | None = None
) -> schemas.ReverseOut:
    """Correct an entry by a reversal entry pointing to it (the journal is append-only).

    An entry is reversed at most once, a reversal is not itself reversed, and a reversal
    that would leave any household sub-balance negative is refused (409). Reversing a
    first deposit frees the household to post its first deposit again; reversing a
    refund reopens the account.
    """
    found = await fetch(
        "SELECT id, community, kind FROM fund_entry WHERE id = {} AND district = {}",
        entry_id,
        caller.district_id,
    )
    if not found:
        raise NotFoundException("分录不存在，或不在您的权限范围内。")
    original = found[0]
    community_id = UUID(str(original["community"]))
    async with transaction():
        chain = await ledger.lock_community(community_id)
        if original["kind"] == "reversal":
            raise Conflict("冲正分录不能再被冲正；如需更正请重新记账。")
        if original["kind"] == "use":
            # The fund use records what it paid; a bare reversal would leave it claiming
            # money that is back in the households' accounts.
            raise Conflict("维修资金使用的拨付不能在此冲正，请通过该使用申请办理。")
        done = await fetch("SELECT id FROM fund_entry WHERE reverses_entry = {}", entry_id)
        if done:
            raise Conflict(f"该分录已被冲正（冲正分录 {done[0]['id']}）。")
        lines = await fetch(
            "SELECT l.account, l.household, h.owner, l.principal_delta, l.interest_delta"
            " FROM fund_line AS l LEFT JOIN household AS h ON h.id = l.household"
            " WHERE l.entry = {}",
            entry_id,
        )
        custody = await ledger.custody_account(caller.district_id, community_id)
        posted = await ledger.post_entry(
            EntryDraft(
                chain=chain,
                district_id=caller.district_id,
                kind="reversal",
                lines=[
                    LineDraft(
                        UUID(str(line["account"])),
                        line["household"],
                        line["owner"],
                        -int(line["principal_delta"]),
                        -int(line["interest_delta"]),
                    )
                    for line in lines
                ],
                custody=custody,
                value_date=today(),
                memo=data.reason.strip(),
                reverses_entry=entry_id,
                actor_id=caller.id,
                idempotency_key=key,
            )
        )
        if await ledger.negative_accounts_of_entry(posted.entry_id):
            raise Conflict("冲正后有分户账余额将为负数（资金已被使用或退还），不能冲正。")
        if original["kind"] in REOPENS:
            await fetch(
                f"UPDATE fund_account SET {REOPENS[original['kind']]} = NULL"
                " WHERE kind = 'household' AND id IN"
                " (SELECT account FROM fund_line WHERE entry = {})",
                entry_id,
            )
        await record(
            caller,
            "fund.reverse",
            "fund_entry",
            posted.entry_id,
            after={"reverses_entry": entry_id, "reason": data.reason},
        )
    return schemas.ReverseOut(
        entry_id=posted.entry_id,
        reverses_entry_id=entry_id,
        kind=str(original["kind"]),
        amount=format_yuan(-posted.amount_fen),
    )
