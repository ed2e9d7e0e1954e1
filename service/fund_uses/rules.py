"""Pure rules of a fund use (维修资金使用): its states, emergencies, and how a payment
draws on a household's account. No I/O; integers only."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID


class UseStatus(StrEnum):
    # Opened by a repair ticket routed to the fund; completed and submitted later.
    DRAFT = "draft"
    VOTING = "voting"
    PENDING_APPROVAL = "pending_approval"  # emergencies skip the vote (Henan reg. art. 70)
    OWNERS_APPROVED = "owners_approved"
    REJECTED = "rejected"
    APPROVED = "approved"
    PAYING = "paying"
    SETTLED = "settled"
    CANCELLED = "cancelled"


class UseAction(StrEnum):
    SUBMIT = "submit"
    SUBMIT_EMERGENCY = "submit_emergency"
    CLOSE_VOTE_APPROVED = "close_vote_approved"
    CLOSE_VOTE_REJECTED = "close_vote_rejected"
    APPROVE = "approve"
    PAY = "pay"
    PAY_FINAL = "pay_final"
    CANCEL = "cancel"


S, A = UseStatus, UseAction

# (status, action) → next status. Anything else is an illegal transition (409).
TRANSITIONS: dict[tuple[UseStatus, UseAction], UseStatus] = {
    (S.DRAFT, A.SUBMIT): S.VOTING,
    (S.DRAFT, A.SUBMIT_EMERGENCY): S.PENDING_APPROVAL,
    (S.DRAFT, A.CANCEL): S.CANCELLED,
    (S.VOTING, A.CLOSE_VOTE_APPROVED): S.OWNERS_APPROVED,
    (S.VOTING, A.CLOSE_VOTE_REJECTED): S.REJECTED,
    (S.VOTING, A.CANCEL): S.CANCELLED,
    (S.OWNERS_APPROVED, A.APPROVE): S.APPROVED,
    (S.OWNERS_APPROVED, A.CANCEL): S.CANCELLED,
    (S.PENDING_APPROVAL, A.APPROVE): S.APPROVED,
    (S.PENDING_APPROVAL, A.CANCEL): S.CANCELLED,
    (S.APPROVED, A.PAY): S.PAYING,
    (S.APPROVED, A.PAY_FINAL): S.SETTLED,
    (S.APPROVED, A.CANCEL): S.CANCELLED,
    (S.PAYING, A.PAY): S.PAYING,
    (S.PAYING, A.PAY_FINAL): S.SETTLED,
}


class IllegalTransition(ValueError):
    """The action does not apply to a fund use in this status."""


def next_status(status: str, action: UseAction) -> UseStatus:
    """The status after ``action``; raises ``IllegalTransition`` when it does not apply."""
    try:
        return TRANSITIONS[(UseStatus(status), action)]
    except (KeyError, ValueError):
        raise IllegalTransition(f"{action.value} is not possible from {status}") from None


# Henan Property Management Regulation art. 70: cases that skip the owners' vote.
EMERGENCY_REASONS: dict[str, str] = {
    "lift": "电梯故障无法使用",
    "fire_system": "消防设施故障无法使用",
    "shared_equipment": "其他共用设施设备故障无法使用",
    "roof_leak": "屋面渗漏",
    "exterior_wall_leak": "外墙渗漏",
    "facade_danger": "外立面有脱落危险",
    "drain_failure": "排水设施因坍塌、堵塞、爆裂等不能正常使用",
    "railing_damage": "公共护栏严重损坏",
    "other": "其他危及房屋使用和人身财产安全的紧急情况",
}

# What the fund never pays for (建设部令第165号 art. 25): operators' own lines.
OPERATOR_COMPONENT = "operator_pipeline"


@dataclass(frozen=True)
class Part:
    """A part a fund use repairs: a repair category, on some buildings (none named: the
    buildings whose owners it charges)."""

    category: str
    building_ids: frozenset[UUID] = frozenset()


def places_to_guard(
    component: str, parts: Sequence[Part], charged_buildings: Iterable[UUID]
) -> list[tuple[str, frozenset[UUID]]]:
    """What the warranty guard checks (165号令 art. 18): every category the use names —
    its ``component`` and each part — each over every building the use charges or names.

    Checking every category over every building is deliberately wider than the parts as
    named: a part under warranty cannot be slipped past by pairing it with another
    building, nor by charging one building's owners for another's roof.
    """
    places = frozenset(charged_buildings).union(*(p.building_ids for p in parts))
    categories = dict.fromkeys([component, *(p.category for p in parts)])
    return [(category, places) for category in categories]


@dataclass(frozen=True)
class Draw:
    """What one household's account pays towards its share, and what it still owes."""

    principal: int
    interest: int
    self_funded: int


def draw_from_account(want: int, principal: int, interest: int, interest_first: bool) -> Draw:
    """Take ``want`` fen from an account holding ``principal`` and ``interest``.

    The account never goes below zero: what it cannot cover is owed by the owner
    (自筹). The community's policy decides which sub-account is drawn first.
    """
    if want < 0:
        raise ValueError("a payment share is never negative")
    available_first, available_second = (
        (max(interest, 0), max(principal, 0))
        if interest_first
        else (max(principal, 0), max(interest, 0))
    )
    first = min(want, available_first)
    second = min(want - first, available_second)
    owed = want - first - second
    if interest_first:
        return Draw(principal=second, interest=first, self_funded=owed)
    return Draw(principal=first, interest=second, self_funded=owed)


def payable(approved_cost: int, paid_so_far: int, amount: int) -> bool:
    """A stage may be paid only while the total stays within the approved cost."""
    return amount > 0 and paid_so_far + amount <= approved_cost


# A fund use's states as people read them (pages, notices, error details).
STATUS_NAMES = {
    "voting": "业主表决中",
    "pending_approval": "待区住建局审核（紧急）",
    "owners_approved": "业主表决通过，待审核",
    "rejected": "表决未通过",
    "approved": "已批准",
    "paying": "拨付中",
    "settled": "已结算",
    "cancelled": "已撤销",
}


def status_named(status: str) -> str:
    """A fund use's state for an error detail: its Chinese name and its code."""
    return f"{STATUS_NAMES.get(status, status)}（{status}）"
