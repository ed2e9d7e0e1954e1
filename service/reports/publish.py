"""The yearly fund statement as published (165号令 art. 33): one community's PDF, or every
community's in a batch (``changxiao report fund-statements``, the yearly job).

The stable entry points for callers outside this package (the API, the CLI, jobs):
- ``await render_fund_statement(community_id, year, owner_id=None) -> StatementPdf``
- ``await render_fund_statements(year, out_dir, community_ids=None, workers=2,
  progress=None) -> list[Path]``

A batch reads each statement in this process (set-based queries, milliseconds) and
hands the finished HTML to a pool of worker processes, which only run WeasyPrint: the
CPU-bound part uses every core, and no worker touches the database.
"""

from __future__ import annotations

import asyncio
import gc
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

from service.db import fetch
from service.funds.witness import record_seen_head
from service.reports import fund_statement, render

TEMPLATE = "documents/fund_statement.html"


@dataclass(frozen=True)
class StatementPdf:
    """A rendered statement: the PDF and what it was built from."""

    content: bytes
    community_id: UUID
    community_code: str
    community_name: str
    year: int
    chain_seq: int
    chain_head: str

    @property
    def file_name(self) -> str:
        """An ASCII file name (``fund-statement-XQ001-2026.pdf``)."""
        return f"fund-statement-{self.community_code}-{self.year}.pdf"


async def statement_html(
    community_id: UUID, year: int, owner_id: UUID | None = None
) -> tuple[fund_statement.Statement, str]:
    """The statement's data and its HTML; the head it shows is witnessed (reason
    ``statement``), as every published statement's is."""
    header = await fund_statement.community_header(community_id)
    statement = await fund_statement.build_statement(header, year, owner_id=owner_id)
    await record_seen_head(community_id, statement.chain_seq, statement.chain_head, "statement")
    return statement, render.render_html(TEMPLATE, {"s": statement})


async def render_fund_statement(
    community_id: UUID, year: int, owner_id: UUID | None = None
) -> StatementPdf:
    """One community's statement of ``year`` as a PDF (off the event loop, one render at
    a time). ``owner_id``: an owner's view (only that owner's household lines)."""
    statement, html = await statement_html(community_id, year, owner_id)
    content = await render.render_pdf_html(html)
    return StatementPdf(
        content=content,
        community_id=community_id,
        community_code=str(statement.community["code"]),
        community_name=str(statement.community["name"]),
        year=year,
        chain_seq=statement.chain_seq,
        chain_head=statement.chain_head,
    )


def _warm_worker() -> None:
    """A pool worker loads WeasyPrint, the fonts and the stylesheet once, then moves
    what it loaded out of the garbage collector's sight (``gc.freeze``): the
    collections during each statement then walk only that statement's objects."""
    render.write_pdf("<html><body>.</body></html>")
    gc.collect()
    gc.freeze()


def _write_file(html: str, path: str) -> str:
    Path(path).write_bytes(render.write_pdf(html))
    return path


def default_workers() -> int:
    return max(1, min(os.cpu_count() or 1, 4))


async def render_fund_statements(
    year: int,
    out_dir: Path,
    community_ids: list[UUID] | None = None,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[Path]:
    """Every community's (or ``community_ids``') statement of ``year`` written to
    ``out_dir`` as ``fund-statement-<code>-<year>.pdf``, rendered by a pool of
    ``workers`` processes; ``progress(done, total)`` after each file. Returns the paths
    in the communities' order."""
    if community_ids is None:
        rows = await fetch("SELECT id FROM community ORDER BY code")
        community_ids = [UUID(str(r["id"])) for r in rows]
    out_dir.mkdir(parents=True, exist_ok=True)
    total = len(community_ids)
    loop = asyncio.get_running_loop()
    done = 0
    # spawn: a worker starts clean, with none of this process's threads or connections.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        max_workers=workers or default_workers(), mp_context=context, initializer=_warm_worker
    ) as pool:
        pending: list[asyncio.Future[str]] = []
        for community_id in community_ids:
            statement, html = await statement_html(community_id, year)
            path = out_dir / f"fund-statement-{statement.community['code']}-{year}.pdf"
            pending.append(loop.run_in_executor(pool, _write_file, html, str(path)))
        if progress is not None:
            progress(0, total)
        for finished in asyncio.as_completed(pending):
            await finished
            done += 1
            if progress is not None:
                progress(done, total)
        paths = [Path(await future) for future in pending]
    return paths
