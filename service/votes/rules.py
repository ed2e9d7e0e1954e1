"""Owners' common decisions (Civil Code art. 278), as pure arithmetic: the one tally used
by fund uses, the choice or dismissal of a property company and lift retrofits.

The population is every owner the matter concerns (for a fund use: whose account it
would charge, 列支范围), counted by registered floor area and by head. An owner with
several flats counts once, with all of their area; unsold flats of one developer or
selling unit are registered under that unit and so count as one head too (judicial
interpretation on building ownership, arts. 8-9).
"以上" includes the number itself and "过半数" does not (Civil Code art. 1259), so every
comparison is a strict or non-strict integer inequality, never a float.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum


class Choice(StrEnum):
    YES = "yes"
    NO = "no"
    ABSTAIN = "abstain"


class Matter(StrEnum):
    """What is decided (art. 278 para 1): choosing, renewing or dismissing the property
    company or other manager (item 4, > 1/2, always by the Civil Code's own rule: the
    per-community variants are for fund uses), using the fund (item 5, > 1/2), raising
    money (item 6, >= 3/4), or altering or rebuilding a common part (item 7, 改建/重建,
    >= 3/4: a lift retrofit)."""

    MANAGEMENT = "management"
    USE = "use"
    RAISE = "raise"
    ALTER = "alter"


# Art. 278 para 2: items 6-8 need three quarters of the participating area and owners.
THREE_QUARTERS = frozenset({Matter.RAISE, Matter.ALTER})


class VoteRule(StrEnum):
    """Per-community setting for fund-use votes.

    civil_code: quorum of 2/3 of area and heads, then more than half of the participants.
    strict_2007: the 2007 rule, 2/3 of everyone in scope (area and heads) must say yes.
    henan_objection: passes unless objectors reach 1/3 of the area or 1/3 of the heads.
    Raising money and altering a common part always follow the Civil Code's 3/4 rule.
    """

    CIVIL_CODE = "civil_code"
    STRICT_2007 = "strict_2007"
    HENAN_OBJECTION = "henan_objection"


@dataclass(frozen=True)
class Flat:
    household_id: Hashable
    owner_id: Hashable
    area: int  # hundredths of m²


@dataclass(frozen=True)
class Tally:
    eligible_area: int
    eligible_owners: int
    voted_area: int
    voted_owners: int
    yes_area: int
    yes_owners: int
    no_area: int
    no_owners: int
    quorum_met: bool
    approved: bool


def owner_positions(
    flats: Iterable[Flat], ballots: Mapping[Hashable, Choice]
) -> dict[Hashable, tuple[int, Choice | None]]:
    """Each owner's total area and single position.

    An owner who cast no ballot has position None; one whose ballots all agree takes that
    choice (with all of their area); one whose ballots differ takes part but counts as
    neither yes nor no (treated as abstaining).
    """
    areas: dict[Hashable, int] = {}
    choices: dict[Hashable, set[Choice]] = {}
    for flat in flats:
        areas[flat.owner_id] = areas.get(flat.owner_id, 0) + flat.area
        choice = ballots.get(flat.household_id)
        if choice is not None:
            choices.setdefault(flat.owner_id, set()).add(Choice(choice))
    positions: dict[Hashable, tuple[int, Choice | None]] = {}
    for owner, area in areas.items():
        cast = choices.get(owner)
        if not cast:
            positions[owner] = (area, None)
        elif len(cast) == 1:
            positions[owner] = (area, next(iter(cast)))
        else:
            positions[owner] = (area, Choice.ABSTAIN)
    return positions


def tally_owner_vote(
    flats: Iterable[Flat],
    ballots: Mapping[Hashable, Choice],
    *,
    matter: Matter = Matter.USE,
    rule: VoteRule = VoteRule.CIVIL_CODE,
) -> Tally:
    """Count an owners' vote by Civil Code art. 278 (or a local variant for fund use)."""
    if matter is Matter.MANAGEMENT:
        rule = VoteRule.CIVIL_CODE
    positions = owner_positions(flats, ballots)
    eligible_area = sum(area for area, _ in positions.values())
    eligible_owners = len(positions)
    voted = [(area, choice) for area, choice in positions.values() if choice is not None]
    voted_area = sum(area for area, _ in voted)
    voted_owners = len(voted)
    yes_area = sum(area for area, choice in voted if choice is Choice.YES)
    yes_owners = sum(1 for _, choice in voted if choice is Choice.YES)
    no_area = sum(area for area, choice in voted if choice is Choice.NO)
    no_owners = sum(1 for _, choice in voted if choice is Choice.NO)

    # Two thirds of the area AND two thirds of the heads take part ("以上": inclusive).
    quorum = (
        eligible_owners > 0
        and 3 * voted_area >= 2 * eligible_area
        and 3 * voted_owners >= 2 * eligible_owners
    )
    if matter in THREE_QUARTERS:
        approved = quorum and 4 * yes_area >= 3 * voted_area and 4 * yes_owners >= 3 * voted_owners
    elif rule is VoteRule.CIVIL_CODE:
        # More than half ("过半数": strict) of the participating area and heads.
        approved = quorum and 2 * yes_area > voted_area and 2 * yes_owners > voted_owners
    elif rule is VoteRule.STRICT_2007:
        quorum = eligible_owners > 0
        approved = (
            quorum and 3 * yes_area >= 2 * eligible_area and 3 * yes_owners >= 2 * eligible_owners
        )
    else:  # Henan objection vote: no quorum; fails once objectors reach a third.
        quorum = eligible_owners > 0
        approved = quorum and 3 * no_area < eligible_area and 3 * no_owners < eligible_owners
    return Tally(
        eligible_area=eligible_area,
        eligible_owners=eligible_owners,
        voted_area=voted_area,
        voted_owners=voted_owners,
        yes_area=yes_area,
        yes_owners=yes_owners,
        no_area=no_area,
        no_owners=no_owners,
        quorum_met=quorum,
        approved=approved,
    )


@dataclass(frozen=True)
class Bar:
    """One threshold of a vote as drawn for owners: ``part`` of ``whole`` (by area or
    by heads) must stand ``comparison`` ``num``/``den``. ``tally_owner_vote`` approves
    exactly when the population is not empty and every bar of its rule is met (a
    property test holds the two together)."""

    label: str
    measure: str  # area | owners
    part: str  # voted | yes | no
    whole: str  # eligible | voted
    num: int
    den: int
    comparison: str  # ">=" (以上) | ">" (过半数) | "<" (objectors stay below)

    def amounts(self, tally: Tally) -> tuple[int, int]:
        """(part, whole) of this bar in the tally."""
        return (
            int(getattr(tally, f"{self.part}_{self.measure}")),
            int(getattr(tally, f"{self.whole}_{self.measure}")),
        )

    def met(self, tally: Tally) -> bool:
        part, whole = self.amounts(tally)
        left, right = part * self.den, self.num * whole
        if self.comparison == ">=":
            return left >= right
        if self.comparison == ">":
            return left > right
        return left < right


def _pair(
    label: str, part: str, whole: str, num: int, den: int, comparison: str
) -> tuple[Bar, Bar]:
    return (
        Bar(f"{label}（面积）", "area", part, whole, num, den, comparison),
        Bar(f"{label}（人数）", "owners", part, whole, num, den, comparison),
    )


def drawn_thresholds(rule: VoteRule, matter: Matter = Matter.USE) -> tuple[Bar, ...]:
    """The thresholds of ``tally_owner_vote`` for this rule and matter, as bars."""
    quorum = _pair("参与表决", "voted", "eligible", 2, 3, ">=")
    if matter is Matter.MANAGEMENT:
        rule = VoteRule.CIVIL_CODE
    if matter in THREE_QUARTERS:
        return (*quorum, *_pair("同意", "yes", "voted", 3, 4, ">="))
    if rule is VoteRule.CIVIL_CODE:
        return (*quorum, *_pair("同意", "yes", "voted", 1, 2, ">"))
    if rule is VoteRule.STRICT_2007:
        return _pair("同意", "yes", "eligible", 2, 3, ">=")
    return _pair("反对", "no", "eligible", 1, 3, "<")
