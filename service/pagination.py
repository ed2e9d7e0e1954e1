"""Cursor pagination: ``?limit=`` (1-500, default 50) and an opaque ``?cursor=``.

Rows are ordered by their primary key, or by a date column and then the primary key
(keyset pagination); the cursor is the last key (``date|key``) served, encoded.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Any, Generic, TypeVar
from uuid import UUID

import msgspec
from litestar.params import QueryParameter
from piccolo.columns import Column
from piccolo.query import Select

from service.errors import InputError

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
BAD_CURSOR = "无效的游标，请使用上一页返回的 next_cursor"


@dataclass(frozen=True)
class Paging:
    limit: int
    after: str | None


class Page(msgspec.Struct, Generic[T]):
    items: list[T]
    next_cursor: str | None


def encode_cursor(last_key: object) -> str:
    return base64.urlsafe_b64encode(str(last_key).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        decoded = base64.b64decode(padded.encode(), altchars=b"-_", validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        decoded = ""
    if not decoded:
        raise InputError("cursor", BAD_CURSOR)
    return decoded


def provide_paging(
    limit: Annotated[
        int,
        QueryParameter(ge=1, le=MAX_LIMIT, description="每页条数，1-500，默认 50"),
    ] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, QueryParameter(description="上一页返回的 next_cursor")] = None,
) -> Paging:
    return Paging(limit=limit, after=decode_cursor(cursor) if cursor else None)


# The largest value of a 64-bit serial key; a key a page may end with is 1 to this, written
# as this module writes it (ASCII digits, no sign, padding or leading zero).
MAX_SERIAL = 2**63 - 1
_SERIAL = re.compile(r"[1-9][0-9]*")


def _parsed(text: str, kind: type) -> Any:
    if kind is int and not (_SERIAL.fullmatch(text) and int(text) <= MAX_SERIAL):
        raise InputError("cursor", BAD_CURSOR)
    try:
        return kind.fromisoformat(text) if kind is date else kind(text)
    except ValueError:
        raise InputError("cursor", BAD_CURSOR) from None


def _text(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


async def fetch_page(
    query: Select[Any],
    key: Column,
    paging: Paging,
    *,
    key_type: type = UUID,
    order: Column | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """Run ``query`` for one page ordered by ``key`` (by ``order``, a non-null date
    column, then ``key``, when given); return rows and the next cursor. A cursor that is
    not one this ordering gave → 422 naming ``cursor``."""
    if paging.after is not None:
        if order is None:
            query = query.where(key > _parsed(paging.after, key_type))
        else:
            day, bar, last = paging.after.partition("|")
            if not bar:
                raise InputError("cursor", BAD_CURSOR)
            after_day, after_key = _parsed(day, date), _parsed(last, key_type)
            query = query.where((order > after_day) | ((order == after_day) & (key > after_key)))
    ordered = query.order_by(key) if order is None else query.order_by(order, key)
    rows = await ordered.limit(paging.limit + 1)
    if len(rows) <= paging.limit:
        return rows, None
    rows = rows[: paging.limit]
    last_key = rows[-1][key._meta.name]
    if order is None:
        return rows, encode_cursor(last_key)
    return rows, encode_cursor(f"{_text(rows[-1][order._meta.name])}|{last_key}")


def page_of(
    items: Sequence[T], key: Callable[[T], str], paging: Paging
) -> tuple[list[T], str | None]:
    """One page of a list held in memory (not a table: the job catalogue), ordered by
    ``key``, which must be unique; the same cursor contract as ``fetch_page`` (a cursor
    naming no item of the list → 422)."""
    ordered = sorted(items, key=key)
    if paging.after is not None:
        if all(key(item) != paging.after for item in ordered):
            raise InputError("cursor", BAD_CURSOR)
        ordered = [item for item in ordered if key(item) > paging.after]
    if len(ordered) <= paging.limit:
        return ordered, None
    page = ordered[: paging.limit]
    return page, encode_cursor(key(page[-1]))


def order_key(*values: date | datetime | UUID | str) -> str:
    """A key for ``page_of`` that sorts as the values do, one after another: dates and
    instants (in UTC, to the microsecond) in ISO form, ids and text as they are."""

    def text(value: date | datetime | UUID | str) -> str:
        if isinstance(value, datetime):
            return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")
        if isinstance(value, date):
            return value.isoformat()
        return str(value)

    return "|".join(text(value) for value in values)
