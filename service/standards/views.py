"""Reads of the standards context: an inspection with its findings, the district's
matrix (place × item, one quarter), its history by quarter, and a community's standards
status in a rating period (shown as rating evidence)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any
from uuid import UUID

from service.clock import today
from service.db import read_json
from service.registry.tables import Area, Community
from service.standards import rules, schemas
from service.standards.service import (
    TASK_COLUMNS,
    current_catalogue,
    items_of,
    task_out,
)
from service.standards.tables import (
    Inspection,
    InspectionResult,
    Rectification,
    StandardCatalogue,
)


def _place_of(row: dict[str, Any]) -> UUID:
    place: UUID = row["community"] if row["level"] == rules.COMMUNITY else row["area"]
    return place


async def inspection_out(row: dict[str, Any]) -> schemas.InspectionOut:
    catalogue = (
        await StandardCatalogue.select().where(StandardCatalogue.id == row["catalogue"]).first()
    )
    names = {i["code"]: i for i in items_of(catalogue)} if catalogue else {}
    results = (
        await InspectionResult.select()
        .where(InspectionResult.inspection == row["id"])
        .order_by(InspectionResult.code)
    )
    opened = await Rectification.select(*TASK_COLUMNS).where(Rectification.opened_by == row["id"])
    # A not-met item of a place that already had an unfinished task keeps that task.
    not_met = [r["code"] for r in results if r["result"] == rules.NOT_MET]
    kept = (
        await Rectification.select(*TASK_COLUMNS).where(
            (Rectification.code.is_in(not_met))
            & (Rectification.opened_by != row["id"])
            & (Rectification.opened_on <= row["inspected_on"])
            & (Rectification.closed_on.is_null() | (Rectification.closed_on > row["inspected_on"]))
            & (
                (Rectification.community == row["community"])
                if row["level"] == rules.COMMUNITY
                else (Rectification.area == row["area"])
            )
        )
        if not_met
        else []
    )
    closed = await Rectification.select(Rectification.id).where(
        Rectification.closed_by_inspection == row["id"]
    )
    return schemas.InspectionOut(
        id=row["id"],
        level=row["level"],
        community_id=row["community"],
        area_id=row["area"],
        place_name=row.get("community_name") or row.get("area_name"),
        inspected_on=row["inspected_on"],
        catalogue_version=int(row.get("catalogue_version") or (catalogue or {}).get("version", 1)),
        street_office_id=row["street_office"],
        note=row["note"],
        met=row["met"],
        not_met=row["not_met"],
        na=row["na"],
        results=[
            schemas.ResultOut(
                code=r["code"],
                name=names.get(r["code"], {}).get("name", r["code"]),
                group=rules.group_name(names.get(r["code"], {}).get("group", "")),
                result=r["result"],
                note=r["note"],
                photos=[str(p) for p in read_json(r["photos"]) or []],
            )
            for r in results
        ],
        tasks=[task_out(t) for t in [*opened, *kept]],
        closed_tasks=[c["id"] for c in closed],
        created_at=row["created_at"],
    )


# --- the matrix --------------------------------------------------------------------------


async def _places(district_id: UUID, level: str) -> list[dict[str, Any]]:
    if level == rules.COMMUNITY:
        return list(
            await Community.select(
                Community.id,
                Community.code,
                Community.name,
                Community.area.name.as_alias("area_name"),
            )
            .where(Community.district == district_id)
            .order_by(Community.code)
        )
    return [
        {**a, "area_name": None}
        for a in await Area.select(Area.id, Area.code, Area.name)
        .where(Area.district == district_id)
        .order_by(Area.code)
    ]


async def _latest_results(
    district_id: UUID, level: str, first: date, last: date, place: UUID | None = None
) -> tuple[dict[tuple[UUID, str], str], dict[UUID, date], int]:
    """The latest finding per (place, item) among the inspections of [first, last], the
    last inspection day per place, and how many inspections there were."""
    query = Inspection.select(
        Inspection.id,
        Inspection.level,
        Inspection.community,
        Inspection.area,
        Inspection.inspected_on,
        Inspection.created_at,
    ).where(
        (Inspection.district == district_id)
        & (Inspection.level == level)
        & (Inspection.inspected_on >= first)
        & (Inspection.inspected_on <= last)
    )
    if place is not None:
        query = query.where(
            (Inspection.community == place)
            if level == rules.COMMUNITY
            else (Inspection.area == place)
        )
    inspections = sorted(await query, key=lambda r: (r["inspected_on"], r["created_at"]))
    order = {r["id"]: n for n, r in enumerate(inspections)}
    last_day: dict[UUID, date] = {}
    for r in inspections:
        last_day[_place_of(r)] = r["inspected_on"]
    latest: dict[tuple[UUID, str], str] = {}
    if inspections:
        by_id = {r["id"]: r for r in inspections}
        results = await InspectionResult.select(
            InspectionResult.inspection, InspectionResult.code, InspectionResult.result
        ).where(InspectionResult.inspection.is_in(list(by_id)))
        for res in sorted(results, key=lambda x: order[x["inspection"]]):
            latest[(_place_of(by_id[res["inspection"]]), res["code"])] = res["result"]
    return latest, last_day, len(inspections)


async def _tasks(
    district_id: UUID, level: str, first: date, as_of: date, place: UUID | None = None
) -> list[dict[str, Any]]:
    query = Rectification.select(
        Rectification.id,
        Rectification.level,
        Rectification.community,
        Rectification.area,
        Rectification.code,
        Rectification.opened_on,
        Rectification.due_on,
        Rectification.closed_on,
        Rectification.status,
    ).where(
        (Rectification.district == district_id)
        & (Rectification.level == level)
        & (Rectification.opened_on <= as_of)
        & (Rectification.closed_on.is_null() | (Rectification.closed_on >= first))
    )
    if place is not None:
        query = query.where(
            (Rectification.community == place)
            if level == rules.COMMUNITY
            else (Rectification.area == place)
        )
    return list(await query)


def _as_of(last: date) -> date:
    return min(last, today())


async def matrix(district_id: UUID, level: str, quarter: str) -> schemas.MatrixOut:
    """The district's standards matrix for one quarter: every community (or area) × every
    catalogue item of that level, each cell the quarter's latest finding, a not-met one
    marked overdue when its task was late in the quarter."""
    first, last = rules.quarter_bounds(quarter)
    catalogue = await current_catalogue(district_id)
    columns = [i for i in items_of(catalogue) if i["level"] == level]
    latest, last_day, _ = await _latest_results(district_id, level, first, last)
    late = {
        (_place_of(t), t["code"])
        for t in await _tasks(district_id, level, first, _as_of(last))
        if rules.overdue_within(t["due_on"], t["closed_on"], first, _as_of(last))
    }
    rows = []
    for place in await _places(district_id, level):
        cells = {
            c["code"]: rules.cell_status(
                latest.get((place["id"], c["code"])), (place["id"], c["code"]) in late
            )
            for c in columns
        }
        values = list(cells.values())
        rows.append(
            schemas.MatrixRow(
                id=place["id"],
                code=place["code"],
                name=place["name"],
                area_name=place["area_name"],
                cells=cells,
                met=values.count(rules.MET),
                inspected=sum(1 for v in values if v != rules.NOT_INSPECTED),
                overdue=values.count(rules.OVERDUE),
                last_inspected_on=last_day.get(place["id"]),
            )
        )
    return schemas.MatrixOut(
        quarter=quarter,
        starts_on=first,
        ends_on=last,
        level=level,
        columns=[
            schemas.MatrixColumn(
                code=c["code"],
                name=c["name"],
                group=c["group"],
                group_name=rules.group_name(c["group"]),
            )
            for c in columns
        ],
        rows=rows,
        legend=dict(rules.CELL_NAMES),
    )


async def history(district_id: UUID, level: str, quarters: Sequence[str]) -> schemas.HistoryOut:
    """Per quarter: how many places were inspected, items met and not met, tasks opened
    and tasks late in the quarter."""
    out = []
    for quarter in quarters:
        table = await matrix(district_id, level, quarter)
        first, last = rules.quarter_bounds(quarter)
        tasks = await _tasks(district_id, level, first, _as_of(last))
        cells = [v for row in table.rows for v in row.cells.values()]
        out.append(
            schemas.QuarterSummary(
                quarter=quarter,
                places=len(table.rows),
                places_inspected=sum(1 for row in table.rows if row.last_inspected_on),
                items_inspected=sum(1 for v in cells if v != rules.NOT_INSPECTED),
                items_met=cells.count(rules.MET),
                items_not_met=cells.count(rules.NOT_MET) + cells.count(rules.OVERDUE),
                tasks_opened=sum(1 for t in tasks if first <= t["opened_on"] <= last),
                tasks_overdue=sum(
                    1
                    for t in tasks
                    if rules.overdue_within(t["due_on"], t["closed_on"], first, _as_of(last))
                ),
            )
        )
    return schemas.HistoryOut(level=level, quarters=out)


# --- rating evidence ---------------------------------------------------------------------


async def community_evidence(
    district_id: UUID, community_id: UUID, starts_on: date, ends_on: date
) -> dict[str | None, schemas.StandardsEvidence]:
    """A community's standards status over a rating period: the latest finding of each
    item inspected in the period and its rectification tasks (open at the period's end,
    or today while it runs; late on some day of the period). Keyed by the score-sheet
    item each catalogue item bears on; ``None`` holds the whole community's figures."""
    as_of = _as_of(ends_on)
    catalogue = await current_catalogue(district_id)
    bears_on = {i["code"]: i.get("rating_item") for i in items_of(catalogue)}
    latest, last_day, count = await _latest_results(
        district_id, rules.COMMUNITY, starts_on, ends_on, community_id
    )
    tasks = await _tasks(district_id, rules.COMMUNITY, starts_on, as_of, community_id)
    keys: list[str | None] = [None, *sorted({v for v in bears_on.values() if v})]
    out: dict[str | None, schemas.StandardsEvidence] = {}
    for key in keys:
        codes = sorted(c for c, r in bears_on.items() if key is None or r == key)
        found = [latest[(community_id, c)] for c in codes if (community_id, c) in latest]
        mine = [t for t in tasks if t["code"] in codes]
        out[key] = schemas.StandardsEvidence(
            items=codes,
            inspections=count,
            last_inspected_on=last_day.get(community_id),
            items_met=found.count(rules.MET),
            items_not_met=found.count(rules.NOT_MET),
            items_na=found.count(rules.NA),
            rectifications_open=sum(
                1 for t in mine if t["closed_on"] is None or t["closed_on"] > as_of
            ),
            rectifications_overdue=sum(
                1
                for t in mine
                if rules.overdue_within(t["due_on"], t["closed_on"], starts_on, as_of)
            ),
        )
    return out
