"""Warranty rules as specifications (pure functions, no database).

The end-date rule: the period starts the day after completion acceptance (Civil Code
art. 201); a period of N years ends on the same calendar date N years later (the month's
last day when that date does not exist, art. 202); that end is the LAST DAY UNDER
WARRANTY, inclusive; if it is a rest day (weekend or statutory holiday) the period ends
on the next working day instead (art. 203).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.clock import DISTRICT_ZONE
from service.warranty import holidays, rules
from service.warranty.rules import (
    Candidate,
    Company,
    Season,
    WarrantyTooShort,
    under_warranty,
    warranty_until,
)

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
    # ...and 2026-02-28 is a Saturday, so the period runs to Monday 2 March.
    assert warranty_until("electrical", date(2024, 2, 29)) == date(2026, 3, 2)


def test_a_period_whose_last_day_is_a_weekend_ends_the_next_monday() -> None:
    # 2021-06-05 + 5 years = Friday 2026-06-05; 2021-06-06 + 5 = Saturday 2026-06-06.
    assert warranty_until("roofing", date(2021, 6, 5)) == date(2026, 6, 5)
    assert warranty_until("roofing", date(2021, 6, 6)) == date(2026, 6, 8)


def test_a_period_ending_on_national_day_ends_on_the_next_working_day() -> None:
    # 2026-10-01..03 statutory holidays (Thu-Sat), then Sunday 4 Oct: working day is Mon 5th.
    assert warranty_until("roofing", date(2021, 10, 1)) == date(2026, 10, 5)


def test_a_period_ending_on_new_year_moves_to_2_january() -> None:
    assert holidays.is_rest_day(date(2027, 1, 1))
    # Friday 1 January 2027, then a weekend: Monday the 4th.
    assert warranty_until("plumbing", date(2025, 1, 1)) == date(2027, 1, 4)


def test_spring_festival_days_are_rest_days_and_the_eve_only_from_2025() -> None:
    assert holidays.is_rest_day(date(2024, 2, 12))  # 初三 2024 (Monday)
    assert not holidays.is_rest_day(date(2024, 2, 8))  # Thursday before the 2024 festival
    assert holidays.is_rest_day(date(2026, 2, 16))  # 除夕 2026 (Monday)
    assert holidays.is_rest_day(date(2026, 5, 1)) and holidays.is_rest_day(date(2026, 5, 2))


def test_a_working_day_is_its_own_next_working_day() -> None:
    assert holidays.next_working_day_from(date(2026, 6, 30)) == date(2026, 6, 30)


def test_structure_is_covered_for_the_design_life_of_50_years() -> None:
    assert warranty_until("structure", date(2022, 3, 1)) == date(2072, 3, 1)


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
    # Seasons 2022 and 2023; Saturday 30 Sep 2023, then 1-3 October: Wednesday the 4th.
    assert warranty_until("cooling", date(2022, 3, 1)) == date(2023, 10, 4)


def test_heating_contract_terms_shorter_than_two_seasons_are_refused() -> None:
    with pytest.raises(WarrantyTooShort):
        warranty_until("heating", date(2021, 10, 1), years=1)
    with pytest.raises(WarrantyTooShort):
        warranty_until("heating", date(2021, 10, 1), seasons=1)
    assert warranty_until("heating", date(2021, 10, 1), seasons=3) == date(2024, 3, 15)


# --- Properties --------------------------------------------------------------------

CATEGORY = st.sampled_from([c for c in rules.CATEGORIES if c != "other"])
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
    end = rules.period_end(day)
    assert not holidays.is_rest_day(end)
    assert day <= end <= day + timedelta(days=14)


# --- Retention and due times ---------------------------------------------------------


def test_retention_is_at_most_three_percent_of_the_settlement_rounded_down() -> None:
    assert rules.retention_limit(100_000_00) == 3_000_00
    assert rules.retention_limit(333) == 9


def test_retention_is_blocked_by_an_open_ticket_and_releasable_after_the_liability_end() -> None:
    end = rules.defects_liability_end(date(2024, 6, 28), 12)
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
        "roofing", date(2026, 1, 5), [candidate], COMPANY, major=False, common_part=True
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
        common_part=True,
        building_id=BUILDING_B,
    )
    assert routing.kind == "company"


def test_after_the_warranty_routine_work_goes_to_the_company() -> None:
    routing = rules.route_ticket(
        "roofing", date(2027, 7, 1), [roof()], COMPANY, major=False, common_part=True
    )
    assert routing.kind == "company" and routing.org_id == COMPANY.org_id
    assert COMPANY.name in routing.reason


def test_after_the_warranty_a_major_repair_of_a_common_part_goes_to_the_fund() -> None:
    routing = rules.route_ticket(
        "roofing", date(2027, 7, 1), [roof()], COMPANY, major=True, common_part=True
    )
    assert routing.kind == "fund"
    assert "维修资金" in routing.reason


def test_a_major_repair_inside_a_flat_is_not_for_the_fund() -> None:
    routing = rules.route_ticket(
        "plumbing", date(2027, 7, 1), [], COMPANY, major=True, common_part=False
    )
    assert routing.kind == "company"


def test_with_no_live_contract_the_bureau_arranges_routine_repairs() -> None:
    routing = rules.route_ticket(
        "plumbing", date(2027, 7, 1), [], None, major=False, common_part=True
    )
    assert routing.kind == "bureau" and routing.org_id is None


def test_a_warranty_the_bureau_ruled_out_is_skipped() -> None:
    routing = rules.route_ticket(
        "roofing",
        date(2026, 1, 5),
        [roof()],
        COMPANY,
        major=False,
        common_part=True,
        exclude_warranty=True,
    )
    assert routing.kind == "company" and "不属于保修范围" in routing.reason
