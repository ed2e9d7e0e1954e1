"""Cursor pagination: ``?limit=`` (1-500, default 50) and an opaque ``?cursor=``.

Rows are ordered by their primary key; the cursor is the last key served, encoded.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
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
        raise InputError("cursor", "无效的游标，请使用上一页返回的 next_cursor")
    return decoded


def provide_paging(
    limit: Annotated[
        int,
        QueryParameter(ge=1, le=MAX_LIMIT, description="每页条数，1-500，默认 50"),
    ] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, QueryParameter(description="上一页返回的 next_cursor")] = None,
) -> Paging:
    return Paging(limit=limit, after=decode_cursor(cursor) if cursor else None)


async def fetch_page(
    query: Select[Any], key: Column, paging: Paging, *, key_type: type = UUID
) -> tuple[list[dict[str, Any]], str | None]:
    """Run ``query`` for one page ordered by ``key``; return rows and the next cursor."""
    if paging.after is not None:
        try:
            after: Any = key_type(paging.after)
        except ValueError:
            raise InputError("cursor", "无效的游标，请使用上一页返回的 next_cursor") from None
        query = query.where(key > after)
    rows = await query.order_by(key).limit(paging.limit + 1)
    if len(rows) > paging.limit:
        rows = rows[: paging.limit]
        return rows, encode_cursor(rows[-1][key._meta.name])
    return rows, None
