"""Phase timings of one exchange, from the HTTP client's ``trace`` events and the network guard.

The engine's HTTP client (``wire``) reports each phase of a request
(``connection.connect_tcp``, ``connection.start_tls``, ``http11.send_request_headers`` ...)
as ``started``/``complete``/``failed`` events to a callback, named as httpcore names
them. :class:`PhaseRecorder` is that callback; it also collects the DNS time the
guarded dialer reports through a context variable (the dialer is shared by every
request, the context is per task).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token

from workbench.core.exchange import Timings

_active: ContextVar[PhaseRecorder | None] = ContextVar("workbench_phase_recorder", default=None)

# The first of these phases to start marks the end of the engine's own work.
_NETWORK_PHASES = frozenset({"connect_tcp", "send_request_headers"})


def _parse_event(event: str) -> tuple[str, bool]:
    """``"http11.send_request_headers.started"`` -> ``("send_request_headers", True)``."""
    phase, _, edge = event.partition(".")[2].rpartition(".")
    return phase, edge == "started"


# A handful of distinct names recur on every request: parse each once (hot path).
_EVENTS: dict[str, tuple[str, bool]] = {}


def note_dns(milliseconds: float) -> None:
    """Add DNS and address-check time to the recorder of the current request, if any."""
    recorder = _active.get()
    if recorder is not None:
        recorder.dns_ms += milliseconds


class PhaseRecorder:
    """Collects the phases of one request and turns them into :class:`Timings`.

    Create it when the engine starts work on a request; pass :meth:`trace` as the
    ``trace`` extension; wrap the network part in :meth:`active` so that DNS time is
    attributed to it; call :meth:`mark_headers` when response headers arrived and
    :meth:`finish` when the body is read.
    """

    def __init__(self, *, clock: Callable[[], float] = time.perf_counter) -> None:
        """Start the clock.

        Args:
            clock: a monotonic clock in seconds (injectable for tests).
        """
        self._clock = clock
        self.started = clock()
        self.dns_ms = 0.0
        self._open: dict[str, float] = {}
        self._spent: dict[str, float] = {}
        self._network_at: float | None = None
        self._headers_at: float | None = None
        self._finished_at: float | None = None
        self.refresh_ms = 0.0
        self._refresh_before_network = 0.0  # ms, taken out of the engine's own time
        self._downloaded = 0.0  # ms of download in attempts before the last

    def trace(self, event: str) -> None:
        """The ``trace`` callback: ``event`` is ``"<layer>.<phase>.<edge>"``."""
        now = self._clock()
        parsed = _EVENTS.get(event)
        if parsed is None:
            parsed = _EVENTS[event] = _parse_event(event)
        phase, started = parsed
        if started:
            self._open[phase] = now
            if self._network_at is None and phase in _NETWORK_PHASES:
                self._network_at = now
        else:
            began = self._open.pop(phase, None)
            if began is not None:
                self._spent[phase] = self._spent.get(phase, 0.0) + (now - began) * 1000.0

    def active(self) -> _Activation:
        """A context manager making this the current task's recorder (for :func:`note_dns`)."""
        return _Activation(self)

    def mark_headers(self) -> None:
        """Note that the response headers have arrived (the download starts)."""
        self._headers_at = self._clock()

    @contextmanager
    def refreshing(self) -> Iterator[None]:
        """Time an OAuth token refresh as a phase of its own."""
        began = self._clock()
        try:
            yield
        finally:
            spent = (self._clock() - began) * 1000.0
            self.refresh_ms += spent
            if self._network_at is None:
                self._refresh_before_network += spent

    def resume(self) -> None:
        """Start another attempt (a retry after a refresh): the phases add up."""
        if self._headers_at is not None and self._finished_at is not None:
            self._downloaded += (self._finished_at - self._headers_at) * 1000.0
        self._headers_at = None
        self._finished_at = None

    def finish(self) -> None:
        """Note that the exchange is over (body read, or failed)."""
        if self._finished_at is None:
            self._finished_at = self._clock()

    def timings(self, *, request_bytes: int = 0, response_bytes: int = 0) -> Timings:
        """The phases as :class:`Timings`, in milliseconds (phases that did not run are 0)."""
        end = self._finished_at if self._finished_at is not None else self._clock()
        total = (end - self.started) * 1000.0
        network_at = self._network_at if self._network_at is not None else end
        engine = (network_at - self.started) * 1000.0 - self._refresh_before_network
        dns = self.dns_ms
        # The guarded backend resolves inside connect_tcp: the TCP connect itself is the rest.
        connect = self._spent.get("connect_tcp", 0.0) - dns
        download = self._downloaded
        if self._headers_at is not None:
            download += (end - self._headers_at) * 1000.0
        return Timings(
            engine_ms=_ms(engine),
            dns_ms=_ms(dns),
            connect_ms=_ms(connect),
            tls_ms=_ms(self._spent.get("start_tls", 0.0)),
            send_ms=_ms(
                self._spent.get("send_request_headers", 0.0)
                + self._spent.get("send_request_body", 0.0)
            ),
            wait_ms=_ms(self._spent.get("receive_response_headers", 0.0)),
            download_ms=_ms(download),
            total_ms=_ms(total),
            request_bytes=request_bytes,
            response_bytes=response_bytes,
            reused_connection=self._network_at is not None and "connect_tcp" not in self._spent,
            refresh_ms=_ms(self.refresh_ms),
        )


class _Activation:
    """Sets the current recorder on entry and restores the previous one on exit."""

    def __init__(self, recorder: PhaseRecorder) -> None:
        self._recorder = recorder
        self._token: Token[PhaseRecorder | None] | None = None

    def __enter__(self) -> PhaseRecorder:
        self._token = _active.set(self._recorder)
        return self._recorder

    def __exit__(self, *exc_info: object) -> None:
        assert self._token is not None
        _active.reset(self._token)


def _ms(value: float) -> float:
    """Never below zero (clock jitter on tiny phases, DNS measured inside connect)."""
    return value if value > 0.0 else 0.0
