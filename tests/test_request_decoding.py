"""The one decoding path of request bodies (API.md "Conventions"): an amount is a plain
ASCII string or a JSON number with at most two decimals; booleans, integers and strings
are what the schema says, never coerced; a body that is not JSON → 415. Each refusal
is a 422 naming the field, with nothing written."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import httpx
import msgspec
import pytest

from service.clock import within_calendar
from service.errors import InputError
from service.funds.tables import FundEntry
from service.requests import check_strictly
from tests.support import World, unique

API = "/api/v1"


def deposit_body(world: World, amount: Any) -> dict[str, Any]:
    return {
        "household_id": world.ids["h4"],
        "amount": amount,
        "kind": "replenish",
        "paid_on": "2025-03-01",
    }


async def post_deposit(
    client: httpx.AsyncClient, world: World, body: Any, **headers: str
) -> httpx.Response:
    return await client.post(
        f"{API}/fund/deposits",
        json=body,
        headers={**world.h("bureau"), "Idempotency-Key": unique("dec-"), **headers},
    )


@pytest.mark.parametrize(
    "amount",
    [
        "１０００",  # full-width digits
        "1_000",
        "1e2",
        "+1.00",
        ".5",
        " 1.50",
        "1.50 ",
        "12.345",
        "-5.00",
        "0",
        "0.00",
        "NaN",
        "Infinity",
        "05.00",
        "",
        True,
        False,
        None,
        [],
        {},
    ],
)
async def test_an_amount_that_is_not_a_plain_two_decimal_figure_is_refused_naming_it(
    client: httpx.AsyncClient, world: World, amount: Any
) -> None:
    before = await FundEntry.count()
    response = await post_deposit(client, world, deposit_body(world, amount))
    assert response.status_code == 422, (amount, response.text)
    assert [e["field"] for e in response.json()["errors"]] == ["amount"], response.text
    assert await FundEntry.count() == before


async def test_an_amount_with_more_than_two_decimals_as_a_json_number_is_refused(
    client: httpx.AsyncClient, world: World
) -> None:
    raw = json.dumps(deposit_body(world, "X")).replace('"X"', "12.345")
    response = await client.post(
        f"{API}/fund/deposits",
        content=raw,
        headers={
            **world.h("bureau"),
            "Idempotency-Key": unique("dec-"),
            "content-type": "application/json",
        },
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "amount"


@pytest.fixture(scope="module")
async def first_deposit_paid(client: httpx.AsyncClient, world: World) -> None:
    body = {**deposit_body(world, "4050.00"), "kind": "first"}
    response = await post_deposit(client, world, body)
    assert response.status_code in (201, 409), response.text


@pytest.mark.parametrize("amount", ["12.50", "12.5", "12", 12, 12.5, 0.01])
async def test_a_plain_string_or_a_json_number_with_two_decimals_is_accepted(
    client: httpx.AsyncClient, world: World, amount: Any, first_deposit_paid: None
) -> None:
    response = await post_deposit(client, world, deposit_body(world, amount))
    assert response.status_code == 201, (amount, response.text)


@pytest.mark.parametrize("value", ["true", "false", 1, 0, "1", None])
async def test_a_boolean_field_takes_only_json_true_or_false(
    client: httpx.AsyncClient, world: World, value: Any
) -> None:
    response = await client.post(
        f"{API}/communities/{world.ids['CB']}/buildings",
        json={"name": unique("楼"), "floors": 6, "has_elevator": value},
        headers=world.h("bureau"),
    )
    assert response.status_code == 422, (value, response.text)
    assert [e["field"] for e in response.json()["errors"]] == ["has_elevator"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("floors", "6"),
        ("floors", 6.5),
        ("floors", True),
        ("name", 5),
        ("name", True),
    ],
)
async def test_integers_and_strings_are_not_coerced(
    client: httpx.AsyncClient, world: World, field: str, value: Any
) -> None:
    body: dict[str, Any] = {"name": unique("楼"), "floors": 6, "has_elevator": False}
    body[field] = value
    response = await client.post(
        f"{API}/communities/{world.ids['CB']}/buildings", json=body, headers=world.h("bureau")
    )
    assert response.status_code == 422, (field, value, response.text)
    assert [e["field"] for e in response.json()["errors"]] == [field]


async def test_a_number_with_only_zeros_after_its_point_is_that_integer(
    client: httpx.AsyncClient, world: World
) -> None:
    """JSON Schema's integer: 6.0 is the integer 6 (the contract suite sends such)."""
    body = {"name": unique("楼"), "floors": 6.0, "has_elevator": False}
    response = await client.post(
        f"{API}/communities/{world.ids['CB']}/buildings",
        content=json.dumps(body).encode(),
        headers={**world.h("bureau"), "Content-Type": "application/json"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["floors"] == 6


async def test_a_nested_amount_is_named_with_its_path(
    client: httpx.AsyncClient, world: World
) -> None:
    response = await client.post(
        f"{API}/fund/interest/district",
        json={"period": "2031-Q1", "items": [{"community_id": world.ids["CA"], "amount": "1e2"}]},
        headers={**world.h("bureau"), "Idempotency-Key": unique("dec-")},
    )
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == ["items[0].amount"]


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]
)
async def test_a_body_that_is_not_json_is_refused_with_415(
    client: httpx.AsyncClient, world: World, content_type: str
) -> None:
    before = await FundEntry.count()
    response = await client.post(
        f"{API}/fund/deposits",
        content=json.dumps(deposit_body(world, "10.00")),
        headers={
            **world.h("bureau"),
            "Idempotency-Key": unique("dec-"),
            "content-type": content_type,
        },
    )
    assert response.status_code == 415, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert await FundEntry.count() == before


async def test_json_with_a_charset_or_a_json_suffix_type_is_json(
    client: httpx.AsyncClient, world: World, first_deposit_paid: None
) -> None:
    for content_type in ("application/json; charset=utf-8", "application/merge-patch+json"):
        response = await client.post(
            f"{API}/fund/deposits",
            content=json.dumps(deposit_body(world, "10.00")),
            headers={
                **world.h("bureau"),
                "Idempotency-Key": unique("dec-"),
                "content-type": content_type,
            },
        )
        assert response.status_code == 201, (content_type, response.text)


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("fund-uses", {"title": "   "}, "title"),
        ("fund-uses", {"title": "屋面", "description": "a\x1b[31m"}, "description"),
        ("fund-uses", {"title": "屋面", "description": "a\x00b"}, "description"),
        ("repairs", {"description": "a\x00b"}, "description"),
        ("repairs", {"description": "a\x07"}, "description"),
    ],
)
async def test_blank_names_and_control_characters_are_refused_alike_on_both_engines(
    client: httpx.AsyncClient, world: World, path: str, body: dict[str, Any], field: str
) -> None:
    base: dict[str, Any] = (
        {
            "community_id": world.ids["CA"],
            "title": "屋面维修",
            "description": "屋面渗漏",
            "estimated_cost": "100.00",
            "household_ids": [world.ids["h1"]],
            "component": "other",
        }
        if path == "fund-uses"
        else {"community_id": world.ids["CA"], "category": "plumbing", "description": "漏水"}
    )
    response = await client.post(f"{API}/{path}", json={**base, **body}, headers=world.h("bureau"))
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == [field]


async def test_line_breaks_stay_allowed_in_free_text(
    client: httpx.AsyncClient, world: World
) -> None:
    body = {
        "community_id": world.ids["CA"],
        "category": "plumbing",
        "description": "一楼\n二楼\t漏水",
    }
    response = await client.post(f"{API}/repairs", json=body, headers=world.h("committee"))
    assert response.status_code == 201, response.text
    assert response.json()["description"] == "一楼\n二楼\t漏水"


# Each kind of typed query parameter, by a word of its refusal's message.
KINDS = {"boolean": "true", "integer": "整数", "date": "日期", "instant": "时刻"}


def typed_query_parameters() -> list[tuple[str, str, str]]:
    """Every GET without path parameters whose query takes a boolean, an integer or a
    date-time: (path, parameter, kind)."""
    from service.app import create_app
    from service.queries import query_rules

    found = []
    for (method, path), rules in query_rules(create_app().openapi_schema.to_schema()).items():
        if method == "GET" and "{" not in path:
            for name, (_, message, _) in rules.items():
                kind = next(k for k, word in KINDS.items() if word in message)
                found.append((path, name, kind))
    return found


TYPED = typed_query_parameters()
REFUSED = {
    "boolean": ["1", "0", "True", "yes", ""],
    "integer": ["1e1", "1.0", "5.5", " 5", "０５", "05"],
    # Outside 1900-2199: a day after 9999-12-31, or year 1 read in UTC, leaves the calendar.
    "date": ["0001-01-01", "1899-12-31", "2200-01-01", "9999-12-31", "20260101", "2026-1-1"],
    "instant": [
        "1615333",
        "1615333.5",
        "-1",
        "2026-01-01",
        "2026-01-01T08:00:00",
        "tomorrow",
        "0001-01-01T00:00:00+14:00",
        "9999-12-31T23:59:59-23:59",
    ],
}
ACCEPTED = {
    "boolean": "false",
    "integer": "5",
    "date": "2026-01-01",
    "instant": "2026-01-01T08:00:00+08:00",
}
WITHIN_BOUNDS = {"year": "2026"}
# Required query parameters of the routes above, and the roles that may call them.
REQUIRED = {"/api/v1/repairs/figures": {"period_start": "2026-01-01", "period_end": "2026-01-31"}}


def test_the_schema_still_has_each_kind_of_typed_query() -> None:
    assert {
        ("/api/v1/repairs", "as_of", "instant"),
        ("/api/v1/repairs", "overdue", "boolean"),
        ("/api/v1/communities", "limit", "integer"),
        ("/api/v1/repairs/figures", "period_end", "date"),
    } <= set(TYPED)


@pytest.mark.parametrize(("path", "name", "kind"), TYPED)
async def test_a_typed_query_value_is_what_the_schema_says_never_a_lenient_reading(
    client: httpx.AsyncClient, world: World, path: str, name: str, kind: str
) -> None:
    """Litestar's query decoder would take 1 for true, 1e1 for 10 and a bare number as
    seconds since 1970; each is a 422 naming the parameter."""
    role = "bureau" if path not in ("/api/v1/notices",) else "company"
    params = REQUIRED.get(path, {})
    good = await client.get(
        path,
        params={**params, name: WITHIN_BOUNDS.get(name, ACCEPTED[kind])},
        headers=world.h(role),
    )
    assert good.status_code == 200, good.text
    for value in REFUSED[kind]:
        bad = await client.get(path, params={**params, name: value}, headers=world.h(role))
        assert bad.status_code == 422, (value, bad.text)
        assert [e["field"] for e in bad.json()["errors"]] == [name], bad.text


async def test_a_route_with_path_parameters_has_its_query_checked_too(
    client: httpx.AsyncClient, world: World
) -> None:
    """The route is found by its path as the document writes it, parameters included."""
    path = f"{API}/communities/{world.ids['CA']}/households"
    good = await client.get(path, params={"limit": "5"}, headers=world.h("bureau"))
    assert good.status_code == 200, good.text
    for value in ("1e1", "05"):
        bad = await client.get(path, params={"limit": value}, headers=world.h("bureau"))
        assert bad.status_code == 422, (value, bad.text)
        assert [e["field"] for e in bad.json()["errors"]] == ["limit"], bad.text
        assert "前导零" in bad.json()["errors"][0]["message"], bad.text


@pytest.mark.parametrize(
    ("day", "within"),
    [
        (date(1899, 12, 31), False),
        (date(1900, 1, 1), True),
        (date(2199, 12, 31), True),
        (date(2200, 1, 1), False),
        (datetime(2199, 12, 31, 23, 59, 59), True),
        (datetime(1899, 12, 31, 23, 59, 59), False),
    ],
)
def test_the_calendar_a_request_may_name_is_1900_to_2199_both_ends_included(
    day: date, within: bool
) -> None:
    assert within_calendar(day) is within


async def test_the_first_and_last_day_of_the_calendar_are_accepted_in_a_query(
    client: httpx.AsyncClient, world: World
) -> None:
    response = await client.get(
        f"{API}/repairs/figures",
        params={"period_start": "1900-01-01", "period_end": "2199-12-31"},
        headers=world.h("bureau"),
    )
    assert response.status_code == 200, response.text


async def test_a_nullable_typed_query_still_takes_null_as_absent(
    client: httpx.AsyncClient, world: World
) -> None:
    response = await client.get("/api/v1/repairs?overdue=null", headers=world.h("bureau"))
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "1899-12-31", "2200-01-01"])
async def test_a_date_in_a_body_outside_the_calendar_is_refused_naming_it(
    client: httpx.AsyncClient, world: World, day: str
) -> None:
    """A work accepted on 9999-12-31 had its warranty's end computed past the calendar (a
    500), one accepted in year 1 was registered; a deposit's date likewise."""
    work = {
        "community_id": world.ids["CA"],
        "title": "老旧小区改造一期",
        "contractor_id": world.ids["org_contractor"],
        "accepted_on": day,
        "settlement_amount": "1000.00",
        "components": [{"category": "roofing"}],
    }
    response = await client.post(f"{API}/works", json=work, headers=world.h("bureau"))
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == ["accepted_on"], response.text
    before = await FundEntry.count()
    response = await post_deposit(client, world, {**deposit_body(world, "10.00"), "paid_on": day})
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == ["paid_on"], response.text
    assert await FundEntry.count() == before


class Step(msgspec.Struct):
    on: date
    at: datetime | None = None


class Plan(msgspec.Struct):
    steps: list[Step]


def test_a_nested_date_outside_the_calendar_is_named_with_its_path() -> None:
    good = {"steps": [{"on": "2026-01-01", "at": "2199-12-31T23:59:59+08:00"}]}
    check_strictly(good, Plan)
    bad = {"steps": [{"on": "2026-01-01"}, {"on": "2026-02-01", "at": "9999-12-31T23:59:59-23:59"}]}
    with pytest.raises(InputError) as refused:
        check_strictly(bad, Plan)
    assert refused.value.extra[0]["field"] == "steps[1].at"
