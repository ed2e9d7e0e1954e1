"""What the benchmarks share: the machine, scratch databases, a served app, CPU time,
load loops bounded by count and time, and percentiles."""

from __future__ import annotations

import asyncio
import os
import platform
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

PROJECT_ROOT = Path(__file__).resolve().parents[2]
LOCALHOST = "127.0.0.1"


def machine() -> dict[str, str]:
    """nproc, memory (``free -g``), CPU model and Python version."""
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    free = subprocess.run(["free", "-g"], capture_output=True, text=True).stdout.strip()
    return {
        "nproc": str(os.cpu_count()),
        "free": free,
        "cpu": model,
        "python": platform.python_version(),
        "kernel": platform.release(),
        "loadavg": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOCALHOST, 0))
        return int(sock.getsockname()[1])


def with_database(url: str, name: str) -> str:
    """``url`` pointing at database ``name`` on the same server."""
    return urlparse(url)._replace(path="/" + name).geturl()


async def admin(url: str, *statements: str) -> list[Any]:
    """Run statements one by one on ``url`` (CREATE/DROP DATABASE need their own)."""
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        return [await conn.fetch(s) for s in statements]
    finally:
        await conn.close()


def postgres_answers(url: str) -> bool:
    parsed = urlparse(url)
    try:
        socket.create_connection((parsed.hostname or LOCALHOST, parsed.port or 5432), 1).close()
    except OSError:
        return False
    return True


def cli(*args: str, env: dict[str, str], log: Path) -> float:
    """Run ``changxiao ARGS`` to completion; returns the seconds it took."""
    started = time.perf_counter()
    with log.open("a") as out:
        subprocess.run(
            [sys.executable, "-m", "service.cli", *args],
            env=env,
            cwd=PROJECT_ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            check=True,
            timeout=600,
        )
    return time.perf_counter() - started


def bench_env(database_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": database_url,
            "CHANGXIAO_SCHEDULER": "0",
            "PICCOLO_CONF": "service.piccolo_conf",
            "PYTHONPATH": str(PROJECT_ROOT),
        }
    )
    return env


@dataclass
class Server:
    """``changxiao serve --workers N`` as a subprocess on 127.0.0.1 and a free port; one
    worker per core unless given (under cProfile: one, as the profiler sees one process)."""

    database_url: str
    log: Path
    profile_to: Path | None = None
    workers: int = field(default_factory=lambda: os.cpu_count() or 1)
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    # The module served instead of ``service.cli serve`` (tests/bench/bare.py).
    module: str | None = None

    @property
    def base_url(self) -> str:
        return f"http://{LOCALHOST}:{self.port}"

    def start(self, timeout: float = 60) -> None:
        command = [sys.executable]
        if self.profile_to is not None:
            command += ["-m", "cProfile", "-o", str(self.profile_to)]
            self.workers = 1
        if self.module is not None:
            command += ["-m", self.module, "--port", str(self.port)]
        else:
            command += ["-m", "service.cli", "serve", "--host", LOCALHOST, "--port", str(self.port)]
        command += ["--workers", str(self.workers)]
        out = self.log.open("a")
        self.process = subprocess.Popen(
            command,
            env=bench_env(self.database_url),
            cwd=PROJECT_ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}; see {self.log}")
            try:
                with socket.create_connection((LOCALHOST, self.port), 0.5):
                    pass
            except OSError:
                time.sleep(0.2)
                continue
            if _healthy(self.base_url):
                return
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"server did not answer /healthz in {timeout} s; see {self.log}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGINT)  # uvicorn shuts down; cProfile writes out
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def worker_pids(self) -> list[int]:
        """The uvicorn processes that accept connections: the master's descendants holding
        the listening socket (the master holds it too but never accepts)."""
        assert self.process is not None
        listening, _ = tcp_sockets(self.port)
        return sorted(
            pid
            for pid in process_tree_cpus(self.process.pid)
            if pid != self.process.pid and listening in socket_inodes(pid)
        )

    def connection_owners(self, peer_ports: list[int]) -> dict[int, int]:
        """For each client port given, the worker that accepted that connection (ports not
        yet accepted are missing)."""
        _, accepted = tcp_sockets(self.port)
        owner_of = {inode: pid for pid in self.worker_pids() for inode in socket_inodes(pid)}
        return {
            port: owner_of[accepted[port]]
            for port in peer_ports
            if port in accepted and accepted[port] in owner_of
        }

    def cpu_seconds(self) -> float:
        """CPU seconds of the uvicorn master and its workers."""
        assert self.process is not None
        return process_tree_cpu(self.process.pid)


def _healthy(base_url: str) -> bool:
    import httpx

    try:
        return httpx.get(base_url + "/healthz", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


def tcp_sockets(port: int) -> tuple[int, dict[int, int]]:
    """From /proc/net/tcp: the inode of the IPv4 socket listening on ``port``, and for each
    connection on it the peer's port → the inode of the server's end."""
    listening = 0
    accepted: dict[int, int] = {}
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote, state, inode = fields[1], fields[2], fields[3], int(fields[9])
        if inode == 0 or int(local.rsplit(":", 1)[1], 16) != port:
            continue
        if state == "0A":  # LISTEN
            listening = inode
        else:
            accepted[int(remote.rsplit(":", 1)[1], 16)] = inode
    return listening, accepted


def socket_inodes(pid: int) -> set[int]:
    """Inodes of the sockets process ``pid`` has open."""
    found: set[int] = set()
    try:
        fds = list(Path(f"/proc/{pid}/fd").iterdir())
    except OSError:
        return found
    for fd in fds:
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            found.add(int(target[8:-1]))
    return found


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of one process (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def process_tree_cpu(pid: int) -> float:
    """User + system CPU seconds of ``pid`` and every live descendant."""
    return sum(process_tree_cpus(pid).values())


def process_tree_cpus(pid: int) -> dict[int, float]:
    """User + system CPU seconds of ``pid`` and of every live descendant (uvicorn's master,
    its workers and multiprocessing's resource tracker), by pid. The parent links come
    from each /proc/<n>/stat, as /proc/<n>/task/<n>/children is not on every kernel."""
    parent_of: dict[int, int] = {}
    cpu_of: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended while we looked
            continue
        n = int(entry.name)
        parent_of[n] = int(fields[1])
        cpu_of[n] = (int(fields[11]) + int(fields[12])) / tick
    children: dict[int, list[int]] = {}
    for n, parent in parent_of.items():
        children.setdefault(parent, []).append(n)
    tree: dict[int, float] = {}
    todo = [pid]
    while todo:
        n = todo.pop()
        tree[n] = cpu_of.get(n, 0.0)
        todo += children.get(n, [])
    return tree


def postgres_cpu() -> float:
    """CPU seconds of every running ``postgres`` process (backends and helpers)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if stat.split("(", 1)[1].split(")", 1)[0] != "postgres":
            continue
        fields = stat.rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


@dataclass
class CpuWatch:
    """CPU seconds used over a block by the server (its whole process tree: ``server``, and
    its busiest process alone: ``server_busiest``), PostgreSQL and this (load) process."""

    server_pid: int | None
    start: dict[str, float] = field(default_factory=dict)
    used: dict[str, float] = field(default_factory=dict)
    _tree_start: dict[int, float] = field(default_factory=dict)

    def _sample(self) -> tuple[dict[str, float], dict[int, float]]:
        sample = {"postgres": postgres_cpu(), "load": time.process_time()}
        tree = process_tree_cpus(self.server_pid) if self.server_pid is not None else {}
        if self.server_pid is not None:
            sample["server"] = sum(tree.values())
        return sample, tree

    def __enter__(self) -> CpuWatch:
        self.start, self._tree_start = self._sample()
        return self

    def __exit__(self, *_: object) -> None:
        end, tree = self._sample()
        self.used = {k: end[k] - self.start[k] for k in end}
        if tree:
            self.used["server_busiest"] = max(
                cpu - self._tree_start.get(pid, 0.0) for pid, cpu in tree.items()
            )


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of ``values``."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


@dataclass
class LoadResult:
    requests: int
    errors: int
    seconds: float
    latencies: list[float]
    statuses: dict[int, int]

    @property
    def rate(self) -> float:
        return (self.requests - self.errors) / self.seconds if self.seconds else 0.0

    def ms(self, p: float) -> float:
        return percentile(self.latencies, p) * 1000


async def drive(
    count: int,
    concurrency: int,
    request: Callable[[int], Awaitable[int]],
    *,
    max_seconds: float,
    ok: tuple[int, ...] = (200, 201),
) -> LoadResult:
    """``count`` calls of ``request(i)`` by ``concurrency`` workers, stopping early after
    ``max_seconds``; ``request`` returns the HTTP status (or 0 for a driver-level success)."""
    next_index = 0
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors = 0
    deadline = time.perf_counter() + max_seconds

    async def worker() -> None:
        nonlocal next_index, errors
        while next_index < count and time.perf_counter() < deadline:
            index = next_index
            next_index += 1
            began = time.perf_counter()
            status = await request(index)
            latencies.append(time.perf_counter() - began)
            statuses[status] = statuses.get(status, 0) + 1
            if status not in ok:
                errors += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return LoadResult(
        requests=len(latencies),
        errors=errors,
        seconds=time.perf_counter() - started,
        latencies=latencies,
        statuses=statuses,
    )
