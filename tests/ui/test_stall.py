"""The stall meter: the longest gap between ticks of its timer."""

from __future__ import annotations

import time

import pytest
from pytestqt.qtbot import QtBot

from workbench.ui.stall import StallMeter


def test_the_longest_gap_between_ticks_is_kept() -> None:
    now = [10.0]
    meter = StallMeter(clock=lambda: now[0])
    meter.start()
    for step in (0.005, 0.120, 0.004):
        now[0] += step
        meter.on_tick()
    now[0] += 0.030
    assert meter.stop() == pytest.approx(120.0)
    meter.start()
    assert meter.longest_ms == 0.0


def test_a_blocked_event_loop_shows_up(qtbot: QtBot) -> None:
    meter = StallMeter()
    meter.start()
    qtbot.wait(30)
    time.sleep(0.08)  # the UI thread is busy: no tick can run
    qtbot.wait(20)
    assert meter.stop() >= 80.0
