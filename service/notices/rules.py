"""Pure rules of the notices: which reminder a deadline is due for."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date


def reminder_due(today: date, deadline: date, marks: Sequence[int]) -> int | None:
    """The reminder (days before the deadline) that is due today: the smallest mark not
    below the days left, while the deadline has not passed. With marks (90, 30): 91 days
    left → none, 90..31 → the 90-day reminder, 30..0 → the 30-day one. A day the job did
    not run is therefore never a reminder lost: the next run sends it.
    """
    left = (deadline - today).days
    if left < 0:
        return None
    fitting = [mark for mark in marks if mark >= left]
    return min(fitting) if fitting else None
