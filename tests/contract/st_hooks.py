"""Schemathesis hooks of the contract suite."""

from __future__ import annotations

from typing import Any

import schemathesis

from service.errors import DECODER_REFUSAL

# Marks of a refusal by the decoding path (msgspec's words, kept in brackets by
# service.errors, and the Hundredths decoder's): a schema-valid body must never get one.
DECODER_MARKS = (
    DECODER_REFUSAL,
    "Expected `",
    "unknown field",
    "missing required field",
    "does not match",
    "Invalid ",
    "of length",
    "不是有效的数值",
    "最多两位小数",
)


@schemathesis.check
def schema_valid_body_decoded(ctx: Any, response: Any, case: Any) -> None:
    """A request the schema allows is never refused by the decoder (only by a rule)."""
    if not case.meta.generation.mode.is_positive or response.status_code != 422:
        return
    try:
        errors = response.json().get("errors") or []
    except ValueError:
        return
    decoded = [e for e in errors if any(m in str(e.get("message", "")) for m in DECODER_MARKS)]
    if decoded:
        raise AssertionError(f"a schema-valid request was refused by the decoder: {decoded}")
