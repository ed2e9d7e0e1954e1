"""No page shows a link its reader cannot follow: every link on the pages a role reaches
from its home (two clicks deep) answers 200 or a redirect, never 403, 404 or 500."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from tests.support import World
from tests.web.support import signed_in
from tests.web.test_page_scope import WHO

HREF = re.compile(r'href="(/[^"#?]*)[^"]*"')
# Files and documents are checked by their own tests; sign-out is a form, not a link.
SKIP = re.compile(r"^/(static|schema)|\.(pdf|xlsx|csv)$")


@pytest.mark.parametrize("role", sorted(WHO))
async def test_every_link_a_role_is_shown_can_be_followed(
    app: Any, client: httpx.AsyncClient, world: World, role: str
) -> None:
    page = await signed_in(app, client, world, WHO[role])
    seen: set[str] = set()
    broken: list[str] = []
    frontier = ["/"]
    async with page:
        for _ in range(3):
            found: list[str] = []
            for path in frontier:
                if path in seen:
                    continue
                seen.add(path)
                answer = await page.get(path)
                if answer.status_code not in (200, 302, 303):
                    broken.append(f"{path}: {answer.status_code}")
                    continue
                if answer.status_code in (302, 303):
                    found.append(answer.headers["location"])
                elif "text/html" in answer.headers.get("content-type", ""):
                    found += [h for h in HREF.findall(answer.text) if not SKIP.search(h)]
            frontier = [h for h in dict.fromkeys(found) if h not in seen][:60]
    assert not broken, broken
    assert len(seen) > 3, seen
