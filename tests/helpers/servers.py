"""Small raw HTTP/1.1 servers on 127.0.0.1 for engine tests: each misbehaves in one way.

A :class:`RawServer` parses requests itself (so tests see exactly what reached the wire)
and hands each one to a handler that writes whatever bytes it likes: an echo, a canned
answer, headers then silence, a trickling body, a redirect. A :class:`ScriptServer` hands
each whole connection (plain or TLS) to a script. :func:`unaccepting_listener` is a
socket that never accepts. Every server binds port 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import ssl
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from types import TracebackType


@dataclass(frozen=True)
class RawRequest:
    """One request as it arrived: request line, header lines and body, unaltered."""

    method: str
    target: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    head: bytes  # the raw request line and header block

    def header(self, name: str) -> str | None:
        """The first header with this name (case-insensitive), or None."""
        wanted = name.lower()
        return next((v for k, v in self.headers if k.lower() == wanted), None)

    def header_names(self) -> list[str]:
        """Every header name, lower-cased, in arrival order."""
        return [k.lower() for k, _ in self.headers]


Handler = Callable[[RawRequest, asyncio.StreamWriter], Awaitable[None]]


async def _read_request(reader: asyncio.StreamReader) -> RawRequest | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, ConnectionError):
        return None
    lines = head.decode("latin-1").split("\r\n")
    method, target, _ = lines[0].split(" ", 2)
    headers = tuple(
        (name, value.strip())
        for name, _, value in (line.partition(":") for line in lines[1:] if line)
    )
    length = next((int(v) for k, v in headers if k.lower() == "content-length"), 0)
    body = await reader.readexactly(length) if length else b""
    return RawRequest(method, target, headers, body, head)


def response_bytes(
    status: int = 200,
    headers: Sequence[tuple[str, str]] = (),
    body: bytes = b"",
    *,
    reason: str = "OK",
) -> bytes:
    """A complete HTTP/1.1 response with a Content-Length (unless one is given)."""
    lines = [f"HTTP/1.1 {status} {reason}"]
    lines += [f"{k}: {v}" for k, v in headers]
    if not any(k.lower() in ("content-length", "transfer-encoding") for k, _ in headers):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def echo_document(request: RawRequest) -> dict[str, object]:
    """The JSON the echo handler answers with."""
    return {
        "method": request.method,
        "target": request.target,
        "headers": [list(pair) for pair in request.headers],
        "body": request.body.decode("latin-1"),
    }


async def echo(request: RawRequest, writer: asyncio.StreamWriter) -> None:
    """Answer with a JSON description of the request."""
    body = json.dumps(echo_document(request)).encode()
    writer.write(response_bytes(200, [("Content-Type", "application/json")], body))


def respond(
    status: int = 200, headers: Sequence[tuple[str, str]] = (), body: bytes = b""
) -> Handler:
    """A handler answering every request with the same response."""

    async def handler(request: RawRequest, writer: asyncio.StreamWriter) -> None:
        writer.write(response_bytes(status, headers, body, reason="Whatever"))

    return handler


def redirect(status: int, location: str) -> Handler:
    """A handler answering with a redirect to ``location``."""
    return respond(status, [("Location", location)])


def set_cookie(*cookies: str) -> Handler:
    """A handler answering 200 with one ``Set-Cookie`` header per cookie given."""
    return respond(200, [("Set-Cookie", cookie) for cookie in cookies], b"ok")


async def stall_after_headers(request: RawRequest, writer: asyncio.StreamWriter) -> None:
    """Send headers promising a body, then never send it."""
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n")
    await writer.drain()
    await asyncio.Event().wait()


async def never_answer(request: RawRequest, writer: asyncio.StreamWriter) -> None:
    """Read the request, then stay silent."""
    await asyncio.Event().wait()


def trickle(total: int = 1000, interval: float = 0.05) -> Handler:
    """Send headers, then one body byte every ``interval`` seconds (a slow-loris answer)."""

    async def handler(request: RawRequest, writer: asyncio.StreamWriter) -> None:
        writer.write(f"HTTP/1.1 200 OK\r\nContent-Length: {total}\r\n\r\n".encode())
        for _ in range(total):
            writer.write(b"x")
            await writer.drain()
            await asyncio.sleep(interval)

    return handler


Script = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


class ScriptServer:
    """A server on 127.0.0.1 (TLS if given a context) running ``script`` on each connection.

    Where :class:`RawServer` answers parsed requests, a script owns the whole connection:
    it reads what it likes, answers or not, and sees when the client hangs up.
    ``server.connections`` counts accepted connections; ``server.url(path, host=...)``
    names the server (``host`` only changes the URL, the server is always 127.0.0.1).
    """

    def __init__(self, script: Script, *, tls: ssl.SSLContext | None = None) -> None:
        self.script = script
        self.tls = tls
        self.connections = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    def url(self, path: str = "/", *, host: str = "127.0.0.1") -> str:
        return f"{'https' if self.tls else 'http'}://{host}:{self.port}{path}"

    async def __aenter__(self) -> ScriptServer:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=self.tls)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self.connections += 1
        try:
            await self.script(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
            pass
        except asyncio.CancelledError:
            pass  # end normally: asyncio's streams log a connection task that was cancelled
        finally:
            self._tasks.discard(task)
            writer.close()


class RawServer(ScriptServer):
    """An asyncio HTTP/1.1 server on 127.0.0.1 with keep-alive, recording what arrives.

    Use as ``async with RawServer(handler) as server``; ``server.authority`` is
    ``127.0.0.1:PORT``, ``server.connections`` counts accepted connections and
    ``server.requests`` holds every parsed request.
    """

    def __init__(self, handler: Handler = echo) -> None:
        super().__init__(self._answer)
        self.handler = handler
        self.requests: list[RawRequest] = []

    def __repr__(self) -> str:
        return f"RawServer(handler={self.handler!r}, requests={len(self.requests)})"

    @property
    def authority(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return f"http://{self.authority}"

    async def _answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while (request := await _read_request(reader)) is not None:
            self.requests.append(request)
            await self.handler(request, writer)
            await writer.drain()


async def read_head(reader: asyncio.StreamReader) -> bytes:
    """The request line and headers, up to and including the blank line."""
    return await reader.readuntil(b"\r\n\r\n")


async def until_closed(reader: asyncio.StreamReader) -> int:
    """Read until the client closes the connection; the number of bytes read meanwhile."""
    received = 0
    try:
        while chunk := await reader.read(1024 * 1024):
            received += len(chunk)
    except ConnectionError:
        pass  # a reset is a close too
    return received


@contextlib.contextmanager
def unaccepting_listener() -> Iterator[tuple[str, int]]:
    """A listening socket that never calls accept, its backlog already full.

    New connection attempts get no SYN-ACK (Linux drops SYNs for a full queue), so a
    client hangs in connect until its deadline. Yields ``(host, port)``.
    """
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    fillers: list[socket.socket] = []
    try:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        address = listener.getsockname()
        for _ in range(4):
            filler = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            filler.setblocking(False)
            with contextlib.suppress(BlockingIOError, OSError):
                filler.connect(address)
            fillers.append(filler)
        yield address[0], address[1]
    finally:
        for filler in fillers:
            filler.close()
        listener.close()


def refused_port() -> int:
    """A port on 127.0.0.1 where nothing listens (bound then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
