"""Smoke: the world builds and each role sees what it should."""

import httpx

from tests.support import World


async def test_committee_sees_only_its_community(client: httpx.AsyncClient, world: World) -> None:
    r = await client.get("/api/v1/communities", headers=world.h("committee"))
    assert r.status_code == 200
    assert [c["id"] for c in r.json()["items"]] == [world.ids["CA"]]
