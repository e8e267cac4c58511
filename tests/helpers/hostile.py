"""Hostile peers for the HTTP/1.1 client's attack suite: blocking servers in threads, resets.

Most attacks run on :class:`tests.helpers.servers.ScriptServer` (an asyncio server on the
loop under test). A :class:`ThreadServer` is for the attacks that must land while the
client's event loop is busy: its scripts run in threads with blocking sockets, so they act
even while the loop is blocked on purpose (:func:`block_until_readable`).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import select
import socket
import ssl
import struct
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.helpers.http11 import MapResolver, make_pool, trusted_context
from workbench.core.http.netguard import GuardedDialer
from workbench.core.http.pool import ConnectionPool

TIMEOUT = 5.0  # seconds any blocking step may take before the test fails

ThreadScript = Callable[[socket.socket, int], None]


class ThreadServer:
    """A server on 127.0.0.1 that runs ``script(sock, index)`` for each connection in a thread.

    ``index`` counts connections from 0. Sockets are blocking with a :data:`TIMEOUT`, and
    wrapped in TLS first when a context is given. Use as ``with ThreadServer(script) as
    server``; ``server.url(path, host=...)`` names it and ``server.connections`` counts.
    """

    def __init__(
        self,
        script: ThreadScript,
        *,
        tls: ssl.SSLContext | None = None,
        address: tuple[str, int] = ("127.0.0.1", 0),
    ) -> None:
        self.script = script
        self.tls = tls
        self.connections = 0
        self.errors: list[BaseException] = []
        self._listener = socket.create_server(address)
        self._listener.settimeout(0.05)
        self._stop = threading.Event()
        self._sockets: list[socket.socket] = []
        self._threads: list[threading.Thread] = []

    @property
    def port(self) -> int:
        return int(self._listener.getsockname()[1])

    def url(self, path: str = "/", *, host: str = "127.0.0.1") -> str:
        return f"{'https' if self.tls else 'http'}://{host}:{self.port}{path}"

    def __enter__(self) -> ThreadServer:
        accepter = threading.Thread(target=self._accept, daemon=True)
        accepter.start()
        self._threads.append(accepter)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        for sock in list(self._sockets):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        for thread in self._threads:
            thread.join(TIMEOUT)
        self._listener.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                sock, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            index, self.connections = self.connections, self.connections + 1
            thread = threading.Thread(target=self._run, args=(sock, index), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _run(self, sock: socket.socket, index: int) -> None:
        sock.settimeout(TIMEOUT)
        self._sockets.append(sock)
        try:
            if self.tls is not None:
                sock = self.tls.wrap_socket(sock, server_side=True)
                self._sockets.append(sock)
            self.script(sock, index)
        except (OSError, ValueError) as error:
            if not self._stop.is_set() and not isinstance(error, ConnectionError):
                self.errors.append(error)
        finally:
            sock.close()


def certificates(*names: str) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A server context with a certificate for ``names``, and a client context trusting it."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    pem = certificate.public_bytes(serialization.Encoding.PEM)
    with tempfile.TemporaryDirectory() as folder:
        cert_file, key_file = Path(folder, "cert.pem"), Path(folder, "key.pem")
        cert_file.write_bytes(pem)
        key_file.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        server.load_cert_chain(cert_file, key_file)
    client = ssl.create_default_context(cadata=pem.decode("ascii"))
    return server, client


def first_connection(script: Callable[[socket.socket], None], later: bytes) -> ThreadScript:
    """A :class:`ThreadServer` script: ``script`` on the first connection; every request on
    a later one is answered with ``later``.
    """

    def run(sock: socket.socket, index: int) -> None:
        if index > 0:
            serve_until_closed(sock, later)
        else:
            script(sock)

    return run


def localhost_tls_pool() -> ConnectionPool:
    """A pool for ``https://localhost`` on pytest-httpbin's certificate (see ``server_context``)."""
    resolver = MapResolver({"localhost": ["127.0.0.1"]})
    dialer = GuardedDialer(check=False, resolver=resolver)
    return make_pool(dialer=dialer, ssl_context=trusted_context())


def recv_head(sock: socket.socket) -> bytes:
    """Read one request head (the client's requests here have no body); b"" at close."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return b""
        data += chunk
    return data


def serve_until_closed(sock: socket.socket, reply: bytes) -> None:
    """Answer every further request on the connection with ``reply``."""
    while recv_head(sock):
        sock.sendall(reply)


def reset(sock: socket.socket) -> None:
    """Close with a TCP reset instead of a FIN (SO_LINGER with a zero timeout)."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def reset_writer(writer: asyncio.StreamWriter) -> None:
    """Reset an asyncio server's connection (a RST, not a FIN)."""
    raw = writer.get_extra_info("socket")
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


def idle_sockets(*pools: ConnectionPool) -> list[int]:
    """The file descriptors of the pools' idle connections (a white-box look, for waits)."""
    return [
        connection.transport.get_extra_info("socket").fileno()
        for pool in pools
        for connections in pool._idle.values()
        for connection in connections
        if connection.transport is not None
    ]


def block_until_readable(*pools: ConnectionPool) -> None:
    """Block the event loop, as a slow synchronous listener does, until an idle socket is
    readable: the peer's bytes, FIN or reset are then waiting in the kernel, unread.
    """
    descriptors = idle_sockets(*pools)
    assert descriptors, "no idle connection to wait on"
    readable, _, _ = select.select(descriptors, [], [], TIMEOUT)
    assert readable, "the peer's bytes never arrived"
