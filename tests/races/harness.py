"""Competing steps fired together, and the question every race test asks: is there an
order of the steps, one after the other, that explains every answer the service gave and
the state it ended in? (The service locks, rechecks and lets one of two competing steps
win; a step it acknowledged is in what it publishes afterwards.)"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import httpx

S = TypeVar("S")

OK = frozenset({200, 201})
REFUSED = 409


@dataclass(frozen=True)
class Step(Generic[S]):
    """One competitor: its name, how to ask, and the pure model of what it does to a state
    (the next state, or None where the service must refuse it)."""

    name: str
    ask: Callable[[], Awaitable[httpx.Response]]
    model: Callable[[S, httpx.Response], S | None]


async def fire(steps: Sequence[Step[S]]) -> list[httpx.Response]:
    """Start every step at once; the answers in the steps' order."""
    return list(await asyncio.gather(*(step.ask() for step in steps)))


def explain(
    start: S, steps: Sequence[Step[S]], answers: Sequence[httpx.Response], final: S
) -> tuple[Step[S], ...] | None:
    """An order of the steps under which each answer is the model's (success where the
    model allows the step, 409 where it refuses it) and the model ends in ``final``."""
    for order in itertools.permutations(range(len(steps))):
        state: S | None = start
        fits = True
        for index in order:
            answer = answers[index]
            assert state is not None
            after = steps[index].model(state, answer)
            if after is None:
                fits = answer.status_code == REFUSED
            else:
                fits = answer.status_code in OK
                state = after
            if not fits:
                break
        if fits and state == final:
            return tuple(steps[i] for i in order)
    return None


def assert_explained(
    start: S, steps: Sequence[Step[S]], answers: Sequence[httpx.Response], final: S
) -> None:
    if explain(start, steps, answers, final) is None:
        told = [(s.name, a.status_code, a.text[:160]) for s, a in zip(steps, answers, strict=True)]
        raise AssertionError(f"no order explains {told} ending in {final!r} from {start!r}")


def status_of(answer: httpx.Response) -> Any:
    return answer.json().get("status")
