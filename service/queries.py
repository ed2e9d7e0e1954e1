"""Query strings read as the OpenAPI schema says, before Litestar's lenient conversion.

Litestar converts query values with msgspec in its lax mode, which takes ``1``, ``0`` or
``True`` for a boolean, ``1e3`` for an integer and a bare number as seconds since 1970 for
a date-time. The schema allows none of these; each is a 422 naming the parameter. A date
or date-time outside ``clock.FIRST_YEAR``-``clock.LAST_YEAR`` is refused alike (year 9999
plus a day, or year 1 read in UTC, would leave Python's calendar). A nullable parameter
still takes ``null`` as absent, as Litestar reads it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import msgspec
from litestar import Request

from service.clock import FIRST_YEAR, LAST_YEAR, within_calendar
from service.errors import InputError

_INTEGER = re.compile(r"-?(0|[1-9][0-9]*)")


def _reads_as(kind: type[date]) -> Callable[[str], bool]:
    def accepts(text: str) -> bool:
        try:
            return within_calendar(msgspec.convert(text, kind))
        except msgspec.ValidationError:
            return False

    return accepts


_YEARS = f"{FIRST_YEAR} 至 {LAST_YEAR} 年"
# What a raw query value must look like, for each schema type this API's queries use.
_SHAPES: dict[str, tuple[Callable[[str], bool], str]] = {
    "boolean": (lambda text: text in ("true", "false"), "须为 true 或 false"),
    "integer": (lambda text: _INTEGER.fullmatch(text) is not None, "须为整数，如 5（不带前导零）"),
    "date": (_reads_as(date), f"须为日期，如 2026-01-01，{_YEARS}"),
    "date-time": (
        _reads_as(datetime),
        f"须为 ISO 8601 时刻，如 2026-01-01T00:00:00Z（URL 中的 + 须写作 %2B），{_YEARS}",
    ),
}

Rules = dict[str, tuple[Callable[[str], bool], str, bool]]


def _alternatives(schema: dict[str, Any]) -> list[tuple[Any, Any]]:
    """(type, format) of each alternative; ``type: [integer, null]`` is two of them."""
    found = []
    for alternative in [*schema.get("oneOf", []), *schema.get("anyOf", [])] or [schema]:
        kinds = alternative.get("type")
        for kind in kinds if isinstance(kinds, list) else [kinds]:
            found.append((kind, alternative.get("format") or schema.get("format")))
    return found


def parameter_rule(schema: dict[str, Any]) -> tuple[Callable[[str], bool], str, bool] | None:
    """The check a query parameter's schema asks for: (accepts, message, nullable)."""
    nullable = False
    shape = None
    for kind, form in _alternatives(schema):
        if kind == "null":
            nullable = True
        elif kind == "string" and form in _SHAPES:
            shape = _SHAPES[form]
        elif kind in ("boolean", "integer"):
            shape = _SHAPES[kind]
        else:
            return None  # a string, an enum, a uuid: Litestar's conversion is already exact
    return None if shape is None else (shape[0], shape[1], nullable)


def query_rules(document: dict[str, Any]) -> dict[tuple[str, str], Rules]:
    """(method, path) → {query parameter: rule}, for the parameters that need one."""
    rules: dict[tuple[str, str], Rules] = {}
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            if not isinstance(operation, dict):
                continue
            found: Rules = {}
            for parameter in operation.get("parameters", []):
                if parameter.get("in") != "query":
                    continue
                rule = parameter_rule(parameter.get("schema", {}))
                if rule is not None:
                    found[parameter["name"]] = rule
            if found:
                rules[(method.upper(), path)] = found
    return rules


def _rules_of(request: Request[Any, Any, Any]) -> dict[tuple[str, str], Rules]:
    state = request.app.state
    if "query_rules" not in state:
        state["query_rules"] = query_rules(request.app.openapi_schema.to_schema())
    return state["query_rules"]  # type: ignore[no-any-return]


async def check_query(request: Request[Any, Any, Any]) -> None:
    """``before_request`` of the API: every query value has the shape its schema names."""
    # The route's path as the document writes it (``/api/v1/communities/{community_id}``).
    rules = _rules_of(request).get((request.method, request.scope["path_template"]))
    if not rules:
        return
    for name, value in request.query_params.multi_items():
        rule = rules.get(name)
        if rule is None:
            continue
        accepts, message, nullable = rule
        if not (accepts(value) or (nullable and value == "null")):
            raise InputError(name, message)
