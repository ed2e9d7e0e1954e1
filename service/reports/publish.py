"""The yearly fund statement as published (165号令 art. 33): one community's PDF, or every
community's in a batch (``changxiao report fund-statements``, the yearly job).

The stable entry points for callers outside this package (the API, the CLI, jobs):
- ``await render_fund_statement(community_id, year, owner_id=None) -> StatementPdf``
- ``await render_fund_statements(year, out_dir, community_ids=None, workers=2,
  progress=None, file_name=statement_file_name) -> list[Path]``

A batch reads its statements in this process, ``READ_CHUNK`` communities at a time by a
few set-based queries (``fund_statement.build_statements``; the heads they show
witnessed in one transaction), and hands the finished HTML to a pool of worker
processes, which only run WeasyPrint: the CPU-bound part uses every core, and no worker
touches the database. The workers fork from a server process that imported the service
and warmed WeasyPrint once (``pool_context``).
"""

from __future__ import annotations

import asyncio
import gc
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import forkserver
from pathlib import Path
from uuid import UUID

from service.db import fetch
from service.funds.witness import record_seen_head, record_seen_heads
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


async def statements_html(
    community_ids: list[UUID], year: int
) -> list[tuple[fund_statement.Statement, str]]:
    """``statement_html`` of each of ``community_ids`` (published views), read together:
    the statements by a few set-based queries, the heads they show witnessed in one
    transaction."""
    headers = await fund_statement.community_headers(community_ids)
    statements = await fund_statement.build_statements(headers, year)
    await record_seen_heads(
        [
            (community_id, s.chain_seq, s.chain_head)
            for community_id, s in zip(community_ids, statements, strict=True)
        ],
        "statement",
    )
    return [(s, render.render_html(TEMPLATE, {"s": s})) for s in statements]


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


# Statements read together (one round of queries): small enough that the workers get
# their first statements while the parent still reads, large enough to be few queries.
READ_CHUNK = 50

_warm = False


def _warm_worker() -> None:
    """A pool worker loads WeasyPrint, the fonts and the stylesheet once, then moves
    what it loaded out of the garbage collector's sight (``gc.freeze``): the
    collections during each statement then walk only that statement's objects. A
    worker forked from the warmed pool server (``service.reports.pool_server``) has
    all this already."""
    global _warm
    if _warm:
        return
    render.write_pdf("<html><body>.</body></html>")
    gc.collect()
    gc.freeze()
    _warm = True


def _write_file(html: str, path: str) -> str:
    """Write the PDF under a temporary name first: a file with the final name is whole."""
    target = Path(path)
    partial = target.with_name(target.name + ".part")
    partial.write_bytes(render.write_pdf(html))
    partial.replace(target)
    return path


def default_workers() -> int:
    return max(1, min(os.cpu_count() or 1, 4))


def pool_context() -> multiprocessing.context.BaseContext:
    """How pool workers start: forked from a server process that has imported the
    service and warmed WeasyPrint once (``forkserver`` preloading
    ``service.reports.pool_server``), so each worker starts warm instead of paying
    the import and the warm-up itself. The server is a fresh interpreter (exec'd, only
    its own pipe kept open): neither it nor a worker forked from it holds a database
    connection, an event loop or a thread of this process. Started here, it warms while
    this process reads the statements. Where there is no forkserver: spawn."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    # Only the server's first start reads the preload list; a server already running
    # (started by this process before, with or without it) serves as it is.
    context.set_forkserver_preload(["service.reports.pool_server"])
    forkserver.ensure_running()
    return context


_batches = 0  # batches of this process using the pool server now


def _stop_pool_server() -> None:
    """Stop the pool server when no batch uses it any more, and wait for it: its and
    its workers' CPU time then count as this process's children's (``time``, the
    bench), and no idle warmed server lingers in a long-running process (the jobs'
    scheduler). ``ForkServer._stop`` is CPython's own (used by its tests)."""
    stop = getattr(forkserver._forkserver, "_stop", None)
    if _batches == 0 and stop is not None:
        stop()


def statement_file_name(statement: fund_statement.Statement) -> str:
    """``fund-statement-<code>-<year>.pdf``."""
    return f"fund-statement-{statement.community['code']}-{statement.year}.pdf"


async def render_fund_statements(
    year: int,
    out_dir: Path,
    community_ids: list[UUID] | None = None,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    file_name: Callable[[fund_statement.Statement], str] = statement_file_name,
) -> list[Path]:
    """Every community's (or ``community_ids``') statement of ``year`` written to
    ``out_dir`` as ``file_name(statement)`` (``fund-statement-<code>-<year>.pdf``),
    rendered by a pool of ``workers`` processes; ``progress(done, total)`` after each
    file. Returns the paths in the communities' order.

    This process reads the statements ``READ_CHUNK`` communities at a time
    (``statements_html``) and hands each chunk's HTML to the pool at once."""
    if community_ids is None:
        rows = await fetch("SELECT id FROM community ORDER BY code")
        community_ids = [UUID(str(r["id"])) for r in rows]
    out_dir.mkdir(parents=True, exist_ok=True)
    total = len(community_ids)
    if progress is not None:
        progress(0, total)
    if not community_ids:
        return []
    global _batches
    loop = asyncio.get_running_loop()
    done = 0
    _batches += 1
    try:
        with ProcessPoolExecutor(
            max_workers=workers or default_workers(),
            mp_context=pool_context(),
            initializer=_warm_worker,
        ) as pool:
            pending: list[asyncio.Future[str]] = []
            for start in range(0, total, READ_CHUNK):
                chunk = community_ids[start : start + READ_CHUNK]
                read = await statements_html(chunk, year)
                # Longest first, so that the batch does not end waiting on one large
                # statement while the other workers idle; the paths keep their order.
                submitted: dict[int, asyncio.Future[str]] = {}
                for index in sorted(range(len(read)), key=lambda i: -len(read[i][1])):
                    statement, html = read[index]
                    path = out_dir / file_name(statement)
                    submitted[index] = loop.run_in_executor(pool, _write_file, html, str(path))
                pending.extend(submitted[index] for index in range(len(read)))
            for finished in asyncio.as_completed(pending):
                await finished
                done += 1
                if progress is not None:
                    progress(done, total)
            paths = [Path(await future) for future in pending]
    finally:
        _batches -= 1
        _stop_pool_server()
    return paths
