"""What the OpenAPI document says about the shared request types (one place).

Amounts, areas, rates and scores (``service.units.Hundredths``) are documented as the
decoder admits them: a string with the same pattern, or a JSON number with at most two
decimals, within the same bounds.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec
from litestar._openapi.schema_generation.plugins.struct import StructSchemaPlugin
from litestar.openapi.spec import OpenAPI, OpenAPIResponse, OpenAPIType, Schema
from litestar.plugins import OpenAPISchemaPlugin
from litestar.typing import FieldDefinition

from service.units import Hundredths


def _number(value: Decimal) -> Any:
    """A bound written into the document as the exact JSON number it is (``0.01``,
    ``9999999999.99``), never through a float: the encoder copies the raw text."""
    return msgspec.Raw(format(value, "f").encode())


class HundredthsSchema(OpenAPISchemaPlugin):
    @staticmethod
    def is_plugin_supported_type(value: Any) -> bool:
        return isinstance(value, type) and issubclass(value, Hundredths)

    def to_openapi_schema(self, field_definition: FieldDefinition, schema_creator: Any) -> Schema:
        kind: type[Hundredths] = field_definition.annotation
        number = Schema(
            type=OpenAPIType.NUMBER,
            multiple_of=_number(Decimal("0.01")),
            maximum=_number(kind.maximum()),
        )
        if kind.positive:
            number.exclusive_minimum = _number(Decimal(0))
        else:
            number.minimum = _number(Decimal(0))
        return Schema(
            one_of=[Schema(type=OpenAPIType.STRING, pattern=kind.pattern()), number],
            description=kind.description,
        )


class ClosedStructSchema(StructSchemaPlugin):
    """Request structs refuse unknown fields (``service.registry.schemas.Input``): say so
    with ``additionalProperties: false``, or a client (and schemathesis) would take an
    extra field for a valid request."""

    def is_plugin_supported_field(self, field_definition: FieldDefinition) -> bool:
        config = getattr(field_definition.type_, "__struct_config__", None)
        return (
            super().is_plugin_supported_field(field_definition)
            and isinstance(config, msgspec.structs.StructConfig)
            and config.forbid_unknown_fields
        )

    def to_openapi_schema(self, field_definition: FieldDefinition, schema_creator: Any) -> Schema:
        schema = super().to_openapi_schema(field_definition, schema_creator)
        schema.additional_properties = False
        _constrain_string_items(field_definition.type_, schema)
        _restore_zero_bounds(field_definition.type_, schema)
        return schema


_BOUNDS = {"ge": "minimum", "gt": "exclusive_minimum", "le": "maximum", "lt": "exclusive_maximum"}


def _restore_zero_bounds(struct: Any, schema: Schema) -> None:
    """Litestar drops a numeric bound that is zero (``ge=0`` reads as false): a client (and
    schemathesis) would take ``warranty_years: -5`` for a valid request. Put every bound the
    decoder enforces on a number field (or a list's numbers) back where it is missing."""
    info = msgspec.inspect.type_info(struct)
    if not isinstance(info, msgspec.inspect.StructType):
        return
    for field in info.fields:
        prop = (schema.properties or {}).get(field.encode_name)
        kind = _without_none(field.type)
        if isinstance(kind, msgspec.inspect.ListType | msgspec.inspect.SetType):
            kind, prop = _without_none(kind.item_type), getattr(prop, "items", None)
        if not isinstance(prop, Schema) or not isinstance(
            kind, msgspec.inspect.IntType | msgspec.inspect.FloatType
        ):
            continue
        for bound, key in _BOUNDS.items():
            value = getattr(kind, bound)
            if value is not None and getattr(prop, key) is None:
                setattr(prop, key, value)


def _without_none(kind: Any) -> Any:
    """``T | None`` → ``T`` (msgspec's type info); anything else as it is."""
    if isinstance(kind, msgspec.inspect.UnionType):
        present = [t for t in kind.types if not isinstance(t, msgspec.inspect.NoneType)]
        return present[0] if len(present) == 1 else kind
    return kind


def _constrain_string_items(struct: Any, schema: Schema) -> None:
    """Litestar drops the constraints of a list's strings (``list[Label]``, photo
    references): put the pattern and lengths the decoder enforces back on the items, or a
    client would take an empty or control-character item for a valid one."""
    info = msgspec.inspect.type_info(struct)
    if not isinstance(info, msgspec.inspect.StructType):
        return
    for field in info.fields:
        kind = _without_none(field.type)
        if isinstance(kind, msgspec.inspect.Metadata):
            kind = kind.type
        if not isinstance(kind, msgspec.inspect.ListType | msgspec.inspect.SetType):
            continue
        inner = kind.item_type
        prop = (schema.properties or {}).get(field.encode_name)
        items = getattr(prop, "items", None)
        if not isinstance(inner, msgspec.inspect.StrType) or not isinstance(items, Schema):
            continue
        items.pattern = inner.pattern or items.pattern
        items.min_length = inner.min_length if inner.min_length is not None else items.min_length
        items.max_length = inner.max_length if inner.max_length is not None else items.max_length


OPENAPI_PLUGINS = [HundredthsSchema(), ClosedStructSchema()]


_EXTRA_ANSWERS = {
    "400": "请求格式无效（如 multipart 表单残缺）",
    "413": "请求体超过大小上限",
    "415": "请求体不是 JSON（Content-Type 须为 application/json）",
}


def document_request_problems(document: OpenAPI) -> None:
    """Every operation that takes a body may answer 400, 413 and (JSON bodies) 415, all
    as problem+json like the 422 Litestar's route declarations already document; the
    400 Litestar adds by default says ``application/json`` and is replaced."""
    for item in (document.paths or {}).values():
        for operation in (item.get, item.put, item.post, item.patch, item.delete):
            if operation is None or not operation.responses:
                continue
            responses = operation.responses
            problem = responses.get("422")
            if not isinstance(problem, OpenAPIResponse):
                continue
            body = operation.request_body
            if body is None:
                responses.pop("400", None)
                continue
            media = set((getattr(body, "content", None) or {}).keys())
            for status, description in _EXTRA_ANSWERS.items():
                if status == "415" and "application/json" not in media:
                    continue
                responses[status] = OpenAPIResponse(
                    description=description, content=problem.content
                )
