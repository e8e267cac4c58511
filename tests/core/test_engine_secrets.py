"""A canary secret never leaks: not in errors, events, results or any log record."""

from __future__ import annotations

import logging

import pytest

from tests.core.conftest import CANARY, Harness, HarnessFactory, make_app
from tests.helpers.servers import RawServer, redirect, refused_port, respond, stall_after_headers
from workbench.core.catalog import Injection
from workbench.core.errors import ProxyError
from workbench.core.events import ExchangeEvent

pytestmark = pytest.mark.anyio

QUERY = (Injection("query", name="key", template="{{credentials.api_key}}"),)
BEARER = (Injection("header", name="Authorization", template="Bearer {{credentials.api_key}}"),)


def assert_clean(harness: Harness, caplog: pytest.LogCaptureFixture, *texts: str) -> None:
    """No canary in the given texts, the published events or any captured log record."""
    for text in texts:
        assert CANARY not in text
    assert harness.events, "every send publishes an event"
    for event in harness.events:
        assert CANARY not in repr(event)
    for record in caplog.records:
        assert CANARY not in record.getMessage()
        assert CANARY not in str(record.exc_info or "")
    assert CANARY not in caplog.text


async def send_and_capture(harness: Harness, url: str = "/x", **overrides: object) -> str:
    """Send; return the text of the result or of the ProxyError (message and repr)."""
    try:
        result = await harness.send(url, **overrides)
    except ProxyError as error:
        return f"{error.message} {error!r} {error.to_dict()} {error.__cause__!r}"
    return f"{result.url} {result.headers} {result.request_headers}"


@pytest.fixture(autouse=True)
def debug_logs(caplog: pytest.LogCaptureFixture) -> None:
    """Capture every logger at DEBUG, the engine's and httpx's included."""
    caplog.set_level(logging.DEBUG)


@pytest.mark.parametrize("injection", [QUERY, BEARER], ids=["query", "bearer"])
async def test_success_and_echoed_location(
    harness_factory: HarnessFactory, caplog: pytest.LogCaptureFixture, injection: tuple[Injection]
) -> None:
    answer = respond(
        201,
        [("Location", f"/items/1?key={CANARY}"), ("X-Echo", f"Bearer {CANARY}")],
        b"created",
    )
    async with RawServer(answer) as server:
        harness = await harness_factory(make_app(server.authority, injection=injection))
        text = await send_and_capture(harness, "/items?x=1", method="POST", body=b"{}")
    assert server.requests  # the credential did go upstream ...
    assert CANARY in server.requests[0].head.decode()
    assert_clean(harness, caplog, text)  # ... and nowhere else
    assert any(r.name == "workbench.core.engine" for r in caplog.records)  # the engine did log


async def test_redirect(harness_factory: HarnessFactory, caplog: pytest.LogCaptureFixture) -> None:
    async with RawServer(redirect(302, f"https://elsewhere.example/?key={CANARY}")) as server:
        harness = await harness_factory(make_app(server.authority, injection=QUERY))
        text = await send_and_capture(harness)
    assert_clean(harness, caplog, text)


@pytest.mark.parametrize(
    "handler",
    [respond(200, [], b"x" * 2048), stall_after_headers],
    ids=["too-large", "timeout"],
)
async def test_upstream_failures(
    harness_factory: HarnessFactory, caplog: pytest.LogCaptureFixture, handler: object
) -> None:
    async with RawServer(handler) as server:  # type: ignore[arg-type]
        app = make_app(server.authority, injection=QUERY)
        harness = await harness_factory(app, deadline=0.3, max_response_bytes=1024)
        text = await send_and_capture(harness)
    assert harness.events[-1].status in (502, 504)
    assert_clean(harness, caplog, text)


async def test_protocol_garbage(
    harness_factory: HarnessFactory, caplog: pytest.LogCaptureFixture
) -> None:
    async def garbage(request: object, writer: object) -> None:
        writer.write(f"NOT-HTTP {CANARY}\r\n\r\n".encode())  # type: ignore[attr-defined]

    async with RawServer(garbage) as server:
        harness = await harness_factory(make_app(server.authority, injection=QUERY))
        text = await send_and_capture(harness)
    assert harness.events[-1].error_code == "upstream_error"
    assert_clean(harness, caplog, text)


async def test_connection_refused(
    harness_factory: HarnessFactory, caplog: pytest.LogCaptureFixture
) -> None:
    harness = await harness_factory(make_app(f"127.0.0.1:{refused_port()}", injection=QUERY))
    text = await send_and_capture(harness, "/x?a=1")
    assert harness.events[-1].error_code == "upstream_unreachable"
    assert_clean(harness, caplog, text)


async def test_refusals(
    harness_factory: HarnessFactory, echo_server: RawServer, caplog: pytest.LogCaptureFixture
) -> None:
    harness = await harness_factory(make_app(echo_server.authority, injection=QUERY))
    texts = [
        await send_and_capture(harness, "/x?key=mine"),  # credential_param_conflict
        await send_and_capture(harness, "/x", headers=(("Cookie", "a=1"),)),
        await send_and_capture(harness, "https://evil.com/"),
    ]
    bad = await harness_factory(
        make_app(echo_server.authority), secrets={"api_key": f"{CANARY}\r\n"}
    )
    texts.append(await send_and_capture(bad))
    assert [e.error_code for e in harness.events + bad.events] == [
        "credential_param_conflict",
        "restricted_header",
        "domain_not_allowed",
        "bad_credential",
    ]
    assert echo_server.connections == 0
    assert_clean(harness, caplog, *texts)
    assert_clean(bad, caplog)


async def test_events_carry_masked_values(
    harness_factory: HarnessFactory, echo_server: RawServer
) -> None:
    harness = await harness_factory(make_app(echo_server.authority, injection=QUERY + BEARER))
    result = await harness.send("/x")
    event: ExchangeEvent = harness.events[-1]
    assert event.url == result.url
    assert event.url.endswith("key=sk_t••••••")
    assert ("Authorization", "Bearer sk_t••••••") in event.request_headers
