"""``household_scope_sql`` (the scope inside a read's own statement) sees exactly the
households ``resolve_scope(...).households()`` sees, for every role of the test world."""

from __future__ import annotations

import uuid

import httpx
import pytest

from service.auth.scope import household_scope_sql, resolve_scope
from service.auth.tokens import load_caller
from service.db import fetch
from service.registry.tables import Household
from tests.support import World

WHO = ("bureau", "auditor", "company", "committee", "contractor", "owner1", "owner2")


@pytest.mark.parametrize("who", WHO)
async def test_the_sql_scope_sees_what_the_scope_layer_sees(
    client: httpx.AsyncClient, world: World, who: str
) -> None:
    me = (await client.get("/api/v1/auth/me", headers=world.h(who))).json()
    caller = await load_caller(uuid.UUID(me["id"]))
    assert caller is not None
    scope = await resolve_scope(caller)
    expected = {r["id"] for r in await Household.select(Household.id).where(scope.households())}
    condition, args = household_scope_sql(caller)
    rows = await fetch(f"SELECT h.id FROM household AS h WHERE {condition}", *args)
    seen = {uuid.UUID(str(r["id"])) for r in rows}
    assert seen == expected
    assert seen  # not vacuous: every role sees some of the world's households
