"""The standards' pure rules, at their boundaries and as properties."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.standards import rules
from service.warranty.rules import Candidate, Company, DistrictCalendar, Operator
from service.warranty.workdays import national_calendar

ITEMS = {i["code"]: i for i in rules.DEFAULT_ITEMS}
COMPANY = Company(uuid.uuid4(), "金牌物业")
STREET = rules.StreetOffice(uuid.uuid4(), "西南隅街道")


def component(category: str, accepted: date, until: date) -> Candidate:
    return Candidate(
        component_id=uuid.uuid4(),
        work_id=uuid.uuid4(),
        work_title="安防改造",
        contractor_id=uuid.uuid4(),
        contractor_name="洛阳建工",
        category=category,
        accepted_on=accepted,
        warranty_until=until,
        building_ids=frozenset(),
    )


def test_the_default_catalogue_has_the_seeds_groups_and_valid_items() -> None:
    counts: dict[str, int] = {}
    for item in rules.DEFAULT_ITEMS:
        counts[item["group"]] = counts.get(item["group"], 0) + 1
        others = [i["code"] for i in rules.DEFAULT_ITEMS if i is not item]
        assert rules.item_problems(item, others) == [], item["code"]
    assert counts == {
        "san_ru": 3,
        "si_tong": 4,
        "si_you": 4,
        "liang_zheng": 2,
        "san_he": 3,
        "san_zheng": 3,
        "jiu_you": 9,
    }


def test_a_make_up_sunday_counts_and_the_national_day_week_does_not() -> None:
    calendar = national_calendar()
    # 2025-01-26 (a Sunday) was a make-up working day before the Spring Festival.
    assert rules.add_working_days(date(2025, 1, 25), 1, calendar) == date(2025, 1, 26)
    # 2025-09-30 (Tue) + 1 working day: 10-01 to 10-08 are days off.
    assert rules.add_working_days(date(2025, 9, 30), 1, calendar) == date(2025, 10, 9)
    # The start day is not counted.
    assert rules.add_working_days(date(2025, 3, 3), 1, calendar) == date(2025, 3, 4)
    # The district's override is honoured.
    override = DistrictCalendar(calendar, {date(2025, 3, 4): False})
    assert rules.add_working_days(date(2025, 3, 3), 1, override) == date(2025, 3, 5)
    with pytest.raises(ValueError):
        rules.add_working_days(date(2025, 3, 3), 0, calendar)


@given(
    start=st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31)),
    days=st.integers(min_value=1, max_value=40),
)
def test_the_due_day_is_the_nth_working_day_after_the_start(start: date, days: int) -> None:
    calendar = national_calendar()
    due = rules.add_working_days(start, days, calendar)
    assert calendar.is_working_day(due)
    span = [start + timedelta(days=n) for n in range(1, (due - start).days + 1)]
    assert sum(1 for d in span if calendar.is_working_day(d)) == days


def test_an_operators_line_goes_to_its_operator_named_or_not() -> None:
    water = Operator(uuid.uuid4(), "洛阳水务")
    named = rules.route_rectification(
        ITEMS["tong_water"], date(2026, 5, 1), [], COMPANY, operator=water
    )
    assert (named.kind, named.org_id) == ("operator", water.org_id)
    unnamed = rules.route_rectification(ITEMS["tong_gas"], date(2026, 5, 1), [], COMPANY)
    assert (unnamed.kind, unnamed.org_id) == ("operator", None)


def test_the_contractor_rectifies_through_the_last_day_of_warranty_then_the_company() -> None:
    work = component("electrical", date(2024, 11, 30), date(2026, 11, 30))
    item = ITEMS["you_security"]
    on_last = rules.route_rectification(item, date(2026, 11, 30), [work], COMPANY)
    assert (on_last.kind, on_last.org_id, on_last.work_id) == (
        "contractor",
        work.contractor_id,
        work.work_id,
    )
    after = rules.route_rectification(item, date(2026, 12, 1), [work], COMPANY)
    assert (after.kind, after.org_id) == ("company", COMPANY.org_id)
    other_category = component("roofing", date(2024, 11, 30), date(2029, 11, 30))
    assert (
        rules.route_rectification(item, date(2026, 5, 1), [other_category], COMPANY).kind
        == "company"
    )


def test_without_a_company_or_for_an_area_the_street_office_rectifies() -> None:
    item = ITEMS["you_refuse"]
    routed = rules.route_rectification(item, date(2026, 5, 1), [], None, street=STREET)
    assert (routed.kind, routed.org_id) == ("street", STREET.org_id)
    assert "没有在管的物业服务企业" in routed.reason
    assert (
        rules.route_rectification(ITEMS["you_property"], date(2026, 5, 1), [], COMPANY).kind
        == "street"
    )
    toilet = rules.route_rectification(ITEMS["you_toilet"], date(2026, 5, 1), [], COMPANY)
    assert (toilet.kind, toilet.org_id) == ("street", None)
    # An area item never goes to a contractor, even with a matching component.
    road = {**ITEMS["zheng_area_road"], "warranty_category": "other"}
    work = component("other", date(2025, 1, 1), date(2030, 1, 1))
    assert rules.route_rectification(road, date(2026, 5, 1), [work], COMPANY).kind == "street"


@given(
    item=st.sampled_from(rules.DEFAULT_ITEMS),
    company=st.booleans(),
    street=st.booleans(),
    on=st.dates(min_value=date(2022, 1, 1), max_value=date(2030, 1, 1)),
)
def test_every_item_routes_to_a_known_party_and_never_the_fund(
    item: dict[str, object], company: bool, street: bool, on: date
) -> None:
    routed = rules.route_rectification(
        item, on, [], COMPANY if company else None, street=STREET if street else None
    )
    assert routed.kind in rules.RESPONSIBLE_KINDS
    if item["utility"]:
        assert routed.kind == "operator"
    if item["level"] == rules.AREA:
        assert routed.kind in ("operator", "street")
    if routed.kind == "company":
        assert routed.org_id == COMPANY.org_id


def test_the_due_date_itself_is_on_time_and_an_answer_in_time_waits_for_the_bureau() -> None:
    due = date(2026, 6, 10)
    assert not rules.is_overdue("open", due, None, due)
    assert rules.is_overdue("open", due, None, due + timedelta(days=1))
    assert not rules.is_overdue("answered", due, due, due + timedelta(days=30))
    assert rules.is_overdue("answered", due, due + timedelta(days=1), due + timedelta(days=2))
    assert not rules.is_overdue("closed", due, None, due + timedelta(days=30))
    # Reopened after an answer in time: late again once past the due date.
    assert rules.is_overdue("open", due, due, due + timedelta(days=1))


def test_overdue_within_a_period_at_its_boundaries() -> None:
    start, end = date(2026, 7, 1), date(2026, 9, 30)
    assert rules.overdue_within(date(2026, 9, 29), None, start, end)
    assert not rules.overdue_within(date(2026, 9, 30), None, start, end)
    # Closed on its due date: never late. Closed the day after: late one day.
    assert not rules.overdue_within(date(2026, 8, 1), date(2026, 8, 1), start, end)
    assert rules.overdue_within(date(2026, 8, 1), date(2026, 8, 3), start, end)
    # Late before the period and closed on its first day: not late within it.
    assert not rules.overdue_within(date(2026, 5, 1), date(2026, 7, 1), start, end)
    assert rules.overdue_within(date(2026, 5, 1), date(2026, 7, 2), start, end)


@given(
    due=st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 12, 31)),
    closed_after=st.one_of(st.none(), st.integers(min_value=-10, max_value=200)),
    start=st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 12, 31)),
    length=st.integers(min_value=0, max_value=120),
)
def test_overdue_within_agrees_with_walking_the_days(
    due: date, closed_after: int | None, start: date, length: int
) -> None:
    as_of = start + timedelta(days=length)
    closed = None if closed_after is None else due + timedelta(days=closed_after)
    walked = any(
        day > due and (closed is None or day < closed)
        for day in (start + timedelta(days=n) for n in range(length + 1))
    )
    assert rules.overdue_within(due, closed, start, as_of) == walked


def test_task_steps() -> None:
    assert rules.next_status("open", "answer") == "answered"
    assert rules.next_status("answered", "reopen") == "open"
    assert rules.next_status("answered", "close") == "closed"
    for status, action in (("closed", "close"), ("open", "reopen"), ("closed", "answer")):
        with pytest.raises(rules.IllegalStep):
            rules.next_status(status, action)


def test_quarters() -> None:
    assert rules.quarter_bounds("2026Q4") == (date(2026, 10, 1), date(2026, 12, 31))
    assert rules.quarter_bounds("2024Q1") == (date(2024, 1, 1), date(2024, 3, 31))
    assert rules.previous_quarters("2026Q1", 3) == ["2025Q3", "2025Q4", "2026Q1"]
    for bad in ("2026Q5", "2026-Q1", "1899Q1", ""):
        with pytest.raises(ValueError):
            rules.quarter_bounds(bad)
    assert rules.quarter_allowed("2000Q1") and rules.quarter_allowed("2100Q4")
    assert not rules.quarter_allowed("1999Q4") and not rules.quarter_allowed("2101Q1")
    # Twelve quarters back from the first one a caller may ask for still have bounds.
    for label in rules.previous_quarters("2000Q1", 12):
        rules.quarter_bounds(label)
    assert rules.cell_status(None, False) == "none"
    assert rules.cell_status("not_met", True) == "overdue"
    assert rules.cell_status("met", True) == "met"


@given(day=st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)))
def test_a_day_lies_in_its_quarter(day: date) -> None:
    first, last = rules.quarter_bounds(rules.quarter_of(day))
    assert first <= day <= last


def test_a_districts_own_item_is_checked_field_by_field() -> None:
    good = {
        "code": "own_shed",
        "name": "充电棚",
        "level": "community",
        "group": "本区自定",
        "fallback": "company",
        "workdays": 5,
    }
    assert rules.item_problems(good, []) == []
    assert [f for f, _ in rules.item_problems(good, ["own_shed"])] == ["code"]
    assert [f for f, _ in rules.item_problems({**good, "level": "area"}, [])] == ["fallback"]
    assert [f for f, _ in rules.item_problems({**good, "group": "jiu_you"}, [])] == ["group"]
    assert [f for f, _ in rules.item_problems({**good, "workdays": 0}, [])] == ["workdays"]
    assert [f for f, _ in rules.item_problems({**good, "code": "Bad code"}, [])] == ["code"]
