"""Maintenance fund ledger tables: accounts, the append-only double-entry journal, and
each community's chain head.

Sign convention: every line's deltas are changes of that account's balance, and the
lines of an entry sum to zero. A household's balance is what its owners hold in the
fund (>= 0); the community's custody (bank) account is the other side of every posting,
so its balance is the negative of what the bank holds for the community's fund.

Accounts:
- ``household``: one per household (分户账), ``household`` set. The account belongs to
  the flat and stays with it on a sale (建设部令第165号 art. 29); each journal line
  stores the owner at posting time.
- ``custody``: one per community, the custody bank account.
- ``selling_unit``: reserved for the selling unit's (售房单位) per-building account of
  sold public housing (``building`` set, art. 8); an ordinary account, no code path yet.

Balances on ``fund_account`` are a cache of the journal, changed only by
``service.funds.ledger.post_entry`` with atomic ``x = x + delta`` updates in the same
transaction as the lines; ``verify`` recomputes them.
"""

from __future__ import annotations

from piccolo.columns import (
    UUID,
    BigInt,
    BigSerial,
    Date,
    ForeignKey,
    Integer,
    OnDelete,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from service.registry.tables import Building, Community, District, Household, Owner

ACCOUNT_KINDS = ("household", "custody", "selling_unit")
ENTRY_KINDS = (
    "first_deposit",
    "replenish",
    "interest",
    "income",
    "refund",
    "reversal",
    "use",
)


class FundAccount(Table, tablename="fund_account"):
    id = UUID(primary_key=True)
    kind = Varchar(length=16)
    district = ForeignKey(District, on_delete=OnDelete.restrict, index=True)
    community = ForeignKey(Community, on_delete=OnDelete.restrict, index=True)
    building = ForeignKey(Building, null=True, default=None, on_delete=OnDelete.restrict)
    household = ForeignKey(
        Household, null=True, default=None, on_delete=OnDelete.restrict, unique=True
    )
    principal_fen = BigInt(default=0)
    interest_fen = BigInt(default=0)
    # Fixed by the first deposit posted (the amount actually paid); null until then.
    first_deposit_fen = BigInt(null=True, default=None)
    opened_at = Timestamptz()
    # Set by a demolition refund (the flat is gone); a reversal of the refund reopens it.
    closed_at = Timestamptz(null=True, default=None)


class FundChain(Table, tablename="fund_chain"):
    """A community's journal position: the last sequence number and the chain head.

    Writers of a community take this row's lock (an ``UPDATE``) before posting, which
    serialises them so that sequence numbers and the hash chain have no gaps or forks.
    """

    id = UUID(primary_key=True)
    community = ForeignKey(Community, on_delete=OnDelete.restrict, unique=True)
    last_seq = BigInt(default=0)
    head_hash = Varchar(length=64)


class FundEntry(Table, tablename="fund_entry"):
    """A journal entry (append-only; a correction is a reversal entry pointing here)."""

    id = UUID(primary_key=True)
    district = ForeignKey(District, on_delete=OnDelete.restrict, index=True)
    community = ForeignKey(Community, on_delete=OnDelete.restrict, index=True)
    seq = BigInt()
    kind = Varchar(length=20)
    posted_at = Timestamptz()
    # The business date (paid on, received on, end of the interest period).
    value_date = Date()
    # Calendar year of ``value_date``, for the yearly income and spending figures.
    book_year = Integer()
    period = Varchar(length=20, null=True, default=None)
    memo = Varchar(length=500, default="")
    reverses_entry: ForeignKey[FundEntry] = ForeignKey(
        "self", null=True, default=None, on_delete=OnDelete.restrict, unique=True
    )
    # Total moved into (+) or out of (-) households' accounts by this entry.
    amount_fen = BigInt()
    actor_id = UUID(null=True, default=None)
    idempotency_key = Varchar(length=200, null=True, default=None)
    fund_use_id = UUID(null=True, default=None, index=True)
    prev_hash = Varchar(length=64)
    hash = Varchar(length=64)


class FundLine(Table, tablename="fund_line"):
    """One account's change within an entry (append-only). On PostgreSQL the references are
    checked once per statement by a trigger, not per line by foreign keys (migration
    ``funds_2026_12_03t12_30_00``). A line's household is exactly its account's (none on
    the custody account's; migration ``funds_2026_12_03t16_30_00``), so a household's
    lines are found by its account: ``household`` is not indexed. An entry's lines are found
    by the (entry, account) index."""

    id = BigSerial(primary_key=True)
    entry = ForeignKey(FundEntry, on_delete=OnDelete.restrict)
    account = ForeignKey(FundAccount, on_delete=OnDelete.restrict, index=True)
    household = ForeignKey(Household, null=True, default=None, on_delete=OnDelete.restrict)
    # Who owned the household when the line was posted (statements show who held it when).
    owner = ForeignKey(Owner, null=True, default=None, on_delete=OnDelete.restrict)
    principal_delta = BigInt()
    interest_delta = BigInt()


class FirstDepositPromise(Table, tablename="first_deposit_promise"):
    """A promise that every household of a district existing at ``promised_at`` has its
    first deposit in the journal (made by the demo seed, in the transaction that writes
    the households). ``fulfilled_at`` is set once every promised deposit is posted;
    ``fund verify`` checks the promise either way, so a seed killed part-way is noticed."""

    id = UUID(primary_key=True)
    district = ForeignKey(District, on_delete=OnDelete.restrict, index=True)
    source = Varchar(length=40)
    promised_at = Timestamptz()
    fulfilled_at = Timestamptz(null=True, default=None)


class ChainHeadLog(Table, tablename="chain_head_log"):
    """The witness of the journal (append-only): every chain head the service published —
    on a statement, a verification, the daily job — with the entry it ends at and when.
    An owners' committee that kept a head can later ask whether the chain still holds it
    at the same place (``service.funds.witness``)."""

    id = BigSerial(primary_key=True)
    district = ForeignKey(District, on_delete=OnDelete.restrict, index=True)
    community = ForeignKey(Community, on_delete=OnDelete.restrict, index=True)
    seq = BigInt()
    head_hash = Varchar(length=64, index=True)
    # The keyed tag of (community, seq, head) under CHANGXIAO_WITNESS_KEY (kept outside
    # the database), so a rebuilt log cannot be made to agree with a rebuilt chain.
    tag = Varchar(length=64)
    reason = Varchar(length=20)
    recorded_at = Timestamptz()
