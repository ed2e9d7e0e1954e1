"""The yearly maintenance fund statement (住宅专项维修资金管理办法 art. 33): what a
community's fund received, spent, earned and held in a year, each fund-use project with
its apportionment, each household's account, and the journal's chain head.

Every figure comes from the journal (``fund_entry`` / ``fund_line``) by set-based
queries, cut at the chain position read first: the statement shows exactly entries
1..N of the community's hash chain, and prints entry N's hash, so a committee can check
later (``GET /communities/{id}/fund/verify``) that nothing before it changed.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from service.clock import DISTRICT_ZONE, today
from service.db import fetch, placeholders
from service.errors import InputError
from service.funds.rules import GENESIS_HASH

FIRST_STATEMENT_YEAR = 1990

# Where each entry kind's money goes in the statement; a reversal counts against the
# kind of the entry it reverses (a reversed deposit lowers "deposited").
FLOW_OF_KIND = {
    "first_deposit": "deposited",
    "replenish": "deposited",
    "interest": "interest",
    "income": "income",
    "use": "used",
    "refund": "refunded",
}
FLOWS = ("deposited", "interest", "income", "used", "refunded", "other")
# Flows that take money out of accounts: shown as positive amounts.
OUTFLOWS = frozenset({"used", "refunded"})


def parse_year(value: str | None) -> int:
    """The statement year from the query string: an integer from 1990 to this year."""
    current = today().year
    message = f"请用 year 指定年度，为 {FIRST_STATEMENT_YEAR} 至 {current} 之间的整数"
    if value is None or not re.fullmatch(r"[0-9]{4}", value.strip()):
        raise InputError("year", message)
    year = int(value.strip())
    if not FIRST_STATEMENT_YEAR <= year <= current:
        raise InputError("year", message)
    return year


@dataclass
class Flows:
    """An account's (or the community's) figures for the year, in fen."""

    opening: int = 0
    deposited: int = 0
    interest: int = 0
    income: int = 0
    used: int = 0
    refunded: int = 0
    other: int = 0

    @property
    def earned(self) -> int:
        """Interest and income rolled into the fund (art. 28)."""
        return self.interest + self.income

    @property
    def closing(self) -> int:
        return self.opening + self.deposited + self.earned - self.used - self.refunded + self.other

    def add(self, flow: str, amount: int) -> None:
        """Add a balance change (positive in, negative out) to ``flow``."""
        if flow in OUTFLOWS:
            amount = -amount
        setattr(self, flow, getattr(self, flow) + amount)


@dataclass
class HouseholdLine:
    household_id: UUID
    label: str
    floor_area: int
    owner_name: str
    flows: Flows


@dataclass
class Share:
    """One household's part of a project's cost in the year: what its account paid and
    what its owner had to fund (自筹) because the balance could not cover it."""

    label: str
    owner_name: str
    from_fund: int
    self_funded: int = 0

    @property
    def cost(self) -> int:
        return self.from_fund + self.self_funded

    @property
    def amount(self) -> int:
        """The amount drawn from the household's account (kept for older callers)."""
        return self.from_fund


@dataclass
class Project:
    """A fund use paid in the year: its cost (paid from the fund + self-funded, 165号令
    arts. 19, 33) and each household's share of it."""

    fund_use_id: UUID | None
    title: str
    first_date: date
    last_date: date
    from_fund: int
    households: int
    self_funded: int = 0
    shares: list[Share] = field(default_factory=list)

    @property
    def cost(self) -> int:
        return self.from_fund + self.self_funded

    @property
    def total(self) -> int:
        """What the fund paid (kept for older callers; the cost is ``cost``)."""
        return self.from_fund


@dataclass
class Statement:
    community: dict[str, Any]
    year: int
    year_complete: bool
    totals: Flows
    households_total: int
    households_with_lines: int
    lines: list[HouseholdLine]
    projects: list[Project]
    chain_seq: int
    chain_head: str
    owner_view: bool


def _natural(text: str) -> tuple[Any, ...]:
    """Sort key putting room 201 after 102 and building 10 after 9."""
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"([0-9]+)", text))


def household_label(building: str, unit_no: str, room_no: str) -> str:
    unit = f"{unit_no}单元" if unit_no.isdigit() else unit_no
    return f"{building} {unit} {room_no}室"


async def chain_of(community_id: UUID) -> tuple[int, str]:
    """The community's journal position and head hash now (genesis when empty)."""
    return (await chains_of([community_id]))[community_id]


async def chains_of(community_ids: Sequence[UUID]) -> dict[UUID, tuple[int, str]]:
    """Each community's journal position and head hash now (genesis when empty)."""
    rows = await fetch(
        "SELECT community, last_seq, head_hash FROM fund_chain WHERE community IN "
        + placeholders(len(community_ids)),
        *community_ids,
    )
    found = {UUID(str(r["community"])): (int(r["last_seq"]), str(r["head_hash"])) for r in rows}
    return {c: found.get(c, (0, GENESIS_HASH)) for c in community_ids}


def _cut(cuts: dict[UUID, int]) -> tuple[str, list[Any]]:
    """SQL keeping the journal entries ``e`` of these communities, each cut at its own
    chain position (entries 1..seq), and its arguments. The ``IN`` list lets both
    databases find the entries by the (community, seq) index."""
    ids = list(cuts)
    sql = (
        "e.community IN "
        + placeholders(len(ids))
        + " AND ("
        + " OR ".join(["(e.community = {} AND e.seq <= {})"] * len(ids))
        + ")"
    )
    return sql, [*ids, *(arg for c in ids for arg in (c, cuts[c]))]


def _by_community(rows: list[dict[str, Any]]) -> dict[UUID, list[dict[str, Any]]]:
    grouped: dict[UUID, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        grouped[UUID(str(row["community"]))].append(row)
    return grouped


async def _household_flows(cuts: dict[UUID, int], year: int) -> dict[UUID, list[dict[str, Any]]]:
    """Per community: each household account's balance changes before ``year`` and in it,
    by entry kind (one GROUP BY)."""
    cut, args = _cut(cuts)
    return _by_community(
        await fetch(
            "SELECT e.community AS community, l.household AS household,"
            " COALESCE(o.kind, e.kind) AS kind,"
            " CASE WHEN e.book_year < {} THEN 1 ELSE 0 END AS before,"
            " SUM(l.principal_delta + l.interest_delta) AS amount"
            " FROM fund_line AS l JOIN fund_entry AS e ON e.id = l.entry"
            " LEFT JOIN fund_entry AS o ON o.id = e.reverses_entry"
            f" WHERE {cut} AND e.book_year <= {{}}"
            " AND l.household IS NOT NULL"
            " GROUP BY 1, 2, 3, 4",
            year,
            *args,
            year,
        )
    )


def household_flows(rows: list[dict[str, Any]]) -> dict[UUID, Flows]:
    """Each household account's opening balance and flows of the year, from its rows of
    ``_household_flows``."""
    flows: dict[UUID, Flows] = defaultdict(Flows)
    for row in rows:
        account = flows[UUID(str(row["household"]))]
        amount = int(row["amount"])
        if int(row["before"]):
            account.opening += amount
        else:
            account.add(FLOW_OF_KIND.get(str(row["kind"]), "other"), amount)
    return flows


async def _year_end_owners(cuts: dict[UUID, int], year: int) -> dict[UUID, list[dict[str, Any]]]:
    """Per community: who held each household at the year's last posting to it (the
    line's owner)."""
    cut, args = _cut(cuts)
    return _by_community(
        await fetch(
            "SELECT t.community AS community, t.household AS household, w.name AS name FROM ("
            " SELECT e.community AS community, l.household AS household, l.owner AS owner,"
            " ROW_NUMBER() OVER (PARTITION BY l.household ORDER BY e.seq DESC) AS rn"
            " FROM fund_line AS l JOIN fund_entry AS e ON e.id = l.entry"
            f" WHERE {cut} AND e.book_year <= {{}}"
            " AND l.household IS NOT NULL) AS t"
            " JOIN owner AS w ON w.id = t.owner WHERE t.rn = 1",
            *args,
            year,
        )
    )


async def _households(
    community_ids: Sequence[UUID], owner_id: UUID | None
) -> dict[UUID, list[dict[str, Any]]]:
    """Per community: its households (of ``owner_id`` only, when set)."""
    sql = (
        "SELECT h.community AS community, h.id AS id, b.name AS building,"
        " h.unit_no AS unit_no, h.room_no AS room_no,"
        " h.floor_area AS floor_area, w.name AS owner_name"
        " FROM household AS h JOIN building AS b ON b.id = h.building"
        " JOIN owner AS w ON w.id = h.owner WHERE h.community IN "
        + placeholders(len(community_ids))
    )
    if owner_id is None:
        return _by_community(await fetch(sql, *community_ids))
    return _by_community(await fetch(sql + " AND h.owner = {}", *community_ids, owner_id))


async def _household_counts(community_ids: Sequence[UUID]) -> dict[UUID, int]:
    rows = await fetch(
        "SELECT community, COUNT(*) AS n FROM household WHERE community IN "
        + placeholders(len(community_ids))
        + " GROUP BY community",
        *community_ids,
    )
    return {UUID(str(r["community"])): int(r["n"]) for r in rows}


Owed = tuple[str, UUID, int, date]  # fund use, household, amount self-funded, day


async def _self_funded(cuts: dict[UUID, int], year: int) -> dict[UUID, list[Owed]]:
    """Per community: what owners funded themselves (自筹) in ``year``, per fund use and
    household: the part of each payment that a household's balance could not cover. A
    payment belongs to the year of its journal entry (cut at the community's chain
    position), or, when nothing could be drawn from any account, to the day it was made."""
    rows = await fetch(
        "SELECT u.community AS community, s.fund_use AS fund_use, s.household AS household,"
        " s.amount_fen AS amount, d.created_at AS created_at, e.value_date AS value_date,"
        " e.seq AS seq"
        " FROM fund_self_funded AS s JOIN fund_disbursement AS d ON d.id = s.disbursement"
        " JOIN fund_use AS u ON u.id = s.fund_use"
        " LEFT JOIN fund_entry AS e ON e.id = d.entry_id"
        " WHERE u.community IN " + placeholders(len(cuts)) + " AND s.amount_fen <> 0",
        *cuts,
    )
    found: dict[UUID, list[Owed]] = defaultdict(list)
    for row in rows:
        community = UUID(str(row["community"]))
        if row["value_date"] is not None:
            if int(row["seq"]) > cuts[community]:
                continue
            day = _as_date(row["value_date"])
        else:
            day = _local_date(row["created_at"])
        if day.year == year:
            found[community].append(
                (str(row["fund_use"]), UUID(str(row["household"])), int(row["amount"]), day)
            )
    return found


@dataclass
class _ProjectRows:
    """What one community's projects of the year are made of (``_project_rows``)."""

    uses: list[dict[str, Any]] = field(default_factory=list)  # paid from the fund
    owed: list[Owed] = field(default_factory=list)  # self-funded
    memos: list[dict[str, Any]] = field(default_factory=list)  # the entries' memos
    titles: list[dict[str, Any]] = field(default_factory=list)  # the fund uses' titles


async def _project_rows(cuts: dict[UUID, int], year: int) -> dict[UUID, _ProjectRows]:
    """Per community: entries of kind 'use' (net of their reversals) in ``year`` by fund
    use and household, what owners funded themselves, and the titles to name them by."""
    cut, args = _cut(cuts)
    uses = await fetch(
        "SELECT e.community AS community, e.fund_use_id AS fund_use_id,"
        " l.household AS household, SUM(l.principal_delta + l.interest_delta) AS amount,"
        " MIN(e.value_date) AS first_date, MAX(e.value_date) AS last_date"
        " FROM fund_line AS l JOIN fund_entry AS e ON e.id = l.entry"
        " LEFT JOIN fund_entry AS o ON o.id = e.reverses_entry"
        f" WHERE {cut} AND e.book_year = {{}}"
        " AND COALESCE(o.kind, e.kind) = 'use' AND l.household IS NOT NULL"
        " GROUP BY 1, 2, 3",
        *args,
        year,
    )
    owed = await _self_funded(cuts, year)
    found: dict[UUID, _ProjectRows] = defaultdict(_ProjectRows)
    for community, rows in _by_community(uses).items():
        found[community].uses = rows
    for community, items in owed.items():
        found[community].owed = items
    if not found:
        return {}
    named = {c: cuts[c] for c in found}
    cut, args = _cut(named)
    for memo in await fetch(
        "SELECT e.community AS community, e.fund_use_id AS fund_use_id, e.memo AS memo"
        f" FROM fund_entry AS e WHERE {cut} AND e.book_year = {{}} AND e.kind = 'use'"
        " ORDER BY e.seq",
        *args,
        year,
    ):
        found[UUID(str(memo["community"]))].memos.append(memo)
    for use in await fetch(
        "SELECT u.community AS community, u.id AS id, u.title AS title FROM fund_use AS u"
        " WHERE u.community IN " + placeholders(len(named)),
        *named,
    ):
        found[UUID(str(use["community"]))].titles.append(use)
    return found


def projects_of(
    found: _ProjectRows, labels: dict[UUID, tuple[str, str]], shown: set[UUID]
) -> list[Project]:
    """Fund uses paid in the year, from one community's ``_project_rows``: grouped by
    ``fund_use_id``, plus what owners funded themselves, with each household's share
    (cost = paid from the fund + self-funded)."""
    rows, owed = found.uses, found.owed
    if not rows and not owed:
        return []
    titles: dict[str | None, str] = {}
    for memo in found.memos:
        key = None if memo["fund_use_id"] is None else str(memo["fund_use_id"])
        if memo["memo"] and key not in titles:
            titles[key] = str(memo["memo"])
    # The fund use's own title, where the money belongs to a recorded fund use.
    charged = {key for key, _, _, _ in owed}
    for use in found.titles:
        if str(use["id"]) in titles or str(use["id"]) in charged:
            titles[str(use["id"])] = str(use["title"])
    projects: dict[str | None, Project] = {}
    # (project key, household) → the household's share of that project this year
    shares: dict[tuple[str | None, UUID], Share] = {}

    def project_of(key: str | None, first: date, last: date) -> Project:
        project = projects.get(key)
        if project is None:
            default = "维修资金使用项目" if key is not None else "未关联使用项目的支出"
            project = projects[key] = Project(
                fund_use_id=None if key is None else UUID(key),
                title=titles.get(key, default),
                first_date=first,
                last_date=last,
                from_fund=0,
                households=0,
            )
        project.first_date = min(project.first_date, first)
        project.last_date = max(project.last_date, last)
        return project

    def share_of(key: str | None, household: UUID) -> Share | None:
        project = projects[key]
        share = shares.get((key, household))
        if share is None:
            project.households += 1
            label, owner = labels.get(household, (str(household), ""))
            share = shares[(key, household)] = Share(label, owner, 0, 0)
            if household in shown:
                project.shares.append(share)
        return share

    for row in rows:
        key = None if row["fund_use_id"] is None else str(row["fund_use_id"])
        amount = -int(row["amount"])
        project = project_of(key, _as_date(row["first_date"]), _as_date(row["last_date"]))
        if amount == 0:
            continue
        project.from_fund += amount
        share = share_of(key, UUID(str(row["household"])))
        assert share is not None
        share.from_fund += amount
    for key, household, amount, day in owed:
        project = project_of(key, day, day)
        project.self_funded += amount
        share = share_of(key, household)
        assert share is not None
        share.self_funded += amount
    for project in projects.values():
        project.shares.sort(key=lambda s: _natural(s.label))
    return sorted(projects.values(), key=lambda p: (p.first_date, p.title))


def _local_date(value: Any) -> date:
    """A stored timestamp's date in the district's zone (SQLite hands back text)."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(DISTRICT_ZONE).date()


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


async def build_statement(
    community: dict[str, Any], year: int, owner_id: UUID | None = None
) -> Statement:
    """The art. 33 statement of ``community`` for ``year``.

    ``owner_id`` set (an owner asking): the community's totals and projects as
    published, but household lines and shares only of that owner's households.
    """
    return (await build_statements([community], year, owner_id=owner_id))[0]


async def build_statements(
    communities: Sequence[dict[str, Any]], year: int, owner_id: UUID | None = None
) -> list[Statement]:
    """The art. 33 statements of ``communities`` (``community_headers``' rows) for
    ``year``, in their order, each as ``build_statement`` makes it, read together: a few
    set-based queries for all of them, each community cut at its own chain position."""
    if not communities:
        return []
    ids = [UUID(str(c["id"])) for c in communities]
    chains = await chains_of(ids)
    cuts = {c: seq for c, (seq, _) in chains.items()}
    flows = await _household_flows(cuts, year)
    owners_then = await _year_end_owners(cuts, year)
    households = await _households(ids, owner_id)
    counts = await _household_counts(ids)
    project_rows = await _project_rows(cuts, year)
    return [
        _statement(
            community,
            year,
            chains[community_id],
            household_flows(flows.get(community_id, [])),
            {UUID(str(r["household"])): str(r["name"]) for r in owners_then.get(community_id, [])},
            households.get(community_id, []),
            counts.get(community_id, 0),
            project_rows.get(community_id, _ProjectRows()),
            owner_view=owner_id is not None,
        )
        for community_id, community in zip(ids, communities, strict=True)
    ]


def _statement(
    community: dict[str, Any],
    year: int,
    chain: tuple[int, str],
    flows: dict[UUID, Flows],
    owners_then: dict[UUID, str],
    households: list[dict[str, Any]],
    households_total: int,
    project_rows: _ProjectRows,
    owner_view: bool,
) -> Statement:
    """One community's statement from its rows."""
    totals = Flows()
    for account in flows.values():
        for name in ("opening", *FLOWS):
            setattr(totals, name, getattr(totals, name) + getattr(account, name))
    lines: list[HouseholdLine] = []
    labels: dict[UUID, tuple[str, str]] = {}
    for row in households:
        household_id = UUID(str(row["id"]))
        label = household_label(str(row["building"]), str(row["unit_no"]), str(row["room_no"]))
        owner_name = owners_then.get(household_id, str(row["owner_name"]))
        labels[household_id] = (label, owner_name)
        lines.append(
            HouseholdLine(
                household_id=household_id,
                label=label,
                floor_area=int(row["floor_area"]),
                owner_name=owner_name,
                flows=flows.get(household_id, Flows()),
            )
        )
    lines.sort(key=lambda line: _natural(line.label))
    return Statement(
        community=community,
        year=year,
        year_complete=year < today().year,
        totals=totals,
        households_total=households_total,
        households_with_lines=len(flows),
        lines=lines,
        projects=projects_of(project_rows, labels, set(labels)),
        chain_seq=chain[0],
        chain_head=chain[1],
        owner_view=owner_view,
    )


async def community_header(community_id: UUID) -> dict[str, Any]:
    """Name, code, area and district of the community, for the statement's head."""
    return (await community_headers([community_id]))[0]


async def community_headers(community_ids: Sequence[UUID]) -> list[dict[str, Any]]:
    """``community_header`` of each of ``community_ids``, in their order (one query)."""
    rows = await fetch(
        "SELECT c.id AS id, c.name AS name, c.code AS code, a.name AS area_name,"
        " d.name AS district_name FROM community AS c JOIN area AS a ON a.id = c.area"
        " JOIN district AS d ON d.id = c.district WHERE c.id IN "
        + placeholders(len(community_ids)),
        *community_ids,
    )
    found = {UUID(str(r["id"])): dict(r) for r in rows}
    return [found[c] for c in community_ids]
