"""The owners' satisfaction survey of an open rating period, as a page."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response, get, post
from litestar.exceptions import HTTPException, ValidationException
from litestar.params import FromPath
from litestar.response import Template

from service.auth.roles import COMMITTEE, OWNER, Caller, allow
from service.auth.scope import Scope
from service.http import CallerDep, ScopeDep
from service.ratings import schemas
from service.ratings.rules import SATISFACTION_MAX, SATISFACTION_MIN
from service.ratings.satisfaction import answer_satisfaction
from service.ratings.service import ensure_open, load_period
from service.ratings.tables import SatisfactionAnswer
from service.registry.places import flats
from service.web.render import form_errors, page, see_other

SCORE_NAMES = {5: "非常满意", 4: "满意", 3: "一般", 2: "不满意", 1: "非常不满意"}


async def _survey(
    caller: Caller, access: Scope, period_id: str, errors: list[str], status: int = 200
) -> Template:
    period = await load_period(caller, period_id)
    rows = await flats(access.households(), limit=50 if caller.role == OWNER else 2000)
    answers = {
        a["household"]: a
        for a in await SatisfactionAnswer.select().where(
            (SatisfactionAnswer.period == period["id"])
            & SatisfactionAnswer.household.is_in([r["id"] for r in rows] or [None])
        )
    }
    for row in rows:
        row["answer"] = answers.get(row["id"])
    return page(
        "satisfaction.html",
        status_code=status,
        period=period,
        flats=rows,
        scores=[
            (s, SCORE_NAMES.get(s, str(s)))
            for s in range(SATISFACTION_MAX, SATISFACTION_MIN - 1, -1)
        ],
        errors=errors,
    )


@get(
    "/rating-periods/{period_id:str}/satisfaction",
    opt=allow(OWNER, COMMITTEE),
    include_in_schema=False,
)
async def survey(caller: CallerDep, access: ScopeDep, period_id: FromPath[str]) -> Template:
    """物业服务满意度调查（评价期开放时）。"""
    period = await load_period(caller, period_id)
    ensure_open(period)
    return await _survey(caller, access, period_id, [])


@post(
    "/rating-periods/{period_id:str}/satisfaction",
    opt=allow(OWNER, COMMITTEE),
    include_in_schema=False,
)
async def answer(
    request: Request[Any, Any, Any], caller: CallerDep, access: ScopeDep, period_id: FromPath[str]
) -> Response[Any]:
    form = await request.form()
    try:
        data = msgspec.convert(
            {
                "household_id": str(form.get("household_id") or ""),
                "score": int(str(form.get("score") or "0")),
                "comment": str(form.get("comment") or "")[:500],
            },
            schemas.SatisfactionIn,
        )
        await answer_satisfaction(caller, access, period_id, data)
    except ValidationException as exc:
        return await _survey(caller, access, period_id, form_errors(exc), 422)
    except (ValueError, msgspec.ValidationError):
        return await _survey(caller, access, period_id, ["请选择房屋和满意度。"], 422)
    except HTTPException as exc:
        if exc.status_code != 409:
            raise
        return await _survey(caller, access, period_id, [str(exc.detail)], 409)
    return see_other(
        "/households" if caller.role == OWNER else f"/rating-periods/{period_id}/satisfaction"
    )


PAGE_HANDLERS = [survey, answer]
