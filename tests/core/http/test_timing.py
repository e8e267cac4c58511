"""Phase timings from the HTTP client's trace events, with a fake monotonic clock."""

from __future__ import annotations

import pytest

from workbench.core.http.timing import PhaseRecorder, note_dns

pytestmark = pytest.mark.anyio


class Ticker:
    """A monotonic clock set by hand (seconds)."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def play(recorder: PhaseRecorder, clock: Ticker, script: list[tuple[float, str]]) -> None:
    """Feed ``(time, event)`` pairs to the recorder's trace callback."""
    for at, event in script:
        clock.now = at
        recorder.trace(event)


async def test_fresh_connection_phases() -> None:
    clock = Ticker()
    recorder = PhaseRecorder(clock=clock)
    with recorder.active():
        await play(recorder, clock, [(100.002, "connection.connect_tcp.started")])
        note_dns(3.0)  # the guarded backend resolves inside connect_tcp
        await play(
            recorder,
            clock,
            [
                (100.010, "connection.connect_tcp.complete"),
                (100.010, "connection.start_tls.started"),
                (100.025, "connection.start_tls.complete"),
                (100.025, "http11.send_request_headers.started"),
                (100.026, "http11.send_request_headers.complete"),
                (100.026, "http11.send_request_body.started"),
                (100.028, "http11.send_request_body.complete"),
                (100.028, "http11.receive_response_headers.started"),
                (100.078, "http11.receive_response_headers.complete"),
            ],
        )
    recorder.mark_headers()
    clock.now = 100.100
    recorder.finish()
    timings = recorder.timings(request_bytes=12, response_bytes=345)
    assert timings.engine_ms == pytest.approx(2.0)
    assert timings.dns_ms == pytest.approx(3.0)
    assert timings.connect_ms == pytest.approx(5.0)  # 8 ms in connect_tcp minus 3 ms DNS
    assert timings.tls_ms == pytest.approx(15.0)
    assert timings.send_ms == pytest.approx(3.0)
    assert timings.wait_ms == pytest.approx(50.0)
    assert timings.download_ms == pytest.approx(22.0)
    assert timings.total_ms == pytest.approx(100.0)
    assert (timings.request_bytes, timings.response_bytes) == (12, 345)
    assert timings.reused_connection is False


async def test_reused_connection_has_no_connect_phase() -> None:
    clock = Ticker()
    recorder = PhaseRecorder(clock=clock)
    await play(
        recorder,
        clock,
        [
            (100.001, "http11.send_request_headers.started"),
            (100.002, "http11.send_request_headers.complete"),
            (100.002, "http11.receive_response_headers.started"),
            (100.004, "http11.receive_response_headers.complete"),
        ],
    )
    recorder.mark_headers()
    recorder.finish()
    timings = recorder.timings()
    assert timings.reused_connection is True
    assert (timings.connect_ms, timings.tls_ms, timings.dns_ms) == (0.0, 0.0, 0.0)
    assert timings.engine_ms == pytest.approx(1.0)
    assert timings.total_ms == pytest.approx(4.0)


async def test_failed_phase_still_counts_and_nothing_is_negative() -> None:
    clock = Ticker()
    recorder = PhaseRecorder(clock=clock)
    with recorder.active():
        note_dns(9.0)  # more than connect_tcp took in total: clamps, never negative
    await play(
        recorder,
        clock,
        [(100.001, "connection.connect_tcp.started"), (100.005, "connection.connect_tcp.failed")],
    )
    recorder.finish()
    timings = recorder.timings()
    assert timings.connect_ms == 0.0
    assert timings.reused_connection is False
    assert all(value >= 0 for value in timings.to_dict().values())


def test_refused_before_network_is_all_engine_time() -> None:
    clock = Ticker()
    recorder = PhaseRecorder(clock=clock)
    clock.now = 100.0005
    recorder.finish()
    clock.now = 200.0  # later reads do not move a finished exchange
    timings = recorder.timings()
    assert timings.total_ms == pytest.approx(0.5)
    assert timings.engine_ms == pytest.approx(0.5)
    assert timings.reused_connection is False


def test_dns_outside_an_active_recorder_is_ignored() -> None:
    recorder = PhaseRecorder()
    note_dns(5.0)
    assert recorder.dns_ms == 0.0


async def test_a_token_refresh_is_its_own_phase_and_a_retry_adds_up() -> None:
    clock = Ticker()
    recorder = PhaseRecorder(clock=clock)
    clock.now = 100.001
    with recorder.refreshing():  # before sending: not the engine's own time
        clock.now = 100.051
    await play(
        recorder,
        clock,
        [
            (100.052, "http11.send_request_headers.started"),
            (100.053, "http11.send_request_headers.complete"),
            (100.053, "http11.receive_response_headers.started"),
            (100.063, "http11.receive_response_headers.complete"),
        ],
    )
    recorder.mark_headers()
    clock.now = 100.065
    recorder.finish()  # a 401 read to the end
    with recorder.refreshing():  # after it: the retry's refresh
        clock.now = 100.085
    recorder.resume()
    await play(
        recorder,
        clock,
        [
            (100.085, "http11.send_request_headers.started"),
            (100.086, "http11.send_request_headers.complete"),
            (100.086, "http11.receive_response_headers.started"),
            (100.096, "http11.receive_response_headers.complete"),
        ],
    )
    recorder.mark_headers()
    clock.now = 100.099
    recorder.finish()
    timings = recorder.timings()
    assert timings.refresh_ms == pytest.approx(70.0)
    assert timings.engine_ms == pytest.approx(2.0)  # 52 ms to the network, 50 of them refresh
    assert timings.wait_ms == pytest.approx(20.0)
    assert timings.send_ms == pytest.approx(2.0)
    assert timings.download_ms == pytest.approx(5.0)
    assert timings.total_ms == pytest.approx(99.0)
    keys = list(timings.to_dict())
    assert keys[-1] == "refresh_ms"  # the one key added; the others keep their order
    assert keys[:8] == [
        "engine_ms", "dns_ms", "connect_ms", "tls_ms", "send_ms", "wait_ms", "download_ms",
        "total_ms",
    ]  # fmt: skip
