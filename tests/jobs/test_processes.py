"""Jobs across processes: three `changxiao worker` processes on one PostgreSQL run each
(job, period) once and take over a run whose process was killed; three racing
`changxiao jobs run NAME --period P` leave one run in the history."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from jobs.catalog import _builtin
from service.db import fetch
from tests.conftest import IS_POSTGRES

pytestmark = pytest.mark.usefixtures("database")
ROOT = Path(__file__).resolve().parents[2]


def _environment(probe_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "PROBE_DIR": str(probe_dir),
        "CHANGXIAO_JOB_MODULES": "tests.jobs.probe",
        # Only the probes: the built-in jobs have tests of their own.
        "CHANGXIAO_JOBS_DISABLED": ",".join(job.name for job in _builtin()),
        "CHANGXIAO_JOB_LEASE_SECONDS": "2",
        "CHANGXIAO_JOB_POLL_SECONDS": "1",
        "CHANGXIAO_JOB_RETRY_SECONDS": "0",
        "CHANGXIAO_JOB_MAX_ATTEMPTS": "3",
    }


def _cli(*args: str, probe_dir: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "service.cli", *args],
        cwd=ROOT,
        env=_environment(probe_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _log(probe_dir: Path) -> list[tuple[str, str, str, int, int]]:
    path = probe_dir / "runs.log"
    if not path.exists():
        return []
    lines = []
    for line in path.read_text().splitlines():
        kind, job, period, attempt, pid = line.split()
        lines.append((kind, job, period, int(attempt), int(pid)))
    return lines


async def _until(condition: object, limit: float = 120.0) -> None:
    """Poll ``condition`` (an async callable) until true; fail after ``limit`` seconds."""
    waited = 0.0
    while not await condition():  # type: ignore[operator]
        if waited >= limit:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.5)
        waited += 0.5


@pytest.mark.skipif(not IS_POSTGRES, reason="three schedulers share a PostgreSQL database")
async def test_three_workers_run_each_period_once_and_take_over_a_killed_run(
    tmp_path: Path,
) -> None:
    await fetch("DELETE FROM job_run WHERE job IN ('probe-fast', 'probe-slow')")
    workers = [_cli("worker", probe_dir=tmp_path) for _ in range(3)]
    try:
        hung = tmp_path / "hung"

        async def someone_hangs() -> bool:
            return hung.exists() and bool(hung.read_text().strip())

        await _until(someone_hangs)
        killed_pid, hung_period = hung.read_text().split()
        os.kill(int(killed_pid), signal.SIGKILL)

        async def taken_over_and_more_ran() -> bool:
            rows = await fetch(
                "SELECT status FROM job_run WHERE job = 'probe-slow' AND slot = {}", hung_period
            )
            done_fast = await fetch(
                "SELECT COUNT(*) AS n FROM job_run WHERE job = 'probe-fast' AND status = 'done'"
            )
            return bool(rows) and rows[0]["status"] == "done" and int(done_fast[0]["n"]) >= 5

        await _until(taken_over_and_more_ran)
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
        for worker in workers:
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()

    lines = _log(tmp_path)
    ends = Counter((job, period) for kind, job, period, _, _ in lines if kind == "end")
    assert ends, "no probe ran"
    assert max(ends.values()) == 1, [k for k, n in ends.items() if n > 1]
    rows = await fetch(
        "SELECT job, slot, status, attempt FROM job_run WHERE job IN ('probe-fast', 'probe-slow')"
    )
    done = {(r["job"], r["slot"]) for r in rows if r["status"] == "done"}
    # Every period recorded done ran to its end exactly once, and every end is recorded.
    assert done == set(ends)
    hung_runs = [line for line in lines if line[1] == "probe-slow" and line[2] == hung_period]
    starts = sorted((attempt, pid) for kind, _, _, attempt, pid in hung_runs if kind == "start")
    assert [attempt for attempt, _ in starts] == [1, 2]
    assert starts[0][1] == int(killed_pid) and starts[1][1] != int(killed_pid)
    assert [(a, p) for kind, _, _, a, p in hung_runs if kind == "end"] == [starts[1]]
    row = next(r for r in rows if r["job"] == "probe-slow" and r["slot"] == hung_period)
    assert (row["status"], row["attempt"]) == ("done", 2)


async def test_three_racing_job_runs_for_one_period_leave_one_run(tmp_path: Path) -> None:
    period = "2026-03-01T08:00:00"
    await fetch("DELETE FROM job_run WHERE job = 'probe-fast' AND slot = {}", period)
    racers = [
        _cli("jobs", "run", "probe-fast", "--period", period, probe_dir=tmp_path) for _ in range(3)
    ]
    outputs = [racer.communicate(timeout=120) for racer in racers]
    assert [racer.returncode for racer in racers] == [0, 0, 0], outputs
    ran = [out for out, _ in outputs if "probed=1" in out]
    assert len(ran) == 1, outputs
    ends = [line for line in _log(tmp_path) if line[0] == "end" and line[2] == period]
    assert len(ends) == 1
    history = _cli("jobs", "history", "probe-fast", probe_dir=tmp_path)
    out, err = history.communicate(timeout=120)
    assert history.returncode == 0, err
    assert sum(1 for line in out.splitlines() if f" {period} " in line) == 1
    # The structured log: one JSON line at the start and one at the end of the run.
    _, err = next((o, e) for o, e in outputs if "probed=1" in o)
    assert '"event": "job.start"' in err and '"event": "job.end"' in err
