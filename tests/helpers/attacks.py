"""Resource attacks a hostile local process can make on the REST server, for tests and bench.

Each attack keeps its pressure up until stopped: a connection the server closes is opened
again. :class:`AttackThread` runs one in a background event loop (tests); ``bench``
runs them in a child process. They only ever connect to the address they are given.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

# endless_header: one header line that never ends, on every connection.
# slowloris: a head that never ends, one short header line a second.
# idle: one request, then the connection is kept open and silent (keep-alive).
# flood: connections opened and never used, as many as asked for.
ATTACKS = ("endless_header", "slowloris", "idle", "flood")
RETRY_PAUSE = 0.05  # seconds before reopening a refused connection


@dataclass
class Tally:
    """What an attack saw.

    Attributes:
        opened: connections it opened.
        closed_by_server: connections the server closed (or reset).
        statuses: the status codes of the answers it got, by code.
        bytes_sent: bytes it sent.
    """

    opened: int = 0
    closed_by_server: int = 0
    bytes_sent: int = 0
    statuses: dict[int, int] | None = None

    def answered(self, status: int) -> None:
        """Count one answer with ``status``."""
        self.statuses = self.statuses or {}
        self.statuses[status] = self.statuses.get(status, 0) + 1


class Attack:
    """One kind of pressure on ``host:port`` with ``connections`` sockets at once.

    Args:
        kind: one of :data:`ATTACKS`.
        host: the server's address.
        port: the server's port.
        connections: how many sockets to keep busy (the flood opens this many).
    """

    def __init__(self, kind: str, host: str, port: int, connections: int) -> None:
        if kind not in ATTACKS:
            raise ValueError(f"unknown attack {kind!r}; choose from {', '.join(ATTACKS)}")
        self.kind = kind
        self.host, self.port = host, port
        self.connections = connections
        self.tally = Tally()
        self.established = asyncio.Event()
        self._head = f"GET /v1/connect/apps HTTP/1.1\r\nHost: {host}:{port}\r\n".encode()

    async def run(self, stop: asyncio.Event) -> None:
        """Attack until ``stop`` is set."""
        workers = {
            "endless_header": self._endless_header,
            "slowloris": self._slowloris,
            "idle": self._idle_after_a_request,
            "flood": self._silent,
        }[self.kind]
        ready = asyncio.Semaphore(0)
        tasks = [
            asyncio.create_task(self._keep(workers, ready, stop)) for _ in range(self.connections)
        ]
        waiter = asyncio.create_task(self._all_ready(ready))
        await stop.wait()
        waiter.cancel()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, waiter, return_exceptions=True)

    async def _all_ready(self, ready: asyncio.Semaphore) -> None:
        for _ in range(self.connections):
            await ready.acquire()
        self.established.set()

    async def _keep(
        self,
        worker: Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]],
        ready: asyncio.Semaphore,
        stop: asyncio.Event,
    ) -> None:
        signalled = False
        while not stop.is_set():
            try:
                reader, writer = await asyncio.open_connection(self.host, self.port)
            except OSError:
                await asyncio.sleep(RETRY_PAUSE)
                continue
            self.tally.opened += 1
            if not signalled:
                signalled = True
                ready.release()
            try:
                await worker(reader, writer)
            except (ConnectionError, OSError):
                pass
            finally:
                self.tally.closed_by_server += 1
                writer.close()
                with contextlib.suppress(Exception):
                    await writer.wait_closed()

    async def _read_answer(self, reader: asyncio.StreamReader) -> None:
        """Wait for the server to answer or close; count the status."""
        line = await reader.readline()
        if line.startswith(b"HTTP/1."):
            self.tally.answered(int(line.split()[1]))
        await reader.read()  # until closed

    async def _endless_header(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        writer.write(self._head + b"X-Endless: ")
        answer = asyncio.create_task(self._read_answer(reader))
        chunk = b"a" * 65536
        try:
            while not answer.done():
                writer.write(chunk)
                self.tally.bytes_sent += len(chunk)
                await writer.drain()
        finally:
            answer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await answer

    async def _slowloris(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(self._head)
        answer = asyncio.create_task(self._read_answer(reader))
        try:
            while not answer.done():
                writer.write(b"X-Slow: 1\r\n")
                self.tally.bytes_sent += 11
                await writer.drain()
                await asyncio.wait({answer}, timeout=1.0)
        finally:
            answer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await answer

    async def _idle_after_a_request(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        writer.write(self._head + b"\r\n")  # one request (401), then keep-alive idleness
        status = await reader.readline()
        headers = await reader.readuntil(b"\r\n\r\n")
        self.tally.answered(int(status.split()[1]))
        length = next(
            (int(line.split(b":")[1]) for line in headers.split(b"\r\n")
             if line.lower().startswith(b"content-length:")),
            0,
        )  # fmt: skip
        await reader.readexactly(length)
        await reader.read()  # until the server closes it

    async def _silent(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await self._read_answer(reader)  # nothing sent: wait to be closed (or refused)


class AttackThread:
    """An :class:`Attack` in a background thread's event loop; a context manager.

    On entry it waits (up to ``timeout`` seconds) until every attacking connection was
    opened once; on exit it stops the attack and closes every socket.
    """

    def __init__(self, attack: Attack, *, timeout: float = 60.0) -> None:
        self.attack = attack
        self._timeout = timeout
        self._loop = asyncio.new_event_loop()
        self._stop = asyncio.Event()
        self._thread = threading.Thread(target=self._main, daemon=True)

    def _main(self) -> None:
        self._loop.run_until_complete(self.attack.run(self._stop))

    def __enter__(self) -> AttackThread:
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(
            asyncio.wait_for(self.attack.established.wait(), self._timeout), self._loop
        )
        future.result(self._timeout + 5)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)
        if not self._thread.is_alive():
            self._loop.close()
