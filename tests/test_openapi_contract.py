"""The OpenAPI document tells the truth, and keeps telling it as routes are added: every
request struct refuses unknown fields and says so; amounts and areas are the shared
two-decimal types with their pattern (no bare Decimal); fields that take a fixed set of
values declare it; a required Idempotency-Key is documented required; bodies document
400/413/415 as problem+json; login documents 429. Generated from the app's route table
and document, so a new route that drifts fails here."""

from __future__ import annotations

import typing
from decimal import Decimal
from typing import Any

import msgspec
import pytest

from service.registry.schemas import Input
from service.units import Hundredths

# Field names that always take a fixed set of values in a request body.
ENUM_FIELDS = {
    "role",
    "category",
    "action",
    "status",
    "choice",
    "stage",
    "method",
    "mode",
    "part",
    "urgency",
    "emergency_reason",
    "decision",
    "vote_rule",
    "fund_draw_order",
    "result",
}
# Bodies whose ``kind`` is a fixed set (a document's kind is free text).
ENUM_KIND_EXCEPT = {"DocumentIn"}


@pytest.fixture(scope="module")
def document(app: Any) -> dict[str, Any]:
    schema: dict[str, Any] = app.openapi_schema.to_schema()
    return schema


def request_structs(app: Any) -> set[type[msgspec.Struct]]:
    found: set[type[msgspec.Struct]] = set()

    def walk(kind: Any) -> None:
        for arg in typing.get_args(kind):
            walk(arg)
        if isinstance(kind, type) and issubclass(kind, msgspec.Struct) and kind not in found:
            found.add(kind)
            for hint in typing.get_type_hints(kind, include_extras=True).values():
                walk(hint)

    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            field = handler.parsed_fn_signature.parameters.get("data")
            if field is not None:
                walk(field.annotation)
    return found


def test_request_structs_refuse_unknown_fields(app: Any) -> None:
    structs = request_structs(app)
    assert len(structs) > 30
    open_ones = [s.__name__ for s in structs if not issubclass(s, Input)]
    assert not open_ones, f"request structs must subclass Input: {open_ones}"


def test_no_request_field_is_a_bare_decimal(app: Any) -> None:
    """Amounts, areas, scores and coefficients use service.units' shared types, which
    the decoder checks and the document describes with their pattern."""
    bare = []
    for struct in request_structs(app):
        for name, hint in typing.get_type_hints(struct).items():
            kinds = [hint, *typing.get_args(hint)]
            for kind in kinds:
                for inner in [kind, *typing.get_args(kind)]:
                    if inner is Decimal or (
                        isinstance(inner, type)
                        and issubclass(inner, Decimal)
                        and not issubclass(inner, Hundredths)
                    ):
                        bare.append(f"{struct.__name__}.{name}")
    assert not bare, f"use service.units' Money/PositiveMoney/Area/Score/Factor: {bare}"


def _has_enum(schema: dict[str, Any], components: dict[str, Any]) -> bool:
    if "enum" in schema or "const" in schema:
        return True
    for key in ("oneOf", "anyOf"):
        if key in schema:
            return all(_has_enum(s, components) or s.get("type") == "null" for s in schema[key])
    if "$ref" in schema:
        return _has_enum(components[schema["$ref"].rsplit("/", 1)[-1]], components)
    return False


def _request_components(document: dict[str, Any]) -> set[str]:
    components = document["components"]["schemas"]
    names: set[str] = set()

    def walk(schema: Any) -> None:
        if isinstance(schema, dict):
            if "$ref" in schema:
                name = schema["$ref"].rsplit("/", 1)[-1]
                if name not in names:
                    names.add(name)
                    walk(components[name])
            for value in schema.values():
                walk(value)
        elif isinstance(schema, list):
            for value in schema:
                walk(value)

    for item in document["paths"].values():
        for operation in item.values():
            if isinstance(operation, dict) and "requestBody" in operation:
                walk(operation["requestBody"])
    return names


def test_fields_with_a_fixed_set_of_values_declare_it(document: dict[str, Any]) -> None:
    components = document["components"]["schemas"]
    missing = []
    for name in sorted(_request_components(document)):
        for field, schema in components[name].get("properties", {}).items():
            wants_enum = field in ENUM_FIELDS or (
                field == "kind" and not any(name.endswith(e) for e in ENUM_KIND_EXCEPT)
            )
            if wants_enum and not _has_enum(schema, components):
                missing.append(f"{name}.{field}")
    assert not missing, f"declare the values (Literal or registry.schemas.one_of): {missing}"


def test_money_and_area_fields_carry_their_pattern(document: dict[str, Any]) -> None:
    deposit = document["components"]["schemas"]["DepositIn"]["properties"]["amount"]
    string = next(s for s in deposit["oneOf"] if s["type"] == "string")
    assert string["pattern"].startswith("^") and "[0-9]{1,2}" in string["pattern"]
    area = document["components"]["schemas"]["HouseholdIn"]["properties"]["floor_area"]
    assert any(s.get("pattern") for s in area["oneOf"])


def test_a_required_idempotency_key_is_documented_required(
    app: Any, document: dict[str, Any]
) -> None:
    keyed = 0
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if "idempotency_key" not in handler.parsed_fn_signature.parameters:
                continue
            for method in handler.http_methods:
                operation = document["paths"][route.path.replace(":str", "").replace(":uuid", "")]
                parameters = operation[method.lower()].get("parameters", [])
                (header,) = [p for p in parameters if p["name"] == "Idempotency-Key"]
                assert header["required"] is True, (method, route.path)
                keyed += 1
    assert keyed >= 8


def test_bodies_document_400_413_415_and_login_429(document: dict[str, Any]) -> None:
    undocumented = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "requestBody" not in operation:
                continue
            content = operation["requestBody"].get("content", {})
            expected = {"400", "413", "422"} | ({"415"} if "application/json" in content else set())
            for status in sorted(expected - set(operation["responses"])):
                undocumented.append(f"{method.upper()} {path} {status}")
            for status in expected & set(operation["responses"]):
                answer = operation["responses"][status]
                if "application/problem+json" not in answer.get("content", {}):
                    undocumented.append(f"{method.upper()} {path} {status} not problem+json")
    assert not undocumented, undocumented[:20]
    assert "429" in document["paths"]["/api/v1/auth/login"]["post"]["responses"]


def test_lists_of_constrained_strings_keep_their_items_bounds(app: Any) -> None:
    """Photo references and the like: an empty item is refused by the decoder, so the
    document says ``minLength`` on the items (schemathesis found it on complaints)."""
    schemas = app.openapi_schema.to_schema()["components"]["schemas"]
    for name in ("ComplaintIn", "RepairIn", "ServiceRecordIn"):
        (key,) = [k for k in schemas if k.endswith(name)]
        items = schemas[key]["properties"]["photos"]["items"]
        assert (items["minLength"], items["maxLength"]) == (1, 500), (name, items)


def test_every_list_answers_the_envelope_with_limit_and_cursor(document: dict[str, Any]) -> None:
    """API.md "Lists": a GET never answers a bare JSON array; a list answers
    ``{"items", "next_cursor"}`` and takes ``limit`` (1-500) and ``cursor``."""
    components = document["components"]["schemas"]

    def resolved(schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            schema = components[schema["$ref"].rsplit("/", 1)[-1]]
        return schema

    bare, unpaged, lists = [], [], 0
    for path, item in document["paths"].items():
        operation = item.get("get", {})
        answer = operation.get("responses", {}).get("200", {})
        if "application/json" not in answer.get("content", {}):
            continue
        body = resolved(answer["content"]["application/json"]["schema"])
        if body.get("type") == "array":
            bare.append(path)
        elif set(body.get("properties", {})) == {"items", "next_cursor"}:
            lists += 1
            query = {p["name"]: p["schema"] for p in operation.get("parameters", [])}
            limit = query.get("limit", {})
            if (limit.get("minimum"), limit.get("maximum")) != (1, 500) or "cursor" not in query:
                unpaged.append(path)
    assert not bare, f"bare JSON arrays: {bare}"
    assert not unpaged, f"lists without limit (1-500) and cursor: {unpaged}"
    assert lists >= 30


def test_every_numeric_bound_of_a_request_field_is_in_the_document(app: Any) -> None:
    """Litestar drops a bound that is zero (``ge=0`` reads as false): schemathesis sent
    ``warranty_years: -29725`` as schema-valid and the decoder refused it. Every request
    struct's number fields (and lists' numbers) carry each bound the decoder enforces."""
    import msgspec

    from service.openapi import _without_none as without_none
    from service.registry.schemas import Input

    words = {"ge": "minimum", "gt": "exclusiveMinimum", "le": "maximum", "lt": "exclusiveMaximum"}

    schemas = app.openapi_schema.to_schema()["components"]["schemas"]
    # A component is named by its class, or, when two classes share a name, by its module
    # path too (``warranty_schemas_TransitionIn`` for service.warranty.schemas).
    structs: dict[str, Any] = {}
    for cls in _subclasses(Input):
        structs[cls.__name__] = cls
        structs[f"{cls.__module__.removeprefix('service.').replace('.', '_')}_{cls.__name__}"] = cls
    missing, checked = [], 0
    for key, schema in schemas.items():
        struct = structs.get(key)
        if struct is None:
            continue
        for field in msgspec.inspect.type_info(struct).fields:
            kind = without_none(field.type)
            prop = schema.get("properties", {}).get(field.encode_name, {})
            if isinstance(kind, msgspec.inspect.ListType):
                kind, prop = without_none(kind.item_type), prop.get("items", {})
            if not isinstance(kind, msgspec.inspect.IntType | msgspec.inspect.FloatType):
                continue
            for bound, word in words.items():
                value = getattr(kind, bound)
                if value is None:
                    continue
                checked += 1
                if prop.get(word) != value:
                    missing.append(f"{key}.{field.encode_name} {word}={value}")
    assert not missing, missing
    assert checked >= 20, checked
    assert {"standards_schemas_TransitionIn", "warranty_schemas_TransitionIn"} <= set(schemas)


def _subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found
