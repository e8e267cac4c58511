"""Measure how long the Qt event loop goes without running: the longest gap between ticks."""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QTimer


class StallMeter(QObject):
    """A precise 5 ms timer whose longest gap between two ticks is the longest stall.

    While the event loop runs freely the gaps stay near the interval; anything that keeps
    the UI thread busy (or waiting for the GIL) shows up as a longer gap. For benchmarks:
    ``start()``, do the work while the event loop runs, ``stop()``, read ``longest_ms``.

    Signals:
        none.
    """

    def __init__(
        self,
        interval_ms: int = 5,
        parent: QObject | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        super().__init__(parent)
        self._clock = clock
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.on_tick)
        self._last = 0.0
        self._longest = 0.0

    @property
    def longest_ms(self) -> float:
        """The longest gap seen since ``start()``, in milliseconds."""
        return self._longest * 1000.0

    def start(self) -> None:
        """Forget earlier gaps and start ticking."""
        self._longest = 0.0
        self._last = self._clock()
        self._timer.start()

    def stop(self) -> float:
        """Stop ticking; the time since the last tick counts as a gap too.

        Returns:
            The longest gap, in milliseconds.
        """
        self.on_tick()
        self._timer.stop()
        return self.longest_ms

    def on_tick(self) -> None:
        """Record the gap since the previous tick."""
        now = self._clock()
        self._longest = max(self._longest, now - self._last)
        self._last = now
