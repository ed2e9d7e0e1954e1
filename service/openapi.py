"""What the OpenAPI document says about the shared request types (one place).

Amounts, areas, rates and scores (``service.units.Hundredths``) are documented as the
decoder admits them: a string with the same pattern, or a JSON number with at most two
decimals, within the same bounds.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar._openapi.schema_generation.plugins.struct import StructSchemaPlugin
from litestar.openapi.spec import OpenAPIType, Schema
from litestar.plugins import OpenAPISchemaPlugin
from litestar.typing import FieldDefinition

from service.units import Hundredths


class HundredthsSchema(OpenAPISchemaPlugin):
    @staticmethod
    def is_plugin_supported_type(value: Any) -> bool:
        return isinstance(value, type) and issubclass(value, Hundredths)

    def to_openapi_schema(self, field_definition: FieldDefinition, schema_creator: Any) -> Schema:
        kind: type[Hundredths] = field_definition.annotation
        number = Schema(
            type=OpenAPIType.NUMBER,
            multiple_of=0.01,
            maximum=float(kind.maximum()),
        )
        if kind.positive:
            number.exclusive_minimum = 0.0
        else:
            number.minimum = 0.0
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
        return schema


OPENAPI_PLUGINS = [HundredthsSchema(), ClosedStructSchema()]
