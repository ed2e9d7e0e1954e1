"""``service.collector.paused``: the cyclic collector off while big work runs, restored."""

from __future__ import annotations

import gc
import threading

import pytest

from service import collector


def test_nested_pauses_restore_the_collector_when_the_outermost_ends_even_on_error() -> None:
    assert gc.isenabled()
    with pytest.raises(RuntimeError), collector.paused():
        with collector.paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer work still runs
        raise RuntimeError("the batch failed")
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off() -> None:
    gc.disable()
    try:
        with collector.paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_overlapping_pauses_in_two_threads_keep_it_off_until_the_last_ends() -> None:
    """A render (a worker thread) that ends while a batch (the event loop) still runs
    leaves the collector off; the batch's end turns it back on."""
    started, release = threading.Event(), threading.Event()
    seen: list[bool] = []

    def render() -> None:
        with collector.paused():
            started.set()
            release.wait(5)
        seen.append(gc.isenabled())

    with collector.paused():
        thread = threading.Thread(target=render)
        thread.start()
        assert started.wait(5)
        release.set()
        thread.join(5)
        assert seen == [False]  # the render ended inside the batch
        assert not gc.isenabled()
    assert gc.isenabled()
