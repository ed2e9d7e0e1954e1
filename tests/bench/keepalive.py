"""The timed loads' HTTP client: one HTTP/1.1 keep-alive connection per worker over
asyncio streams, and nothing more.

The load generator shares the machine's cores with the server and PostgreSQL, so every
CPU-millisecond it spends per request is taken from what it measures; httpx spends several
times what this does. It understands only what the service answers: a status line,
headers and a body of ``Content-Length`` bytes. A chunked answer, an answer without a
length, or a connection closed before the answer is complete fails loudly (ProtocolError)
instead of being counted as a request.
"""

from __future__ import annotations

import asyncio
import contextlib


class ProtocolError(RuntimeError):
    """The server answered something this client does not read, or hung up mid-answer."""


class KeepAlive:
    """One connection to ``host:port``, reused for request after request; reopened only
    after an answer carrying ``Connection: close``."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self._host_line = f"Host: {host}:{port}\r\n".encode()
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self.opened = 0

    async def open(self) -> None:
        self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        self.opened += 1

    @property
    def local_port(self) -> int:
        """This end's port (how the server's side of the connection is found in /proc)."""
        assert self._writer is not None
        return int(self._writer.get_extra_info("sockname")[1])

    async def close(self) -> None:
        writer, self._reader, self._writer = self._writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):  # already reset by the server
                await writer.wait_closed()

    async def request(
        self, method: str, target: str, headers: bytes = b"", body: bytes = b""
    ) -> tuple[int, bytes]:
        """Send one request (``headers``: ready ``Name: value\\r\\n`` lines) and return the
        answer's status and body."""
        if self._writer is None:
            await self.open()
        reader, writer = self._reader, self._writer
        assert reader is not None and writer is not None
        writer.write(
            b"%s %s HTTP/1.1\r\n%s%sContent-Length: %d\r\n\r\n%s"
            % (method.encode(), target.encode(), self._host_line, headers, len(body), body)
        )
        await writer.drain()
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError as exc:
            await self.close()
            raise ProtocolError(
                f"{method} {target}: connection closed after {len(exc.partial)} bytes of the"
                " answer's head"
            ) from None
        lines = head[:-4].split(b"\r\n")
        version, _, rest = lines[0].partition(b" ")
        if not version.startswith(b"HTTP/1.") or not rest[:3].isdigit():
            await self.close()
            raise ProtocolError(f"{method} {target}: not an HTTP/1.x status line: {lines[0]!r}")
        status = int(rest[:3])
        length: int | None = None
        close = False
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding":
                await self.close()
                raise ProtocolError(
                    f"{method} {target}: Transfer-Encoding {value.strip()!r} is not read here"
                )
            elif name == b"connection" and value.strip().lower() == b"close":
                close = True
        if length is None:
            if status not in (204, 304):
                await self.close()
                raise ProtocolError(f"{method} {target}: {status} answer without Content-Length")
            length = 0
        try:
            content = await reader.readexactly(length)
        except asyncio.IncompleteReadError as exc:
            await self.close()
            raise ProtocolError(
                f"{method} {target}: connection closed after {len(exc.partial)} of {length}"
                " body bytes"
            ) from None
        if close:
            await self.close()
        return status, content


class KeepAlivePool:
    """``size`` open connections, one per concurrent worker (a worker takes a free one
    for each request and gives it back)."""

    def __init__(self, host: str, port: int, size: int) -> None:
        self.all = [KeepAlive(host, port) for _ in range(size)]
        self.free = list(self.all)

    async def __aenter__(self) -> KeepAlivePool:
        await asyncio.gather(*(each.open() for each in self.all))
        return self

    async def __aexit__(self, *_: object) -> None:
        await asyncio.gather(*(each.close() for each in self.all))

    @property
    def opened(self) -> int:
        """Connections opened in all (``size`` unless the server closed some)."""
        return sum(each.opened for each in self.all)

    async def request(
        self, method: str, target: str, headers: bytes = b"", body: bytes = b""
    ) -> tuple[int, bytes]:
        connection = self.free.pop()
        try:
            return await connection.request(method, target, headers, body)
        finally:
            self.free.append(connection)
