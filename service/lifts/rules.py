"""Pure rules of a lift retrofit (既有住宅加装电梯): its stages, the owners' consent, the
cost shared by floor, the subsidy, what a payment counts for. No I/O; integers only.

Sources: Civil Code art. 278 para 1 item 7 and para 2 (consent to alter a common part:
2/3 take part, 3/4 of the participants agree — ``service.votes.rules``, matter ALTER);
DOMAIN.md "Lift retrofits" (coefficients per floor, then area; largest remainder; our
default coefficients and subsidy; special-equipment registration before use).
Money is fen, area hundredths of m², coefficients hundredths (0.5 → 50).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from service.fund_uses.rules import UseStatus
from service.funds.rules import allocate_by_weight
from service.votes.rules import Choice, Flat, Matter, Tally, tally_owner_vote

K = TypeVar("K", bound=Hashable)

# Ours, not a published table (DOMAIN.md): floors 1-7, hundredths.
DEFAULT_COEFFICIENTS: dict[int, int] = {1: 0, 2: 50, 3: 80, 4: 100, 5: 120, 6: 140, 7: 160}
# Ours: no Luoyang figure is public. 100,000.00 yuan per lift.
DEFAULT_SUBSIDY_FEN = 10_000_000


class LiftStatus(StrEnum):
    CONSENT = "consent"  # 业主表决
    DESIGN = "design"  # 设计与审批
    CONSTRUCTION = "construction"  # 施工
    ACCEPTANCE = "acceptance"  # 竣工验收
    REGISTRATION = "registration"  # 特种设备使用登记
    IN_USE = "in_use"  # 投入使用
    REJECTED = "rejected"  # consent not reached
    CANCELLED = "cancelled"


class LiftAction(StrEnum):
    CONSENT_GIVEN = "consent_given"
    CONSENT_REFUSED = "consent_refused"
    DESIGN_APPROVED = "design_approved"
    CONSTRUCTION_DONE = "construction_done"
    ACCEPTED = "accepted"
    REGISTERED = "registered"
    CANCEL = "cancel"


S, A = LiftStatus, LiftAction

# (status, action) → next status. Anything else is an illegal step (409).
TRANSITIONS: dict[tuple[LiftStatus, LiftAction], LiftStatus] = {
    (S.CONSENT, A.CONSENT_GIVEN): S.DESIGN,
    (S.CONSENT, A.CONSENT_REFUSED): S.REJECTED,
    (S.CONSENT, A.CANCEL): S.CANCELLED,
    (S.DESIGN, A.DESIGN_APPROVED): S.CONSTRUCTION,
    (S.DESIGN, A.CANCEL): S.CANCELLED,
    (S.CONSTRUCTION, A.CONSTRUCTION_DONE): S.ACCEPTANCE,
    (S.ACCEPTANCE, A.ACCEPTED): S.REGISTRATION,
    (S.REGISTRATION, A.REGISTERED): S.IN_USE,
}

STAGE_NAMES = {
    S.CONSENT: "业主表决",
    S.DESIGN: "设计与审批",
    S.CONSTRUCTION: "施工",
    S.ACCEPTANCE: "竣工验收",
    S.REGISTRATION: "特种设备使用登记",
    S.IN_USE: "投入使用",
    S.REJECTED: "未获业主同意",
    S.CANCELLED: "已撤销",
}
ACTIVE = frozenset(set(LiftStatus) - {S.REJECTED, S.CANCELLED})
# A stage is left only once a document of it is on file (its approval, permit, report).
DOCUMENTED_STAGES = frozenset({S.DESIGN, S.CONSTRUCTION, S.ACCEPTANCE})
# Shares are owed once the owners consented.
PAYABLE = frozenset({S.DESIGN, S.CONSTRUCTION, S.ACCEPTANCE, S.REGISTRATION, S.IN_USE})
# Drawing a share from the maintenance fund pays for building the lift: only before it
# enters the works register (afterwards the fund's warranty guard would rightly see a
# lift under warranty and refuse).
FUND_PAYABLE = frozenset({S.DESIGN, S.CONSTRUCTION, S.ACCEPTANCE})
# Upkeep is shared after acceptance.
UPKEEP = frozenset({S.REGISTRATION, S.IN_USE})
# The subsidy is claimed for a lift registered and in use.
SUBSIDY_CLAIMABLE = frozenset({S.IN_USE})


class IllegalStep(ValueError):
    """The action does not apply to a project in this status."""


def next_status(status: str, action: LiftAction) -> LiftStatus:
    """The status after ``action``; raises ``IllegalStep`` when it does not apply."""
    try:
        return TRANSITIONS[(LiftStatus(status), action)]
    except (KeyError, ValueError):
        raise IllegalStep(f"{action.value} is not possible from {status}") from None


def may_leave(status: str, documented_stages: Iterable[str]) -> bool:
    """A documented stage is left only with at least one document of it on file."""
    return status not in DOCUMENTED_STAGES or status in set(documented_stages)


class SubsidyStatus(StrEnum):
    UNCLAIMED = "unclaimed"
    CLAIMED = "claimed"
    PAID = "paid"


SUBSIDY_STEPS: dict[tuple[SubsidyStatus, str], SubsidyStatus] = {
    (SubsidyStatus.UNCLAIMED, "claim"): SubsidyStatus.CLAIMED,
    (SubsidyStatus.CLAIMED, "paid"): SubsidyStatus.PAID,
}


SUBSIDY_STATUS_NAMES = {"unclaimed": "未申请", "claimed": "已申请待拨付", "paid": "已拨付"}


def next_subsidy_status(status: str, action: str) -> SubsidyStatus:
    """The subsidy's status after ``claim`` or ``paid``; ``IllegalStep`` otherwise."""
    try:
        return SUBSIDY_STEPS[(SubsidyStatus(status), action)]
    except (KeyError, ValueError):
        raise IllegalStep(f"{action} is not possible from {status}") from None


def subsidy_applied(cost_fen: int, subsidy_fen: int) -> int:
    """The subsidy a project counts on: the district's sum per lift, never more than the
    cost (owners are not paid to have a lift)."""
    if cost_fen < 0 or subsidy_fen < 0:
        raise ValueError("cost and subsidy must not be negative")
    return min(cost_fen, subsidy_fen)


def owners_cost(cost_fen: int, subsidy_fen: int) -> int:
    """What the owners share: the estimated cost less the subsidy applied."""
    return cost_fen - subsidy_applied(cost_fen, subsidy_fen)


class SharingError(ValueError):
    """The cost cannot be shared as asked; ``reason`` says why: ``missing`` (a floor
    without a coefficient), ``exceeds`` (agreed shares above the total), ``nobody`` (no
    one with a positive coefficient left to carry the rest), ``invalid``."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def missing_coefficients(floors: Iterable[int], coefficients: Mapping[int, int]) -> list[int]:
    """Floors of the unit that have no coefficient, in order."""
    return sorted({f for f in floors if f not in coefficients})


def share_by_floor(
    total_fen: int,
    flats: Mapping[K, tuple[int, int]],
    coefficients: Mapping[int, int],
    agreed: Mapping[K, int] | None = None,
) -> dict[K, int]:
    """Split ``total_fen`` over ``flats`` (key → (floor, area)): a household with an
    agreed share pays exactly that; the rest is shared in proportion to the floor's
    coefficient × the flat's area (by coefficient, then by area within a floor), to the
    fen by largest remainder, ties by key. The shares sum exactly to ``total_fen``.
    """
    agreed = dict(agreed or {})
    missing = missing_coefficients((floor for floor, _ in flats.values()), coefficients)
    if missing:
        raise SharingError("missing", f"floors without a coefficient: {missing}")
    if any(amount < 0 for amount in agreed.values()) or set(agreed) - set(flats):
        raise SharingError("invalid", "agreed shares must be non-negative and of the flats")
    rest = total_fen - sum(agreed.values())
    if rest < 0:
        raise SharingError("exceeds", "agreed shares exceed the total")
    weights = {
        key: coefficients[floor] * area for key, (floor, area) in flats.items() if key not in agreed
    }
    shares: dict[K, int] = dict.fromkeys(weights, 0)
    if rest:
        if not any(weights.values()):
            raise SharingError("nobody", "nobody with a positive coefficient is left to pay")
        shares = allocate_by_weight(rest, weights)
    return {key: agreed[key] if key in agreed else shares[key] for key in flats}


def tally_consent(flats: Iterable[Flat], forms: Mapping[Hashable, Choice]) -> Tally:
    """The owners' consent to a lift (Civil Code art. 278 para 1 item 7, para 2): owners
    holding >= 2/3 of the unit's area and >= 2/3 of its heads take part, and >= 3/4 of
    the participating area and of the participating owners agree; an owner of several
    flats counts once with all of their area. Always the Civil Code's rule, whatever
    local variant a community uses for fund votes."""
    return tally_owner_vote(flats, forms, matter=Matter.ALTER)


@dataclass(frozen=True)
class Counted:
    """What a payment counts for now: ``paid`` towards the share, ``pending`` reserved
    (a fund use not yet disbursed), and its state for people."""

    paid: int
    pending: int
    state: str  # paid | pending | part_paid | void


_VOID_USES = frozenset({UseStatus.REJECTED, UseStatus.CANCELLED})


def counted_payment(
    amount_fen: int,
    method: str,
    use_status: str | None = None,
    use_paid_fen: int = 0,
    use_self_funded_fen: int = 0,
) -> Counted:
    """A direct or provident-fund payment counts in full. A maintenance-fund payment is a
    fund use: it counts for what the journal posted from the account (paid less what the
    balance could not cover, 自筹), is reserved while the use is on its way, and counts
    for nothing once the use is rejected or cancelled; a self-funded remainder stays owed
    on the share."""
    if method != "maintenance_fund":
        return Counted(paid=amount_fen, pending=0, state="paid")
    if use_status in _VOID_USES:
        return Counted(paid=0, pending=0, state="void")
    posted = use_paid_fen - use_self_funded_fen
    if use_status == UseStatus.SETTLED:
        return Counted(
            paid=posted, pending=0, state="paid" if posted == amount_fen else "part_paid"
        )
    if use_status == UseStatus.PAYING:
        return Counted(paid=posted, pending=amount_fen - use_paid_fen, state="part_paid")
    return Counted(paid=0, pending=amount_fen, state="pending")


def outstanding(share_fen: int, payments: Iterable[Counted]) -> int:
    """What a household still owes on its share (never below zero)."""
    taken = sum(p.paid + p.pending for p in payments)
    return max(0, share_fen - taken)


def standing(share_fen: int, payments: Iterable[Counted]) -> tuple[int, int, int]:
    """A household's (paid, pending, outstanding) on its share."""
    counted = list(payments)
    return (
        sum(p.paid for p in counted),
        sum(p.pending for p in counted),
        outstanding(share_fen, counted),
    )
