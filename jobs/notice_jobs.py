"""Jobs that tell people what is due (filled in below)."""

from __future__ import annotations

from typing import Any

JOBS: list[Any] = []
