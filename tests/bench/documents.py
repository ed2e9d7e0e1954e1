"""How long the yearly fund statement takes and how big it is, on a seeded demo district.

    DATABASE_URL=sqlite:///var/demo.sqlite3 .venv/bin/python -m tests.bench.documents \\
        [--year 2026] [--limit N] [--sequential] [--workers 2]

One statement (the demo committee's community): one cold render, then ``--rounds`` warm
renders in the same process, wall-clock and CPU time of the PDF step (the data is read
once, before). Then the batch: every community's statement (or the first ``--limit``) to
PDF files, through ``changxiao report fund-statements``' code path (a process pool), or
with ``--sequential`` one after another in this process (how it was done before the pool).
The machine is shared: the load average is printed with the numbers, and CPU time is the
figure that other work on the machine disturbs least.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any
from uuid import UUID

from tests.bench.common import machine


def pages_of(pdf: bytes) -> int:
    info = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True).stdout
    for line in info.decode().splitlines():
        if line.startswith("Pages:"):
            return int(line.split()[1])
    return 0


async def one_statement(community_id: UUID, year: int, rounds: int) -> dict[str, Any]:
    from service.reports import fund_statement, render

    header = await fund_statement.community_header(community_id)
    statement = await fund_statement.build_statement(header, year)
    walls: list[float] = []
    cpus: list[float] = []
    pdf = b""
    for _ in range(rounds + 1):
        wall, cpu = time.perf_counter(), time.process_time()
        pdf = render.render_pdf_sync("documents/fund_statement.html", {"s": statement})
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return {
        "households": len(statement.lines),
        "pages": pages_of(pdf),
        "bytes": len(pdf),
        "cold_wall": walls[0],
        "cold_cpu": cpus[0],
        "warm_wall": statistics.median(walls[1:]),
        "warm_cpu": statistics.median(cpus[1:]),
    }


async def three_page_community(year: int) -> UUID | None:
    """A community whose statement is three A4 pages (the issue's yardstick), trying the
    communities nearest 45 households first; None if none is."""
    from service.db import fetch
    from service.reports import fund_statement, render

    rows = await fetch(
        "SELECT c.id AS id, count(h.id) AS n FROM community AS c"
        " JOIN building AS b ON b.community = c.id JOIN household AS h ON h.building = b.id"
        " GROUP BY c.id ORDER BY abs(count(h.id) - 45), c.id"
    )
    for row in rows[:12]:
        community = UUID(str(row["id"]))
        header = await fund_statement.community_header(community)
        statement = await fund_statement.build_statement(header, year)
        pdf = render.render_pdf_sync("documents/fund_statement.html", {"s": statement})
        if pages_of(pdf) == 3:
            return community
    return None


async def batch(
    year: int, out: Path, limit: int | None, sequential: bool, workers: int
) -> dict[str, Any]:
    from service.db import fetch
    from service.reports import fund_statement, render

    rows = await fetch("SELECT id, code FROM community ORDER BY code")
    chosen = rows if limit is None else rows[:limit]
    wall = time.perf_counter()
    cpu_self = resource.getrusage(resource.RUSAGE_SELF)
    cpu_children = resource.getrusage(resource.RUSAGE_CHILDREN)
    sizes: list[int] = []
    if sequential:
        for row in chosen:
            header = await fund_statement.community_header(UUID(str(row["id"])))
            statement = await fund_statement.build_statement(header, year)
            pdf = render.render_pdf_sync("documents/fund_statement.html", {"s": statement})
            (out / f"{row['code']}.pdf").write_bytes(pdf)
            sizes.append(len(pdf))
    else:
        from service.reports.publish import render_fund_statements

        written = await render_fund_statements(
            year, out, community_ids=[UUID(str(r["id"])) for r in chosen], workers=workers
        )
        sizes = [path.stat().st_size for path in written]
    seconds = time.perf_counter() - wall
    after_self = resource.getrusage(resource.RUSAGE_SELF)
    after_children = resource.getrusage(resource.RUSAGE_CHILDREN)

    def spent(field: str) -> float:
        return sum(
            getattr(after, field) - getattr(before, field)
            for after, before in ((after_self, cpu_self), (after_children, cpu_children))
        )

    return {
        "statements": len(chosen),
        "seconds": seconds,
        "cpu": spent("ru_utime") + spent("ru_stime"),
        "system": spent("ru_stime"),
        "total_bytes": sum(sizes),
        "largest": max(sizes, default=0),
    }


def met(ok: bool) -> str:
    return "met" if ok else "NOT met"


async def run(args: argparse.Namespace) -> None:
    from service.db import close_database, fetch, open_database

    await open_database()
    try:
        found = await fetch(
            "SELECT o.community AS community FROM account AS a"
            " JOIN organization AS o ON o.id = a.organization WHERE a.username = 'committee'"
        )
        community = UUID(str(found[0]["community"]))
        print("machine:", machine())
        single = await one_statement(community, args.year, args.rounds)
        print(
            f"one statement: {single['households']} households, {single['pages']} pages,"
            f" {single['bytes']:,} bytes; cold {single['cold_wall']:.2f} s wall"
            f" ({single['cold_cpu']:.2f} s CPU); warm median {single['warm_wall']:.3f} s wall"
            f" ({single['warm_cpu']:.3f} s CPU)"
        )
        three = await three_page_community(args.year)
        if three is not None:
            single = await one_statement(three, args.year, args.rounds)
            print(
                f"three-page statement: {single['households']} households, {single['pages']}"
                f" pages, {single['bytes']:,} bytes; warm median {single['warm_wall']:.3f} s wall"
                f" ({single['warm_cpu']:.3f} s CPU)"
            )
            print(
                f"  aim (issue 14): <= 0.300 s warm: {met(single['warm_wall'] <= 0.3)};"
                f" <= 150 KB for three pages: {met(single['bytes'] <= 150 * 1024)}"
            )
        if args.limit == 0:
            return
        with tempfile.TemporaryDirectory(prefix="changxiao-statements-") as folder:
            result = await batch(args.year, Path(folder), args.limit, args.sequential, args.workers)
        mode = "sequential" if args.sequential else f"process pool of {args.workers}"
        print(
            f"batch ({mode}): {result['statements']} statements in {result['seconds']:.1f} s"
            f" wall, {result['cpu']:.1f} s CPU in all processes (on two idle cores:"
            f" about {result['cpu'] / 2:.1f} s),"
            f" {result['total_bytes']:,} bytes in all, largest {result['largest']:,} bytes;"
            f" of the CPU {result['system']:.1f} s in the kernel"
        )
        if result["statements"] >= 126 and not args.sequential:
            print(
                f"  aim (issue 14): the district's {result['statements']} statements in <= 20 s"
                f" on two cores: {met(result['seconds'] <= 20)} ({result['seconds']:.1f} s)"
            )
        print("load average after:", machine()["loadavg"])
    finally:
        await close_database()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.documents", description=__doc__)
    parser.add_argument("--year", type=int, default=2026)
    parser.add_argument("--rounds", type=int, default=5, help="warm renders of one statement")
    parser.add_argument("--limit", type=int, default=None, help="statements in the batch (0: none)")
    parser.add_argument("--sequential", action="store_true", help="no process pool (the old way)")
    parser.add_argument("--workers", type=int, default=2)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
