"""Issue 15 goal 1 as ``make bench`` judges a read: at least 70% of its bare endpoint's
rate and a p99 of at most 5 ms, both (the household balance read's verdict once checked the
rate only)."""

from tests.bench.common import LoadResult
from tests.bench.run import read_goal


def load(rate: float, p99_ms: float) -> LoadResult:
    """100 answered requests at ``rate`` per second, the slowest one (the p99 and p100 of
    a hundred) taking ``p99_ms``."""
    latencies = [0.001] * 98 + [p99_ms / 1000] * 2
    return LoadResult(100, 0, 100 / rate, latencies, {200: 100})


def test_a_read_at_70_percent_with_a_5_ms_p99_meets_the_goal() -> None:
    assert load(700, 5.0).ms(99) == 5.0
    assert read_goal(load(700, 5.0), load(1000, 1.0)) == "met"


def test_a_read_below_70_percent_misses_the_goal() -> None:
    assert read_goal(load(699, 1.0), load(1000, 1.0)) == "**not met**"


def test_a_read_at_any_rate_with_a_p99_over_5_ms_misses_the_goal() -> None:
    assert read_goal(load(2000, 5.1), load(1000, 1.0)) == "**not met**"


def test_a_bare_endpoint_that_answered_nothing_meets_no_goal() -> None:
    assert read_goal(load(700, 1.0), LoadResult(0, 0, 0.0, [], {})) == "**not met**"
