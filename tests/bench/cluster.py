"""A throwaway PostgreSQL 15 cluster with production settings, for the province benchmark.

    with private_cluster() as admin_url:   # postgresql://postgres@127.0.0.1:5433/postgres
        ...

Debian's binaries (``/usr/lib/postgresql/15/bin``) run as the ``postgres`` OS user
(initdb refuses root, so ``runuser -u postgres --`` when we are root); the data directory
is a new one under ``/var/tmp`` each run (``changxiao-bench-pg-*``, made by ``mkdtemp``:
never a directory that was already there, so ``stop`` never signals a server it did not
start; removed by ``stop`` unless kept), port 5433, trust
authentication on 127.0.0.1 only, the socket in the data directory. The shared server on
5432 is not touched.

``SETTINGS`` is the one place the production settings are written; docs/scaling.md quotes
it. They are for this machine (24 GB of memory, 2 cores) and a batch-heavy journal.
Durability stays as in production: fsync, synchronous_commit and full_page_writes are left
on (their defaults) — the money is the owners'.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

BIN = Path("/usr/lib/postgresql/15/bin")
PARENT = Path("/var/tmp")
PORT = 5433
OS_USER = "postgres"

SETTINGS: dict[str, str] = {
    # Memory: a quarter of the machine's 24 GB for PostgreSQL's own cache, so that the
    # journal lines' indexes stay in memory; the planner told the OS caches the rest.
    "shared_buffers": "6GB",
    "effective_cache_size": "16GB",
    "work_mem": "64MB",
    "maintenance_work_mem": "1GB",
    # WAL: few checkpoints in a batch run, so few full-page images, and those compressed.
    "max_wal_size": "32GB",
    "min_wal_size": "2GB",
    "checkpoint_timeout": "30min",
    "checkpoint_completion_target": "0.9",
    "wal_compression": "lz4",
    "wal_buffers": "64MB",
    # Durability as in production (these are the defaults, written out to be plain).
    "fsync": "on",
    "synchronous_commit": "on",
    "full_page_writes": "on",
    "autovacuum": "on",
    # Logging of what the benchmark reports on.
    "log_checkpoints": "on",
}


def _as_postgres(*command: str | Path) -> list[str]:
    args = [str(c) for c in command]
    if os.geteuid() == 0:
        return ["runuser", "-u", OS_USER, "--", *args]
    return args


def admin_url(port: int = PORT) -> str:
    return f"postgresql://postgres@127.0.0.1:{port}/postgres"


def start(port: int = PORT, settings: dict[str, str] | None = None) -> tuple[str, Path]:
    """initdb a fresh cluster in a new data directory, start it with ``settings``
    (``SETTINGS`` by default) and return its admin URL and data directory. A start that
    fails leaves nothing behind."""
    data_dir = Path(tempfile.mkdtemp(prefix="changxiao-bench-pg-", dir=PARENT))
    try:
        if os.geteuid() == 0:
            shutil.chown(data_dir, OS_USER, OS_USER)
        subprocess.run(
            _as_postgres(
                BIN / "initdb",
                "-D",
                data_dir,
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        lines = [
            f"port = {port}",
            "listen_addresses = '127.0.0.1'",
            f"unix_socket_directories = '{data_dir}'",
            *(f"{name} = '{value}'" for name, value in (settings or SETTINGS).items()),
        ]
        conf = data_dir / "postgresql.conf"
        with conf.open("a", encoding="utf-8") as out:
            out.write(
                "\n# changxiao benchmark (tests/bench/cluster.py)\n" + "\n".join(lines) + "\n"
            )
        (data_dir / "pg_hba.conf").write_text(
            "local all all trust\nhost all all 127.0.0.1/32 trust\n", encoding="utf-8"
        )
        subprocess.run(
            _as_postgres(
                BIN / "pg_ctl", "-D", data_dir, "-l", data_dir / "server.log", "-w", "start"
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )
    except BaseException:
        stop(data_dir)
        raise
    return admin_url(port), data_dir


def postmaster_pid(data_dir: Path) -> int:
    return int((data_dir / "postmaster.pid").read_text().split()[0])


def stop(data_dir: Path, *, keep: bool = False) -> None:
    """Stop the cluster ``start`` made in ``data_dir`` (fast shutdown) and remove the
    directory unless ``keep``; a server still up after a minute keeps its directory."""
    if (data_dir / "postmaster.pid").exists():
        subprocess.run(
            _as_postgres(BIN / "pg_ctl", "-D", data_dir, "-m", "fast", "-w", "stop"),
            check=False,
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while (data_dir / "postmaster.pid").exists() and time.monotonic() < deadline:
            time.sleep(0.5)
        if (data_dir / "postmaster.pid").exists():
            print(f"the benchmark cluster in {data_dir} did not stop; its directory is kept")
            return
    if not keep:
        shutil.rmtree(data_dir, ignore_errors=True)


@contextmanager
def private_cluster(port: int = PORT, *, keep: bool = False) -> Iterator[tuple[str, Path]]:
    """A started cluster for the block (its admin URL and data directory), stopped and
    its directory removed afterwards unless ``keep``."""
    url, data_dir = start(port)
    try:
        yield url, data_dir
    finally:
        stop(data_dir, keep=keep)
