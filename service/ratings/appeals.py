"""Appeals against ratings: one per rating, by the rated company, within the window;
the bureau answers, and an upheld appeal may re-score items."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

from litestar.exceptions import NotFoundException

from service.audit.service import record
from service.auth.roles import Caller
from service.auth.scope import as_uuid
from service.clock import now, today
from service.db import transaction
from service.errors import Conflict, InputError
from service.ratings import rules, schemas
from service.ratings.service import (
    RATING_NOT_FOUND,
    checked_scores,
    ensure_open,
    load_period,
    load_rating,
    rescore,
    scheme_of,
)
from service.ratings.tables import Appeal


async def appeal_of(rating_id: UUID) -> dict[str, Any] | None:
    return await Appeal.select().where(Appeal.rating == rating_id).first()


async def file_appeal(caller: Caller, rating_id: str, data: schemas.AppealIn) -> dict[str, Any]:
    """The rated company appeals once per rating, within the appeal window."""
    rating = await load_rating(caller, rating_id)
    if rating["company"] != caller.org_id:
        raise NotFoundException(RATING_NOT_FOUND)
    window = rules.appeal_window_days()
    async with transaction():
        period = await load_period(caller, rating["period"], lock=True)
        ensure_open(period)
        if await appeal_of(rating["id"]) is not None:
            raise Conflict("每项评分只能申诉一次，本评分已有申诉。")
        last_day = rating["created_at"].astimezone(now().tzinfo).date() + timedelta(days=window)
        if today() > last_day:
            raise Conflict(f"申诉期（评分后 {window} 天，至 {last_day}）已过。")
        appeal = Appeal(
            rating=rating["id"],
            company=caller.org_id,
            reason=data.reason.strip(),
            filed_by=caller.id,
            filed_at=now(),
        )
        await appeal.save()
        await record(caller, "appeal.file", "appeal", appeal.id, after=appeal.to_dict())
    row = await appeal_of(rating["id"])
    assert row is not None
    return row


async def answer_appeal(caller: Caller, appeal_id: str, data: schemas.AnswerIn) -> dict[str, Any]:
    """The bureau answers an appeal; upheld with items re-scores those items."""
    if data.decision not in ("upheld", "dismissed"):
        raise InputError("decision", "应为 upheld（支持）或 dismissed（驳回）")
    if data.decision == "dismissed" and data.items:
        raise InputError("items", "驳回申诉时不能修改评分")
    async with transaction():
        appeal = await Appeal.select().where(Appeal.id == as_uuid(appeal_id)).first()
        if appeal is None:
            raise NotFoundException("申诉不存在，或不在您的权限范围内。")
        rating = await load_rating(caller, appeal["rating"])
        period = await load_period(caller, rating["period"], lock=True)
        ensure_open(period)
        rating = await load_rating(caller, rating["id"])
        appeal = await Appeal.select().where(Appeal.id == appeal["id"]).first() or appeal
        if appeal["decision"] is not None:
            raise Conflict("该申诉已答复。")
        if data.items:
            scheme = await scheme_of(period)
            scores = checked_scores(scheme, data.items, complete=False)
            await rescore(caller, rating, scheme, scores, "rating.rescore_on_appeal")
        await Appeal.update(
            {
                Appeal.decision: data.decision,
                Appeal.note: data.note.strip(),
                Appeal.answered_by: caller.id,
                Appeal.answered_at: now(),
            }
        ).where(Appeal.id == appeal["id"])
        after = await Appeal.select().where(Appeal.id == appeal["id"]).first()
        await record(caller, "appeal.answer", "appeal", appeal["id"], before=appeal, after=after)
    assert after is not None
    return after
