"""What a client may send or hold open: head size, head/body/idle deadlines, connection cap.

The server here runs with small limits so that deadlines pass in a fraction of a second;
``tests/e2e/test_serve_limits.py`` attacks the real ``workbench serve`` with the defaults.
Waits are generous caps, never timing assertions: a limit that is not enforced makes a
test wait for its cap and fail.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager

import httpx
import pytest

from tests.server.conftest import Stack
from workbench.core.rules import encode_url64
from workbench.server.limits import (
    BODY_TIMEOUT,
    HEAD_TIMEOUT,
    KEEP_ALIVE_TIMEOUT,
    MAX_CONNECTIONS,
    MAX_HEAD_BYTES,
    ConnectionLimits,
)
from workbench.server.protocol import ConnectionGate

SMALL = ConnectionLimits(
    max_head_bytes=4096,
    head_timeout=0.4,
    keep_alive_timeout=0.4,
    body_timeout=0.4,
    max_connections=16,
)
CAP = 15.0  # seconds: how long a test waits for anything before it fails


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    from tests.server.conftest import start_stack, stop_stack

    started = start_stack(tmp_path_factory.mktemp("limits"), limits=SMALL)
    yield started
    stop_stack(started)


def connect(stack: Stack) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", stack.server.port), timeout=CAP)
    return sock


def head(stack: Stack, path: str = "/v1/connect/apps") -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{stack.server.port}\r\n".encode()


def read_answer(sock: socket.socket) -> tuple[int | None, bytes]:
    """Everything the server sends until it closes: (status or None, raw bytes)."""
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except ConnectionResetError:
        pass
    if not data:
        return None, data
    return int(data.split(b" ", 2)[1]), data


def answered_promptly(stack: Stack) -> float:
    """Seconds another client waits for an answer (the token endpoint, a wrong secret)."""
    started = time.monotonic()
    with httpx.Client(base_url=stack.base_url, trust_env=False, timeout=CAP) as client:
        response = client.post(
            "/v1/oauth/token",
            json={"grant_type": "client_credentials", "client_id": "x", "client_secret": "y"},
        )
    assert response.status_code == 401
    return time.monotonic() - started


def test_the_defaults_are_the_documented_limits() -> None:
    defaults = ConnectionLimits()
    assert (defaults.max_head_bytes, defaults.max_connections) == (MAX_HEAD_BYTES, MAX_CONNECTIONS)
    assert (defaults.head_timeout, defaults.keep_alive_timeout, defaults.body_timeout) == (
        HEAD_TIMEOUT,
        KEEP_ALIVE_TIMEOUT,
        BODY_TIMEOUT,
    )
    assert (MAX_HEAD_BYTES, HEAD_TIMEOUT, KEEP_ALIVE_TIMEOUT, MAX_CONNECTIONS) == (
        64 * 1024,
        10.0,
        5.0,
        256,
    )


def test_an_endless_header_line_is_cut_off_with_431(small: Stack) -> None:
    sock = connect(small)
    sock.sendall(head(small) + b"X-Endless: ")
    sent, endless = 0, 64 * 2**20
    try:
        while sent < endless:
            sock.sendall(b"a" * 65536)
            sent += 65536
    except (BrokenPipeError, ConnectionResetError):
        pass
    status, data = read_answer(sock)
    sock.close()
    assert sent < endless  # the server closed the connection (kernel buffers took the rest)
    assert status == 431, data
    assert b"exceed 4096 bytes" in data
    assert answered_promptly(small) < CAP


@pytest.mark.parametrize(
    "fields",
    [
        [b"X-Big: " + b"b" * 5000],  # one whole oversized head in one write
        [b"X-%d: v" % n for n in range(800)],  # many small headers
    ],
)
def test_a_complete_head_over_the_cap_is_431_and_under_it_is_served(
    small: Stack, fields: list[bytes]
) -> None:
    for lines, expected in ((fields, 431), (fields[:1] if len(fields) > 1 else [b"X: y"], 401)):
        with connect(small) as sock:
            sock.sendall(head(small) + b"\r\n".join(lines) + b"\r\nConnection: close\r\n\r\n")
            status, data = read_answer(sock)
        assert status == expected, data


def test_a_head_that_trickles_gets_408_at_its_deadline(small: Stack) -> None:
    with connect(small) as sock:
        sock.sendall(head(small))
        started = time.monotonic()
        try:
            while time.monotonic() - started < CAP:
                sock.sendall(b"X")  # a byte at a time never finishes the header
                time.sleep(0.05)
        except (BrokenPipeError, ConnectionResetError):
            pass
        status, data = read_answer(sock)
    assert status == 408, data
    assert time.monotonic() - started < CAP


@pytest.mark.parametrize(("request_first", "expected"), [(False, None), (True, 401)])
def test_an_idle_connection_is_closed(
    small: Stack, request_first: bool, expected: int | None
) -> None:
    with connect(small) as sock:
        started = time.monotonic()
        if request_first:  # one request served, then keep-alive idleness
            sock.sendall(head(small) + b"\r\n")
        status, _ = read_answer(sock)  # everything until the server closes
    assert status == expected
    assert time.monotonic() - started < CAP


def test_blank_lines_between_requests_do_not_keep_a_connection_open(small: Stack) -> None:
    with connect(small) as sock:
        started = time.monotonic()
        try:
            while time.monotonic() - started < CAP:
                sock.sendall(b"\r\n")  # skipped by the parser: never starts a request
                time.sleep(0.05)
        except (BrokenPipeError, ConnectionResetError):
            pass
        status, _ = read_answer(sock)
    assert status is None
    assert time.monotonic() - started < CAP


def test_a_body_that_never_ends_is_cut_off(small: Stack) -> None:
    with connect(small) as sock:
        sock.sendall(
            b"POST /v1/oauth/token HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
            b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{" % small.server.port
        )
        started = time.monotonic()
        status, _ = read_answer(sock)
    assert status is None
    assert time.monotonic() - started < CAP


@contextmanager
def held_open(stack: Stack, count: int, first: bytes = b"") -> Iterator[list[socket.socket]]:
    with ExitStack() as stack_of_sockets:
        socks = []
        for _ in range(count):
            sock = stack_of_sockets.enter_context(connect(stack))
            if first:
                sock.sendall(first)
            socks.append(sock)
        yield socks


def closed_by_server(sock: socket.socket) -> bool:
    """True once the server closes ``sock`` (a timeout is an error: it stayed open)."""
    sock.settimeout(CAP)
    try:
        return sock.recv(65536) == b""
    except ConnectionResetError:
        return True


def wait_for(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + CAP
    while not condition():
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.01)


@pytest.mark.parametrize("first", [b"", b"GET / HTTP/1.1\r\nX-Slow: "])
def test_at_the_connection_cap_the_longest_waiting_on_its_client_makes_room(
    stack_factory: Callable[..., Stack], first: bytes
) -> None:
    limits = ConnectionLimits(max_connections=8, keep_alive_timeout=60, head_timeout=60)
    stack = stack_factory(limits=limits)
    with held_open(stack, 8, first) as socks:
        wait_for(lambda: len(stack.server.gate) == 8)
        assert answered_promptly(stack) < CAP  # displaces the oldest of ours
        assert closed_by_server(socks[0])
        assert len(stack.server.gate) <= 8


class FakeConnection:
    """Stands in for a protocol in the gate's unit tests."""

    def __init__(self, gate: ConnectionGate) -> None:
        self.gate = gate
        self.evicted = False

    def evict(self) -> None:
        self.evicted = True
        self.gate.leave(self)  # type: ignore[arg-type]


def test_the_gate_displaces_the_longest_client_bound_and_refuses_when_all_are_busy() -> None:
    gate = ConnectionGate(3)
    a, b, c, d, e = (FakeConnection(gate) for _ in range(5))
    for connection in (a, b, c):
        assert gate.admit(connection)  # type: ignore[arg-type]
    gate.server_bound(a)  # type: ignore[arg-type]
    gate.client_bound(b)  # type: ignore[arg-type]  # b went idle again after c: c is older
    assert gate.admit(d)  # type: ignore[arg-type]
    assert (a.evicted, b.evicted, c.evicted) == (False, False, True)
    gate.server_bound(b)  # type: ignore[arg-type]
    gate.server_bound(d)  # type: ignore[arg-type]
    assert not gate.admit(e)  # type: ignore[arg-type]  # every connection is busy
    assert len(gate) == 3
    gate.leave(a)  # type: ignore[arg-type]
    assert gate.admit(e)  # type: ignore[arg-type]


def test_when_every_connection_is_busy_a_newcomer_gets_503(
    stack_factory: Callable[..., Stack],
) -> None:
    stack = stack_factory(limits=ConnectionLimits(max_connections=2))
    account = stack.add_account("busy-user")
    token = httpx.post(
        f"{stack.base_url}/v1/oauth/token",
        json={
            "grant_type": "client_credentials",
            "client_id": stack.client_id,
            "client_secret": stack.client_secret,
        },
    ).json()["access_token"]
    target = encode_url64(f"http://{stack.authority}/sleep/2")
    busy = (
        f"GET /v1/connect/{stack.project_id}/proxy/{target}?external_user_id=busy-user"
        f"&account_id={account.id} HTTP/1.1\r\nHost: 127.0.0.1:{stack.server.port}\r\n"
        f"Authorization: Bearer {token}\r\nx-pd-environment: development\r\n\r\n"
    ).encode()
    with held_open(stack, 2, busy) as socks:
        wait_for(lambda: len(stack.server.gate) == 2 and not stack.server.gate.client_bound_count)
        with connect(stack) as extra:
            status, data = read_answer(extra)
        assert [sock.recv(12) for sock in socks] == [b"HTTP/1.1 200"] * 2  # they finish
    assert status == 503
    assert b"too many open connections" in data
    assert b"retry-after: 1" in data
