"""Pure rules of the maintenance fund (住宅专项维修资金): no I/O, integers only.

Money is integer fen, floor area integer hundredths of a square metre.
"""

from __future__ import annotations

import calendar
import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from operator import itemgetter
from typing import Any, TypeVar

import msgspec

K = TypeVar("K")

# The hash chain of a community starts from this "previous hash".
GENESIS_HASH = "0" * 64

REPLENISH_PERCENT = 30

# The fund's life begins no earlier than the housing reform that created maintenance funds
# for sold public housing (the early 1990s; the national rules followed in 1998), and no
# earlier than the community's built year: a value date before either is a typing error
# (a deposit "paid" in 1900), never a real payment.
FUND_EPOCH = date(1990, 1, 1)


def earliest_value_date(built_year: int | None = None) -> date:
    """The first day a posting of this community may be dated: 1990-01-01, or 1 January of
    the community's built year when that is later."""
    if built_year is None:
        return FUND_EPOCH
    return max(FUND_EPOCH, date(built_year, 1, 1))


def first_deposit(rate_fen_per_m2: int, area_hundredths: int) -> int:
    """First deposit (首期) in fen: the community's rate × floor area (建设部令第165号 art. 7).

    ``rate_fen_per_m2`` × ``area_hundredths`` / 100 is a fen amount with up to two more
    decimals; it is rounded half up to the fen (45.00 yuan/m² × 72.15 m² = 3246.75 yuan).
    """
    if rate_fen_per_m2 < 0 or area_hundredths < 0:
        raise ValueError("rate and area must not be negative")
    whole, rest = divmod(rate_fen_per_m2 * area_hundredths, 100)
    return whole + (1 if rest >= 50 else 0)


def replenish_threshold(first_deposit_fen: int) -> int:
    """30% of the first deposit (art. 17), rounded UP to the fen.

    Rounding up keeps "balance < threshold" exactly equal to "balance < 30% of the first
    deposit" for whole-fen balances: 30% of 3888.01 yuan is 1166.403 yuan, a balance of
    1166.40 is below it, and so is it below the rounded-up threshold 1166.41.
    """
    if first_deposit_fen < 0:
        raise ValueError("first deposit must not be negative")
    return -((-first_deposit_fen * REPLENISH_PERCENT) // 100)


def needs_replenishment(balance_fen: int, first_deposit_fen: int | None) -> bool:
    """Strictly below 30% of the first deposit (不足30%): exactly 30% does not trigger.

    A household that never made its first deposit is not "replenishing": it owes the
    first deposit itself, so this is False for it.
    """
    if first_deposit_fen is None:
        return False
    return balance_fen < replenish_threshold(first_deposit_fen)


def owed_to_threshold(balance_fen: int, first_deposit_fen: int | None) -> int:
    """What a household must deposit to get back to its replenishment threshold (0 if not below)."""
    if first_deposit_fen is None:
        return 0
    return max(0, replenish_threshold(first_deposit_fen) - balance_fen)


def allocate_by_weight(total_fen: int, weights: Mapping[K, int]) -> dict[K, int]:
    """Split ``total_fen`` in proportion to ``weights``, to the fen, summing exactly.

    Largest remainder (Hamilton): each key gets the floor of its exact share, and the fen
    left over go one each to the largest remainders, ties broken by key (as a string) so
    the result never depends on input order. Each share is within one fen of its exact
    value. Weights are balances (interest, DOMAIN "Interest") or floor areas (income and
    costs, art. 19). Keys with zero weight get zero. Raises ``ValueError`` for a negative
    total or weight, or when all weights are zero.
    """
    if total_fen < 0:
        raise ValueError("total must not be negative")
    if any(w < 0 for w in weights.values()):
        raise ValueError("weights must not be negative")
    total_weight = sum(weights.values())
    if total_weight == 0:
        raise ValueError("nothing to allocate over: every weight is zero")
    shares: dict[K, int] = {}
    remainders: list[tuple[int, K]] = []
    for key, weight in weights.items():
        share, remainder = divmod(total_fen * weight, total_weight)
        shares[key] = share
        remainders.append((remainder, key))
    left = total_fen - sum(shares.values())
    if left:
        # The ``left`` largest remainders, ties by key as a string: every remainder above
        # the cut gets a fen; only the keys tied at the cut are ordered by their string
        # (a batch splits every household's interest: no str() of every key).
        remainders.sort(key=itemgetter(0), reverse=True)
        cut = remainders[left - 1][0]
        above = [key for remainder, key in remainders if remainder > cut]
        tied = sorted((key for remainder, key in remainders if remainder == cut), key=str)
        for key in above + tied[: left - len(above)]:
            shares[key] += 1
    return shares


_PERIOD = re.compile(r"^(\d{4})(?:-(?:(0[1-9]|1[0-2])|Q([1-4])|H([12])))?$")


def interest_period(period: str) -> tuple[date, date]:
    """The first and last day of an interest period: a year (``2026``), a month
    (``2026-06``), a quarter (``2026-Q2``) or a half year (``2026-H1``). Raises
    ``ValueError`` for anything else."""
    match = _PERIOD.match(period)
    if match is None:
        raise ValueError(f"not an interest period: {period!r}")
    year = int(match[1])
    if match[2]:
        first_month, months = int(match[2]), 1
    elif match[3]:
        first_month, months = 3 * int(match[3]) - 2, 3
    elif match[4]:
        first_month, months = 6 * int(match[4]) - 5, 6
    else:
        first_month, months = 1, 12
    last_month = first_month + months - 1
    return date(year, first_month, 1), date(
        year, last_month, calendar.monthrange(year, last_month)[1]
    )


def days_counted(value_date: date, start: date, end: date) -> int:
    """How many days of the period [start, end] a line dated ``value_date`` counts in the
    balance-days: from its value date (or the period's start, if earlier) to the period's
    end, both included; 0 after the end. A line on the last day counts 1."""
    if value_date > end:
        return 0
    return (end - max(value_date, start)).days + 1


def balance_days(lines: Iterable[tuple[date, int]], start: date, end: date) -> int:
    """An account's balance-days (积数) over the period [start, end]: the sum of its
    end-of-day balances over each day of the period, in fen × days, from its journal lines
    as (value date, signed amount). Equivalently each line's amount × ``days_counted``:
    a deposit made before the period counts every day, one made on its last day one day,
    one after it none (DOMAIN.md "Interest"; fund centres' 积数). A reversal's lines are
    passed with the value date of the entry they reverse, so a correction cancels what it
    corrects on every day (the service's SQL does the same)."""
    if end < start:
        raise ValueError("the period ends before it starts")
    return sum(amount * days_counted(value_date, start, end) for value_date, amount in lines)


def interest_shares(total_fen: int, balance_days_by_key: Mapping[K, int]) -> dict[K, int]:
    """Split the interest the bank credited for a period in proportion to each account's
    balance-days, to the fen, summing exactly (largest remainder, ties by key:
    ``allocate_by_weight``). Accounts whose balance-days are not positive (no money in the
    period, or a value-dated withdrawal before a deposit) share nothing and are left out.
    Raises ``ValueError`` when no account has positive balance-days."""
    return allocate_by_weight(
        total_fen, {key: days for key, days in balance_days_by_key.items() if days > 0}
    )


def canonical_entry(entry: Mapping[str, Any], lines: Sequence[Mapping[str, Any]]) -> str:
    """The canonical text of a journal entry that its hash covers.

    JSON with sorted keys and no whitespace; amounts are integers, ids and dates strings
    (the caller passes them so); lines are sorted by account id so the order of insertion
    does not matter.
    """
    ordered = sorted(lines, key=lambda line: (str(line["account"]), str(line.get("household"))))
    return _CANONICAL.encode(
        {"entry": dict(entry), "lines": [_plain(line) for line in ordered]}
    ).decode()


# The text is what ``json.dumps(value, sort_keys=True, separators=(",", ":"),
# ensure_ascii=False)`` gives, byte for byte (the form every stored hash was made with;
# ``tests/funds/test_rules.py`` holds the two to each other over any text), made by msgspec
# in a tenth of the time: a batch hashes every household's line.
_CANONICAL = msgspec.json.Encoder(order="sorted")


def _plain(line: Mapping[str, Any]) -> dict[str, Any]:
    return line if type(line) is dict else dict(line)


def entry_hash(prev_hash: str, canonical: str) -> str:
    """SHA-256 (hex) over the previous entry's hash and this entry's canonical text."""
    return hashlib.sha256(f"{prev_hash}\n{canonical}".encode()).hexdigest()


def lines_balance(deltas: Iterable[tuple[int, int]]) -> bool:
    """Double entry: the principal and the interest deltas (one pair per line) of an
    entry each sum to zero."""
    principal = interest = 0
    for principal_delta, interest_delta in deltas:
        principal += principal_delta
        interest += interest_delta
    return principal == 0 and interest == 0
