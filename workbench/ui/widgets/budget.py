"""The rate budget in the status bar: requests left of 1,000 and when a slot frees, live."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QLabel, QWidget

from workbench.core.exchange import BudgetSnapshot
from workbench.ui import theme

LOW_SHARE = 0.2  # amber below this share of the limit, red at none


def countdown(seconds: float) -> str:
    """``4:59`` for 299 seconds (rounded up: a slot is not free before the time shown)."""
    whole = max(0, math.ceil(seconds))
    return f"{whole // 60}:{whole % 60:02d}"


def budget_text(snapshot: BudgetSnapshot | None, now: float) -> str:
    """The indicator's text, such as ``Budget 998 of 1000 left · next slot in 4:59``."""
    if snapshot is None:
        return "Budget: unknown"
    text = f"Budget {snapshot.remaining} of {snapshot.limit} left"
    if snapshot.resets_at is not None and snapshot.remaining < snapshot.limit:
        text += f" · next slot in {countdown(snapshot.resets_at - now)}"
    return text


class BudgetIndicator(QLabel):
    """Shows a project's rate budget and ticks the time until a slot frees.

    It never asks the engine itself: when the countdown runs out (or every
    ``refresh_every`` seconds, since other processes share the budget) it emits
    ``refresh_needed`` and the window fetches a new snapshot off the UI thread.

    Signals:
        refresh_needed(): a newer snapshot should be fetched.
    """

    refresh_needed = Signal()

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        clock: Callable[[], float] = time.time,
        refresh_every: float = 5.0,
    ) -> None:
        """An indicator with no snapshot yet."""
        super().__init__(parent)
        self.setObjectName("budgetIndicator")
        self.setAccessibleName("Rate budget")
        self._clock = clock
        self._snapshot: BudgetSnapshot | None = None
        self._fetched_at = 0.0
        self._asked_since_freed = False
        self._refresh_every = refresh_every
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self.tick)
        self._timer.start()
        self.tick()

    def stop(self) -> None:
        """Stop ticking (the window is closing)."""
        self._timer.stop()

    @property
    def snapshot(self) -> BudgetSnapshot | None:
        """The snapshot shown."""
        return self._snapshot

    def set_snapshot(self, snapshot: BudgetSnapshot | None) -> None:
        """Show ``snapshot``."""
        self._snapshot = snapshot
        self._fetched_at = self._clock()
        self._asked_since_freed = False
        self.tick()

    def tick(self) -> None:
        """Redraw the countdown; ask for a new snapshot when a slot has freed or it is old."""
        now = self._clock()
        snapshot = self._snapshot
        self.setText(budget_text(snapshot, now))
        colors = theme.colors()
        if snapshot is None:
            color = colors.muted
        elif snapshot.remaining == 0:
            color = colors.error
        elif snapshot.remaining < snapshot.limit * LOW_SHARE:
            color = colors.warning
        else:
            color = colors.ok
        self.setStyleSheet(f"color: {color.name()}; padding: 0 6px;")
        self.setToolTip(
            "Requests this project may still send in the sliding 5-minute window "
            "(1,000 per 5 minutes, shared by every window, command and server on it)."
        )
        if snapshot is None:
            return
        freed = snapshot.resets_at is not None and now >= snapshot.resets_at
        stale = now - self._fetched_at >= self._refresh_every
        if (freed and not self._asked_since_freed) or stale:
            # One request per event or period, however long the answer takes.
            self._asked_since_freed = self._asked_since_freed or freed
            self._fetched_at = now
            self.refresh_needed.emit()
