"""The plan's kept standards as data and their pure rules: the default catalogue, who a
failed item's rectification goes to, its due date in working days, the task's states,
when it is overdue, and the quarters of the matrix. No I/O here.

Source: the seed's 改造提质标准 (DOMAIN.md "The plan's standards"): each community 三入、
四通、四有、两整; each area 三合、三整、九有 (within a 15-minute walk).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from service.warranty.rules import (
    CATEGORIES,
    UTILITIES,
    Candidate,
    Company,
    Operator,
    WorkingCalendar,
    covering,
)

COMMUNITY = "community"
AREA = "area"
LEVELS = (COMMUNITY, AREA)
LEVEL_NAMES = {COMMUNITY: "小区", AREA: "片区"}

# The seed's groups, by level.
GROUPS = {
    "san_ru": (COMMUNITY, "三入"),
    "si_tong": (COMMUNITY, "四通"),
    "si_you": (COMMUNITY, "四有"),
    "liang_zheng": (COMMUNITY, "两整"),
    "san_he": (AREA, "三合"),
    "san_zheng": (AREA, "三整"),
    "jiu_you": (AREA, "九有"),
}

MET, NOT_MET, NA = "met", "not_met", "na"
RESULTS = (MET, NOT_MET, NA)

# Who a rectification task goes to.
RESPONSIBLE_KINDS = ("company", "contractor", "operator", "street")
RESPONSIBLE_NAMES = {
    "company": "物业服务企业",
    "contractor": "施工单位（保修期内）",
    "operator": "专业经营单位",
    "street": "街道办事处",
}
# Ours: the plan sets no period; 10 working days unless the catalogue item says otherwise.
DEFAULT_WORKDAYS = 10
MAX_WORKDAYS = 250


def _item(
    code: str,
    name: str,
    group: str,
    check: str,
    *,
    utility: str | None = None,
    warranty_category: str | None = None,
    fallback: str = "company",
    workdays: int = DEFAULT_WORKDAYS,
    rating_item: str | None = None,
) -> dict[str, Any]:
    return {
        "code": code,
        "name": name,
        "level": GROUPS[group][0],
        "group": group,
        "check": check,
        "utility": utility,
        "warranty_category": warranty_category,
        "fallback": fallback,
        "workdays": workdays,
        "rating_item": rating_item,
    }


# The default catalogue (version 1 of every district). ``utility``: an operator's line
# (its operator rectifies, never the fund); ``warranty_category``: a renovation component
# that may still be under warranty (its contractor rectifies); ``fallback``: who else
# (company or street office); ``rating_item``: the score-sheet item it bears on.
# Working-day periods are ours (no published figure).
DEFAULT_ITEMS: tuple[dict[str, Any], ...] = (
    _item(
        "ru_power", "强电线路入地或入管", "san_ru", "目视检查：无架空强电线、飞线", utility="power"
    ),
    _item(
        "ru_network",
        "通信网络线路入地或入管",
        "san_ru",
        "目视检查：无架空弱电线",
        utility="telecom",
    ),
    _item(
        "ru_cable", "有线电视线路入地或入管", "san_ru", "目视检查：无架空线缆", utility="telecom"
    ),
    _item("tong_water", "供水通", "si_tong", "抽查住户供水与水压", utility="water"),
    _item("tong_power", "供电通", "si_tong", "抽查住户与公共照明供电", utility="power"),
    _item("tong_gas", "供气通", "si_tong", "核对管道燃气入户情况", utility="gas"),
    _item("tong_heat", "供暖通", "si_tong", "采暖季抽查室温与管网", utility="heat"),
    _item(
        "you_property",
        "有物业管理",
        "si_you",
        "核对在管物业服务合同与驻场人员",
        fallback="street",
        rating_item="general",
    ),
    _item(
        "you_security",
        "有智能安防",
        "si_you",
        "现场检查门禁、监控运行",
        warranty_category="electrical",
        rating_item="security",
    ),
    _item(
        "you_fitness",
        "有健身设施",
        "si_you",
        "现场检查健身器材完好",
        warranty_category="equipment",
        rating_item="facilities",
    ),
    _item(
        "you_refuse",
        "有新型垃圾分类设施",
        "si_you",
        "现场检查分类投放点与清运",
        rating_item="cleaning",
    ),
    _item(
        "zheng_road",
        "道路平整",
        "liang_zheng",
        "现场检查路面破损、积水",
        warranty_category="other",
        rating_item="facilities",
    ),
    _item(
        "zheng_kerb",
        "路沿石规整",
        "liang_zheng",
        "现场检查路沿石缺损、错位",
        warranty_category="other",
        rating_item="facilities",
    ),
    _item("he_pole", "多杆合一", "san_he", "沿街检查杆件合并", utility="power", fallback="street"),
    _item("he_box", "多箱合一", "san_he", "沿街检查箱体合并", utility="power", fallback="street"),
    _item(
        "he_network", "多网合一", "san_he", "沿街检查线网合并", utility="telecom", fallback="street"
    ),
    _item("zheng_shopfront", "店招店牌规整", "san_zheng", "沿街检查店招", fallback="street"),
    _item("zheng_area_road", "片区道路整洁", "san_zheng", "沿街检查路面", fallback="street"),
    _item("zheng_area_kerb", "片区路沿规整", "san_zheng", "沿街检查路沿", fallback="street"),
    _item(
        "you_service_centre",
        "有社区服务中心",
        "jiu_you",
        "15 分钟步行范围内核对",
        fallback="street",
    ),
    _item(
        "you_elderly_care",
        "有养老服务设施（乐养居）",
        "jiu_you",
        "15 分钟步行范围内核对",
        fallback="street",
    ),
    _item("you_clinic", "有卫生服务站", "jiu_you", "15 分钟步行范围内核对", fallback="street"),
    _item("you_reading_room", "有城市书房", "jiu_you", "15 分钟步行范围内核对", fallback="street"),
    _item("you_toilet", "有公共厕所", "jiu_you", "15 分钟步行范围内核对", fallback="street"),
    _item("you_parcel", "有快递收发点", "jiu_you", "15 分钟步行范围内核对", fallback="street"),
    _item("you_store", "有便利店", "jiu_you", "15 分钟步行范围内核对", fallback="street"),
    _item("you_parking", "有停车场（位）", "jiu_you", "15 分钟步行范围内核对", fallback="street"),
    _item("you_charging", "有充电设施", "jiu_you", "15 分钟步行范围内核对", fallback="street"),
)

CODE_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
RATING_ITEMS = ("general", "security", "cleaning", "greening", "facilities", "satisfaction")


def item_problems(item: Mapping[str, Any], existing: Iterable[str]) -> list[tuple[str, str]]:
    """What is wrong with a district's own catalogue item, as (field, message) pairs."""
    problems: list[tuple[str, str]] = []
    if not CODE_PATTERN.match(str(item.get("code", ""))):
        problems.append(("code", "代码须为小写字母开头的字母、数字或下划线，2 至 40 位"))
    elif item["code"] in set(existing):
        problems.append(("code", "目录中已有此代码"))
    if not str(item.get("name", "")).strip():
        problems.append(("name", "不能为空"))
    if item.get("level") not in LEVELS:
        problems.append(("level", "须为 community 或 area"))
    if not str(item.get("group", "")).strip():
        problems.append(("group", "不能为空"))
    elif item.get("group") in GROUPS and GROUPS[item["group"]][0] != item.get("level"):
        problems.append(("group", f"“{GROUPS[item['group']][1]}”属于另一层级"))
    if item.get("utility") is not None and item["utility"] not in UTILITIES:
        problems.append(("utility", "须为 water、power、gas、heat 或 telecom"))
    category = item.get("warranty_category")
    if category is not None and category not in CATEGORIES:
        problems.append(("warranty_category", "不是已知的维修类别"))
    if item.get("fallback") not in ("company", "street"):
        problems.append(("fallback", "须为 company 或 street"))
    elif item.get("level") == AREA and item.get("fallback") == "company":
        problems.append(("fallback", "片区标准没有物业服务企业，须为 street"))
    workdays = item.get("workdays")
    if not isinstance(workdays, int) or not 1 <= workdays <= MAX_WORKDAYS:
        problems.append(("workdays", f"须为 1 至 {MAX_WORKDAYS} 个工作日"))
    if item.get("rating_item") is not None and item["rating_item"] not in RATING_ITEMS:
        problems.append(("rating_item", "不是评分表的项目代码"))
    return problems


def group_name(group: str) -> str:
    """The seed's name of a group (三入 …), or a district's own group as written."""
    return GROUPS[group][1] if group in GROUPS else group


# --- Working days -----------------------------------------------------------------------


def add_working_days(start: date, days: int, calendar: WorkingCalendar) -> date:
    """The ``days``-th working day after ``start`` (the start day is not counted, Civil
    Code art. 201); make-up working days count, rest days and holidays do not."""
    if days < 1:
        raise ValueError("a period in working days is at least one day")
    day, counted = start, 0
    while counted < days:
        day += timedelta(days=1)
        if calendar.is_working_day(day):
            counted += 1
    return day


# --- Who rectifies ----------------------------------------------------------------------


@dataclass(frozen=True)
class StreetOffice:
    org_id: UUID
    name: str


@dataclass(frozen=True)
class Responsible:
    kind: str  # one of RESPONSIBLE_KINDS
    org_id: UUID | None
    reason: str
    work_id: UUID | None = None


def route_rectification(
    item: Mapping[str, Any],
    on_date: date,
    candidates: Sequence[Candidate],
    company: Company | None,
    *,
    operator: Operator | None = None,
    street: StreetOffice | None = None,
) -> Responsible:
    """Who must rectify a failed item (DOMAIN "The plan's standards"; 165号令 art. 25;
    条例 art. 41).

    1. an operator's line (``utility``) → the operator, at its own cost;
    2. a renovation component of the item's category still under warranty in the
       community on ``on_date`` → its contractor;
    3. a community item whose fallback is the company, with a live contract → the company;
    4. otherwise → the street office (an area's items; a community without a company).
    """
    name = str(item["name"])
    utility = item.get("utility")
    if utility:
        who = operator.name if operator else f"{UTILITIES[utility]}专业经营单位"
        return Responsible(
            kind="operator",
            org_id=operator.org_id if operator else None,
            reason=f"“{name}”属{UTILITIES[utility]}专业经营单位的管线设施，由{who}整改并承担费用。",
        )
    category = item.get("warranty_category")
    if category and item.get("level") == COMMUNITY:
        hit = covering(candidates, category, None, on_date)
        if hit is not None:
            return Responsible(
                kind="contractor",
                org_id=hit.contractor_id,
                work_id=hit.work_id,
                reason=(
                    f"“{name}”属改造工程“{hit.work_title}”，保修期至 "
                    f"{hit.warranty_until.isoformat()}，由施工单位{hit.contractor_name}整改。"
                ),
            )
    if item.get("level") == COMMUNITY and item.get("fallback") == "company" and company:
        return Responsible(
            kind="company",
            org_id=company.org_id,
            reason=f"“{name}”属日常管理维护，由在管物业服务企业{company.name}整改。",
        )
    who = street.name if street else "所在街道办事处"
    why = (
        "小区当前没有在管的物业服务企业"
        if item.get("level") == COMMUNITY and item.get("fallback") == "company"
        else "属街道统筹的事项"
    )
    return Responsible(
        kind="street",
        org_id=street.org_id if street else None,
        reason=f"“{name}”{why}，由{who}牵头整改。",
    )


# --- The task's life ---------------------------------------------------------------------

OPEN, ANSWERED, CLOSED = "open", "answered", "closed"
STATUSES = (OPEN, ANSWERED, CLOSED)
UNFINISHED = frozenset({OPEN, ANSWERED})
STATUS_NAMES = {OPEN: "待整改", ANSWERED: "已答复待复查", CLOSED: "已关闭"}
ACTIONS = ("answer", "close", "reopen")
# (from, action) → to. ``answer``: the responsible party reports it done; ``reopen``:
# the bureau finds the answer wanting; ``close``: the bureau confirms on the spot (a
# later inspection finding the item met closes it too).
TRANSITIONS = {
    (OPEN, "answer"): ANSWERED,
    (ANSWERED, "answer"): ANSWERED,
    (OPEN, "close"): CLOSED,
    (ANSWERED, "close"): CLOSED,
    (ANSWERED, "reopen"): OPEN,
}


class IllegalStep(ValueError):
    """The task's state does not allow this step (409)."""


def next_status(status: str, action: str) -> str:
    """The task's state after ``action``; raises ``IllegalStep`` if it may not be taken."""
    target = TRANSITIONS.get((status, action))
    if target is None:
        raise IllegalStep(f"{status} → {action}")
    return target


def is_overdue(status: str, due_on: date, answered_on: date | None, today: date) -> bool:
    """Unfinished after its due date: the due date itself is still on time, and a task
    answered on or before its due date waits for the bureau's check without being late."""
    if status not in UNFINISHED or today <= due_on:
        return False
    return answered_on is None or answered_on > due_on or status == OPEN


def overdue_within(due_on: date, closed_on: date | None, starts_on: date, as_of: date) -> bool:
    """Whether a task was overdue on some day of [starts_on, as_of]: late from the day
    after its due date until it was closed (a task closed on its due date never was)."""
    late_from = due_on + timedelta(days=1)
    late_until = as_of if closed_on is None else min(as_of, closed_on - timedelta(days=1))
    return late_from <= late_until and late_from <= as_of and late_until >= starts_on


# --- The matrix --------------------------------------------------------------------------

OVERDUE, NOT_INSPECTED = "overdue", "none"
CELL_NAMES = {
    MET: "达标",
    NOT_MET: "未达标（整改中）",
    OVERDUE: "未达标（整改逾期）",
    NA: "不适用",
    NOT_INSPECTED: "未检查",
}
QUARTER_PATTERN = re.compile(r"^(\d{4})Q([1-4])$")
# Quarters a caller may ask for (a history reaches up to three years further back).
FIRST_YEAR, LAST_YEAR = 2000, 2100


def cell_status(result: str | None, overdue: bool) -> str:
    """One cell of the matrix: the latest finding of the quarter, a not-met one marked
    overdue when its task is late."""
    if result is None:
        return NOT_INSPECTED
    if result == NOT_MET and overdue:
        return OVERDUE
    return result


def quarter_of(day: date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def quarter_bounds(label: str) -> tuple[date, date]:
    """First and last day of a quarter written ``YYYYQn``; ValueError otherwise."""
    match = QUARTER_PATTERN.match(label)
    if match is None:
        raise ValueError(label)
    year, quarter = int(match.group(1)), int(match.group(2))
    if not FIRST_YEAR - 10 <= year <= LAST_YEAR:
        raise ValueError(label)
    first = date(year, 3 * quarter - 2, 1)
    nxt = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
    return first, nxt - timedelta(days=1)


def quarter_allowed(label: str) -> bool:
    """A quarter a caller may ask for: ``YYYYQn`` with the year in [2000, 2100]."""
    match = QUARTER_PATTERN.match(label)
    return match is not None and FIRST_YEAR <= int(match.group(1)) <= LAST_YEAR


def previous_quarters(label: str, count: int) -> list[str]:
    """``count`` quarters ending with ``label``, oldest first."""
    first, _ = quarter_bounds(label)
    out = []
    day = first
    for _ in range(count):
        out.append(quarter_of(day))
        day = quarter_bounds(quarter_of(day - timedelta(days=1)))[0]
    return list(reversed(out))


def status_named(status: str) -> str:
    """A task's state for an error detail: its Chinese name and its code."""
    return f"{STATUS_NAMES.get(status, status)}（{status}）"
