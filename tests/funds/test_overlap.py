"""``ledger.post_overlapped``: the next group's rows are built while a group is written."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from service.funds import ledger


async def test_the_next_groups_rows_are_built_while_a_group_is_written(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each draft is hashed and turned into rows (``Postings.add``) as it comes, also while
    the previous group's write is in flight, and each full group's statements are made
    then too (``Postings.prepare``), so that a group is ready to go out the moment the
    previous one is answered; the groups are still written one after another, in the
    order made, and every draft is posted once."""
    events: list[str] = []
    answered = asyncio.Event()

    def add(self: ledger.Postings, draft: Any) -> None:
        events.append(f"add {draft}")
        self.entries.append((draft,))
        self.lines.append((draft,))

    async def write(self: ledger.Postings, *, at_commit: bool = False) -> list[Any]:
        names = [entry[0] for entry in self.entries]
        events.append(f"write {names}")
        # The database answers once the next drafts were made; a post_overlapped that
        # waited for the answer before making them fails here instead of hanging.
        await asyncio.wait_for(answered.wait(), 5)
        events.append(f"answered {names}")
        return names

    def prepare(self: ledger.Postings) -> None:
        if self.entries:
            events.append(f"prepare {[entry[0] for entry in self.entries]}")

    monkeypatch.setattr(ledger.Postings, "add", add)
    monkeypatch.setattr(ledger.Postings, "write", write)
    monkeypatch.setattr(ledger.Postings, "prepare", prepare)
    monkeypatch.setattr(ledger, "OVERLAP_GROUP_LINES", 2)

    async def drafts() -> AsyncIterator[Any]:
        for name in "abcde":
            if name == "d":
                answered.set()
            yield name
            await asyncio.sleep(0)

    posted = await ledger.post_overlapped(drafts())  # type: ignore[arg-type]
    assert posted == list("abcde")
    # c and d are made, hashed and turned into rows while a and b are being written, and
    # their statements made (``Postings.prepare``) before a and b are answered.
    assert events.index("add d") < events.index("answered ['a', 'b']")
    assert events.index("prepare ['c', 'd']") < events.index("answered ['a', 'b']")
    assert events.index("prepare ['a', 'b']") < events.index("write ['a', 'b']")
    # One write at a time, in the order made, each after the one before was answered.
    writes = [e for e in events if e.startswith(("write", "answered"))]
    assert writes == [
        "write ['a', 'b']",
        "answered ['a', 'b']",
        "write ['c', 'd']",
        "answered ['c', 'd']",
        "write ['e']",
        "answered ['e']",
    ]
