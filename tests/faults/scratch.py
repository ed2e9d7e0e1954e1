"""Scratch databases and ``changxiao`` subprocesses for the fault tests.

A fault test kills processes, so it never shares the session's database: it gets a
SQLite file of its own, or a PostgreSQL database of its own beside the session's (on
the same server), dropped afterwards.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlparse

from tests.conftest import ADMIN_URL, IS_POSTGRES, _postgres_admin

ROOT = Path(__file__).resolve().parents[2]


@asynccontextmanager
async def scratch_database(tmp_path: Path) -> AsyncIterator[str]:
    """A DATABASE_URL of an empty database nobody else uses."""
    if not IS_POSTGRES:
        yield f"sqlite:///{tmp_path / 'scratch.sqlite3'}"
        return
    name = f"changxiao_{os.getpid()}_{uuid.uuid4().hex[:6]}_test"
    await _postgres_admin(f'CREATE DATABASE "{name}"')
    try:
        yield urlparse(ADMIN_URL)._replace(path=f"/{name}").geturl()
    finally:
        await _postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def changxiao(url: str, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "service.cli", *args],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def start_changxiao(url: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "service.cli", *args],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


async def scalar(url: str, sql: str) -> int:
    """One integer from ``sql`` on the scratch database (a connection of its own)."""
    if url.startswith("sqlite"):
        import sqlite3

        path = url.removeprefix("sqlite:///")
        if not Path(path).exists():
            return 0
        with sqlite3.connect(path, timeout=30) as connection:
            try:
                row = connection.execute(sql).fetchone()
            except sqlite3.OperationalError:  # not migrated yet, or busy
                return 0
        return int(row[0] or 0)
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        return int(await connection.fetchval(sql) or 0)
    except asyncpg.exceptions.UndefinedTableError:
        return 0
    finally:
        await connection.close()


async def kill_when(
    process: subprocess.Popen[str],
    ready: Callable[[], Awaitable[bool]],
    *,
    timeout: float = 240,
) -> bool:
    """SIGKILL ``process`` as soon as ``ready()`` holds; False if it ended first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        if await ready():
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
            return True
        await asyncio.sleep(0.05)
    process.kill()
    process.wait(timeout=30)
    raise AssertionError("the moment to kill never came")


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Served:
    """``changxiao serve`` in a subprocess on a free port (kill it with ``kill()``)."""

    def __init__(self, url: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "service.cli",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
            ],
            cwd=ROOT,
            env={**os.environ, "DATABASE_URL": url, "CHANGXIAO_SCHEDULER": "0"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        import httpx

        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{self.base}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.kill()
                raise AssertionError("the server did not start")
            time.sleep(0.2)

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(timeout=30)
