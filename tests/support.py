"""A small district built through the API, with one user of every role.

Layout: area A with communities CA and CB. CA has building CA-1 with households h1, h2
(owner P1, who owns both) and h3 (owner P2); CB has building CB-1 with h4 (owner P3).
A company holds a live contract for CA; a committee represents CA; a contractor built
a work in CA. Owner users: owner1 (P1: h1, h2), owner2 (P2: h3).
"""

from __future__ import annotations

import itertools
import json
import re
import uuid
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import httpx

from service.auth.bootstrap import ensure_bureau
from service.auth.roles import BUREAU, Caller
from service.auth.schemas import UserIn
from service.auth.service import create_user
from service.clock import now
from service.contracts.tables import Contract
from service.registry.rules import resident_check_digit
from service.warranty.tables import Work

PASSWORD = "correct-horse-9"
_serial = itertools.count(1)


def make_id_no(seq: int, birth: str = "19700101") -> str:
    """A valid 18-digit resident identity number of Laocheng (410302)."""
    first17 = f"410302{birth}{seq % 1000:03d}"
    return first17 + resident_check_digit(first17)


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


async def login(
    client: httpx.AsyncClient, username: str, password: str = PASSWORD
) -> dict[str, str]:
    response = await client.post(
        "/api/v1/auth/login", json={"username": username, "password": password}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def created(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


@dataclass
class World:
    district_id: uuid.UUID
    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)

    def h(self, who: str) -> dict[str, str]:
        return self.headers[who]


async def add_user(client: httpx.AsyncClient, bureau: dict[str, str], **body: Any) -> str:
    body.setdefault("password", PASSWORD)
    user = await created(await client.post("/api/v1/users", json=body, headers=bureau))
    return str(user["id"])


async def add_household(
    client: httpx.AsyncClient,
    bureau: dict[str, str],
    building_id: str,
    room: str,
    area: str,
    owner: tuple[str, str],
    **extra: str,
) -> str:
    body = {
        **extra,
        "building_id": building_id,
        "unit_no": "1",
        "room_no": room,
        "floor_area": area,
        "owner_name": owner[0],
        "owner_id_no": owner[1],
        "owner_phone": "13800000000",
    }
    return str(
        (await created(await client.post("/api/v1/households", json=body, headers=bureau)))["id"]
    )


async def build_world(client: httpx.AsyncClient) -> World:
    district_id, bureau_org = await ensure_bureau()
    tag = unique("")
    world = World(district_id=district_id)
    for name in ("bureau", "bureau2"):
        username = f"{name}-{tag}"
        await create_user(
            None,
            district_id,
            UserIn(username=username, password=PASSWORD, role="bureau", org_id=bureau_org),
        )
        world.headers[name] = await login(client, username)
    bureau = world.h("bureau")

    area = await created(
        await client.post(
            "/api/v1/areas", json={"name": "西关片区", "code": f"A{tag}"}, headers=bureau
        )
    )
    world.ids["area"] = area["id"]
    for key in ("CA", "CB"):
        community = await created(
            await client.post(
                "/api/v1/communities",
                json={
                    "area_id": area["id"],
                    "name": f"{key} 小区",
                    "code": f"{key}{tag}",
                    "built_year": 1995,
                    "deposit_rate_per_m2": "45.00",
                },
                headers=bureau,
            )
        )
        world.ids[key] = community["id"]
        building = await created(
            await client.post(
                f"/api/v1/communities/{community['id']}/buildings",
                json={"name": f"{key}-1", "floors": 6, "has_elevator": False},
                headers=bureau,
            )
        )
        world.ids[f"{key}-1"] = building["id"]

    seq = next(_serial) * 10
    p1 = ("张伟", make_id_no(seq + 1))
    p2 = ("李娜", make_id_no(seq + 2))
    p3 = ("王芳", make_id_no(seq + 3))
    world.ids["p1_id_no"] = p1[1]
    world.ids["p2_id_no"] = p2[1]
    world.ids["p3_id_no"] = p3[1]
    world.ids["h1"] = await add_household(client, bureau, world.ids["CA-1"], "101", "86.40", p1)
    world.ids["h2"] = await add_household(client, bureau, world.ids["CA-1"], "102", "60.00", p1)
    world.ids["h3"] = await add_household(client, bureau, world.ids["CA-1"], "201", "72.15", p2)
    world.ids["h4"] = await add_household(client, bureau, world.ids["CB-1"], "101", "90.00", p3)

    orgs = {}
    for kind, extra in (
        ("audit", {}),
        ("company", {}),
        ("committee", {"community_id": world.ids["CA"]}),
        ("contractor", {}),
        ("street", {}),
    ):
        org = await created(
            await client.post(
                "/api/v1/organizations",
                json={"kind": kind, "name": f"{kind} {tag}", **extra},
                headers=bureau,
            )
        )
        orgs[kind] = org["id"]
        world.ids[f"org_{kind}"] = org["id"]

    await Contract.insert(
        Contract(
            district=district_id,
            community=uuid.UUID(world.ids["CA"]),
            company=uuid.UUID(orgs["company"]),
            mode="market",
            status="live",
            starts_on=date(2024, 1, 1),
            ends_on=date(2027, 12, 31),
            created_at=now(),
        )
    )
    await Work.insert(
        Work(
            district=district_id,
            community=uuid.UUID(world.ids["CA"]),
            contractor=uuid.UUID(orgs["contractor"]),
            title="屋面防水改造",
            accepted_on=date(2022, 6, 30),
            created_at=now(),
        )
    )
    for role, org_kind in (
        ("auditor", "audit"),
        ("company", "company"),
        ("committee", "committee"),
        ("contractor", "contractor"),
    ):
        username = f"{role}-{tag}"
        await add_user(client, bureau, username=username, role=role, org_id=orgs[org_kind])
        world.headers[role] = await login(client, username)
    await add_user(
        client,
        bureau,
        username=f"owner1-{tag}",
        role="owner",
        household_ids=[world.ids["h1"], world.ids["h2"]],
    )
    world.headers["owner1"] = await login(client, f"owner1-{tag}")
    await add_user(
        client, bureau, username=f"owner2-{tag}", role="owner", household_ids=[world.ids["h3"]]
    )
    world.headers["owner2"] = await login(client, f"owner2-{tag}")
    return world


@contextmanager
def statements_sent() -> Iterator[list[str]]:
    """Collect the SQL statements the code sends while the block runs: on PostgreSQL every
    statement asyncpg executes (prepared or simple, BEGIN/COMMIT included), on SQLite every
    query Piccolo's engine runs (``db.fetch`` and the ORM; BEGIN/COMMIT are not seen)."""
    from piccolo.engine.postgres import PostgresEngine

    from service.db import get_engine

    sent: list[str] = []
    engine = get_engine()
    if isinstance(engine, PostgresEngine):
        from asyncpg.connection import Connection

        do_execute, execute = Connection._do_execute, Connection.execute

        async def counted_do(self: Any, query: str, *args: Any, **kwargs: Any) -> Any:
            sent.append(query)
            return await do_execute(self, query, *args, **kwargs)

        async def counted_execute(self: Any, query: str, *args: Any, **kwargs: Any) -> Any:
            if not args:  # with arguments it goes through _do_execute
                sent.append(query)
            return await execute(self, query, *args, **kwargs)

        Connection._do_execute = counted_do  # type: ignore[method-assign]
        Connection.execute = counted_execute  # type: ignore[method-assign]
        try:
            yield sent
        finally:
            Connection._do_execute = do_execute  # type: ignore[method-assign]
            Connection.execute = execute  # type: ignore[method-assign]
        return
    kind = type(engine)
    run = kind.run_querystring

    async def counted_run(self: Any, querystring: Any, *args: Any, **kwargs: Any) -> Any:
        sent.append(str(querystring))
        return await run(self, querystring, *args, **kwargs)

    kind.run_querystring = counted_run  # type: ignore[method-assign]
    try:
        yield sent
    finally:
        kind.run_querystring = run  # type: ignore[method-assign]


async def all_items(
    client: httpx.AsyncClient, path: str, headers: dict[str, str], **params: Any
) -> list[dict[str, Any]]:
    """Every item of a paginated list (API.md "Lists"), following ``next_cursor``."""
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        query = {**params, "limit": 500, **({"cursor": cursor} if cursor else {})}
        response = await client.get(path, params=query, headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        assert set(body) == {"items", "next_cursor"}, body
        items += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return items


async def assert_list_contract(
    client: httpx.AsyncClient,
    path: str,
    headers: dict[str, str],
    key: str | None = "id",
    **params: Any,
) -> list[dict[str, Any]]:
    """A list route keeps API.md's list contract: the ``{"items", "next_cursor"}``
    envelope, pages of ``limit`` that together give every item once in a stable order,
    ``limit`` outside 1-500 and a cursor it did not give → 422 naming the field. The
    list must hold at least two items (``key`` tells them apart; None: the whole item);
    returns them all."""

    def name(item: dict[str, Any]) -> str:
        return json.dumps(item, sort_keys=True) if key is None else str(item[key])

    whole = await client.get(path, params=params, headers=headers)
    assert whole.status_code == 200, whole.text
    assert set(whole.json()) == {"items", "next_cursor"}, whole.json()
    everything = await all_items(client, path, headers, **params)
    assert len(everything) >= 2, everything
    assert whole.json()["items"] == everything[:50]
    walked: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        query = {**params, "limit": 1, **({"cursor": cursor} if cursor else {})}
        page = await client.get(path, params=query, headers=headers)
        assert page.status_code == 200, page.text
        assert len(page.json()["items"]) <= 1
        walked += page.json()["items"]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
        assert len(walked) <= len(everything), "pages run past the end"
    assert [name(w) for w in walked] == [name(e) for e in everything]
    assert len({name(w) for w in walked}) == len(walked), "an item served twice"
    for limit in (0, 501):
        refused = await client.get(path, params={**params, "limit": limit}, headers=headers)
        assert refused.status_code == 422, (limit, refused.text)
        assert [e["field"] for e in refused.json()["errors"]] == ["limit"], refused.text
    # Not base64, and base64 of something no page of this list ends with.
    for cursor in ("%%%", "bm90LWEta2V5"):
        refused = await client.get(path, params={**params, "cursor": cursor}, headers=headers)
        assert refused.status_code == 422, (cursor, refused.text)
        assert [e["field"] for e in refused.json()["errors"]] == ["cursor"], refused.text
    return everything


def content_streams(pdf: bytes) -> list[bytes]:
    """The PDF's compressed streams (page contents, fonts), uncompressed, in order.

    pydyf writes ``stream``, the data and ``endstream`` joined by a bare newline, so the
    newline before ``endstream`` is the only byte dropped: compressed data may itself end
    in a carriage return."""
    return [
        zlib.decompress(match.group(1))
        for match in re.finditer(rb"stream\n(.*?)\nendstream", pdf, re.S)
        if match.group(1)[:1] == b"x"
    ]


def render_noting_memo(html: str, enabled: frozenset[str]) -> tuple[bytes, Any]:
    """``html`` rendered to PDF with the fast paths ``enabled``
    (``service.reports.fastpaths``), and the memo of that render: what each fast path
    did in it."""
    from service.reports import fastpaths, render

    memos: list[fastpaths.Memo] = []
    rendering = fastpaths.rendering

    @contextmanager
    def noted() -> Iterator[fastpaths.Memo]:
        with rendering() as memo:
            memos.append(memo)
            yield memo

    saved = fastpaths.ENABLED
    fastpaths.ENABLED = enabled
    fastpaths.rendering = noted  # type: ignore[assignment]
    try:
        pdf = render.write_pdf(html)
    finally:
        fastpaths.rendering = rendering  # type: ignore[assignment]
        fastpaths.ENABLED = saved
    (memo,) = memos
    return pdf, memo


def bureau_caller(district: uuid.UUID, username: str = "bureau") -> Caller:
    """A bureau clerk of ``district`` as the batch paths take one (no account behind it)."""
    return Caller(
        id=uuid.uuid4(),
        username=username,
        role=BUREAU,
        district_id=district,
        org_id=None,
        owner_id=None,
        committee_community_id=None,
    )
