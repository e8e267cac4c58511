"""The exchange event bus: listeners, unsubscribing, a failing listener, and nobody listening."""

from __future__ import annotations

import logging

import pytest

from tests.core.conftest import HarnessFactory, make_app
from tests.helpers.servers import RawServer, echo
from workbench.core.events import EventBus, ExchangeEvent

pytestmark = pytest.mark.anyio


async def test_every_listener_gets_every_send_and_unsubscribing_stops_it(
    harness_factory: HarnessFactory,
) -> None:
    async with RawServer(echo) as server:
        harness = await harness_factory(make_app(server.authority))
        bus = harness.engine.events
        first: list[ExchangeEvent] = []
        second: list[ExchangeEvent] = []
        stop_first = bus.subscribe(first.append)
        bus.subscribe(second.append)
        await harness.send("/one")
        stop_first()
        await harness.send("/two")
    assert [e.url.rsplit("/", 1)[1] for e in first] == ["one"]
    assert [e.url.rsplit("/", 1)[1] for e in second] == ["one", "two"]


async def test_a_failing_listener_breaks_neither_the_send_nor_the_others(
    harness_factory: HarnessFactory, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(event: ExchangeEvent) -> None:
        raise RuntimeError("a broken view")

    async with RawServer(echo) as server:
        harness = await harness_factory(make_app(server.authority))
        received: list[ExchangeEvent] = []
        harness.engine.events.subscribe(broken)
        harness.engine.events.subscribe(received.append)
        with caplog.at_level(logging.ERROR):
            result = await harness.send("/x")
    assert result.status == 200
    assert len(received) == 1
    assert "exchange listener" in caplog.text


def test_has_listeners_follows_subscriptions() -> None:
    bus = EventBus()
    assert not bus.has_listeners  # the engine then builds no event at all
    unsubscribe = bus.subscribe(lambda event: None)
    assert bus.has_listeners
    unsubscribe()
    assert not bus.has_listeners
