"""Fund-use pages: the list, one use with its tally drawn against the thresholds, the
ballot forms (owners for their flats, the committee for paper ballots), attachments,
payments and what owners fund themselves."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.exceptions import HTTPException, ValidationException
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from service.auth.roles import AUDITOR, BUREAU, COMMITTEE, COMPANY, OWNER, allow
from service.auth.scope import as_uuid, resolve_scope
from service.clock import today
from service.db import transaction
from service.fund_uses import reads
from service.fund_uses import service as uses
from service.fund_uses.attachments import KINDS, FundAttachment, attach, attachment_response
from service.fund_uses.notices import serve_notice, served_owners
from service.fund_uses.rules import STATUS_NAMES, UseStatus
from service.fund_uses.schemas import BallotIn
from service.http import CallerDep, ScopeDep
from service.registry.tables import Community
from service.units import format_area
from service.votes.rules import Matter, Tally, VoteRule, drawn_thresholds
from service.warranty.rules import CATEGORY_NAMES
from service.web.render import caller_of, form_errors, page, see_other

READERS = (BUREAU, AUDITOR, COMPANY, COMMITTEE, OWNER)
SHEET_READERS = (BUREAU, AUDITOR, COMMITTEE)
CHOICE_NAMES = {"yes": "同意", "no": "反对", "abstain": "弃权"}
RULE_NAMES = {
    "civil_code": (
        "《民法典》第二百七十八条：参与表决的面积和人数均达三分之二以上，同意的面积和人数均过半数"
    ),
    "strict_2007": "2007 年规则：同意的面积和人数均达全体的三分之二以上",
    "henan_objection": "河南异议表决：反对的面积或人数达到三分之一即不通过",
}
KIND_NAMES = {"quote": "报价单", "photo": "照片", "acceptance": "验收记录", "other": "其他"}
STAGE_NAMES = {"advance": "预付款", "progress": "进度款", "final": "结算款"}


def drawn_bars(tally: Tally, rule: str, matter: Matter = Matter.USE) -> list[dict[str, Any]]:
    """The rule's thresholds (for this matter) with this tally's amounts, ready to draw."""
    bars = []
    for bar in drawn_thresholds(VoteRule(rule), matter):
        part, whole = bar.amounts(tally)
        shown = format_area if bar.measure == "area" else str
        unit = " m²" if bar.measure == "area" else " 人"
        bars.append(
            {
                "label": bar.label,
                "part": shown(part) + unit,
                "whole": shown(whole) + unit,
                "percent": round(100 * part / whole, 1) if whole else 0,
                "line": round(100 * bar.num / bar.den, 1),
                "rule": f"{'≥' if bar.comparison == '>=' else bar.comparison} {bar.num}/{bar.den}",
                "met": bar.met(tally),
            }
        )
    return bars


@get("/fund-uses", opt=allow(*READERS), include_in_schema=False)
async def fund_use_list(
    caller: CallerDep, access: ScopeDep, community_id: FromQuery[str | None] = None
) -> Template:
    """维修资金使用申请一览（业主只看到涉及自己房屋的）。"""
    community = None
    if community_id:
        community = await access.community(community_id, Community.id, Community.name)
    rows = await reads.visible_uses(caller, access, community["id"] if community else None)
    return page(
        "fund_uses.html", uses=rows, community=community, status_names=STATUS_NAMES, today=today()
    )


async def _detail(
    request: Request[Any, Any, Any], use_id: str, errors: list[str] | None = None, status: int = 200
) -> Template:
    caller = caller_of(request)
    access = await resolve_scope(caller)
    use = await uses.visible_use(access, use_id)
    await serve_notice(caller, use)
    out = await uses.fund_use_out(use, with_shares=False)
    tally = await uses.count_votes(use)
    community = await access.community(use["community"], Community.id, Community.name)
    owner_filter = caller.owner_id if caller.role == OWNER else None
    sheet = (
        await reads.ballot_sheet(use["id"], owner_filter)
        if caller.role in (*SHEET_READERS, OWNER)
        else []
    )
    open_vote = use["status"] == UseStatus.VOTING and (
        use["vote_closes_on"] is None or today() <= use["vote_closes_on"]
    )
    attachments = (
        await FundAttachment.select()
        .where(FundAttachment.fund_use == use["id"])
        .order_by(FundAttachment.uploaded_at)
    )
    return page(
        "fund_use.html",
        status_code=status,
        use=out,
        community=community,
        tally=uses.tally_out(tally, use["vote_rule"]),
        bars=drawn_bars(tally, use["vote_rule"]),
        rule_name=RULE_NAMES.get(use["vote_rule"], use["vote_rule"]),
        served=await served_owners(use["id"]),
        sheet=sheet,
        open_vote=open_vote,
        can_vote=open_vote and caller.role in uses.BALLOT_CASTERS,
        can_attach=caller.role in (BUREAU, COMPANY, COMMITTEE),
        attachments=attachments,
        payments=await reads.payments(use["id"]),
        self_funded=await reads.self_funded(use["id"], owner_filter)
        if caller.role in (*SHEET_READERS, OWNER)
        else [],
        errors=errors or [],
        done=request.query_params.get("done"),
        status_names=STATUS_NAMES,
        choice_names=CHOICE_NAMES,
        kind_names=KIND_NAMES,
        kinds=KINDS,
        stage_names=STAGE_NAMES,
        category_names=CATEGORY_NAMES,
    )


@get("/fund-uses/{use_id:str}", opt=allow(*READERS), include_in_schema=False)
async def fund_use_page(request: Request[Any, Any, Any], use_id: FromPath[str]) -> Template:
    """一项维修资金使用：表决内容与截止日期、计票（对照法定比例）、送达人数、附件、拨付与自筹。"""
    return await _detail(request, use_id)


def _ballots(form: Any) -> list[BallotIn]:
    """An owner's form has one ``choice-<household>`` per flat; the committee's paper
    ballot names ``household_id`` and ``choice``."""
    pairs = [(k.removeprefix("choice-"), v) for k, v in form.items() if k.startswith("choice-")]
    if form.get("household_id"):
        pairs.append((form.get("household_id"), form.get("choice")))
    ballots = []
    for household, choice in pairs:
        if choice not in CHOICE_NAMES:
            continue
        ballots.append(BallotIn(household_id=as_uuid(str(household)), choice=choice))
    return ballots


@post(
    "/fund-uses/{use_id:str}/ballots",
    opt=allow(*uses.BALLOT_CASTERS),
    include_in_schema=False,
)
async def cast_ballots(
    request: Request[Any, Any, Any], caller: CallerDep, access: ScopeDep, use_id: FromPath[str]
) -> Response[Any]:
    """业主为自己的房屋投票；业委会录入纸质选票。"""
    ballots = _ballots(await request.form())
    if not ballots:
        return await _detail(request, use_id, ["请选择同意、反对或弃权。"], 422)
    try:
        # All of the form's ballots or none: a refused flat leaves nothing half-cast.
        async with transaction():
            for ballot in ballots:
                await uses.cast_ballot(caller, access, use_id, ballot)
    except ValidationException as exc:
        return await _detail(request, use_id, form_errors(exc), 422)
    except HTTPException as exc:
        if exc.status_code != 409:
            raise
        return await _detail(request, use_id, [str(exc.detail)], 409)
    return see_other(f"/fund-uses/{use_id}?done=ballot#tally")


@post(
    "/fund-uses/{use_id:str}/attachments",
    opt=allow(BUREAU, COMPANY, COMMITTEE),
    include_in_schema=False,
)
async def upload_attachment(
    request: Request[Any, Any, Any], caller: CallerDep, access: ScopeDep, use_id: FromPath[str]
) -> Response[Any]:
    """上传报价单、照片、验收记录。"""
    use = await uses.visible_use(access, use_id)
    form = await request.form()
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        return await _detail(request, use_id, ["请选择要上传的文件。"], 422)
    try:
        await attach(
            caller, use, str(form.get("kind") or "other"), upload.filename, await upload.read()
        )
    except ValidationException as exc:
        return await _detail(request, use_id, form_errors(exc), 422)
    return see_other(f"/fund-uses/{use_id}?done=attachment#attachments")


@get(
    "/fund-uses/{use_id:str}/attachments/{attachment_id:str}",
    opt=allow(*READERS),
    include_in_schema=False,
)
async def download_attachment(
    access: ScopeDep, use_id: FromPath[str], attachment_id: FromPath[str]
) -> Response[bytes]:
    use = await uses.visible_use(access, use_id)
    return await attachment_response(use, as_uuid(attachment_id), "inline")


PAGE_HANDLERS = [fund_use_list, fund_use_page, cast_ballots, upload_attachment, download_attachment]
