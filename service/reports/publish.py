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
import tempfile
import threading
import time
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


def _warm_worker(batch_pid: int | None = None) -> None:
    """A pool worker loads WeasyPrint, the fonts and the stylesheet once, then moves
    what it loaded out of the garbage collector's sight (``gc.freeze``): the
    collections during each statement then walk only that statement's objects. A
    worker forked from the warmed pool server (``service.reports.pool_server``) has
    all this already."""
    global _warm
    if batch_pid is not None:
        threading.Thread(target=_leave_with, args=(batch_pid,), daemon=True).start()
    if _warm:
        return
    render.write_pdf("<html><body>.</body></html>")
    gc.collect()
    gc.freeze()
    _warm = True


def _leave_with(batch_pid: int) -> None:
    """End this worker when the process whose batch it serves is gone (killed, say):
    a worker waiting for work would otherwise wait for ever, and keep the pool server up."""
    while True:
        time.sleep(1.0)
        try:
            os.kill(batch_pid, 0)
        except ProcessLookupError:
            os._exit(1)
        except PermissionError:
            pass


def _write_file(html: str, path: str) -> str:
    """Write the PDF under a temporary name of its own first (two batches writing the same
    file never share one): a file with the final name is whole."""
    target = Path(path)
    content = render.write_pdf(html)
    handle, partial = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
        os.replace(partial, target)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
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
    """Stop the pool server (no batch uses it any more), and wait for it: its and
    its workers' CPU time then count as this process's children's (``time``, the
    bench), and no idle warmed server lingers in a long-running process (the jobs'
    scheduler). ``ForkServer._stop`` is CPython's own (used by its tests)."""
    stop = getattr(forkserver._forkserver, "_stop", None)
    if stop is not None:
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
    file. Returns the paths in the communities' order. The first statement that fails
    stops the batch: the statements not started are dropped and the error is raised
    without waiting for those in the workers' hands."""
    results = await _render_batch(
        year, out_dir, community_ids, workers, progress, file_name, fail_fast=True
    )
    return [result for result in results if isinstance(result, Path)]


async def render_fund_statements_each(
    year: int,
    out_dir: Path,
    community_ids: list[UUID],
    workers: int | None = None,
    file_name: Callable[[fund_statement.Statement], str] = statement_file_name,
) -> list[Path | Exception]:
    """``render_fund_statements`` that goes on past a statement that fails: each
    community's path, or the error its statement met, in the communities' order (the
    yearly job publishes the others and reports these)."""
    return await _render_batch(
        year, out_dir, community_ids, workers, None, file_name, fail_fast=False
    )


# Statements handed to the pool and not yet written, at most: the batch reads the next
# chunk only below this, so that its memory does not grow with the number of communities.
MAX_IN_FLIGHT = 2 * READ_CHUNK


async def _render_batch(
    year: int,
    out_dir: Path,
    community_ids: list[UUID] | None,
    workers: int | None,
    progress: Callable[[int, int], None] | None,
    file_name: Callable[[fund_statement.Statement], str],
    *,
    fail_fast: bool,
) -> list[Path | Exception]:
    """The batch: this process reads the statements ``READ_CHUNK`` communities at a time
    (``statements_html``) and hands each chunk's HTML to the pool, longest first, reading
    the next chunk once fewer than ``MAX_IN_FLIGHT`` statements are in the pool's hands."""
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
    pending: list[asyncio.Future[str]] = []
    # Futures whose ``finished`` has run. A future reads as done before its callbacks
    # have run (they are scheduled when it completes), so the batch counts a statement
    # finished only here: it returns, or reads the next chunk, only after the progress
    # of every statement it counts has been reported.
    counted: set[asyncio.Future[str]] = set()

    def finished(future: asyncio.Future[str]) -> None:
        counted.add(future)
        if progress is not None and not future.cancelled():
            progress(len(counted), total)

    async def settle(limit: int) -> None:
        """Wait until at most ``limit`` statements are unfinished; with ``fail_fast``,
        raise the first failure."""
        while True:
            unfinished = [future for future in pending if future not in counted]
            if fail_fast:
                for future in pending:
                    if future.done() and not future.cancelled():
                        error = future.exception()
                        if error is not None:
                            raise error
            if len(unfinished) <= limit:
                return
            await asyncio.wait(unfinished, return_when=asyncio.FIRST_COMPLETED)

    _batches += 1
    pool = ProcessPoolExecutor(
        max_workers=workers or default_workers(),
        mp_context=pool_context(),
        initializer=_warm_worker,
        initargs=(os.getpid(),),
    )
    try:
        for start in range(0, total, READ_CHUNK):
            await settle(MAX_IN_FLIGHT - READ_CHUNK)
            chunk = community_ids[start : start + READ_CHUNK]
            read = await statements_html(chunk, year)
            # Longest first, so that the batch does not end waiting on one large
            # statement while the other workers idle; the paths keep their order.
            submitted: dict[int, asyncio.Future[str]] = {}
            for index in sorted(range(len(read)), key=lambda i: -len(read[i][1])):
                statement, html = read[index]
                path = out_dir / file_name(statement)
                submitted[index] = loop.run_in_executor(pool, _write_file, html, str(path))
                submitted[index].add_done_callback(finished)
            pending.extend(submitted[index] for index in range(len(read)))
        await settle(0)
    except BaseException:
        # A failure, a cancellation: drop what has not started, do not wait for the
        # statements in the workers' hands (the event loop must go on serving), and
        # collect the errors already there so that none is reported as never retrieved.
        for future in pending:
            if not future.done():
                future.cancel()
            elif not future.cancelled():
                future.exception()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    else:
        pool.shutdown(wait=True)
    finally:
        _batches -= 1
        if _batches == 0:
            _stop_pool_server()
    results: list[Path | Exception] = []
    for future in pending:
        error = future.exception()
        if error is None:
            results.append(Path(future.result()))
        elif isinstance(error, Exception):
            results.append(error)
        else:
            raise error
    return results
