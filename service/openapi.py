"""What the OpenAPI document says about the shared request types (one place).

Amounts, areas, rates and scores (``service.units.Hundredths``) are documented as the
decoder admits them: a string with the same pattern, or a JSON number with at most two
decimals, within the same bounds.
"""

from __future__ import annotations

from typing import Any

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


OPENAPI_PLUGINS = [HundredthsSchema()]
