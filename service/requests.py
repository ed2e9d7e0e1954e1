"""The request class: the one decoding path of every JSON body.

- Only ``application/json`` (or a ``+json`` type) is read as JSON: anything else → 415.
- JSON numbers are decoded as exact decimals, never floats: with floats,
  ``1.0000000000000000000000000000000000001`` would arrive as ``1.0`` and a third
  decimal would silently vanish.
- A number written with only zeros after its point (``92.0``) is the integer it names, as
  JSON Schema reads it; exponent forms (``1e2``) stay decimals and an integer field refuses
  them.
- The body is converted to the route's declared struct strictly before Litestar's own
  (lenient) conversion: ``"true"`` or ``1`` for a boolean, ``"5"`` for an integer, a number
  for a string are refused with the field named, and amounts and areas go through
  ``service.units.decode_hundredths`` (plain ASCII digits, at most two decimals).
- A date or instant anywhere in the body lies in years 1900-2199 (``clock.within_calendar``).
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any

import msgspec
from litestar import Request
from litestar.exceptions import HTTPException, ValidationException
from litestar.types import Empty

from service.clock import OUT_OF_CALENDAR, within_calendar
from service.errors import InputError
from service.units import Hundredths, decode_hundredths


def _exact_number(text: str) -> Decimal | int:
    if "." in text and not any(c in text for c in "eE") and not text.rpartition(".")[2].strip("0"):
        return int(text.partition(".")[0])
    return Decimal(text)


_decoder = msgspec.json.Decoder(float_hook=_exact_number)


class UnsupportedMediaType(HTTPException):
    status_code = 415


def decode_request_value(kind: type[Any], value: Any) -> Any:
    """msgspec's hook for the custom types request structs use (and Litestar's decoder)."""
    if isinstance(kind, type) and issubclass(kind, Hundredths):
        return decode_hundredths(kind, value)
    raise NotImplementedError(f"no decoder for {kind!r}")


def is_request_custom_type(kind: Any) -> bool:
    return isinstance(kind, type) and issubclass(kind, Hundredths)


def is_json_media_type(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


@lru_cache(maxsize=512)
def _body_type(handler: Any) -> Any:
    """The struct a route handler declares for its JSON body (``data``), or None."""
    field = handler.parsed_fn_signature.parameters.get("data")
    return None if field is None else field.annotation


def _children(value: Any, path: str) -> Iterator[tuple[str, Any]]:
    """The fields, keys or items of a decoded or converted body, each with its path
    (``items[0].amount``)."""
    if isinstance(value, msgspec.Struct):
        items: Any = (
            (name, getattr(value, attr))
            for attr, name in zip(
                value.__struct_fields__, value.__struct_encode_fields__, strict=True
            )
        )
    elif isinstance(value, dict):
        items = value.items()
    elif isinstance(value, (list, tuple)):
        items = ((f"[{i}]", v) for i, v in enumerate(value))
    else:
        return
    for key, item in items:
        yield (
            (f"{path}{key}" if str(key).startswith("[") else f"{path}.{key}" if path else str(key)),
            item,
        )


def _first_field(value: Any, wrong: Callable[[Any], bool], path: str = "") -> str | None:
    """The path of the first leaf of ``value`` that is ``wrong``, or None."""
    if wrong(value):
        return path
    for where, item in _children(value, path):
        if (found := _first_field(item, wrong, where)) is not None:
            return found
    return None


def _holds_nul(value: Any) -> bool:
    """A text holding NUL: PostgreSQL cannot store it (SQLite would)."""
    return isinstance(value, str) and "\x00" in value


def _out_of_calendar(value: Any) -> bool:
    """A date or instant (a datetime is a date too) outside ``clock.within_calendar``."""
    return isinstance(value, date) and not within_calendar(value)


def check_strictly(value: Any, body_type: Any) -> None:
    """Convert ``value`` to ``body_type`` without coercions; a mismatch is a 422 naming
    the field (``items[0].amount``). A NUL character in any text is refused alike on both
    engines; so is a date or instant outside ``clock.FIRST_YEAR``-``LAST_YEAR`` (a
    warranty's end or a period's next day from 9999-12-31 would leave Python's calendar)."""
    if (field := _first_field(value, _holds_nul)) is not None:
        raise InputError(field or "body", "不能包含空字符（NUL）")
    try:
        body = msgspec.convert(value, body_type, strict=True, dec_hook=decode_request_value)
    except msgspec.ValidationError as exc:
        message = str(exc)
        if "[...]`" in message:  # a mapping's value: msgspec does not say which key
            message = _name_the_key(message, value, body_type)
        # The same shape as Litestar's own validation errors: service.errors names the field.
        raise ValidationException(extra=[{"key": "", "message": message}]) from None
    if (where := _first_field(body, _out_of_calendar)) is not None:
        raise InputError(where or "body", OUT_OF_CALENDAR)


def _name_the_key(message: str, value: Any, body_type: Any) -> str:
    """``... - at `$.coefficients[...]``` → ``$.coefficients.4`` (the first bad key)."""
    text, _, path = message.rpartition(" - at `$")
    path = path.rstrip("`")
    head, _, tail = path.partition("[...]")
    node, kind = value, body_type
    for name in [part for part in head.split(".") if part]:
        if not isinstance(node, dict) or "[" in name:
            return message
        node = node.get(name)
        hints = typing.get_type_hints(kind, include_extras=True) if isinstance(kind, type) else {}
        kind = _without_none(hints.get(name))
    args = typing.get_args(kind)
    if not isinstance(node, dict) or len(args) != 2:
        return message
    for key, item in node.items():
        try:
            msgspec.convert(item, args[1], strict=True, dec_hook=decode_request_value)
        except msgspec.ValidationError:
            return f"{text} - at `${head}.{key}{tail}`"
    return message


def _without_none(kind: Any) -> Any:
    args = [a for a in typing.get_args(kind) if a is not type(None)]
    if typing.get_origin(kind) in (typing.Union, types.UnionType) and len(args) == 1:
        return args[0]
    return kind


class ExactRequest(Request[Any, Any, Any]):
    async def json(self) -> Any:
        if self._json is Empty:
            if (cached := self._connection_state.json) is not Empty:
                self._json = cached
            else:
                body = await self.body()
                if body and not is_json_media_type(self.headers.get("content-type", "")):
                    raise UnsupportedMediaType(
                        "请求体应为 JSON，Content-Type 须为 application/json。"
                    )
                try:
                    value = _decoder.decode(body or b"null")
                except (msgspec.DecodeError, RecursionError, UnicodeDecodeError):
                    raise InputError(
                        "body", "请求体不是有效的 JSON（不完整、嵌套过深或不是 UTF-8 文本）"
                    ) from None
                body_type = _body_type(self.route_handler)
                if body_type is not None and body:
                    check_strictly(value, body_type)
                self._json = self._connection_state.json = value
        return self._json
