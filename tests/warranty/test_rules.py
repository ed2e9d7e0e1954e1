"""Warranty rules as specifications (pure functions, no database).

The end-date rule: the period starts the day after completion acceptance (Civil Code
art. 201); a period of N years ends on the same calendar date N years later (the month's
last day when that date does not exist, art. 202); that end is the LAST DAY UNDER
WARRANTY, inclusive; if it is a rest day (a weekend that is not a make-up working day, or
a holiday of the State Council's arrangement) the period ends on the next working day
instead (art. 203). The calendar is the `holidays` package's China calendar.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.clock import DISTRICT_ZONE
from service.warranty import rules
from service.warranty.rules import (
    Candidate,
    Company,
    Season,
    WarrantyTooShort,
    under_warranty,
)
from service.warranty.workdays import national_calendar

CN = national_calendar()


def warranty_until(category: str, accepted_on: date, *args: object, **kwargs: object) -> date:
    """``rules.warranty_until`` on the national calendar."""
    return rules.warranty_until(category, accepted_on, *args, calendar=CN, **kwargs)  # type: ignore[arg-type]


def is_rest_day(day: date) -> bool:
    return not CN.is_working_day(day)


# --- The examples of the issue -------------------------------------------------------


def test_roof_accepted_2021_06_30_is_covered_on_2026_06_29_and_not_on_2026_07_01() -> None:
    until = warranty_until("roofing", date(2021, 6, 30))
    assert until == date(2026, 6, 30)
    assert under_warranty(until, date(2026, 6, 29))
    assert under_warranty(until, date(2026, 6, 30))
    assert not under_warranty(until, date(2026, 7, 1))


def test_roof_accepted_2021_11_30_is_covered_through_2026_11_30() -> None:
    until = warranty_until("roofing", date(2021, 11, 30))
    assert until == date(2026, 11, 30)
    assert under_warranty(until, date(2026, 11, 30))
    assert not under_warranty(until, date(2026, 12, 1))


def test_electrical_work_accepted_2022_03_01_is_out_of_warranty_on_2024_03_02() -> None:
    until = warranty_until("electrical", date(2022, 3, 1))
    assert until == date(2024, 3, 1)
    assert under_warranty(until, date(2024, 3, 1))
    assert not under_warranty(until, date(2024, 3, 2))


def test_heating_accepted_2021_10_01_is_covered_through_the_end_of_the_2022_23_season() -> None:
    until = warranty_until("heating", date(2021, 10, 1))
    assert until == date(2023, 3, 15)
    assert under_warranty(until, date(2023, 3, 15))
    assert not under_warranty(until, date(2023, 3, 16))


def test_a_one_year_warranty_for_roofing_is_refused() -> None:
    with pytest.raises(WarrantyTooShort):
        warranty_until("roofing", date(2021, 6, 30), years=1)


# --- Counting ----------------------------------------------------------------------


def test_a_period_ending_on_29_february_in_a_common_year_ends_on_the_28th() -> None:
    assert rules.add_years(date(2024, 2, 29), 2) == date(2026, 2, 28)
    # ...and Saturday 2026-02-28 is a make-up working day of the 2026 Spring Festival
    # arrangement, so the period ends that very Saturday.
    assert warranty_until("electrical", date(2024, 2, 29)) == date(2026, 2, 28)


def test_a_period_whose_last_day_is_a_weekend_ends_the_next_monday() -> None:
    # 2021-06-05 + 5 years = Friday 2026-06-05; 2021-06-06 + 5 = Saturday 2026-06-06.
    assert warranty_until("roofing", date(2021, 6, 5)) == date(2026, 6, 5)
    assert warranty_until("roofing", date(2021, 6, 6)) == date(2026, 6, 8)


def test_a_period_ending_on_national_day_ends_on_the_next_working_day() -> None:
    # The 2026 arrangement gives 1-7 October off (Mid-Autumn joined); Thursday 8th works.
    assert warranty_until("roofing", date(2021, 10, 1)) == date(2026, 10, 8)


def test_a_period_ending_on_new_year_moves_to_2_january() -> None:
    assert is_rest_day(date(2027, 1, 1))
    # Friday 1 January 2027, then a weekend: Monday the 4th.
    assert warranty_until("plumbing", date(2025, 1, 1)) == date(2027, 1, 4)


def test_spring_festival_days_are_rest_days_and_the_eve_only_from_2025() -> None:
    assert is_rest_day(date(2024, 2, 12))  # 初三 2024 (Monday)
    assert not is_rest_day(date(2024, 2, 8))  # Thursday before the 2024 festival
    assert is_rest_day(date(2026, 2, 16))  # 除夕 2026 (Monday)
    assert is_rest_day(date(2026, 5, 1)) and is_rest_day(date(2026, 5, 2))


def test_the_2025_spring_festival_arrangement_with_its_make_up_days() -> None:
    # 28 January - 4 February 2025 off; Sunday 26 January and Saturday 8 February worked.
    for day in range(28, 32):
        assert is_rest_day(date(2025, 1, day))
    assert is_rest_day(date(2025, 2, 3)) and is_rest_day(date(2025, 2, 4))
    assert not is_rest_day(date(2025, 1, 26)) and not is_rest_day(date(2025, 2, 8))
    # A period whose last day is New Year's Eve 2025 ends on Wednesday 5 February.
    assert rules.period_end(date(2025, 1, 28), CN) == date(2025, 2, 5)


def test_the_2025_national_day_arrangement_with_its_make_up_days() -> None:
    # 1-8 October 2025 off (Mid-Autumn on the 6th); Sunday 28 Sep and Saturday 11 Oct worked.
    for day in range(1, 9):
        assert is_rest_day(date(2025, 10, day))
    assert not is_rest_day(date(2025, 9, 28)) and not is_rest_day(date(2025, 10, 11))
    assert rules.period_end(date(2025, 10, 1), CN) == date(2025, 10, 9)


def test_a_period_ending_on_a_saturday_before_a_make_up_sunday_ends_that_sunday() -> None:
    # Accepted 2020-01-25: five years end on Saturday 2025-01-25; Sunday the 26th is a
    # make-up working day, so the roof is covered through that Sunday and no longer.
    until = warranty_until("roofing", date(2020, 1, 25))
    assert until == date(2025, 1, 26)
    assert not under_warranty(until, date(2025, 1, 27))


def test_years_past_2030_are_computed_by_the_calendar() -> None:
    # Nobody published 2035's arrangement; the statutory 1-3 October still are rest days.
    assert is_rest_day(date(2035, 10, 1))
    assert warranty_until("roofing", date(2030, 10, 1)) == date(2035, 10, 4)
    # Spring Festival 2041 (1 February, 初一) computed from the lunar calendar.
    assert is_rest_day(date(2041, 2, 1))
    assert rules.period_end(date(2041, 2, 1), CN) > date(2041, 2, 1)


def test_a_district_override_moves_an_end() -> None:
    # Monday 2026-11-30 is a working day; declared a rest day, the end moves to Tuesday.
    day = date(2026, 11, 30)
    district = rules.DistrictCalendar(CN, {day: False})
    assert rules.warranty_until("roofing", date(2021, 11, 30), calendar=district) == date(
        2026, 12, 1
    )
    # A weekend declared a working day ends a period on it.
    saturday = date(2026, 6, 6)
    assert rules.period_end(saturday, rules.DistrictCalendar(CN, {saturday: True})) == saturday
    assert rules.period_end(saturday, CN) == date(2026, 6, 8)


def test_a_working_day_is_its_own_next_working_day() -> None:
    assert rules.next_working_day_from(date(2026, 6, 30), CN) == date(2026, 6, 30)


def test_a_calendar_with_no_working_day_in_sight_is_refused() -> None:
    class NeverWorking:
        def is_working_day(self, day: date) -> bool:
            return False

    with pytest.raises(ValueError):
        rules.next_working_day_from(date(2026, 1, 1), NeverWorking())


def test_structure_is_covered_for_the_design_life_of_50_years() -> None:
    assert warranty_until("structure", date(2022, 3, 1)) == date(2072, 3, 1)


def test_structure_takes_the_design_life_the_design_documents_state() -> None:
    # A 25-year design life (GB 50068 class 2) is lawful; so is 100 years.
    assert warranty_until("structure", date(2022, 3, 1), years=25) == date(2047, 3, 1)
    assert warranty_until("structure", date(2022, 3, 1), years=100) == date(2122, 3, 2)
    assert warranty_until("structure", date(2022, 3, 1), years=1) == date(2023, 3, 1)
    with pytest.raises(WarrantyTooShort):
        warranty_until("structure", date(2022, 3, 1), years=0)
    with pytest.raises(ValueError):
        warranty_until("structure", date(2022, 3, 1), years=50, months=6)


def test_other_work_takes_the_contracts_period_even_under_a_year() -> None:
    assert warranty_until("other", date(2022, 1, 4), months=6) == date(2022, 7, 4)
    # One month ends on 4 February 2022, inside that Spring Festival: Monday the 7th.
    assert warranty_until("other", date(2022, 1, 4), months=1) == date(2022, 2, 7)
    # Years and months add up.
    assert warranty_until("other", date(2022, 1, 4), years=1, months=6) == date(2023, 7, 4)
    with pytest.raises(WarrantyTooShort):
        warranty_until("other", date(2022, 1, 4), years=0, months=0)


def test_months_count_towards_a_statutory_minimum_but_never_below_it() -> None:
    assert warranty_until("roofing", date(2021, 6, 30), years=4, months=12) == date(2026, 6, 30)
    assert warranty_until("roofing", date(2021, 6, 30), months=66) == date(2026, 12, 30)
    with pytest.raises(WarrantyTooShort):
        warranty_until("roofing", date(2021, 6, 30), years=4, months=11)
    with pytest.raises(WarrantyTooShort):
        warranty_until("electrical", date(2021, 6, 30), months=23)


def test_the_contract_may_make_a_warranty_longer() -> None:
    assert warranty_until("roofing", date(2021, 6, 30), years=8) == date(2029, 7, 2)  # Sat→Mon


def test_other_work_needs_the_contract_term() -> None:
    with pytest.raises(rules.WarrantyTermMissing):
        warranty_until("other", date(2022, 1, 4))
    assert warranty_until("other", date(2022, 1, 4), years=1) == date(2023, 1, 4)


# --- Seasons -----------------------------------------------------------------------


def test_a_season_running_on_acceptance_day_does_not_count() -> None:
    # Accepted mid-season 2021-12-01: whole seasons are 2022-23 and 2023-24.
    assert warranty_until("heating", date(2021, 12, 1)) == date(2024, 3, 15)


def test_a_season_starting_on_the_acceptance_day_does_not_count() -> None:
    assert warranty_until("heating", date(2021, 11, 14)) == date(2023, 3, 15)
    assert warranty_until("heating", date(2021, 11, 15)) == date(2024, 3, 15)
    assert warranty_until("heating", date(2021, 11, 16)) == date(2024, 3, 15)


def test_the_districts_heating_season_is_configurable() -> None:
    season = Season(start=(11, 1), end=(3, 31))
    assert warranty_until("heating", date(2021, 10, 1), heating_season=season) == date(2023, 3, 31)


def test_cooling_counts_cooling_seasons() -> None:
    # Seasons 2022 and 2023; Saturday 30 Sep 2023 is inside the 29 Sep - 6 Oct holiday;
    # Saturday 7 October was a make-up working day, so the period ends on it.
    assert warranty_until("cooling", date(2022, 3, 1)) == date(2023, 10, 7)


def test_heating_contract_terms_shorter_than_two_seasons_are_refused() -> None:
    with pytest.raises(WarrantyTooShort):
        warranty_until("heating", date(2021, 10, 1), years=1)
    with pytest.raises(WarrantyTooShort):
        warranty_until("heating", date(2021, 10, 1), seasons=1)
    assert warranty_until("heating", date(2021, 10, 1), seasons=3) == date(2024, 3, 15)


# --- Properties --------------------------------------------------------------------

# Every category with a statutory floor (structure's is the stated design life).
CATEGORY = st.sampled_from([c for c in rules.CATEGORIES if c not in ("other", "structure")])
DAY = st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 12, 31))


@given(CATEGORY, DAY, st.integers(min_value=0, max_value=60))
def test_a_warranty_is_never_shorter_than_the_statutory_minimum(
    category: str, accepted: date, years: int
) -> None:
    statutory = warranty_until(category, accepted)
    try:
        contractual = warranty_until(category, accepted, years=years)
    except WarrantyTooShort:
        return
    assert contractual >= statutory


@given(DAY, st.integers(min_value=1, max_value=60))
def test_a_years_period_ends_on_the_same_date_or_the_month_end(accepted: date, years: int) -> None:
    last = rules.add_years(accepted, years)
    assert last.year == accepted.year + years and last.month == accepted.month
    assert last.day == accepted.day or (
        accepted.month == 2 and accepted.day == 29 and last.day == 28
    )


@given(DAY, st.integers(min_value=0, max_value=30))
def test_month_end_clamping_never_overflows_into_the_next_month(start: date, months: int) -> None:
    last = rules.add_months(start, months)
    assert (last.year * 12 + last.month) - (start.year * 12 + start.month) == months
    assert last.day <= start.day


@given(DAY)
def test_the_end_of_a_period_is_always_a_working_day_within_a_fortnight(day: date) -> None:
    end = rules.period_end(day, CN)
    assert not is_rest_day(end)
    assert day <= end <= day + timedelta(days=14)
    # Every day before the end is a rest day: the end is the FIRST working day.
    assert all(is_rest_day(day + timedelta(days=i)) for i in range((end - day).days))


@given(
    st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)),
    st.dictionaries(
        st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)), st.booleans()
    ),
)
def test_a_district_calendar_obeys_its_overrides_and_else_the_nation(
    day: date, overrides: dict[date, bool]
) -> None:
    district = rules.DistrictCalendar(CN, overrides)
    expected = overrides[day] if day in overrides else CN.is_working_day(day)
    assert district.is_working_day(day) is expected


@given(DAY, st.integers(min_value=0, max_value=600))
def test_months_and_years_are_one_term(accepted: date, months: int) -> None:
    assert rules.add_months(accepted, 12 * (months // 12)) == rules.add_years(
        accepted, months // 12
    )
    if months == 0:
        return
    last = rules.warranty_last_day("other", accepted, months // 12, months=months % 12 or None)
    assert last == rules.add_months(accepted, months)


# --- Retention and due times ---------------------------------------------------------


def test_retention_is_at_most_three_percent_of_the_settlement_rounded_down() -> None:
    assert rules.retention_limit(100_000_00) == 3_000_00
    assert rules.retention_limit(333) == 9


def test_retention_is_blocked_by_an_open_ticket_and_releasable_after_the_liability_end() -> None:
    end = rules.defects_liability_end(date(2024, 6, 28), 12, CN)
    assert end == date(2025, 6, 30)  # Sat 28 June 2025 → Monday
    assert rules.retention_state(1, end, date(2030, 1, 1)) == "blocked"
    assert rules.retention_state(0, end, end) == "held"
    assert rules.retention_state(0, end, end + timedelta(days=1)) == "releasable"


def test_due_time_is_24_hours_for_emergencies_and_7_days_otherwise_by_default() -> None:
    reported = datetime(2026, 1, 5, 9, 0, tzinfo=DISTRICT_ZONE)
    assert rules.due_at(reported, "emergency") == reported + timedelta(hours=24)
    assert rules.due_at(reported, "normal") == reported + timedelta(days=7)
    assert rules.due_at(reported, "normal", {"normal": 48, "emergency": 4}) == reported + timedelta(
        hours=48
    )


# --- Ticket life -------------------------------------------------------------------


def test_the_happy_path_of_a_ticket() -> None:
    status = "assigned"
    for action, party in (
        ("accept", rules.RESPONSIBLE),
        ("start", rules.RESPONSIBLE),
        ("finish", rules.RESPONSIBLE),
        ("verify", rules.REPORTER),
    ):
        status = rules.next_status(status, action, party)
    assert status == "verified"


def test_a_finished_ticket_may_be_reopened_by_the_committee() -> None:
    assert rules.next_status("done", "reopen", {rules.COMMITTEE}) == "assigned"


def test_only_the_warranting_contractor_may_dispute_and_only_the_bureau_decides() -> None:
    assert rules.next_status("accepted", "dispute", {rules.RESPONSIBLE, rules.WARRANTOR}) == (
        "disputed"
    )
    with pytest.raises(rules.NotYourStep):
        rules.next_status("accepted", "dispute", rules.RESPONSIBLE)
    with pytest.raises(rules.NotYourStep):
        rules.next_status("disputed", "decide_dispute", rules.WARRANTOR)
    assert rules.next_status("disputed", "decide_dispute", rules.BUREAU) == "assigned"


def test_illegal_transitions_raise() -> None:
    with pytest.raises(rules.IllegalTransition):
        rules.next_status("assigned", "finish", rules.RESPONSIBLE)
    with pytest.raises(rules.IllegalTransition):
        rules.next_status("verified", "reopen", rules.REPORTER)
    with pytest.raises(rules.UnknownAction):
        rules.next_status("assigned", "teleport", rules.BUREAU)


@given(st.sampled_from(rules.STATUSES), st.sampled_from(sorted(rules.ACTIONS)))
def test_every_transition_leads_to_a_known_status(status: str, action: str) -> None:
    try:
        target = rules.next_status(
            status, action, {rules.RESPONSIBLE, rules.WARRANTOR, rules.REPORTER, rules.BUREAU}
        )
    except rules.IllegalTransition:
        return
    assert target in rules.STATUSES


# --- Routing -----------------------------------------------------------------------

CONTRACTOR = uuid.uuid4()
COMPANY = Company(org_id=uuid.uuid4(), name="安居物业")
BUILDING_A, BUILDING_B = uuid.uuid4(), uuid.uuid4()


def roof(buildings: frozenset[uuid.UUID] = frozenset()) -> Candidate:
    return Candidate(
        component_id=uuid.uuid4(),
        work_id=uuid.uuid4(),
        work_title="屋面防水改造",
        contractor_id=CONTRACTOR,
        contractor_name="建工三公司",
        category="roofing",
        accepted_on=date(2022, 6, 30),
        warranty_until=date(2027, 6, 30),
        building_ids=buildings,
    )


def test_a_roof_leak_under_warranty_goes_to_the_contractor_with_the_reason() -> None:
    candidate = roof()
    routing = rules.route_ticket(
        "roofing", date(2026, 1, 5), [candidate], COMPANY, major=False, part="common"
    )
    assert routing.kind == "contractor" and routing.org_id == CONTRACTOR
    assert routing.work_id == candidate.work_id
    assert "2027-06-30" in routing.reason and "屋面防水改造" in routing.reason


def test_a_work_covers_only_its_buildings() -> None:
    routing = rules.route_ticket(
        "roofing",
        date(2026, 1, 5),
        [roof(frozenset({BUILDING_A}))],
        COMPANY,
        major=False,
        part="common",
        building_id=BUILDING_B,
    )
    assert routing.kind == "company"


def test_after_the_warranty_routine_work_goes_to_the_company() -> None:
    routing = rules.route_ticket(
        "roofing", date(2027, 7, 1), [roof()], COMPANY, major=False, part="common"
    )
    assert routing.kind == "company" and routing.org_id == COMPANY.org_id
    assert COMPANY.name in routing.reason


def test_after_the_warranty_a_major_repair_of_a_common_part_goes_to_the_fund() -> None:
    routing = rules.route_ticket(
        "roofing", date(2027, 7, 1), [roof()], COMPANY, major=True, part="common"
    )
    assert routing.kind == "fund"
    assert "维修资金" in routing.reason


def test_a_major_repair_inside_a_flat_after_warranty_is_the_owners_not_the_funds() -> None:
    routing = rules.route_ticket(
        "plumbing", date(2027, 7, 1), [], COMPANY, major=True, part="private"
    )
    assert routing.kind == "owner" and routing.org_id is None
    # The owner pays; the company may do it for a fee, and the reason says so.
    assert "业主" in routing.reason and "有偿" in routing.reason and COMPANY.name in routing.reason


def test_a_routine_private_repair_after_warranty_is_the_owners_not_the_companys() -> None:
    routing = rules.route_ticket(
        "wet_rooms", date(2027, 7, 1), [], COMPANY, major=False, part="private"
    )
    assert routing.kind == "owner"


def test_a_private_part_under_a_warranty_covering_the_flats_building_goes_to_the_contractor() -> (
    None
):
    candidate = roof(frozenset({BUILDING_A}))
    hit = rules.route_ticket(
        "roofing",
        date(2026, 1, 5),
        [candidate],
        COMPANY,
        major=False,
        part="private",
        building_id=BUILDING_A,
    )
    assert hit.kind == "contractor" and hit.org_id == CONTRACTOR
    other = rules.route_ticket(
        "roofing",
        date(2026, 1, 5),
        [candidate],
        COMPANY,
        major=False,
        part="private",
        building_id=BUILDING_B,
    )
    assert other.kind == "owner"


def test_a_major_repair_of_a_common_part_reported_from_a_flat_goes_to_the_fund() -> None:
    routing = rules.route_ticket(
        "roofing",
        date(2027, 7, 1),
        [roof()],
        COMPANY,
        major=True,
        part="common",
        building_id=BUILDING_A,
    )
    assert routing.kind == "fund"


def test_an_operators_line_goes_to_the_operator_even_under_a_warranty() -> None:
    gas = rules.Operator(org_id=uuid.uuid4(), name="洛阳新奥燃气")
    routing = rules.route_ticket(
        "roofing",
        date(2026, 1, 5),
        [roof()],
        COMPANY,
        major=True,
        part="common",
        utility="gas",
        operator=gas,
    )
    assert routing.kind == "operator" and routing.org_id == gas.org_id
    assert "不得使用住宅专项维修资金" in routing.reason
    unnamed = rules.route_ticket(
        "plumbing", date(2026, 1, 5), [], COMPANY, major=False, part="common", utility="water"
    )
    assert unnamed.kind == "operator" and unnamed.org_id is None and "供水" in unnamed.reason


def test_unknown_parts_and_utilities_are_refused() -> None:
    with pytest.raises(ValueError):
        rules.route_ticket("roofing", date(2026, 1, 5), [], COMPANY, major=False, part="attic")
    with pytest.raises(ValueError):
        rules.route_ticket(
            "roofing", date(2026, 1, 5), [], COMPANY, major=False, part="common", utility="oil"
        )


@given(
    st.sampled_from(rules.PARTS),
    st.booleans(),
    st.booleans(),
    st.booleans(),
    st.sampled_from([None, *rules.UTILITIES]),
)
def test_routing_never_sends_a_private_part_to_the_fund_nor_an_operators_line_anywhere_else(
    part: str, major: bool, under: bool, with_company: bool, utility: str | None
) -> None:
    on = date(2026, 1, 5) if under else date(2027, 7, 1)
    routing = rules.route_ticket(
        "roofing",
        on,
        [roof()],
        COMPANY if with_company else None,
        major=major,
        part=part,
        utility=utility,
    )
    assert routing.kind in rules.RESPONSIBLE_KINDS
    if utility is not None:
        assert routing.kind == "operator"
    elif under:
        assert routing.kind == "contractor"
    elif part == "private":
        assert routing.kind == "owner"
    else:
        assert routing.kind == ("fund" if major else "company" if with_company else "bureau")


# --- A contractor that does not come -------------------------------------------------

DUE = datetime(2026, 1, 12, 9, 0, tzinfo=DISTRICT_ZONE)


def test_the_bureau_may_take_a_ticket_only_after_its_due_time() -> None:
    with pytest.raises(rules.NotTakeable):
        rules.may_take_over("contractor", "assigned", DUE, DUE)
    rules.may_take_over("contractor", "assigned", DUE, DUE + timedelta(seconds=1))
    rules.may_take_over("contractor", "in_progress", DUE, DUE + timedelta(days=3))


def test_only_an_open_undisputed_warranty_ticket_can_be_taken() -> None:
    late = DUE + timedelta(days=1)
    for kind, status in (
        ("company", "assigned"),
        ("repairer", "assigned"),
        ("contractor", "disputed"),
        ("contractor", "done"),
        ("contractor", "verified"),
    ):
        with pytest.raises(rules.NotTakeable):
            rules.may_take_over(kind, status, DUE, late)


def test_charges_come_out_of_the_retention_money_and_the_rest_stays_owed() -> None:
    assert rules.retention_balance(30_000_00, 0) == rules.RetentionBalance(
        30_000_00, 0, 30_000_00, 0
    )
    assert rules.retention_balance(30_000_00, 12_000_00).remaining == 18_000_00
    exact = rules.retention_balance(30_000_00, 30_000_00)
    assert exact.remaining == 0 and exact.uncovered == 0
    over = rules.retention_balance(30_000_00, 30_000_01)
    assert over.remaining == 0 and over.uncovered == 1


@given(st.integers(min_value=0, max_value=10**12), st.integers(min_value=0, max_value=10**12))
def test_remaining_retention_and_uncovered_charges_account_for_everything(
    retention: int, charged: int
) -> None:
    balance = rules.retention_balance(retention, charged)
    assert balance.remaining >= 0 and balance.uncovered >= 0
    assert balance.remaining - balance.uncovered == retention - charged


def test_with_no_live_contract_the_bureau_arranges_routine_repairs() -> None:
    routing = rules.route_ticket("plumbing", date(2027, 7, 1), [], None, major=False, part="common")
    assert routing.kind == "bureau" and routing.org_id is None


def test_a_warranty_the_bureau_ruled_out_is_skipped() -> None:
    routing = rules.route_ticket(
        "roofing",
        date(2026, 1, 5),
        [roof()],
        COMPANY,
        major=False,
        part="common",
        exclude_warranty=True,
    )
    assert routing.kind == "company" and "不属于保修范围" in routing.reason
