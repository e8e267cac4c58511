"""Malformed input gets a 4xx ``{"error"}``; only real bugs reach the 500 catch-all."""

from __future__ import annotations

import asyncio
import logging
import socket
from typing import Any

import httpx
import pytest

from tests.server.conftest import Stack
from workbench.server.app import ConnectApi, build_app
from workbench.server.auth import MemoryTokens, TokenStore


@pytest.fixture(scope="module")
def token(stack: Stack) -> str:
    with httpx.Client(base_url=stack.base_url, trust_env=False) as client:
        return str(
            client.post(
                "/v1/oauth/token",
                json={
                    "grant_type": "client_credentials",
                    "client_id": stack.client_id,
                    "client_secret": stack.client_secret,
                },
            ).json()["access_token"]
        )


@pytest.fixture(scope="module")
def account_id(stack: Stack) -> str:
    return stack.add_account("robust-user").id


# (method, path, extra headers); {p} = project id, {a} = account id.
MALFORMED = [
    ("GET", "/v1/connect/{p}/users/%FF%FE/accounts", {}),
    ("GET", "/v1/connect/{p}/accounts/%C0%AF", {}),
    ("GET", "/v1/connect/{p}/proxy/%%%?external_user_id=robust-user&account_id={a}", {}),
    ("GET", "/v1/connect/{p}/proxy/%FF?external_user_id=robust-user&account_id={a}", {}),
    ("GET", "/v1/connect/{p}/proxy/L3g?external_user_id=robust-user", {}),
    ("GET", "/v1/connect/{p}/proxy/L3g?external_user_id=a&external_user_id=b&account_id={a}", {}),
    (
        "GET",
        "/v1/connect/{p}/proxy/L3g?external_user_id=robust-user&account_id={a}",
        {"x-pd-proxy-": "empty name"},
    ),
    (
        "GET",
        "/v1/connect/{p}/proxy/L3g?external_user_id=robust-user&account_id={a}",
        {"x-pd-proxy-x-bad": "caf\u00e9".encode()},
    ),
    (
        "GET",
        "/v1/connect/{p}/proxy/L3g?external_user_id=robust-user&account_id={a}",
        {"x-pd-proxy-X-HTTP-Method-Override": "TRACE"},
    ),
    (
        "GET",
        "/v1/connect/{p}/proxy/L3g?external_user_id=robust-user&account_id={a}",
        {"x-pd-proxy-x-a": "1", "x-pd-proxy-X-A": "2"},
    ),
    (
        "GET",
        "/v1/connect/{p}/proxy/aHR0cDovLzEyNy4wLjAuMTo5L3g?external_user_id=robust-user"
        "&account_id={a}",
        {},
    ),
    (
        "GET",
        "/v1/connect/{p}/proxy/Ly4uLy4uL2V0Yy9wYXNzd2Q?external_user_id=robust-user&account_id={a}",
        {},
    ),
    (
        "GET",
        "/v1/connect/{p}/proxy/L3g?external_user_id=robust-user&account_id={a}",
        {"x-pd-environment": "../etc"},
    ),
    ("GET", "/v1/connect/{p}/accounts?limit=1e3", {}),
    ("GET", "/v1/connect/{p}/accounts?include_credentials=maybe", {}),
    ("GET", "/v1/connect/{p}/users?after=eyJ4IjoxfQ", {}),
    ("GET", "/v1/connect/apps?category_ids=&limit=-5", {}),
    ("PUT", "/v1/connect/apps", {}),
    ("HEAD", "/v1/connect/{p}/proxy/L3g?external_user_id=robust-user&account_id={a}", {}),
    ("OPTIONS", "/v1/connect/{p}/proxy/L3g?external_user_id=robust-user&account_id={a}", {}),
    ("TRACE", "/v1/connect/apps", {}),
    ("GET", "/v1/connect/{p}/" + "a/" * 3000, {}),
    ("GET", "/v1/connect/%00/accounts", {}),
]


@pytest.mark.parametrize(("method", "path", "headers"), MALFORMED)
def test_malformed_requests_get_a_4xx_error_object(
    stack: Stack,
    token: str,
    account_id: str,
    method: str,
    path: str,
    headers: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
):
    caplog.set_level(logging.ERROR)
    with httpx.Client(base_url=stack.base_url, trust_env=False) as client:
        response = client.request(
            method,
            path.format(p=stack.project_id, a=account_id),
            headers={
                "authorization": f"Bearer {token}",
                "x-pd-environment": "development",
                **headers,
            },
        )
    assert 400 <= response.status_code < 500, response.text
    if method != "HEAD":
        assert response.json()["error"]
    assert not [r for r in caplog.records if r.name.startswith("workbench.")]


@pytest.mark.parametrize(
    "raw_request",
    [
        b"GET /v1/connect/apps/caf\xc3\xa9 HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {t}"
        b"\r\n\r\n",
        b"GET /v1/connect/apps?q=\xff HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {t}"
        b"\r\n\r\n",
        b"POST /v1/oauth/token HTTP/1.1\r\nHost: {host}\r\nContent-Length: 3\r\n"
        b'Content-Type: application/json\r\n\r\n{"a',
        b"POST /v1/oauth/token HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n3\r\n[1]\r\n0\r\n\r\n",
    ],
)
def test_raw_malformed_bytes_never_500(stack: Stack, token: str, raw_request: bytes):
    host = f"127.0.0.1:{stack.server.port}".encode()
    payload = raw_request.replace(b"{host}", host).replace(b"{t}", token.encode())
    with socket.create_connection(("127.0.0.1", stack.server.port), timeout=10) as sock:
        sock.sendall(payload)
        status_line = sock.recv(65536).split(b"\r\n", 1)[0]
    status = int(status_line.split()[1])
    assert 200 <= status < 500, status_line


CANARY = "-".join(["sk_live", "SHOULD", "NOT", "LEAK"])  # never a literal in a traceback line


class _BrokenWorkspace:
    tokens = MemoryTokens()

    def list_users(self, project_id: str, **filters: object) -> list[object]:
        raise RuntimeError(f"boom with secret {CANARY}")


class _BrokenConnections:
    workspace = _BrokenWorkspace()


def test_unexpected_failure_is_a_bare_500_and_a_clean_log(caplog: pytest.LogCaptureFixture):
    app = build_app(
        connections=_BrokenConnections(),  # type: ignore[arg-type]
        engine=None,  # type: ignore[arg-type]
        allowed_hosts={"testserver"},
    )
    store = app.state.tokens
    token = store.issue("proj_x").access_token
    caplog.set_level(logging.ERROR)

    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            return await c.get(
                "/v1/connect/proj_x/users", headers={"authorization": f"Bearer {token}"}
            )

    response = asyncio.run(call())
    assert response.status_code == 500
    assert response.json() == {"error": "internal error"}
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "RuntimeError" in logged
    assert "list_users" in logged
    assert CANARY not in logged
    assert CANARY not in response.text


class _GuardBug(Exception):
    """Raised by a deliberately broken layer in front of the router."""


def test_failure_outside_the_router_is_a_bare_500(caplog: pytest.LogCaptureFixture):
    async def broken(scope: Any, receive: Any, send: Any) -> None:
        raise _GuardBug(CANARY)

    app = ConnectApi(broken, tokens=TokenStore(), context=None)  # type: ignore[arg-type]
    caplog.set_level(logging.ERROR)

    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            return await c.get("/anything")

    response = asyncio.run(call())
    assert (response.status_code, response.json()) == (500, {"error": "internal error"})
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "_GuardBug" in logged
    assert CANARY not in logged


def test_lifespan_is_acknowledged():
    app = build_app(
        connections=_BrokenConnections(),  # type: ignore[arg-type]
        engine=None,  # type: ignore[arg-type]
        allowed_hosts={"testserver"},
    )
    incoming = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return next(incoming)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app({"type": "lifespan"}, receive, send))  # type: ignore[arg-type]
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]


def _raw_status(stack: Stack, payload: bytes) -> tuple[int, bytes]:
    """Send raw bytes (asking to close) on a fresh connection; the answer's status and body."""
    with socket.create_connection(("127.0.0.1", stack.server.port), timeout=10) as sock:
        sock.sendall(payload)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


@pytest.mark.parametrize(
    "hosts",
    [
        ["{host}", "{host}"],
        ["{host}", "evil.example"],
        ["evil.example", "{host}"],
        [],
    ],
)
def test_a_request_without_exactly_one_host_is_400(stack: Stack, hosts: list[str]):
    host = f"127.0.0.1:{stack.server.port}"
    lines = "".join(f"Host: {value.format(host=host)}\r\n" for value in hosts)
    status, body = _raw_status(
        stack, f"GET /v1/connect/apps HTTP/1.1\r\n{lines}Connection: close\r\n\r\n".encode()
    )
    assert status == 400
    assert b"Host" in body


def _nested(depth: int, *, kind: str) -> bytes:
    """JSON nested ``depth`` deep; 0 means as deep as fits just under the 64 KiB body cap."""
    if kind == "array":
        depth = depth or 32_000
        return b"[" * depth + b"]" * depth
    depth = depth or 10_000
    return b'{"a":' * depth + b"1" + b"}" * depth


@pytest.mark.parametrize("kind", ["array", "object"])
@pytest.mark.parametrize("depth", [33, 5_000, 0])
def test_deeply_nested_json_on_the_token_endpoint_is_400(
    stack: Stack, kind: str, depth: int, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.ERROR)
    with httpx.Client(base_url=stack.base_url, trust_env=False) as client:
        response = client.post(
            "/v1/oauth/token",
            content=_nested(depth, kind=kind),
            headers={"content-type": "application/json"},
        )
    assert response.status_code == 400, response.text
    assert "nests deeper than 32 levels" in response.json()["error"]
    assert not [r for r in caplog.records if r.name.startswith("workbench.")]


def test_brackets_inside_strings_do_not_count_as_nesting(stack: Stack):
    with httpx.Client(base_url=stack.base_url, trust_env=False) as client:
        response = client.post(
            "/v1/oauth/token",
            json={
                "grant_type": "client_credentials",
                "client_id": stack.client_id,
                "client_secret": stack.client_secret,
                "scope": "[" * 1000 + '\\"{' * 100,
            },
        )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("body", "content_type", "status", "message"),
    [
        (b" " * (64 * 1024 + 1), "application/json", 413, "exceeds 65536 bytes"),
        (b"&".join(b"f%d=1" % n for n in range(101)), "application/x-www-form-urlencoded", 400,
         "at most 100 fields"),
    ],
)  # fmt: skip
def test_a_parsed_body_is_bounded_in_size_and_fields(
    stack: Stack, body: bytes, content_type: str, status: int, message: str
):
    with httpx.Client(base_url=stack.base_url, trust_env=False) as client:
        response = client.post(
            "/v1/oauth/token", content=body, headers={"content-type": content_type}
        )
    assert response.status_code == status
    assert message in response.json()["error"]
