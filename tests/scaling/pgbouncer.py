"""A pgbouncer of our own in front of PostgreSQL, for tests and benchmarks.

Debian's ``pgbouncer`` package (1.18 on Debian 12), never its system service: a process
on a free port of 127.0.0.1 with a temporary ini (``pool_mode = transaction``, trust
authentication at the pooler, the server's password in the database line when the URL
has one), stopped afterwards. pgbouncer refuses to run as root; as root it is started
with ``-u nobody`` and its files are made readable to that user.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

LOCALHOST = "127.0.0.1"


def pgbouncer_binary() -> str | None:
    found = shutil.which("pgbouncer")
    if found is None and os.access("/usr/sbin/pgbouncer", os.X_OK):
        found = "/usr/sbin/pgbouncer"  # Debian's, off a non-root PATH
    return found


def version(binary: str) -> str:
    out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=10)
    return out.stdout.splitlines()[0] if out.stdout else "unknown"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOCALHOST, 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[Any], log: Path, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"exited with {process.returncode}: {log.read_text()[-2000:]}")
        try:
            with socket.create_connection((LOCALHOST, port), 0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port} after {seconds} s: {log.read_text()[-2000:]}")


def stop(process: subprocess.Popen[Any]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


@dataclass
class Pgbouncer:
    url: str  # the database through the pooler (no password: trust at the pooler)
    port: int
    workdir: Path
    process: subprocess.Popen[bytes]


@contextmanager
def running_pgbouncer(
    binary: str, database_url: str, *, server_connections: int
) -> Iterator[Pgbouncer]:
    """pgbouncer in transaction mode in front of the database of ``database_url`` (which
    must exist), at most ``server_connections`` server connections to it."""
    target = urlparse(database_url)
    name = target.path.lstrip("/")
    user = unquote(target.username or "postgres")
    password = unquote(target.password or "")
    port = free_port()
    workdir = Path(tempfile.mkdtemp(prefix="changxiao-pgbouncer-"))
    workdir.chmod(0o755)
    (workdir / "users.txt").write_text(f'"{user}" "{password}"\n')
    server = f"host={target.hostname or LOCALHOST} port={target.port or 5432} dbname={name}"
    if password:
        server += f" password={password}"
    (workdir / "pgbouncer.ini").write_text(
        "\n".join(
            [
                "[databases]",
                f"{name} = {server}",
                "[pgbouncer]",
                f"listen_addr = {LOCALHOST}",
                f"listen_port = {port}",
                "unix_socket_dir =",
                "auth_type = trust",
                f"auth_file = {workdir / 'users.txt'}",
                "pool_mode = transaction",
                f"default_pool_size = {server_connections}",
                "max_client_conn = 500",
                "",
            ]
        )
    )
    for each in workdir.iterdir():
        each.chmod(0o644)
    command = [binary]
    if os.geteuid() == 0:
        command += ["-u", "nobody"]  # "PgBouncer should not run as root"
    command.append(str(workdir / "pgbouncer.ini"))
    log = workdir / "pgbouncer.log"
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, process, log, 15)
        url = target._replace(netloc=f"{user}@{LOCALHOST}:{port}").geturl()
        yield Pgbouncer(url=url, port=port, workdir=workdir, process=process)
    finally:
        stop(process)
        shutil.rmtree(workdir, ignore_errors=True)
