"""The network side: address guard, deadlines, refused connections, redirects, proxies, cookies."""

from __future__ import annotations

import asyncio
import ssl
import time

import pytest
import pytest_httpbin.certs

from tests.core.conftest import CANARY, PROJECT, USER, HarnessFactory, make_app
from tests.helpers.servers import (
    RawServer,
    never_answer,
    redirect,
    refused_port,
    respond,
    set_cookie,
    stall_after_headers,
    trickle,
    unaccepting_listener,
)
from workbench.core.catalog import App, Injection
from workbench.core.errors import ProxyError

pytestmark = pytest.mark.anyio

DEADLINE = 0.5
SLACK = 1.5  # generous: loaded CI machines


class TableResolver:
    """Resolves every name to a fixed answer and counts the lookups."""

    def __init__(self, answer: list[str]) -> None:
        self.answer = answer
        self.calls = 0

    async def __call__(self, host: str, port: int) -> list[str]:
        self.calls += 1
        return self.answer


PUBLIC_APP = make_app(
    "api.example.com", base="https://api.example.com", allowed=("api.example.com",)
)


@pytest.mark.parametrize(
    "answer",
    [
        ["127.0.0.1"],
        ["10.0.0.8"],
        ["169.254.169.254"],
        ["::ffff:127.0.0.1"],
        ["64:ff9b::a9fe:a9fe"],
        ["93.184.216.34", "192.168.0.10"],
    ],
)
async def test_public_host_resolving_to_a_private_address_is_refused(
    harness_factory: HarnessFactory, answer: list[str]
) -> None:
    resolver = TableResolver(answer)
    harness = await harness_factory(PUBLIC_APP, account=False, resolver=resolver)
    harness.add_account(allow_private_network=False)
    with pytest.raises(ProxyError) as caught:
        await harness.send("/v1/me")
    error = caught.value
    # 400 private_address, not 502: the guard refused before any connect was tried.
    assert (error.status, error.code) == (400, "private_address")
    assert "api.example.com" in error.message
    assert not any(ip in error.message for ip in answer)
    assert resolver.calls == 1
    assert harness.events[-1].error_code == "private_address"


async def timed_failure(coro: object) -> tuple[ProxyError, float]:
    started = time.monotonic()
    with pytest.raises(ProxyError) as caught:
        await coro  # type: ignore[misc]
    return caught.value, time.monotonic() - started


async def test_server_that_never_accepts(harness_factory: HarnessFactory) -> None:
    with unaccepting_listener() as (host, port):
        harness = await harness_factory(make_app(f"{host}:{port}"), deadline=DEADLINE)
        error, took = await timed_failure(harness.send("/x"))
    assert (error.status, error.code) == (504, "upstream_timeout")
    assert DEADLINE * 0.9 <= took < DEADLINE + SLACK
    # The time went into the TCP connect: the backlog was full, no SYN-ACK came.
    timings = harness.events[-1].timings
    assert timings.connect_ms >= DEADLINE * 1000 * 0.8
    assert timings.send_ms == 0.0


@pytest.mark.parametrize(
    "handler",
    [never_answer, stall_after_headers, trickle(total=1000, interval=0.05)],
    ids=["never-answers", "stalls-after-headers", "trickles-body"],
)
async def test_slow_upstreams_hit_the_total_deadline(
    harness_factory: HarnessFactory, handler: object
) -> None:
    async with RawServer(handler) as server:  # type: ignore[arg-type]
        harness = await harness_factory(make_app(server.authority), deadline=DEADLINE)
        error, took = await timed_failure(harness.send("/x"))
    assert (error.status, error.code) == (504, "upstream_timeout")
    assert DEADLINE * 0.9 <= took < DEADLINE + SLACK
    assert harness.events[-1].status == 504


async def test_caller_timeout_lowers_the_deadline(harness_factory: HarnessFactory) -> None:
    async with RawServer(stall_after_headers) as server:
        harness = await harness_factory(make_app(server.authority), deadline=20.0)
        error, took = await timed_failure(harness.send("/x", timeout=0.3))
    assert error.code == "upstream_timeout"
    assert "0.3 s" in error.message
    assert took < 0.3 + SLACK


async def test_connection_refused_is_502(harness_factory: HarnessFactory) -> None:
    port = refused_port()
    harness = await harness_factory(make_app(f"127.0.0.1:{port}"))
    error, _ = await timed_failure(harness.send("/x"))
    assert (error.status, error.code) == (502, "upstream_unreachable")
    assert error.message.startswith("Could not connect to 127.0.0.1:")


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_redirects_are_returned_never_followed(
    harness_factory: HarnessFactory, echo_server: RawServer, status: int
) -> None:
    location = f"http://{echo_server.authority}/landing?key={CANARY}&next=1"
    async with RawServer(redirect(status, location)) as server:
        app = make_app(
            server.authority,
            injection=(Injection("query", name="key", template="{{credentials.api_key}}"),),
        )
        harness = await harness_factory(app)
        result = await harness.send("/start", method="POST", body=b"data")
    assert result.status == status
    assert (
        result.header("location") == f"http://{echo_server.authority}/landing?key=[REDACTED]&next=1"
    )
    assert echo_server.connections == 0  # the second server saw nothing
    assert server.requests[0].target == f"/start?key={CANARY}"
    assert CANARY not in repr(harness.events[-1])


@pytest.mark.parametrize(
    "location", ["/relative/path", "http://127.0.0.1:1/x", "https://evil.com/"]
)
async def test_any_location_is_just_relayed(harness_factory: HarnessFactory, location: str) -> None:
    async with RawServer(redirect(302, location)) as server:
        harness = await harness_factory(make_app(server.authority))
        result = await harness.send("/x")
        assert server.connections == 1
    assert (result.status, result.header("location")) == (302, location)


async def test_environment_proxies_are_ignored(
    harness_factory: HarnessFactory, echo_server: RawServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with RawServer(respond(200, [], b"from the proxy")) as proxy:
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "all_proxy"):
            monkeypatch.setenv(name, proxy.base_url)
        monkeypatch.setenv("NO_PROXY", "")
        harness = await harness_factory(make_app(echo_server.authority))
        result = await harness.send("/x")
        assert proxy.connections == 0
    assert result.status == 200
    assert echo_server.connections == 1


async def test_cookies_never_cross_accounts(harness_factory: HarnessFactory) -> None:
    async with RawServer(set_cookie("session=for-a; Path=/", "b=2")) as server:
        harness = await harness_factory(make_app(server.authority))
        harness.add_account("apn_testB", user="user-b")
        first = await harness.send("/login")
        assert first.header("set-cookie") == "session=for-a; Path=/"  # shown to the caller
        # Concurrent requests for both accounts over the shared client and pool.
        await asyncio.gather(
            *(
                harness.send("/x", account_id=account, external_user_id=user)
                for account, user in [("apn_testA", USER), ("apn_testB", "user-b")] * 5
            )
        )
    assert len(server.requests) == 11
    assert all(request.header("cookie") is None for request in server.requests)


async def test_budget_spent_before_the_network(harness_factory: HarnessFactory) -> None:
    port = refused_port()
    harness = await harness_factory(make_app(f"127.0.0.1:{port}"))
    with pytest.raises(ProxyError):
        await harness.send("/x")
    # Upstream failures count: the request was accepted and attempted.
    assert harness.engine.budget_snapshot(PROJECT).remaining == harness.engine.budget.limit - 1


def secure_app(url: str) -> App:
    """An app on a local https:// server (private networks allowed for its account)."""
    return make_app(url.removeprefix("https://"), base=url)


async def test_tls_exchange_is_timed(
    harness_factory: HarnessFactory, httpbin_secure: object
) -> None:
    trusted = ssl.create_default_context(cafile=pytest_httpbin.certs.where())
    app = secure_app(httpbin_secure.url)  # type: ignore[attr-defined]
    harness = await harness_factory(app, ssl_context=trusted)
    result = await harness.send("/get")
    assert result.status == 200
    assert result.timings.tls_ms > 0
    assert result.timings.connect_ms > 0


async def test_untrusted_certificate_is_502(
    harness_factory: HarnessFactory, httpbin_secure: object
) -> None:
    harness = await harness_factory(secure_app(httpbin_secure.url))  # type: ignore[attr-defined]
    error, _ = await timed_failure(harness.send("/get"))
    assert (error.status, error.code) == (502, "upstream_unreachable")
    assert "CERTIFICATE_VERIFY_FAILED" in error.message


async def test_tls_to_a_plain_http_server_is_502(
    harness_factory: HarnessFactory, httpbin: object
) -> None:
    plain = httpbin.url.replace("http://", "https://")  # type: ignore[attr-defined]
    harness = await harness_factory(secure_app(plain), deadline=5.0)
    error, _ = await timed_failure(harness.send("/get"))
    assert (error.status, error.code) == (502, "upstream_unreachable")
