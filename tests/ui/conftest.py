"""Fixtures for the window's tests: the qasync loop and a guard against leaked windows.

GUI tests run offscreen (``tests/conftest.py`` sets ``QT_QPA_PLATFORM``); Qt warnings fail
them (``qt_log_level_fail`` in pyproject.toml). Async UI code needs a *running* qasync
loop, so async tests drive it with ``qloop.run_until_complete(...)``.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator

import pytest
import qasync
from PySide6.QtWidgets import QApplication


@pytest.fixture
def qloop(qapp: QApplication) -> Iterator[qasync.QEventLoop]:
    """A qasync event loop on the test's QApplication, set as the current loop."""
    loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(loop)
    yield loop
    loop.close()
    asyncio.set_event_loop(None)
    # The loop's Qt timer objects (a pending wait_for's, say) are garbage now: free them
    # here, on the UI thread. Left to the collector, they could be freed on whichever
    # thread it next runs in, and Qt cannot stop a timer from another thread.
    gc.collect()


@pytest.fixture(autouse=True)
def _no_leaked_windows(qapp: QApplication) -> Iterator[None]:
    """Fail a test that leaves a visible top-level widget behind (use ``qtbot.addWidget``)."""
    before = {id(widget) for widget in qapp.topLevelWidgets()}
    yield
    leaked = [
        widget
        for widget in qapp.topLevelWidgets()
        if widget.isVisible() and id(widget) not in before
    ]
    for widget in leaked:
        widget.close()
    assert not leaked, f"test left visible top-level widgets: {leaked}"
