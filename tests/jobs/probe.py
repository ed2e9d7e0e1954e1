"""Probe jobs for the multi-process tests (``CHANGXIAO_JOB_MODULES=tests.jobs.probe``).

Each writes ``start``/``end`` lines (job, period, attempt, pid) to ``$PROBE_DIR/runs.log``;
``probe-slow`` hangs on the first run any process starts (the test kills that process).
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from jobs.catalog import Job
from jobs.runs import Period


def _line(kind: str, period: Period) -> None:
    text = f"{kind} {period.job} {period.name} {period.attempt} {os.getpid()}\n"
    fd = os.open(Path(os.environ["PROBE_DIR"]) / "runs.log", os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


async def fast(period: Period) -> dict[str, int]:
    _line("start", period)
    await asyncio.sleep(0.2)
    _line("end", period)
    return {"probed": 1}


async def slow(period: Period) -> dict[str, int]:
    _line("start", period)
    try:
        fd = os.open(Path(os.environ["PROBE_DIR"]) / "hung", os.O_WRONLY | os.O_CREAT | os.O_EXCL)
    except FileExistsError:
        fd = -1
    if fd >= 0:
        os.write(fd, f"{os.getpid()} {period.name}".encode())
        os.close(fd)
        await asyncio.sleep(600)  # the test kills this process here
    _line("end", period)
    return {"probed": 1}


JOBS = [
    Job("probe-fast", "probe: every two seconds", "*/2 * * * * *", fast),
    Job("probe-slow", "probe: hangs once", "*/3 * * * * *", slow),
]
