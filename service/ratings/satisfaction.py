"""Owner satisfaction: a short survey per period; its average is evidence for the
satisfaction item."""

from __future__ import annotations

from typing import Any

from litestar.exceptions import NotFoundException

from service.audit.service import record
from service.auth.roles import Caller
from service.auth.scope import Scope
from service.clock import now
from service.db import transaction
from service.errors import InputError
from service.ratings import rules, schemas
from service.ratings.service import ensure_open, load_period
from service.ratings.tables import SatisfactionAnswer


async def answer_satisfaction(
    caller: Caller, access: Scope, period_id: str, data: schemas.SatisfactionIn
) -> dict[str, Any]:
    """An owner for an own household, or the committee for a household of its community,
    answers the period's survey (1-5); a new answer replaces the household's earlier one."""
    if not rules.SATISFACTION_MIN <= data.score <= rules.SATISFACTION_MAX:
        raise InputError("score", "满意度应为 1 到 5 的整数（5 为非常满意）")
    period = await load_period(caller, period_id)
    ensure_open(period)
    try:
        household = await access.household(data.household_id)
    except NotFoundException:
        raise InputError("household_id", "房屋不存在，或不是您可代为填写的房屋") from None
    async with transaction():
        ensure_open(await load_period(caller, period["id"], lock=True))
        existing = (
            await SatisfactionAnswer.select()
            .where(
                (SatisfactionAnswer.period == period["id"])
                & (SatisfactionAnswer.household == household["id"])
            )
            .first()
        )
        values: dict[Any, Any] = {
            SatisfactionAnswer.score: data.score,
            SatisfactionAnswer.comment: data.comment.strip(),
            SatisfactionAnswer.answered_by: caller.id,
            SatisfactionAnswer.answered_by_role: caller.role,
            SatisfactionAnswer.answered_at: now(),
        }
        if existing is None:
            answer = SatisfactionAnswer(
                period=period["id"],
                household=household["id"],
                community=household["community"],
                score=data.score,
                comment=data.comment.strip(),
                answered_by=caller.id,
                answered_by_role=caller.role,
                answered_at=now(),
            )
            await answer.save()
            answer_id = answer.id
        else:
            answer_id = existing["id"]
            await SatisfactionAnswer.update(values).where(SatisfactionAnswer.id == answer_id)
        after = await SatisfactionAnswer.select().where(SatisfactionAnswer.id == answer_id).first()
        await record(
            caller,
            "satisfaction.answer",
            "satisfaction_answer",
            answer_id,
            before=existing,
            after=after,
        )
    assert after is not None
    return after
