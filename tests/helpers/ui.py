"""Driving a real window in tests: open it on the demo, pick, type, send, wait.

The window's async work needs a *running* qasync loop, so every wait here runs the loop
(``loop.run_until_complete``) until a condition holds, instead of ``qtbot.waitUntil``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import qasync
from PySide6.QtCore import QCoreApplication, QEvent

from workbench.ui.backend import SessionTarget, Worker
from workbench.ui.bridge import Bridge
from workbench.ui.mainwindow import MainWindow
from workbench.ui.settings import Settings

T = TypeVar("T")


def run(loop: qasync.QEventLoop, coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` on the qasync loop (the window stays live meanwhile)."""
    return loop.run_until_complete(coroutine)


async def until(condition: Callable[[], object], seconds: float = 15.0, what: str = "") -> None:
    """Let the loop run until ``condition()`` holds; fail after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {seconds} s waiting for {what or condition}")
        await asyncio.sleep(0.01)


def wait(loop: qasync.QEventLoop, condition: Callable[[], object], what: str = "") -> None:
    """Block the test (not the window) until ``condition()`` holds."""
    run(loop, until(condition, what=what))


@contextmanager
def open_window(
    loop: qasync.QEventLoop, settings_path: Path, target: SessionTarget | None = None
) -> Iterator[MainWindow]:
    """A shown main window on ``target`` (the demo by default), closed afterwards."""
    worker = Worker()
    worker.start()
    bridge = Bridge(worker)
    window = MainWindow(bridge, Settings(settings_path), target or SessionTarget(demo=True))
    try:
        window.show()
        run(loop, window.start())
        yield window
    finally:
        window.close()
        bridge.close()
        window.deleteLater()
        # Deleted now, on this (the UI) thread, not by a later test's event loop.
        QCoreApplication.sendPostedEvents(window, QEvent.Type.DeferredDelete)


def pick(window: MainWindow, user: str, account: str = "") -> None:
    """Choose a user and (optionally) an account, as a person does in the pickers."""
    pickers = window.pickers
    pickers.user.setCurrentIndex(pickers.users.row_of(user))
    if account:
        if pickers.accounts.row_of(account) < 0:
            pickers.show_all_accounts_requested.emit()
        pickers.account.setCurrentIndex(pickers.accounts.row_of(account))


def send(loop: qasync.QEventLoop, window: MainWindow) -> object:
    """Click Send and wait for the outcome (``ProxyResult``, ``ProxyError`` or None)."""
    finished: list[object] = []
    window.controller.request_finished.connect(finished.append)
    try:
        window.composer.send.click()
        wait(loop, lambda: finished, "the request to finish")
    finally:
        window.controller.request_finished.disconnect(finished.append)
    return finished[0]
