"""A real server on the demo district for browser tests: its own database (a scratch
SQLite file, or a scratch PostgreSQL database when the suite runs on PostgreSQL), migrated
and seeded with ``changxiao seed --demo``, served by ``changxiao serve`` on a free port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest

from tests.conftest import ADMIN_URL, IS_POSTGRES, _postgres_admin

CHROMIUM = Path("/usr/bin/chromium")
CHANGXIAO = Path(sys.executable).parent / "changxiao"
ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
async def demo_server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    """Base URL of a server holding the demo district."""
    scratch = tmp_path_factory.mktemp("demo-server")
    if IS_POSTGRES:
        name = f"changxiao_{os.getpid()}_web_test"
        url = urlparse(ADMIN_URL)._replace(path=f"/{name}").geturl()
        await _postgres_admin(f'DROP DATABASE IF EXISTS "{name}"')
        await _postgres_admin(f'CREATE DATABASE "{name}"')
    else:
        url = f"sqlite:///{scratch / 'demo.sqlite3'}"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "CHANGXIAO_SCHEDULER": "0",
        "CHANGXIAO_ATTACHMENTS_DIR": str(scratch / "attachments"),
    }
    for command in (["migrate"], ["seed", "--demo"]):
        done = subprocess.run(
            [str(CHANGXIAO), *command], env=env, capture_output=True, text=True, timeout=900
        )
        assert done.returncode == 0, done.stderr[-3000:]
    port = free_port()
    log = (scratch / "serve.log").open("w")
    server = subprocess.Popen(
        [str(CHANGXIAO), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert server.poll() is None, (scratch / "serve.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "the demo server did not start"
            time.sleep(0.3)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
        if IS_POSTGRES:
            await _postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
async def chromium() -> AsyncIterator[Any]:
    """Debian's Chromium driven by Playwright (its own browsers are never downloaded)."""
    if not CHROMIUM.exists():
        pytest.fail(
            "browser tests need Debian's Chromium: apt-get install chromium "
            "(make test installs it when run as root)"
        )
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        args = ["--disable-dev-shm-usage", "--disable-gpu"]
        if os.geteuid() == 0:
            args.append("--no-sandbox")  # Chromium refuses to sandbox as root
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=args
        )
        yield browser
        await browser.close()


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Where page screenshots go: docs/screenshots/ when CHANGXIAO_SCREENSHOTS=1
    (``make screenshots``), else a scratch folder."""
    if os.environ.get("CHANGXIAO_SCREENSHOTS") == "1":
        target = ROOT / "docs" / "screenshots"
        target.mkdir(parents=True, exist_ok=True)
        yield target
    else:
        yield tmp_path_factory.mktemp("screenshots")
