"""``workbench --self-check``: start every part the window needs once, and say what worked.

It proves an installation (a wheel in a fresh environment, the PyInstaller bundle) can
run: the package data loads, a memory vault keeps and forgets a secret, the demo's sandbox
starts, one request goes through the engine with its credential injected, and the main
window opens on the demo, paints and closes. It prints one line naming what it checked and
exits 0, or one line naming the step that failed and exits 1. It writes nothing of the
user's: the settings go to a temporary file, the demo lives in a temporary directory.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QCoreApplication,
    QEvent,
    QMessageLogContext,
    QtMsgType,
    qInstallMessageHandler,
)
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from workbench import __version__
from workbench.core.catalog import Catalog
from workbench.core.errors import ProxyError
from workbench.core.exchange import ProxyRequest, ProxyResult
from workbench.core.store.vault import open_vault
from workbench.sandbox.demo import ALICE, DEMO_PROJECT_ID
from workbench.ui import icons, theme
from workbench.ui.backend import Session, SessionTarget, Worker
from workbench.ui.bridge import Bridge
from workbench.ui.settings import Settings

STEPS = ("catalog", "vault", "sandbox", "engine", "window")
STEP_SECONDS = 60.0  # generous: a cold start on a loaded CI machine, not a hang
# Qt's offscreen platform says this for every top-level window; it means nothing here.
_QT_NOISE = ("This plugin does not support propagateSizeHints",)
ECHO_PATH = "/echo/self-check"
ACCOUNT = "apn_demoAliceCrm"  # the demo's bearer-token account


class StepFailed(Exception):
    """A step of the self-check did not do what it should (the message says what)."""


@dataclass
class Report:
    """What the self-check found.

    Attributes:
        checked: one phrase per step that passed, in order.
        failed_step: the step that failed ("" when all passed).
        failure: why it failed.
        seconds: how long the whole check took.
    """

    checked: list[str] = field(default_factory=list)
    failed_step: str = ""
    failure: str = ""
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        """True when every step passed."""
        return not self.failed_step and len(self.checked) == len(STEPS)

    def line(self) -> str:
        """The one line to print."""
        if self.passed:
            return (
                f"workbench {__version__} self-check passed in {self.seconds:.1f} s: "
                + "; ".join(self.checked)
            )
        return f"workbench: error: self-check failed at the {self.failed_step} step: {self.failure}"


async def self_check(bridge: Bridge, settings_path: Path) -> Report:
    """Run the steps of :data:`STEPS` in order; stop at the first that fails.

    Args:
        bridge: a bridge to a started worker; it holds the demo session afterwards (the
            caller closes it).
        settings_path: the settings file the window may write (a temporary one).
    """
    from workbench.ui.mainwindow import MainWindow  # the widgets: only once Qt is up

    report = Report()
    started = time.monotonic()
    window: Any = None
    closed: list[bool] = []
    try:
        await _step(report, "catalog", _check_package_data)
        await _step(report, "vault", _check_vault)
        settings = Settings(settings_path)
        target = SessionTarget(demo=True)

        def build_window() -> Any:
            nonlocal window
            window = MainWindow(bridge, settings, target)
            window.closed.connect(lambda: closed.append(True))
            return window

        await _step(report, "window", _as_async(build_window), record=False)
        await _step(report, "sandbox", lambda: _check_sandbox(window, target))
        await _step(report, "engine", lambda: _check_engine(bridge))
        await _step(report, "window", lambda: _check_window(window))
    finally:
        if window is not None:
            _dispose(window, closed=bool(closed))
        report.seconds = time.monotonic() - started
    return report


def _dispose(window: Any, *, closed: bool) -> None:
    """Close the window (stopping its timers) and delete it now, on this (the UI) thread.

    Left to Python's garbage collector, the last reference could go in the worker thread
    (a finished future's callback), and Qt cannot stop a timer from another thread.
    """
    if not closed:
        window.close()
    window.deleteLater()
    QCoreApplication.sendPostedEvents(window, QEvent.Type.DeferredDelete)


async def _step(
    report: Report,
    name: str,
    check: Callable[[], Awaitable[Any]],
    *,
    record: bool = True,
) -> Any:
    """Run one step unless one already failed; note its phrase or its failure."""
    if report.failed_step:
        return None
    try:
        outcome = await asyncio.wait_for(check(), STEP_SECONDS)
    except TimeoutError:
        report.failed_step, report.failure = name, f"did not finish within {STEP_SECONDS:g} s"
        return None
    except Exception as error:
        report.failed_step, report.failure = name, _describe(error)
        return None
    if record:
        report.checked.append(outcome)
    return outcome


def _as_async(function: Callable[[], Any]) -> Callable[[], Awaitable[Any]]:
    async def run() -> Any:
        return function()

    return run


def _describe(error: BaseException) -> str:
    """One line for a failure: the message, with the type when it is not one of ours."""
    if isinstance(error, ProxyError):
        return f"{error.message} (engine: {error.status} {error.code})"
    text = " ".join(str(error).split())
    if isinstance(error, StepFailed):
        return text
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


async def _check_package_data() -> str:
    """The catalog, both themes and the icon load; the application wears them, as at start."""
    catalog = Catalog.load_builtin()
    if not len(catalog):
        raise StepFailed("the builtin catalog is empty")
    for name in theme.THEME_NAMES:
        theme.load_theme(name)
    icon = icons.app_icon()
    app = QApplication.instance()
    if isinstance(app, QApplication):
        theme.apply_theme(app, "system")
        app.setWindowIcon(icon)
    return (
        f"catalog ({len(catalog)} apps), {len(theme.THEME_NAMES)} themes and the icon "
        f"({len(icon.availableSizes())} sizes)"
    )


async def _check_vault() -> str:
    vault = open_vault("memory")
    secret = {"token": secrets.token_urlsafe(16)}
    vault.set_credentials("apn_selfCheck", secret)
    if vault.credentials("apn_selfCheck") != secret:
        raise StepFailed("the memory vault did not give back the secret it was given")
    if not vault.delete_credentials("apn_selfCheck") or vault.credentials("apn_selfCheck"):
        raise StepFailed("the memory vault did not forget a deleted secret")
    return "vault (in memory: kept, read and forgot a secret)"


async def _check_sandbox(window: Any, target: SessionTarget) -> str:
    # The window's own way in (it raises, where window.start() shows errors on its bar).
    session: Session = await window.controller.open(target)
    if not session.is_demo or not len(session.workspace.list_projects()):
        raise StepFailed("the demo workspace opened empty")
    return "sandbox (the demo workspace opened)"


async def _check_engine(bridge: Bridge) -> str:
    request = ProxyRequest(DEMO_PROJECT_ID, ALICE, ACCOUNT, "GET", ECHO_PATH, origin="gui")
    result: ProxyResult = await bridge.run(Session.send, request)
    if result.status != 200:
        raise StepFailed(f"the sandbox answered {result.status} to GET {ECHO_PATH}, not 200")
    try:
        echo = json.loads(result.body)
        scheme = echo["auth"]["scheme"]
    except (ValueError, TypeError, KeyError):
        raise StepFailed(f"the sandbox's echo of GET {ECHO_PATH} is not what it sends") from None
    if scheme != "bearer":
        raise StepFailed("the request reached the sandbox without the account's credential")
    return f"engine (GET {result.url}: 200, bearer credential injected)"


async def _check_window(window: Any) -> str:
    shown: list[str] = []
    window.errors.reported.connect(shown.append)
    closed = asyncio.Event()
    window.closed.connect(closed.set)
    window.show()
    deadline = time.monotonic() + STEP_SECONDS
    while not (window.windowHandle() and window.windowHandle().isExposed()):
        if time.monotonic() > deadline:
            raise StepFailed("the window was never shown")
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.1)  # let the first layout and paint happen
    if window.grab().isNull():
        raise StepFailed("the window could not be drawn")
    if "Demo" not in window.windowTitle():
        raise StepFailed(f"the window's title is {window.windowTitle()!r}, not the demo's")
    if window.windowIcon().isNull():
        raise StepFailed("the window has no icon")
    window.close()
    await closed.wait()
    if shown:
        raise StepFailed(f"the window showed an error: {shown[0]}")
    return f"window (opened on the demo and closed, {QGuiApplication.platformName()})"


def run() -> int:
    """Run the self-check under qasync (the QApplication exists), print its line; the exit code."""
    import qasync  # after QT_API is set (workbench.ui.app does)

    worker = Worker()
    worker.start()
    bridge = Bridge(worker)
    previous = qInstallMessageHandler(_pass_qt_messages)
    with tempfile.TemporaryDirectory(prefix="workbench-self-check-") as folder:
        try:
            report = qasync.run(self_check(bridge, Path(folder) / "settings.ini"))
        finally:
            bridge.close()
            qInstallMessageHandler(previous)
    stream = sys.stdout if report.passed else sys.stderr
    stream.write(report.line() + "\n")
    stream.flush()
    return 0 if report.passed else 1


def _pass_qt_messages(_kind: QtMsgType, _context: QMessageLogContext, message: str) -> None:
    """Qt's messages to stderr, as Qt prints them, less the known noise (one line stays one)."""
    if not message.startswith(_QT_NOISE):
        sys.stderr.write(message + "\n")
