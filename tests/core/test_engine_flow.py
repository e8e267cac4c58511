"""The engine's main path: ownership, the relayed result, timings, events, deadlines."""

from __future__ import annotations

import asyncio
import gzip
import json

import pytest

from tests.core.conftest import ACCOUNT, CANARY, PROJECT, USER, HarnessFactory, make_app
from tests.helpers.servers import RawRequest, RawServer, respond, stall_after_headers, trickle
from workbench.core.accounts import Account, InMemoryAccounts
from workbench.core.engine import ProxyEngine
from workbench.core.errors import ProxyError
from workbench.core.events import ExchangeEvent
from workbench.core.exchange import ProxyRequest

pytestmark = pytest.mark.anyio


async def test_success_relays_status_headers_body_and_timings(
    harness_factory: HarnessFactory, echo_server: RawServer
) -> None:
    harness = await harness_factory(make_app(echo_server.authority))
    result = await harness.send("/v1/items?page=2", method="post", body=b'{"a":1}')
    assert result.status == 200
    assert result.method == "POST"
    document = json.loads(result.body)
    assert (document["method"], document["target"], document["body"]) == (
        "POST",
        "/v1/items?page=2",
        '{"a":1}',
    )
    assert result.header("content-type") == "application/json"
    assert result.header("content-length") == str(len(result.body))
    assert result.url == f"http://{echo_server.authority}/v1/items?page=2"
    timings = result.timings
    assert all(value >= 0 for value in timings.to_dict().values())
    parts = (
        timings.engine_ms
        + timings.dns_ms
        + timings.connect_ms
        + timings.tls_ms
        + timings.send_ms
        + timings.wait_ms
        + timings.download_ms
    )
    assert timings.total_ms >= parts
    assert timings.request_bytes == 7
    assert timings.response_bytes == len(result.body)
    assert timings.reused_connection is False
    assert result.budget is not None
    assert result.budget.remaining == harness.engine.budget.limit - 1


async def test_connection_is_reused(
    harness_factory: HarnessFactory, echo_server: RawServer
) -> None:
    harness = await harness_factory(make_app(echo_server.authority))
    await harness.send()
    second = await harness.send()
    assert second.timings.reused_connection is True
    assert second.timings.connect_ms == 0.0
    assert echo_server.connections == 1


async def test_upstream_errors_are_results_not_engine_errors(
    harness_factory: HarnessFactory,
) -> None:
    async with RawServer(respond(429, [("Retry-After", "7")], b"slow down")) as server:
        harness = await harness_factory(make_app(server.authority))
        result = await harness.send("/x")
    assert (result.status, result.body, result.header("retry-after")) == (429, b"slow down", "7")
    assert harness.events[-1].error_code is None  # the upstream's 429, not the engine's


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("account_id", "apn_missing"),
        ("project_id", "proj_other"),
        ("external_user_id", "someone-else"),
        ("environment", "production"),
    ],
)
async def test_account_ownership_is_one_404(
    harness_factory: HarnessFactory, echo_server: RawServer, field: str, value: str
) -> None:
    harness = await harness_factory(make_app(echo_server.authority))
    request = harness.request("/x", **{field: value})
    with pytest.raises(ProxyError) as caught:
        await harness.engine.send(request)
    error = caught.value
    assert (error.status, error.code) == (404, "account_not_found")
    assert error.message == f"Account {request.account_id} was not found for this external user"
    assert echo_server.connections == 0
    assert harness.engine.budget_snapshot(PROJECT).remaining == harness.engine.budget.limit


async def test_app_missing_and_not_proxy_enabled(
    harness_factory: HarnessFactory, echo_server: RawServer
) -> None:
    disabled = make_app(echo_server.authority, slug="disabled", proxy_enabled=False)
    harness = await harness_factory(disabled)
    harness.add_account("apn_gone", app="gone")
    with pytest.raises(ProxyError) as missing:
        await harness.send("/x", account_id="apn_gone")
    assert (missing.value.status, missing.value.code) == (404, "app_not_found")
    with pytest.raises(ProxyError) as off:
        await harness.send("/x")
    assert (off.value.status, off.value.code) == (403, "app_not_proxy_enabled")
    assert echo_server.connections == 0


async def test_catalog_is_replaceable(
    harness_factory: HarnessFactory, echo_server: RawServer
) -> None:
    harness = await harness_factory(make_app(echo_server.authority))
    harness.engine.catalog = {}
    with pytest.raises(ProxyError) as caught:
        await harness.send("/x")
    assert caught.value.code == "app_not_found"


async def test_hop_by_hop_headers_are_removed(harness_factory: HarnessFactory) -> None:
    answer = respond(
        200,
        [
            ("Connection", "keep-alive, X-Private-Hop"),
            ("Keep-Alive", "timeout=5"),
            ("X-Private-Hop", "1"),
            ("Proxy-Authenticate", "Basic"),
            ("Proxy-Connection", "keep-alive"),
            ("Trailer", "Expires"),
            ("Upgrade", "h2c"),
            ("TE", "trailers"),
            ("X-Kept", "yes"),
            ("Set-Cookie", "a=1"),
        ],
        b"ok",
    )
    async with RawServer(answer) as server:
        harness = await harness_factory(make_app(server.authority))
        result = await harness.send("/x")
    names = [name.lower() for name, _ in result.headers]
    assert names == ["x-kept", "set-cookie", "content-length"]
    assert result.header("content-length") == "2"


async def test_chunked_body_is_relayed_with_a_length(harness_factory: HarnessFactory) -> None:
    chunked = b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
    answer = respond(200, [("Transfer-Encoding", "chunked")], chunked)
    async with RawServer(answer) as server:
        harness = await harness_factory(make_app(server.authority))
        result = await harness.send("/x")
    assert result.body == b"hello world"
    assert [n.lower() for n, _ in result.headers] == ["content-length"]
    assert result.header("content-length") == "11"


async def test_gzip_body_is_decoded_and_length_fixed(harness_factory: HarnessFactory) -> None:
    payload = b'{"items": [' + b"1," * 500 + b"1]}"
    packed = gzip.compress(payload)
    answer = respond(
        200, [("Content-Encoding", "gzip"), ("Content-Length", str(len(packed)))], packed
    )
    async with RawServer(answer) as server:
        harness = await harness_factory(make_app(server.authority))
        result = await harness.send("/x")
    assert result.body == payload
    assert result.header("content-encoding") is None
    assert result.header("content-length") == str(len(payload))
    assert result.timings.response_bytes == len(packed)  # bytes on the wire


async def test_an_unknown_coding_is_relayed_untouched(harness_factory: HarnessFactory) -> None:
    """A body the engine cannot decode keeps its Content-Encoding: never relayed as plain."""
    packed = b"\x1b\x07\x00\xf8\xa5\x85\x88\x80\x00"  # a brotli stream, opaque here
    answer = respond(200, [("Content-Encoding", "br"), ("Content-Type", "text/plain")], packed)
    async with RawServer(answer) as server:
        harness = await harness_factory(make_app(server.authority))
        result = await harness.send("/x")  # sent despite "Accept-Encoding: gzip, deflate"
    assert result.body == packed
    assert result.header("content-encoding") == "br"
    assert result.header("content-length") == str(len(packed))


async def test_a_corrupt_gzip_body_is_502(harness_factory: HarnessFactory) -> None:
    answer = respond(200, [("Content-Encoding", "gzip")], b"not gzip at all")
    async with RawServer(answer) as server:
        harness = await harness_factory(make_app(server.authority))
        with pytest.raises(ProxyError) as caught:
            await harness.send("/x")
    assert (caught.value.status, caught.value.code) == (502, "upstream_error")
    assert "gzip body is corrupt" in caught.value.message


async def test_head_keeps_the_upstream_length(harness_factory: HarnessFactory) -> None:
    async with RawServer(respond(200, [("Content-Length", "1234")])) as server:
        harness = await harness_factory(make_app(server.authority))
        result = await harness.send("/x", method="HEAD")
    assert (result.body, result.header("content-length")) == (b"", "1234")


async def test_gzip_through_httpbin(harness_factory: HarnessFactory, httpbin: object) -> None:
    authority = httpbin.url.removeprefix("http://")  # type: ignore[attr-defined]
    harness = await harness_factory(make_app(authority))
    result = await harness.send("/gzip")
    assert result.status == 200
    assert json.loads(result.body)["gzipped"] is True
    assert result.header("content-encoding") is None


async def test_response_too_large(harness_factory: HarnessFactory) -> None:
    async with RawServer(respond(200, [], b"x" * 5000)) as server:
        harness = await harness_factory(make_app(server.authority), max_response_bytes=4096)
        with pytest.raises(ProxyError) as caught:
            await harness.send("/big")
    assert (caught.value.status, caught.value.code) == (502, "response_too_large")


async def test_events_one_per_send(harness_factory: HarnessFactory, echo_server: RawServer) -> None:
    harness = await harness_factory(make_app(echo_server.authority))
    await harness.send("/ok", origin="cli")
    with pytest.raises(ProxyError):
        await harness.send("/bad", headers=(("Cookie", "x=1"),))
    with pytest.raises(ProxyError):
        await harness.send("/x", account_id="apn_missing")
    assert [e.status for e in harness.events] == [200, 400, 404]
    ok, refused, missing = harness.events
    assert (ok.origin, ok.app_slug, ok.account_id, ok.external_user_id) == (
        "cli",
        "local",
        ACCOUNT,
        USER,
    )
    assert ok.error_code is None
    assert ok.url.endswith("/ok")
    assert ("Authorization", "Bearer sk_t••••••") in ok.request_headers  # as sent, case kept
    assert ok.response_bytes > 0
    assert ok.budget is not None
    assert refused.error_code == "restricted_header"
    assert refused.is_engine_error
    assert refused.request_headers == (("Cookie", "••••••"),)  # the caller's own, masked
    assert missing.error_code == "account_not_found"
    assert missing.app_slug == ""
    for event in harness.events:
        assert CANARY not in repr(event)


@pytest.mark.parametrize("seconds", [0, -1.5])
async def test_timeout_must_be_positive(
    harness_factory: HarnessFactory, echo_server: RawServer, seconds: float
) -> None:
    harness = await harness_factory(make_app(echo_server.authority))
    with pytest.raises(ProxyError) as caught:
        await harness.send("/x", timeout=seconds)
    assert (caught.value.status, caught.value.code) == (400, "bad_timeout")
    assert echo_server.connections == 0


async def test_engine_context_manager(
    harness_factory: HarnessFactory, echo_server: RawServer
) -> None:
    harness = await harness_factory(make_app(echo_server.authority))
    async with harness.engine as engine:
        result = await engine.send(
            ProxyRequest(PROJECT, USER, ACCOUNT, "GET", f"http://{echo_server.authority}/abs")
        )
    assert result.status == 200


def test_deadline_must_be_positive() -> None:
    accounts = InMemoryAccounts()
    with pytest.raises(ValueError, match="deadline"):
        ProxyEngine({}, accounts, accounts, deadline=0)


async def test_cancellation_publishes_an_event(harness_factory: HarnessFactory) -> None:
    arrived = asyncio.Event()

    async def stall(request: RawRequest, writer: asyncio.StreamWriter) -> None:
        arrived.set()
        await stall_after_headers(request, writer)

    async with RawServer(stall) as server:
        harness = await harness_factory(make_app(server.authority))
        task = asyncio.create_task(harness.send("/slow"))
        await arrived.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    event = harness.events[-1]
    assert (event.status, event.error_code) == (None, "cancelled")


class BrokenVault(InMemoryAccounts):
    """Credentials that cannot be read: an error the engine does not expect."""

    def credentials(self, account_id: str) -> dict[str, str]:
        raise RuntimeError(f"vault exploded holding {CANARY}")


async def test_unexpected_failure_is_a_clean_500(
    echo_server: RawServer, caplog: pytest.LogCaptureFixture
) -> None:
    vault = BrokenVault()
    vault.add(Account(ACCOUNT, PROJECT, "local", USER, allow_private_network=True))
    apps = {"local": make_app(echo_server.authority)}
    events: list[ExchangeEvent] = []
    async with ProxyEngine(apps, vault, vault) as engine:
        engine.events.subscribe(events.append)
        with pytest.raises(ProxyError) as caught:
            await engine.send(ProxyRequest(PROJECT, USER, ACCOUNT, "GET", "/x"))
    error = caught.value
    assert (error.status, error.code) == (500, "engine_error")
    assert error.__cause__ is None
    assert events[-1].error_code == "engine_error"
    assert "RuntimeError" in caplog.text
    assert "credentials" in caplog.text  # where it happened
    assert CANARY not in caplog.text


async def test_on_received_reports_the_body_as_it_arrives(harness_factory: HarnessFactory) -> None:
    async with RawServer(trickle(total=40, interval=0.002)) as server:
        harness = await harness_factory(make_app(server.authority))
        seen: list[tuple[int, int | None]] = []
        result = await harness.engine.send(
            harness.request("/drip"), on_received=lambda got, total: seen.append((got, total))
        )
    assert len(result.body) == 40
    assert len(seen) > 1  # several pieces, each reported
    assert [got for got, _ in seen] == sorted(got for got, _ in seen)
    assert seen[-1] == (40, 40)
