"""Rating use cases: schemes, periods, ratings and finalisation (appeals in appeals.py,
owner satisfaction in satisfaction.py). Each write runs in one transaction with its
audit entry."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

from litestar.exceptions import NotFoundException

from service.audit.service import record
from service.auth.roles import Caller
from service.auth.scope import as_uuid, contract_party_condition, contract_party_visible
from service.clock import now
from service.contracts.tables import Contract
from service.db import is_integrity_error, is_postgres, read_json, transaction
from service.errors import Conflict, InputError, InputErrors
from service.ratings import rules, schemas
from service.ratings.tables import (
    Appeal,
    Rating,
    RatingPeriod,
    RatingScheme,
)
from service.units import parse_fen

PERIOD_NOT_FOUND = "评价期不存在，或不在您的权限范围内。"
RATING_NOT_FOUND = "评分不存在，或不在您的权限范围内。"


loads = read_json  # a JSON column's value, the one way (service.db.read_json)


def _fail(errors: list[dict[str, str]]) -> None:
    if errors:
        raise InputErrors("；".join(f"{e['field']}: {e['message']}" for e in errors), errors)


def bands_of(scheme: dict[str, Any]) -> list[rules.Band]:
    return [
        rules.Band(int(b["min_score"]), b["grade"], int(b["ratio"])) for b in loads(scheme["bands"])
    ]


# --- schemes ---------------------------------------------------------------------------


async def current_scheme(district_id: UUID) -> dict[str, Any]:
    """The latest scheme version of the district; the DOMAIN.md defaults become version 1
    on first use."""
    latest = (
        await RatingScheme.select()
        .where(RatingScheme.district == district_id)
        .order_by(RatingScheme.version, ascending=False)
        .first()
    )
    if latest is not None:
        return latest
    try:
        async with transaction():
            await RatingScheme.insert(
                RatingScheme(
                    district=district_id,
                    version=1,
                    items=list(rules.DEFAULT_ITEMS),
                    bands=list(rules.DEFAULT_BANDS),
                    created_at=now(),
                )
            )
    except Exception as exc:  # another request seeded it first
        if not is_integrity_error(exc):
            raise
    return await current_scheme(district_id)


async def create_scheme(caller: Caller, data: schemas.SchemeIn) -> dict[str, Any]:
    """A new version of the score sheet; earlier periods keep the version they used."""
    items = [
        {
            "code": i.code,
            "name": i.name.strip(),
            "max_score": parse_fen(i.max_score, f"items[{n}].max_score"),
        }
        for n, i in enumerate(data.items)
    ]
    bands: list[dict[str, Any]] = []
    for n, b in enumerate(data.bands):
        bands.append(
            {
                "min_score": parse_fen(b.min_score, f"bands[{n}].min_score", allow_zero=True),
                "grade": b.grade.strip(),
                "ratio": parse_fen(b.ratio, f"bands[{n}].ratio", allow_zero=True),
            }
        )
    _fail([{"field": f, "message": m} for f, m in rules.scheme_problems(items, bands)])
    bands.sort(key=lambda b: -int(b["min_score"]))
    previous = await current_scheme(caller.district_id)
    async with transaction():
        scheme = RatingScheme(
            district=caller.district_id,
            version=previous["version"] + 1,
            items=items,
            bands=bands,
            created_by=caller.id,
            created_at=now(),
        )
        await scheme.save()
        await record(
            caller, "rating_scheme.create", "rating_scheme", scheme.id, after=scheme.to_dict()
        )
    row = await RatingScheme.select().where(RatingScheme.id == scheme.id).first()
    assert row is not None
    return row


# --- periods ---------------------------------------------------------------------------


async def create_period(caller: Caller, data: schemas.PeriodIn) -> dict[str, Any]:
    """Open a rating period of whole calendar months (quarterly by default); it keeps
    the scheme version current now. Periods may overlap (a special inspection beside the
    quarter), but one contract is rated at most once for any day (see ``rate_contract``)."""
    name = data.name.strip()
    if not name:
        raise InputError("name", "不能为空")
    if data.ends_on < data.starts_on:
        raise InputError("ends_on", "结束日期不能早于开始日期")
    if rules.months_in_period(data.starts_on, data.ends_on) is None:
        raise InputError("ends_on", "评价期须为整月：从某月 1 日开始，到某月最后一天结束")
    scheme = await current_scheme(caller.district_id)
    async with transaction():
        period = RatingPeriod(
            district=caller.district_id,
            name=name,
            starts_on=data.starts_on,
            ends_on=data.ends_on,
            scheme=scheme["id"],
            status="open",
            created_by=caller.id,
            created_at=now(),
        )
        await period.save()
        await record(
            caller, "rating_period.create", "rating_period", period.id, after=period.to_dict()
        )
    return await load_period(caller, period.id)


async def load_period(
    caller: Caller, period_id: UUID | str, *, lock: bool = False
) -> dict[str, Any]:
    """The period of the caller's district, else 404. ``lock`` (inside a transaction)
    serialises writes that depend on the period being open (PostgreSQL FOR UPDATE;
    SQLite's IMMEDIATE transactions already do)."""
    query = RatingPeriod.select().where(
        (RatingPeriod.id == as_uuid(period_id)) & (RatingPeriod.district == caller.district_id)
    )
    if lock and is_postgres():
        query = query.lock_rows()
    row = await query.first()
    if row is None:
        raise NotFoundException(PERIOD_NOT_FOUND)
    return row


async def scheme_of(period: dict[str, Any]) -> dict[str, Any]:
    row = await RatingScheme.select().where(RatingScheme.id == period["scheme"]).first()
    assert row is not None
    return row


def ensure_open(period: dict[str, Any]) -> None:
    if period["status"] != "open":
        raise Conflict("该评价期已定稿，评分、申诉与满意度均已冻结。")


# --- ratings ---------------------------------------------------------------------------


def rating_visible(caller: Caller, row: dict[str, Any]) -> bool:
    return contract_party_visible(caller, row)


def rating_condition(caller: Caller) -> Any:
    return contract_party_condition(caller, Rating)


async def load_rating(caller: Caller, rating_id: UUID | str) -> dict[str, Any]:
    row = await Rating.select().where(Rating.id == as_uuid(rating_id)).first()
    if row is None or not rating_visible(caller, row):
        raise NotFoundException(RATING_NOT_FOUND)
    return row


def checked_scores(
    scheme: dict[str, Any], given: list[schemas.ScoreIn], *, complete: bool
) -> dict[str, dict[str, Any]]:
    """Scores by item code, in hundredths; 422 for unknown or repeated codes, scores
    above an item's maximum or with more than two decimals, and (when ``complete``)
    missing items."""
    items = {i["code"]: i for i in loads(scheme["items"])}
    errors: list[dict[str, str]] = []
    scores: dict[str, dict[str, Any]] = {}
    for n, entry in enumerate(given):
        if entry.code not in items:
            errors.append(
                {
                    "field": f"items[{n}].code",
                    "message": f"未知的评分项 {entry.code}，应为 " + "、".join(items) + " 之一",
                }
            )
            continue
        if entry.code in scores:
            errors.append({"field": f"items[{n}].code", "message": f"评分项 {entry.code} 重复"})
            continue
        try:
            score = parse_fen(entry.score, f"items[{n}].score", allow_zero=True)
        except InputError as exc:
            errors.extend(exc.extra if isinstance(exc.extra, list) else [])
            continue
        maximum = int(items[entry.code]["max_score"])
        if score > maximum:
            errors.append(
                {
                    "field": f"items[{n}].score",
                    "message": f"超过该项满分 {maximum // 100}.{maximum % 100:02d}",
                }
            )
            continue
        scores[entry.code] = {"code": entry.code, "score": score, "note": entry.note.strip()}
    if complete:
        missing = [
            code for code in items if code not in scores and code not in {g.code for g in given}
        ]
        if missing:
            errors.append({"field": "items", "message": "缺少评分项：" + "、".join(missing)})
    _fail(errors)
    return scores


def _grade(scheme: dict[str, Any], items: list[dict[str, Any]]) -> dict[Any, Any]:
    total = rules.total_score(int(i["score"]) for i in items)
    band = rules.band_for(total, bands_of(scheme))
    return {
        Rating.items: items,
        Rating.total: total,
        Rating.grade: band.grade,
        Rating.ratio: band.ratio,
    }


async def rate_contract(caller: Caller, period_id: str, data: schemas.RatingIn) -> dict[str, Any]:
    """The bureau scores one contract for one period, every item of the period's scheme."""
    period = await load_period(caller, period_id)
    ensure_open(period)
    scheme = await scheme_of(period)
    contract = (
        await Contract.select()
        .where((Contract.id == data.contract_id) & (Contract.district == caller.district_id))
        .first()
    )
    if contract is None or contract["status"] == "draft":
        raise InputError("contract_id", "合同不存在或尚未生效")
    served = rules.served_days(
        contract["starts_on"], contract["ends_on"], period["starts_on"], period["ends_on"]
    )
    if served == 0:
        raise InputError("contract_id", "该合同在本评价期内没有服务天数")
    scores = checked_scores(scheme, data.items, complete=True)
    ordered = [scores[i["code"]] for i in loads(scheme["items"])]
    async with transaction():
        ensure_open(await load_period(caller, period["id"], lock=True))
        if await Rating.exists().where(
            (Rating.period == period["id"]) & (Rating.contract == contract["id"])
        ):
            raise Conflict("该合同本期已评分；修改请用 PUT /ratings/{id}。")
        # One rating (and so one subsidy) per contract for any day.
        if await Rating.exists().where(
            (Rating.contract == contract["id"])
            & (Rating.period.starts_on <= period["ends_on"])
            & (Rating.period.ends_on >= period["starts_on"])
        ):
            raise Conflict("该合同已在日期重叠的另一评价期评分，同一天不能重复评分（和补贴）。")
        graded = _grade(scheme, ordered)
        rating = Rating(
            district=caller.district_id,
            period=period["id"],
            contract=contract["id"],
            community=contract["community"],
            company=contract["company"],
            items=ordered,
            total=graded[Rating.total],
            grade=graded[Rating.grade],
            ratio=graded[Rating.ratio],
            created_by=caller.id,
            created_at=now(),
            updated_at=now(),
        )
        await rating.save()
        await record(caller, "rating.create", "rating", rating.id, after=rating.to_dict())
    return await load_rating(caller, rating.id)


async def rescore(
    caller: Caller,
    rating: dict[str, Any],
    scheme: dict[str, Any],
    replace: dict[str, dict[str, Any]],
    action: str,
) -> dict[str, Any]:
    items = [replace.get(i["code"], i) for i in loads(rating["items"])]
    changes = _grade(scheme, items)
    changes[Rating.updated_at] = now()
    await Rating.update(changes).where(Rating.id == rating["id"])
    after = await Rating.select().where(Rating.id == rating["id"]).first()
    await record(caller, action, "rating", rating["id"], before=rating, after=after)
    assert after is not None
    return after


async def update_rating(caller: Caller, rating_id: str, data: schemas.RescoreIn) -> dict[str, Any]:
    """Re-score a rating of an open period (every item again)."""
    async with transaction():
        rating = await load_rating(caller, rating_id)
        period = await load_period(caller, rating["period"], lock=True)
        ensure_open(period)
        rating = await load_rating(caller, rating["id"])  # as it is now, under the lock
        scheme = await scheme_of(period)
        scores = checked_scores(scheme, data.items, complete=True)
        return await rescore(caller, rating, scheme, scores, "rating.update")


# --- finalisation ----------------------------------------------------------------------


async def _lock_neighbourhood(caller: Caller, period: dict[str, Any]) -> list[dict[str, Any]]:
    """Lock the period and the district's periods adjacent to it by date (the one before
    ends the day before it starts, the one after starts the day after it ends), always in
    date order, so that two finalisations of neighbouring periods serialise (the second
    sees the first finalised) and never deadlock. Returns the neighbours, read again
    under the lock."""
    day = timedelta(days=1)
    rows = await RatingPeriod.select(RatingPeriod.id, RatingPeriod.starts_on).where(
        (RatingPeriod.district == caller.district_id)
        & (
            (RatingPeriod.id == period["id"])
            | (RatingPeriod.ends_on == period["starts_on"] - day)
            | (RatingPeriod.starts_on == period["ends_on"] + day)
        )
    )
    for row in sorted(rows, key=lambda r: (r["starts_on"], str(r["id"]))):
        await load_period(caller, row["id"], lock=True)
    return [await load_period(caller, row["id"]) for row in rows if row["id"] != period["id"]]


async def finalize_period(caller: Caller, period_id: str) -> dict[str, Any]:
    """Freeze the period's ratings (409 while an appeal is unanswered) and flag for
    review each company below 60 in two adjacent finalised periods (by dates, in
    whatever order they were finalised: finalising a period may flag the already
    finalised period right after it)."""
    async with transaction():
        period = await load_period(caller, period_id)
        neighbours = await _lock_neighbourhood(caller, period)
        period = await load_period(caller, period["id"])  # as it is now, under the lock
        ensure_open(period)
        ratings = await Rating.select(
            Rating.id, Rating.contract, Rating.community, Rating.company, Rating.total
        ).where(Rating.period == period["id"])
        if ratings:
            pending = await Appeal.count().where(
                Appeal.rating.is_in([r["id"] for r in ratings]) & Appeal.decision.is_null()
            )
            if pending:
                raise Conflict(f"尚有 {pending} 项申诉未答复，答复后才能定稿。")
        flagged = await _flag_adjacent(period, neighbours, ratings)
        await RatingPeriod.update(
            {
                RatingPeriod.status: "finalized",
                RatingPeriod.finalized_by: caller.id,
                RatingPeriod.finalized_at: now(),
            }
        ).where(RatingPeriod.id == period["id"])
        await record(
            caller,
            "rating_period.finalize",
            "rating_period",
            period["id"],
            before=period,
            after={"status": "finalized", "ratings": len(ratings), "flagged": flagged},
        )
    return await load_period(caller, period["id"])


async def _flag_adjacent(
    period: dict[str, Any], neighbours: list[dict[str, Any]], ratings: list[dict[str, Any]]
) -> list[UUID]:
    """Set the review flag (rules.flagged_for_review) on this period's ratings and on
    those of the finalised period right after it, for the companies rated now."""
    if not ratings:
        return []
    finalised = [n for n in neighbours if n["status"] == "finalized"]
    dates = {p["id"]: p for p in [period, *finalised]}
    parties = {(r["community"], r["company"]) for r in ratings}
    rows = await Rating.select(
        Rating.id, Rating.period, Rating.community, Rating.company, Rating.total
    ).where(
        Rating.period.is_in(list(dates))
        & Rating.company.is_in(sorted({c for _, c in parties}, key=str))
    )
    rated = [
        rules.RatedPeriod(
            rating_id=r["id"],
            party=(r["community"], r["company"]),
            starts_on=dates[r["period"]]["starts_on"],
            ends_on=dates[r["period"]]["ends_on"],
            total=r["total"],
        )
        for r in rows
        if (r["community"], r["company"]) in parties
    ]
    flagged = sorted(rules.flagged_for_review(rated), key=str)
    if flagged:
        await Rating.update({Rating.review_flag: True}).where(Rating.id.is_in(flagged))
    return [UUID(str(f)) for f in flagged]
