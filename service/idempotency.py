"""Idempotent money-moving POSTs (API.md "Conventions": ``Idempotency-Key``).

Every route that moves money takes the ``IdempotencyKey`` header parameter and wraps its
work in ``idempotent(...)``; the operation receives the checked key (to store it with
what it writes)::

    @post("/fund/deposits", opt=allow(BUREAU), responses=PROBLEMS, status_code=201)
    async def deposit(
        self,
        caller: CallerDep,
        request: Request[Any, Any, Any],
        data: JSONBody[DepositIn],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[DepositOut]:
        return await idempotent(
            key=idempotency_key,
            caller=caller,
            request=request,
            body=data,
            operation=lambda key: service.deposit(caller, data, key=key),
        )

Code without a request (jobs, tests) calls ``run_once`` with its own scope and fingerprint.

What it promises:
- the key is claimed in the same transaction as the work: a unique row
  (district, key) inserted with ``ON CONFLICT DO NOTHING``. Of many concurrent requests
  with one key, one claims it; the others wait for that transaction (PostgreSQL blocks
  on the uncommitted row, SQLite's IMMEDIATE transactions queue) and then read the
  stored answer — so the work runs once;
- the same key with the same request (method, path, canonical body) returns the first
  answer again, status and body, with the same ids;
- the same key with a different request → 409; a request by another user is a different
  request (the fingerprint covers the caller), so nobody is answered with someone else's
  result;
- a request that fails (any error, 4xx included) rolls back with its claim: the key
  stays unused and may be retried;
- a missing header → 422 naming the field ``Idempotency-Key``.

Keys are unique within the caller's district. The table belongs to the funds Piccolo app.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Request, Response
from litestar.params import HeaderParameter
from piccolo.columns import UUID as UUIDColumn
from piccolo.columns import BigSerial, Integer, Text, Timestamptz, Varchar
from piccolo.table import Table

from service.auth.roles import Caller
from service.clock import now
from service.db import fetch, is_postgres, transaction, write_at_commit
from service.errors import Conflict, InputError

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 200


class IdempotencyRecord(Table, tablename="idempotency_record"):
    """A claimed key and the answer first given to it."""

    id = BigSerial(primary_key=True)
    scope = Varchar(length=64)
    key = Varchar(length=200)
    fingerprint = Varchar(length=64)
    method = Varchar(length=10)
    path = Varchar(length=300)
    actor_id = UUIDColumn(null=True, default=None)
    created_at = Timestamptz()
    status_code = Integer(null=True, default=None)
    response = Text(null=True, default=None)


IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(
        name=HEADER,
        # Required (the OpenAPI document says so); a missing header still reaches
        # ``checked_key``, which answers 422 naming ``Idempotency-Key``.
        required=True,
        min_length=1,
        max_length=MAX_KEY_LENGTH,
        description="每笔资金业务一个唯一值（如 UUID）；重发同一请求时沿用，避免重复记账。必填。",
    ),
]


def request_fingerprint(method: str, path: str, body: object, actor: UUID | None = None) -> str:
    """SHA-256 of the request's actor, method, path and canonical body (sorted keys)."""
    canonical = json.dumps(
        {
            "actor": None if actor is None else str(actor),
            "method": method.upper(),
            "path": path,
            "body": msgspec.to_builtins(body, enc_hook=str),
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def checked_key(key: str | None) -> str:
    """The header's value, or a 422 naming ``Idempotency-Key``."""
    if key is None or not key.strip():
        raise InputError(HEADER, "资金类请求必须携带 Idempotency-Key 请求头（每笔业务一个唯一值）")
    key = key.strip()
    if len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise InputError(HEADER, f"应为不超过 {MAX_KEY_LENGTH} 个可打印字符")
    return key


CLAIM_SQL = (
    "INSERT INTO idempotency_record"
    " (scope, key, fingerprint, method, path, actor_id, created_at)"
    " VALUES ({}, {}, {}, {}, {}, {}, {})"
    " ON CONFLICT (scope, key) DO NOTHING RETURNING id"
)


@dataclass
class Lead:
    """A statement the operation would send first, sent with the key's claim instead (one
    round trip less on PostgreSQL): ``sql`` (``{}`` placeholders, ``args``) may read the
    CTE ``claim`` (the claimed id; empty when the key was used before) and should do
    nothing without it. ``rows`` holds its rows once sent (with the claim's column
    ``claimed_id`` beside); it stays None on SQLite, where the operation sends it itself."""

    sql: str
    args: Sequence[Any]
    rows: list[dict[str, Any]] | None = None


async def run_once(
    *,
    scope: str,
    key: str,
    fingerprint: str,
    operation: Callable[[str], Awaitable[Any]],
    status_code: int = 201,
    method: str = "POST",
    path: str = "",
    actor_id: UUID | None = None,
    lead: Lead | None = None,
) -> tuple[int, Any]:
    """Run ``operation(key)`` once per (scope, key), in one transaction with the key's
    claim; return (status, JSON content) — the stored ones when the key was used before.
    ``lead``: see :class:`Lead`."""
    async with transaction():
        claim_args = (scope, key, fingerprint, method.upper(), path[:300], actor_id, now())
        if lead is not None and is_postgres():
            # One statement: the lead reads ``claim``, so it runs after it, and only when
            # the key is new (locks in the same order as claim, then the operation).
            rows = await fetch(
                f"WITH claim AS ({CLAIM_SQL}), lead AS ({lead.sql})"
                " SELECT (SELECT id FROM claim) AS claimed_id, lead.*"
                " FROM (SELECT 1) AS one LEFT JOIN lead ON TRUE",
                *claim_args,
                *lead.args,
            )
            claimed = [] if rows[0]["claimed_id"] is None else [{"id": rows[0]["claimed_id"]}]
            lead.rows = rows
        else:
            claimed = await fetch(CLAIM_SQL, *claim_args)
        if not claimed:
            stored = await fetch(
                "SELECT fingerprint, status_code, response FROM idempotency_record"
                " WHERE scope = {} AND key = {}",
                scope,
                key,
            )
            if not stored or stored[0]["fingerprint"] != fingerprint:
                raise Conflict(
                    "该 Idempotency-Key 已用于另一笔内容不同的请求；新的业务请使用新的键。"
                )
            if stored[0]["status_code"] is None:  # pragma: no cover - written with the claim
                raise Conflict("该 Idempotency-Key 的请求仍在处理中，请稍后重试。")
            return int(stored[0]["status_code"]), json.loads(stored[0]["response"])
        content = msgspec.to_builtins(await operation(key))
        await write_at_commit(
            [
                (
                    "UPDATE idempotency_record SET status_code = {}, response = {} WHERE id = {}",
                    (status_code, json.dumps(content, ensure_ascii=False), claimed[0]["id"]),
                )
            ]
        )
    return status_code, content


async def idempotent(
    *,
    key: str | None,
    caller: Caller,
    request: Request[Any, Any, Any],
    body: object,
    operation: Callable[[str], Awaitable[Any]],
    status_code: int = 201,
    lead: Lead | None = None,
) -> Response[Any]:
    """The HTTP form of ``run_once``: the key from the header, scoped to the caller's
    district, the fingerprint over method, path and body; ``operation`` returns a msgspec
    Struct (or plain JSON data) stored and answered with ``status_code``."""
    checked = checked_key(key)
    status, content = await run_once(
        scope=str(caller.district_id),
        key=checked,
        fingerprint=request_fingerprint(request.method, request.url.path, body, caller.id),
        operation=operation,
        status_code=status_code,
        method=request.method,
        path=request.url.path,
        actor_id=caller.id,
        lead=lead,
    )
    return Response(content, status_code=status)
