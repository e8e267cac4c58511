"""The engine's HTTP/1.1 wire: one connection as an asyncio protocol fed to httptools' llhttp.

The engine sends one kind of request: a canonical URL the rules produced, headers they
checked, a body held in memory, no proxy, no cookie, no redirect, one deadline around it
all. httpx's client and httpcore on anyio spend more per request on generality the engine
switches off than the whole REST server spends on everything else (``bench
server_vs_direct``); this client (this module and the pool in ``pool``) does only what
the engine needs:

* HTTP/1.1 over TCP or TLS, one exchange at a time per connection; the pool keeps
  connections alive per origin and never reuses one the server closed, or one that has
  anything to read when it is checked out (a stray answer must not become the next one).
* Every connection is opened by a :class:`GuardedDialer`: the address checked is the
  address connected to. TLS verifies the name asked for, never the address.
* No timeouts of its own: the caller bounds the exchange (the engine wraps it in one
  ``asyncio.timeout``). A cancelled or failed exchange closes its connection.
* Back-pressure both ways: a large request body waits for the socket to drain, and
  reading pauses while more than :data:`_READ_HIGH_WATER` bytes wait to be consumed.
* ``trace`` events for the phases it times, named as httpcore names them
  (``connection.connect_tcp.started`` ...), for :class:`workbench.core.http.timing.PhaseRecorder`.

Bodies arrive as sent (``Content-Encoding`` untouched: see ``decoding``). Failures are
:class:`HTTPError` subclasses; :class:`AddressRefused` from the dialer passes through.

What the client accepts from a server, beyond llhttp's own strictness:

* Requests are framed by the client: one ``Host`` naming the target, one
  ``Content-Length`` equal to the body whenever there is one, no ``Transfer-Encoding``
  (:func:`request_head`).
* A final status of 100-999 from an ``HTTP/1.x`` status line without control
  characters; 1xx answers are skipped, but a 101 (nothing asked to switch) is refused.
* Transfer coding ``chunked`` only (last and once; ``identity`` counts as none): llhttp
  would hand over any coding under it as plain body bytes.
* 64 KiB for the head, any 1xx before it and the trailers together, and for any one line
  after the head (a trailer, a chunk size with its extensions): llhttp sets no limit.
* A body without length ends at a clean close only: a FIN, or over TLS the peer's
  close_notify. A reset, a TLS error or a TLS connection cut without close_notify
  truncated it.
* Header values lose the whitespace around them (RFC 9112 5), as h11's do.

h11 is the oracle of ``tests/core/http/hostile/test_differential.py``: where h11 refuses
a response, so does this client, and where both accept, they read the same status,
headers and body. The deliberate differences, each with its reason:

* Accepted though h11 refuses: ``Transfer-Encoding: identity`` (alone, or before
  ``chunked``). RFC 2616's no-op coding, which RFC 9112 dropped and h11 never supported;
  read as no coding, it is harmless (a body without length then needs a clean close).
* Refused though h11 accepts, all of them llhttp's strictness except the status line's:

  - ``Content-Length`` repeated or listed (``5, 5``), even with one value: RFC 9110 8.6
    lets a recipient refuse; two readers of one message could disagree on its end.
  - ``Content-Length`` with ``Transfer-Encoding``: h11 lets chunked win; RFC 9112 6.3
    says such a message "ought to be handled as an error" (smuggling, splitting).
  - Control characters or DEL in a header value or the reason phrase (h11 0.16 lets them
    through): relayed, they would reach the caller's headers, terminals and logs.
  - Obsolete line folding: RFC 9112 5.2 lets a proxy answer it with a 502.
  - A bare LF ending a line of the head or of the chunk framing: RFC 9112 2.2 makes
    accepting it optional.
  - Whitespace in chunk framing (after the size, around an extension's ``;``): the
    framing that delimits the body is trusted only in its strict form.
  - HTTP versions llhttp does not know (``HTTP/1.2``): no server answers an HTTP/1.1
    request with them.
  - A 1xx answer in an ``HTTP/1.0`` status line: llhttp ends the exchange after it, as
    HTTP/1.0 has no interim answers, and refuses the final answer that follows.
"""

from __future__ import annotations

import asyncio
import collections
import re
import select
import ssl
from collections.abc import Callable, Sequence
from typing import NamedTuple, NoReturn, Protocol, cast

import httptools

Trace = Callable[[str], None]
Header = tuple[bytes, bytes]

_READ_HIGH_WATER = 256 * 1024  # buffered response bytes that pause reading
_READ_LOW_WATER = 64 * 1024  # ... and resume it
_JOINED_WRITE_LIMIT = 64 * 1024  # bodies up to this size go out with the head, in one write
# A response head, any 1xx before it and any trailers after the body, counted together;
# and any one line (a header, a trailer, a chunk's size and extensions) on its own.
_MAX_HEAD_BYTES = 64 * 1024
_DEFAULT_PORTS = {"http": 80, "https": 443}

_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_FORBIDDEN_IN_VALUE = re.compile(rb"[\r\n\x00]")
_FORBIDDEN_IN_TARGET = re.compile(rb"[\x00-\x20\x7f-\xff]")
_FORBIDDEN_IN_REASON = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")  # llhttp lets them through
_AUTHORITY = re.compile(r"([a-z0-9._-]+)(?::([0-9]{1,5}))?")


class HTTPError(Exception):
    """The exchange with the upstream failed."""


class ConnectError(HTTPError):
    """No connection: the name did not resolve, the connect or the TLS handshake failed."""


class WriteError(HTTPError):
    """The request could not be written (the connection closed under it)."""


class ReadError(HTTPError):
    """The connection failed while the response was awaited or read."""


class RemoteProtocolError(HTTPError):
    """The server broke HTTP/1.1: a malformed or truncated response, or one never sent."""


class LocalProtocolError(HTTPError):
    """The request itself cannot be written safely (CR, LF or NUL where they would split it)."""


class _StopParsing(Exception):
    """Raised in a parser callback to stop llhttp once the exchange has failed.

    httptools reports it as a parser error, which is not reported: the failure was.
    """


class Target(NamedTuple):
    """Where a request goes: the origin, the ``Host`` value and the request target."""

    scheme: str
    host: str
    port: int
    authority: str  # the Host header: the host, and the port unless it is the default
    target: str  # path and query, starting with "/"

    @property
    def origin(self) -> tuple[str, str, int]:
        """What connections are pooled by."""
        return self.scheme, self.host, self.port


def parse_target(url: str) -> Target:
    """Split a canonical ``http(s)://host[:port]/path?query`` URL (the rules' output).

    Raises:
        LocalProtocolError: anything else (the rules never produce it; refuse, not guess).
    """
    scheme, separator, rest = url.partition("://")
    if not separator or scheme not in _DEFAULT_PORTS:
        raise LocalProtocolError(f"Unsupported URL scheme in {url[:40]!r}")
    cut = min((i for i in (rest.find("/"), rest.find("?")) if i >= 0), default=len(rest))
    authority, target = rest[:cut], rest[cut:]
    match = _AUTHORITY.fullmatch(authority)
    if match is None or not match.group(1):
        raise LocalProtocolError(f"Unsupported host in {url[:40]!r}")
    port = int(match.group(2)) if match.group(2) else _DEFAULT_PORTS[scheme]
    if not 0 < port < 65536:
        raise LocalProtocolError(f"Invalid port in {url[:40]!r}")
    if not target.startswith("/"):
        target = "/" + target
    return Target(scheme, match.group(1), port, authority, target)


def request_head(method: str, target: Target, headers: Sequence[Header], body_length: int) -> bytes:
    """The request line and header block, refusing anything that could split the request.

    ``headers`` go out in order, as given; nothing is added (the caller sets ``Host`` and
    ``Content-Length``). The client owns the framing all the same: the headers must
    describe the body of ``body_length`` bytes exactly as it will be sent.

    Raises:
        LocalProtocolError: a method or header name that is not a token, a target with
            spaces or control characters, or a value with CR, LF or NUL; not exactly one
            ``Host``, naming the target; a ``Content-Length`` missing for a body, not the
            body's length in plain digits, or repeated; any ``Transfer-Encoding``.
    """
    verb = method.encode("ascii", "replace")
    # Any non-ASCII character becomes bytes the check below refuses (ASCII "replace"
    # would turn it into "?", which starts a query).
    path = target.target.encode("utf-8")
    if not _TOKEN.fullmatch(verb):
        raise LocalProtocolError(f"Invalid method {method!r}")
    if _FORBIDDEN_IN_TARGET.search(path):
        raise LocalProtocolError("Invalid characters in the request target")
    lines = [b"%s %s HTTP/1.1" % (verb, path)]
    hosts: list[bytes] = []
    lengths: list[bytes] = []
    for name, value in headers:
        if not _TOKEN.fullmatch(name):
            raise LocalProtocolError(f"Invalid header name {name!r}")
        if _FORBIDDEN_IN_VALUE.search(value):
            raise LocalProtocolError(f"Invalid value for header {name.decode('ascii')}")
        lowered = name.lower()
        if lowered == b"host":
            hosts.append(value.lower())
        elif lowered == b"content-length":
            lengths.append(value)
        elif lowered == b"transfer-encoding":
            raise LocalProtocolError("The client sends bodies with a length: no Transfer-Encoding")
        lines.append(b"%s: %s" % (name, value))
    if hosts != [target.authority.encode("ascii")]:
        raise LocalProtocolError(f"A request needs one Host header, {target.authority!r}")
    if lengths != ([b"%d" % body_length] if lengths or body_length else []):
        raise LocalProtocolError(f"A body of {body_length} bytes needs one Content-Length of it")
    lines.append(b"\r\n")
    return b"\r\n".join(lines)


def wants_close(headers: Sequence[Header]) -> bool:
    return any(
        token.strip().lower() == b"close"
        for name, value in headers
        if name.lower() == b"connection"
        for token in value.split(b",")
    )


class Phase:
    """Reports a phase to a ``trace`` callback: ``NAME.started``, then ``.complete``/``.failed``."""

    __slots__ = ("_name", "_trace")

    def __init__(self, trace: Trace | None, name: str) -> None:
        self._trace = trace
        self._name = name

    def __enter__(self) -> None:
        if self._trace is not None:
            self._trace(f"{self._name}.started")

    def __exit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        if self._trace is not None:
            self._trace(f"{self._name}.{'complete' if exc_type is None else 'failed'}")


class _TLSTransport(Protocol):
    def get_read_buffer_size(self) -> int: ...


_poll = getattr(select, "poll", None)  # poll() takes any descriptor; select() stops at 1023


def _readable_now(descriptor: int) -> bool:
    """Whether reading the socket would not block: bytes, a FIN, a reset or an error wait."""
    if _poll is None:  # Windows: select() takes sockets there
        return bool(select.select([descriptor], [], [], 0)[0])
    poller = _poll()
    poller.register(descriptor, select.POLLIN | select.POLLPRI)
    return bool(poller.poll(0))


class Connection(asyncio.Protocol):
    """One HTTP/1.1 connection: an asyncio protocol that runs one exchange at a time.

    Between exchanges the connection is idle and has no parser; bytes arriving then are a
    protocol error, and the connection is closed rather than reused. Bytes that arrived
    but were not read yet (the loop was busy) are caught by :meth:`heard_from_peer`.
    """

    def __init__(self, origin: tuple[str, str, int]) -> None:
        self.origin = origin
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.idle_since = 0.0
        self.reusable = False
        self.tls = False  # set once the transport is TLS (start_tls replaced it)
        self.received = 0  # bytes of this exchange's response off the wire, head included
        self._loop = asyncio.get_running_loop()
        self._parser: httptools.HttpResponseParser | None = None
        self._write_paused = False
        self._drain_waiter: asyncio.Future[None] | None = None
        self._descriptor = -1
        self._closed_cleanly = False  # by a FIN; over TLS, by the peer's close_notify
        self._reset()

    def _reset(self) -> None:
        self.received = 0
        self._head_bytes = 0
        self._heads: list[bytes] = []  # the bytes received until the final head is complete
        self._message_at = 0  # where in them the current message starts
        self._progressed = False  # a header, chunk or body byte came of the bytes just fed
        self._unbroken = 0  # bytes fed since the last of those (after the head)
        self._bodyless = False
        self._close_after = False
        self._interim = False
        self._framed = False
        self._status = 0
        self._reason = b""
        self._headers: list[Header] = []
        self._head: asyncio.Future[None] | None = None
        self._chunks: collections.deque[bytes] = collections.deque()
        self._buffered = 0
        self._reading_paused = False
        self._body_waiter: asyncio.Future[None] | None = None
        self._complete = False
        self._error: HTTPError | None = None

    # asyncio.Protocol -------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # A stream transport, though not always an asyncio.Transport subclass (uvloop's).
        self.transport = cast(asyncio.Transport, transport)
        sock = transport.get_extra_info("socket")
        self._descriptor = sock.fileno() if sock is not None else -1

    def data_received(self, data: bytes) -> None:
        parser = self._parser
        if parser is None:
            self._fail(RemoteProtocolError("The server sent data without a request"))
            return
        self.received += len(data)
        self._progressed = False
        if not self._status:
            self._heads.append(data)  # until the final head: its status lines get checked
        try:
            parser.feed_data(data)
        except httptools.HttpParserError as error:
            if self._complete:
                # Bytes after the whole response: it stands, but the connection is out of
                # step with its requests and must not carry another one.
                self.close()
                return
            self._fail(RemoteProtocolError(f"Malformed HTTP response: {error}"))
            return
        # llhttp reports a header or trailer only once its line ends, and httptools buffers
        # the line until then: a line without end would grow until the deadline.
        if self._head is not None and not self._head.done():
            if self.received > _MAX_HEAD_BYTES:
                self._head_too_large()
                return
        elif self._progressed:
            self._unbroken = 0
        else:
            self._unbroken += len(data)  # not a single header, chunk or body byte came of it
            if self._unbroken > _MAX_HEAD_BYTES:
                self._fail(
                    RemoteProtocolError(
                        f"A trailer or chunk line of the response exceeds {_MAX_HEAD_BYTES} bytes"
                    )
                )
                return
        if self._buffered > _READ_HIGH_WATER and not self._reading_paused and not self.closed:
            self._reading_paused = True
            assert self.transport is not None
            self.transport.pause_reading()

    def eof_received(self) -> bool | None:
        self._closed_cleanly = not self.tls or self._received_close_notify()
        return None  # half-closed is closed: the transport closes, connection_lost follows

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.reusable = False
        if self._parser is not None and not self._complete and self._error is None:
            head_arrived = self._head is not None and self._head.done()
            if head_arrived and not self._framed and exc is None and self._closed_cleanly:
                self._finish_message()  # no length and not chunked: the body ends at close
            elif exc is not None:
                self._fail(ReadError(str(exc) or type(exc).__name__))
            elif head_arrived and not self._framed:
                self._fail(
                    RemoteProtocolError(
                        "The connection ended without a clean close (a FIN, or TLS "
                        "close_notify) before the body, which has no length, was complete"
                    )
                )
            elif head_arrived:
                self._fail(RemoteProtocolError("The server closed the connection mid-body"))
            else:
                self._fail(
                    RemoteProtocolError("The server closed the connection without answering")
                )
        waiter = self._drain_waiter
        if waiter is not None and not waiter.done():
            waiter.set_exception(WriteError(str(exc) if exc else "The connection closed"))

    def _received_close_notify(self) -> bool:
        # asyncio's TLS layer reports the peer's close_notify and a TCP FIN without one
        # alike; only after close_notify does the TLS object read b"" rather than fail.
        # (uvloop's reports no EOF at all without close_notify.)
        assert self.transport is not None
        tls = self.transport.get_extra_info("ssl_object")
        try:
            return tls is not None and tls.read(1) == b""
        except (ssl.SSLError, ValueError):
            return False

    def pause_writing(self) -> None:
        self._write_paused = True

    def resume_writing(self) -> None:
        self._write_paused = False
        waiter = self._drain_waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    # httptools callbacks ----------------------------------------------------------------

    def on_message_begin(self) -> None:
        if self._complete:
            raise RemoteProtocolError("The server sent a second response")
        self._count_head(len(b"HTTP/1.1 200 \r\n\r\n"))  # the status line and the blank line
        self._headers = []
        self._reason = b""
        self._framed = False  # a length or chunks end the body, not the connection
        self._codings: list[bytes] = []  # the Transfer-Encoding values

    def on_status(self, status: bytes) -> None:
        self._count_head(len(status))
        self._reason += status

    def on_header(self, name: bytes, value: bytes) -> None:
        self._progressed = True
        self._count_head(len(name) + len(b": \r\n") + len(value))
        if self._status:
            return  # a chunked body's trailer: the head was already handed over
        value = value.rstrip(b" \t")  # whitespace around a value is not part of it
        self._headers.append((name, value))
        lowered = name.lower()
        if lowered == b"content-length":
            self._framed = True
        elif lowered == b"transfer-encoding":
            self._codings.append(value)

    def on_headers_complete(self) -> None:
        assert self._parser is not None
        assert self._head is not None
        status = self._parser.get_status_code()
        self._check_protocol(interim=100 <= status < 200)
        if status < 100:
            self._refuse(f"The server sent status {status}, which is no HTTP status")
        if status == 101:
            # The engine never asks to switch protocols: what follows is not HTTP.
            self._refuse("The server switched protocols (101) though no request asked it to")
        if _FORBIDDEN_IN_REASON.search(self._reason):
            self._refuse("The server sent control characters in the status line")
        if self._codings:
            self._check_codings()
        if status < 200:
            self._interim = True  # 100 Continue, 103 Early Hints: the real answer follows
            return
        self._status = status
        if not self._head.done():
            self._head.set_result(None)
        if self._bodyless:
            # A HEAD answer announces a length it does not send; llhttp cannot be told so,
            # so the exchange ends here and the parser is retired with it.
            self._finish_message()

    def on_chunk_header(self) -> None:
        self._progressed = True

    def on_body(self, body: bytes) -> None:
        self._progressed = True
        if self._complete:
            return
        self._chunks.append(body)
        self._buffered += len(body)
        self._wake_body()

    def on_message_complete(self) -> None:
        if self._interim:
            self._interim = False
            return
        self._finish_message()

    # the exchange -----------------------------------------------------------------------

    async def send(
        self, head: bytes, body: bytes, *, bodyless: bool, close: bool, trace: Trace | None
    ) -> None:
        """Write the request, waiting while the socket's buffer is full."""
        self._reset()
        self._bodyless = bodyless
        self._close_after = close
        self._head = self._loop.create_future()
        self._parser = httptools.HttpResponseParser(self)
        try:
            with Phase(trace, "http11.send_request_headers"):
                if len(body) <= _JOINED_WRITE_LIMIT:
                    self._write(head + body)
                    body = b""
                else:
                    self._write(head)
                await self._drain()
            if body:
                with Phase(trace, "http11.send_request_body"):
                    self._write(body)
                    await self._drain()
        except WriteError:
            if self._head.done() and self._error is None:
                return  # answered before the body was all sent (a 413): relay that answer
            if self._error is not None:
                raise self._error from None
            raise

    async def receive_head(self) -> tuple[int, bytes, list[Header]]:
        """Wait for the response head: ``(status, reason, headers)``."""
        assert self._head is not None
        if self._error is not None:
            raise self._error
        await self._head
        return self._status, self._reason, self._headers

    async def next_chunk(self) -> bytes:
        """The next piece of the body as it arrived; ``b""`` once the body is complete."""
        while True:
            if self._chunks:
                chunk = self._chunks.popleft()
                self._buffered -= len(chunk)
                if self._reading_paused and self._buffered <= _READ_LOW_WATER and not self.closed:
                    self._reading_paused = False
                    assert self.transport is not None
                    self.transport.resume_reading()
                return chunk
            if self._error is not None:
                raise self._error
            if self._complete:
                return b""
            self._body_waiter = self._loop.create_future()
            try:
                await self._body_waiter
            finally:
                self._body_waiter = None

    def finish(self) -> None:
        """End the exchange: the connection stays reusable only if it is fully spent."""
        self.reusable = self._complete and self._error is None and not self.closed
        self._parser = None
        if not self.reusable:
            self.close()
        elif self._reading_paused:
            # Unread body chunks go with this exchange; the next one must be heard.
            self._reading_paused = False
            assert self.transport is not None
            self.transport.resume_reading()

    def heard_from_peer(self) -> bool:
        """Whether the idle connection has anything to read: it must not carry a request.

        Bytes, a FIN or a reset that reached the connection while it sat idle are seen by
        :meth:`data_received` only when the loop gets to them; a busy loop (a slow
        synchronous listener, a big JSON parse) gets to them after the next request went
        out, and would read a stray answer as that request's. So the socket is asked
        directly, and the TLS layer, which holds records it read while reading was paused.
        """
        transport = self.transport
        if self.closed or transport is None or self._descriptor < 0:
            return True
        # asyncio's and uvloop's TLS transports both count the bytes their TLS layer holds.
        if self.tls and cast(_TLSTransport, transport).get_read_buffer_size() > 0:
            return True
        return _readable_now(self._descriptor)

    def close(self) -> None:
        """Close now, whatever is in flight."""
        self.reusable = False
        if self.transport is not None and not self.closed:
            self.closed = True
            # Not close(): that keeps the socket open until unsent request bytes drain,
            # for as long as a stalled server likes.
            self.transport.abort()

    def _write(self, data: bytes) -> None:
        if self.closed:
            raise WriteError("The server closed the connection")
        assert self.transport is not None
        self.transport.write(data)

    async def _drain(self) -> None:
        if self._write_paused and not self.closed:
            self._drain_waiter = self._loop.create_future()
            try:
                await self._drain_waiter
            finally:
                self._drain_waiter = None

    def _finish_message(self) -> None:
        if self._complete:
            return
        self._complete = True
        parser = self._parser
        if parser is None or not parser.should_keep_alive() or self._close_after:
            self.close()
        self._wake_body()

    def _count_head(self, size: int) -> None:
        # llhttp sets no limit on a head: without one, a server could grow it until the
        # deadline. Heads, any 1xx before them and trailers count together.
        self._head_bytes += size
        if self._head_bytes > _MAX_HEAD_BYTES:
            self._head_too_large()
            raise _StopParsing

    def _check_protocol(self, *, interim: bool) -> None:
        """Refuse a status line that is not HTTP's: llhttp reads RTSP/ and ICE/ ones too.

        Heads (any 1xx, then the final one) follow each other with no body between them,
        so each status line starts where the head before it ended.
        """
        heads = self._heads
        raw = heads[0] if len(heads) == 1 else b"".join(heads)
        start = self._message_at
        if not raw.startswith(b"HTTP/", start):
            self._refuse("The server answered in a protocol other than HTTP/1.x")
        if interim:  # the next status line starts where this head ends
            self._heads = [raw]
            self._message_at = raw.find(b"\r\n\r\n", start) + 4

    def _check_codings(self) -> None:
        """Refuse transfer codings other than chunked, last and once; identity is none.

        llhttp de-chunks a body whose last coding is chunked and hands over whatever
        coding lies under it as if plain; with any other last coding it reads the body,
        chunk framing and all, up to the close.
        """
        assert self._parser is not None
        named = [token.strip().lower() for value in self._codings for token in value.split(b",")]
        applied = [token for token in named if token != b"identity"]
        if applied and (applied != [b"chunked"] or named[-1] != b"chunked"):
            listed = b", ".join(self._codings).decode("latin-1")
            self._refuse(f"The server used a transfer coding other than chunked: {listed!r}")
        self._framed = self._framed or bool(applied)
        if applied and self._parser.get_http_version() == "1.0":
            self._close_after = True  # RFC 9112 6.1: faulty framing; the message stands

    def _refuse(self, message: str) -> NoReturn:
        """Fail the exchange from a parser callback, and stop the parser."""
        self._fail(RemoteProtocolError(message))
        raise _StopParsing

    def _head_too_large(self) -> None:
        what = "head and trailers exceed" if self._status else "head exceeds"
        self._fail(RemoteProtocolError(f"The response {what} {_MAX_HEAD_BYTES} bytes"))

    def _fail(self, error: HTTPError) -> None:
        if self._error is None:
            self._error = error
        head = self._head
        if head is not None and not head.done():
            head.set_exception(error)
            head.exception()  # marked retrieved: receive_head raises self._error itself
        self._wake_body()
        self.close()

    def _wake_body(self) -> None:
        waiter = self._body_waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
