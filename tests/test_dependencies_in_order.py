"""Route dependencies are resolved one after another (``service.http``): a list route's
``caller`` and ``paging`` no longer cost an anyio task group per request, and what they
answer is unchanged."""

from __future__ import annotations

from typing import Any

import httpx
import litestar._kwargs.kwargs_model
import pytest

from tests.support import World


def _no_task_group(*_: Any, **__: Any) -> Any:
    raise AssertionError("dependencies were resolved in a task group")


async def test_a_list_route_resolves_its_dependencies_without_a_task_group(
    client: httpx.AsyncClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(litestar._kwargs.kwargs_model, "create_task_group", _no_task_group)
    household = world.ids["h1"]
    page = await client.get(
        f"/api/v1/households/{household}/fund/entries",
        params={"limit": 1},
        headers=world.h("bureau"),
    )
    assert page.status_code == 200, page.text
    assert set(page.json()) == {"items", "next_cursor"}
    # caller + access (scope, awaited) + paging, on two levels.
    communities = await client.get(
        "/api/v1/communities", params={"limit": 2}, headers=world.h("bureau")
    )
    assert communities.status_code == 200, communities.text
    assert len(communities.json()["items"]) <= 2


@pytest.mark.parametrize(
    ("params", "field"),
    [({"limit": "0"}, "limit"), ({"limit": "abc"}, "limit"), ({"cursor": "%%%"}, "cursor")],
)
async def test_a_bad_page_is_still_refused_naming_its_field(
    client: httpx.AsyncClient, world: World, params: dict[str, str], field: str
) -> None:
    answer = await client.get(
        f"/api/v1/households/{world.ids['h1']}/fund/entries",
        params=params,
        headers=world.h("bureau"),
    )
    assert answer.status_code in (400, 422), answer.text
    assert field in answer.text
