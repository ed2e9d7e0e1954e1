"""The demo seed killed part-way (SIGKILL of the ``changxiao seed`` process, between the
communities' first-deposit transactions): ``fund verify`` names the missing deposits,
``seed --demo --if-empty`` finishes the seed instead of reporting success over it, and
the journal then verifies. Runs on the session's engine (SQLite file or PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

from tests.faults.scratch import changxiao, kill_when, scalar, scratch_database, start_changxiao

HOUSEHOLDS = 16_219
COMMUNITIES = 126
FIRST_DEPOSIT_ENTRIES = "SELECT COUNT(*) FROM fund_entry WHERE kind = 'first_deposit'"


async def test_a_seed_killed_between_first_deposits_is_noticed_and_finished(
    tmp_path: Path,
) -> None:
    async with scratch_database(tmp_path) as url:
        assert changxiao(url, "migrate").returncode == 0

        async def some_communities_deposited() -> bool:
            return 3 <= await scalar(url, FIRST_DEPOSIT_ENTRIES) < COMMUNITIES - 10

        seeding = start_changxiao(url, "seed", "--demo", "--if-empty")
        assert await kill_when(seeding, some_communities_deposited), "the seed ended first"
        assert await scalar(url, "SELECT COUNT(*) FROM household") == HOUSEHOLDS

        noticed = changxiao(url, "fund", "verify")
        assert noticed.returncode == 1, noticed.stdout
        assert "lack the first deposit the demo seed promised" in noticed.stdout

        finished = changxiao(url, "seed", "--demo", "--if-empty")
        assert finished.returncode == 0, finished.stderr
        assert "已载入" in finished.stdout and "bureau-demo" in finished.stdout
        assert await scalar(url, FIRST_DEPOSIT_ENTRIES) == COMMUNITIES
        assert (
            await scalar(
                url,
                "SELECT COUNT(first_deposit_fen) FROM fund_account WHERE kind = 'household'",
            )
            == HOUSEHOLDS
        )
        verified = changxiao(url, "fund", "verify")
        assert verified.returncode == 0, verified.stdout[-2000:]
        assert f"{COMMUNITIES} ok, 0 failed" in verified.stdout

        # A finished seed is finished: --if-empty loads nothing, without it the seed refuses.
        again = changxiao(url, "seed", "--demo", "--if-empty")
        assert again.returncode == 0 and "未载入" in again.stdout
        assert changxiao(url, "seed", "--demo").returncode == 1
