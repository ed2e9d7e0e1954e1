"""Never forgotten: missed periods caught up once each, oldest first (an injected clock
stops everything for a month); failed and abandoned runs retried with backoff, bounded."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
import pytest

from jobs.catalog import Job
from jobs.periods import BadPeriod, period_name, recent_fires, resolve_period
from jobs.runs import Period, execute
from jobs.scheduler import catch_up, retry_due
from service.clock import DISTRICT_ZONE, use_clock
from service.config import get_settings
from service.db import fetch
from tests.support import World, unique

pytestmark = pytest.mark.usefixtures("database")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=DISTRICT_ZONE)


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def job(self, name: str, schedule: str) -> Job:
        async def work(period: Period) -> dict[str, int]:
            self.calls.append((period.job, period.name))
            return {"ran": 1}

        return Job(name, name, schedule, work)


async def test_a_month_stopped_is_caught_up_once_per_period_oldest_first() -> None:
    recorder = Recorder()
    daily = recorder.job(unique("daily-"), "0 3 * * *")
    monthly = recorder.job(unique("monthly-"), "0 9 1 * *")
    jobs = [daily, monthly]
    with use_clock(lambda: at("2031-03-01T12:00")):
        # Never run before: only the latest period of each.
        assert await catch_up(jobs=jobs) == 2
    assert recorder.calls == [
        (daily.name, "2031-03-01T03:00"),
        (monthly.name, "2031-03-01T09:00"),
    ]
    recorder.calls.clear()
    with use_clock(lambda: at("2031-04-01T12:00")):  # everything stopped for a month
        assert await catch_up(jobs=jobs) == 32
        assert await catch_up(jobs=jobs) == 0  # a second start finds nothing missed
    days = [(daily.name, f"2031-03-{d:02d}T03:00") for d in range(2, 32)]
    assert recorder.calls == [
        *days,
        (daily.name, "2031-04-01T03:00"),
        (monthly.name, "2031-04-01T09:00"),
    ]
    rows = await fetch(
        "SELECT job, slot, status, cause FROM job_run WHERE job IN ({}, {})",
        daily.name,
        monthly.name,
    )
    assert len(rows) == 34 == len({(r["job"], r["slot"]) for r in rows})
    assert {r["status"] for r in rows} == {"done"}
    assert {r["cause"] for r in rows} == {"catch_up"}


async def test_a_failed_run_is_retried_after_its_backoff_and_given_up_after_the_last_attempt(
    monkeypatch: pytest.MonkeyPatch, client: httpx.AsyncClient, world: World
) -> None:
    settings = get_settings()
    monkeypatch.setattr(settings, "job_retry_seconds", 60)
    monkeypatch.setattr(settings, "job_max_attempts", 3)
    attempts: list[int] = []

    async def broken(period: Period) -> dict[str, int]:
        attempts.append(period.attempt)
        raise RuntimeError("the bank's file is missing")

    job = Job(unique("broken-"), "broken", "0 9 * * *", broken)
    start = at("2031-05-10T09:00")
    moment = [start]
    with use_clock(lambda: moment[0]):
        outcome = await execute(job.name, "2031-05-10T09:00", job.work, start)
        assert outcome is not None and outcome.startswith("failed: the bank")
        moment[0] = start + timedelta(seconds=30)  # backoff not over
        assert await retry_due([job]) == 0
        moment[0] = start + timedelta(seconds=61)
        assert await retry_due([job]) == 1
        moment[0] += timedelta(seconds=90)  # the second backoff is 120 s
        assert await retry_due([job]) == 0
        moment[0] += timedelta(seconds=31)
        assert await retry_due([job]) == 1
        moment[0] += timedelta(days=1)
        assert await retry_due([job]) == 0  # three attempts spent
    assert attempts == [1, 2, 3]
    row = (
        await fetch(
            "SELECT status, attempt, next_retry_at, error FROM job_run WHERE job = {}", job.name
        )
    )[0]
    assert (row["status"], row["attempt"], row["next_retry_at"]) == ("failed", 3, None)
    assert "the bank's file is missing" in row["error"]
    # The bureau reads the failed run (a claim's counts are JSON from its first insert).
    runs = await client.get(f"/api/v1/jobs/runs?job={job.name}", headers=world.h("auditor"))
    assert runs.status_code == 200, runs.text
    [listed] = runs.json()["items"]
    assert (listed["status"], listed["attempt"], listed["counts"]) == ("failed", 3, {})


async def test_a_run_whose_process_died_shows_failed_and_is_taken_over_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(get_settings(), "job_retry_seconds", 0)
    recorder = Recorder()
    job = recorder.job(unique("orphan-"), "0 9 * * *")
    started = at("2031-06-01T09:00")
    # What a process killed mid-run leaves behind: a running claim whose lease ran out.
    await fetch(
        "INSERT INTO job_run (job, slot, started_at, status, attempt, lease_until, run_at,"
        " worker, cause, outcome, error, counts)"
        " VALUES ({}, {}, {}, 'running', 1, {}, {}, 'gone:1', 'schedule', '', '', {})",
        job.name,
        "2031-06-01T09:00",
        started,
        started + timedelta(minutes=5),
        started,
        "{}",
    )
    with use_clock(lambda: started + timedelta(minutes=1)):
        assert await retry_due([job]) == 0  # the lease still holds
    with use_clock(lambda: started + timedelta(minutes=6)):
        assert await retry_due([job]) == 1
        assert await retry_due([job]) == 0
    assert recorder.calls == [(job.name, "2031-06-01T09:00")]
    row = (await fetch("SELECT status, attempt, cause FROM job_run WHERE job = {}", job.name))[0]
    assert (row["status"], row["attempt"], row["cause"]) == ("done", 2, "retry")


async def test_a_claimed_period_is_not_run_again_by_hand() -> None:
    recorder = Recorder()
    job = recorder.job(unique("manual-"), "0 9 1 * *")
    fire = resolve_period(job.schedule, "2031-07")
    assert await execute(job.name, period_name(job.schedule, fire), job.work, fire, "manual")
    assert (
        await execute(job.name, period_name(job.schedule, fire), job.work, fire, "manual") is None
    )
    assert recorder.calls == [(job.name, "2031-07-01T09:00")]


def test_a_period_is_named_by_the_schedules_fire_time_in_the_districts_zone() -> None:
    assert resolve_period("0 9 1 * *", "2026-12") == at("2026-12-01T09:00")
    assert resolve_period("30 8 * * *", "2026-12-02") == at("2026-12-02T08:30")
    assert resolve_period("0 6 2 1 *", "2027") == at("2027-01-02T06:00")
    assert resolve_period("*/2 * * * * *", "2026-03-01T08:00:00") == at("2026-03-01T08:00")
    assert period_name("*/2 * * * * *", at("2026-03-01T08:00")) == "2026-03-01T08:00:00"
    assert period_name("0 9 1 * *", at("2026-03-01T09:00")) == "2026-03-01T09:00"


@pytest.mark.parametrize("given", ["2026-12-02", "2026-13", "2026-12-01T09:01", "soon"])
def test_a_period_the_schedule_never_fires_in_is_refused(given: str) -> None:
    with pytest.raises(BadPeriod):
        resolve_period("0 9 1 * *", given)


def test_catching_up_a_fine_schedule_after_a_long_gap_takes_only_the_newest_periods() -> None:
    fires = recent_fires("* * * * * *", at("2031-01-01T00:00"), at("2031-02-01T00:00"), 5)
    assert [f.second for f in fires] == [56, 57, 58, 59, 0]
    assert fires[-1] == at("2031-02-01T00:00")


async def test_a_period_that_failed_for_good_is_rerun_by_hand_and_a_done_one_never(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(get_settings(), "job_max_attempts", 1)
    fixed = [False]
    calls: list[int] = []

    async def flaky(period: Period) -> dict[str, int]:
        calls.append(period.attempt)
        if not fixed[0]:
            raise RuntimeError("disk full")
        return {"ok": 1}

    name, slot = unique("flaky-"), "2031-08-01T09:00"
    assert (await execute(name, slot, flaky) or "").startswith("failed: disk full")
    assert await retry_due([Job(name, name, "0 9 * * *", flaky)]) == 0  # attempts spent
    fixed[0] = True
    assert await execute(name, slot, flaky, cause="manual") is None
    assert await execute(name, slot, flaky, cause="manual", again=True) == "ok=1"
    assert await execute(name, slot, flaky, cause="manual", again=True) is None
    assert calls == [1, 2]
