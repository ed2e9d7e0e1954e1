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


def test_no_two_dependencies_of_one_level_could_have_overlapped() -> None:
    """What makes resolving in order as fast as Litestar's task group, on every route:
    where a level holds more than one dependency, none of them awaits anything (a plain
    function, not a generator, not run in a thread). A new dependency that does I/O beside
    another on its level fails this test instead of quietly running in turn."""
    from litestar.routes import HTTPRoute

    from service.app import create_app

    app = create_app()
    levels = 0
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler, model in route.route_handler_map.values():
            for batch in model.dependency_batches:
                if len(batch) < 2:
                    continue
                levels += 1
                for dependency in batch:
                    provide = dependency.provide
                    assert provide.has_sync_callable, (handler, dependency.key)
                    assert not provide.sync_to_thread, (handler, dependency.key)
                    assert not provide.has_sync_generator_dependency, (handler, dependency.key)
                    assert not provide.has_async_generator_dependency, (handler, dependency.key)
    assert levels > 0  # the list routes' caller and paging
