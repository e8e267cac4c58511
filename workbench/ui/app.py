"""Start the window: the application, theme, worker thread, qasync loop, and the way out.

``workbench`` with no command comes here. With no display (and no Qt platform chosen),
it does not leave an invisible window running: it says so in one line, renders the
screenshot tour into a folder, names the folder, and exits 0. ``--self-check`` runs
:mod:`workbench.ui.selfcheck` instead (offscreen when there is no display).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# qasync picks its Qt binding from QT_API or what is already imported; make it PySide6.
os.environ.setdefault("QT_API", "pyside6")

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication

from workbench import __version__
from workbench.core.store.paths import cache_dir, default_workspace_path
from workbench.ui import icons, theme
from workbench.ui.backend import SecretsMode, SessionTarget, Worker
from workbench.ui.bridge import Bridge
from workbench.ui.settings import Settings, default_settings_path

log = logging.getLogger(__name__)
APP_NAME = "Connect Proxy Workbench"
# The desktop entry's (and AppStream component's) id, so Wayland and the dock match the
# window to its launcher and icon: packaging/<APP_ID>.desktop, <APP_ID>.metainfo.xml.
APP_ID = "io.github.connectproxy.Workbench"


@dataclass(frozen=True)
class WindowOptions:
    """What ``workbench`` (no command) was asked for.

    Attributes:
        demo: open the offline demo.
        workspace: the workspace file (default: the one in the user data directory).
        secrets: ``auto``, ``memory`` or ``file``.
        screenshot_dir: render the screenshot tour here and exit.
        settings: the settings file (default: the user configuration directory).
        quit_after: close the window after this many milliseconds (smoke tests).
        self_check: check the installation (see :mod:`workbench.ui.selfcheck`) and exit.
    """

    demo: bool = False
    workspace: Path | None = None
    secrets: SecretsMode = "auto"
    screenshot_dir: Path | None = None
    settings: Path | None = None
    quit_after: int | None = None
    self_check: bool = False


def has_display() -> bool:
    """Whether Qt can open a real window here (a Qt platform chosen by hand counts)."""
    if os.environ.get("QT_QPA_PLATFORM"):
        return True
    if not sys.platform.startswith("linux"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def default_tour_dir() -> Path:
    """Where the screenshot tour goes when there is no display: the user cache directory."""
    return cache_dir() / "tour"


def choose_target(options: WindowOptions) -> tuple[SessionTarget, bool]:
    """The session to open and whether it is a first run (demo because no workspace exists)."""
    if options.demo or options.screenshot_dir is not None:
        return SessionTarget(demo=True), False
    if options.workspace is not None:
        return SessionTarget(workspace=options.workspace, secrets=options.secrets), False
    path = default_workspace_path()
    if path.exists():
        return SessionTarget(workspace=path, secrets=options.secrets), False
    return SessionTarget(demo=True), True


def application() -> QApplication:
    """The QApplication (created once), named for settings and the platform."""
    app = QApplication.instance()
    if isinstance(app, QApplication):
        return app
    app = QApplication(sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setApplicationDisplayName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setDesktopFileName(APP_ID)
    return app


BENCH_ENV = "WORKBENCH_BENCH"  # set by ``bench/gui.py`` only


class _FirstPaint(QObject):
    """For ``bench gui``: print the time of the window's first paint."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            sys.stdout.write(f"first-paint {time.time():.6f}\n")
            sys.stdout.flush()
            watched.removeEventFilter(self)
        return False


class _FirstPaintWaiter(QObject):
    """Lets start-up wait until the window has painted once (or a few seconds passed)."""

    def __init__(self, window: QObject) -> None:
        super().__init__(window)
        self._painted = asyncio.Event()
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and not self._painted.is_set():
            self._painted.set()
            watched.removeEventFilter(self)
        return False

    async def wait(self, *, seconds: float) -> None:
        """Return after the first paint, or after ``seconds`` (a platform may not paint)."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._painted.wait()


def resident_kib() -> int:
    """This process's resident memory in KiB (Linux's /proc; peak RSS elsewhere)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") // 1024
    except (OSError, ValueError, IndexError):
        import resource

        return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def run(options: WindowOptions) -> int:
    """Run the window until it is closed; the process exit status."""
    if options.self_check:
        if not has_display():
            os.environ["QT_QPA_PLATFORM"] = "offscreen"
        from workbench.ui import selfcheck

        application()
        return selfcheck.run()
    if not has_display():
        folder = (options.screenshot_dir or default_tour_dir()).expanduser()
        sys.stderr.write(
            "workbench: no display here, so no window is left running; rendering the "
            f"screenshot tour into {folder} instead\n"
        )
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        options = WindowOptions(screenshot_dir=folder, settings=options.settings)
    settings_path = options.settings or default_settings_path()
    if options.screenshot_dir is not None:
        options.screenshot_dir.mkdir(parents=True, exist_ok=True)
        if options.settings is None:  # the tour switches themes: never in the user's settings
            settings_path = Path(tempfile.mkdtemp(prefix="workbench-tour-")) / "workbench.ini"
    import qasync  # after QT_API is set

    app = application()
    app.setQuitOnLastWindowClosed(False)  # main() ends on our signal (qasync's advice)
    app.setWindowIcon(icons.app_icon())
    settings = Settings(settings_path)
    theme.apply_theme(app, settings.get("appearance/theme"))
    theme.apply_zoom(app, settings.get("appearance/zoom"))
    worker = Worker()
    worker.start()
    bridge = Bridge(worker)
    try:
        return int(qasync.run(_main(app, bridge, settings, options)))
    finally:
        bridge.close()


async def _main(
    app: QApplication, bridge: Bridge, settings: Settings, options: WindowOptions
) -> int:
    from workbench.ui.mainwindow import MainWindow

    target, first_run = choose_target(options)
    window = MainWindow(bridge, settings, target, first_run=first_run)
    previous_hook = sys.excepthook
    _report_stray_errors(window)
    try:
        return await _show(window, options)
    finally:
        sys.excepthook = previous_hook


async def _show(window: Any, options: WindowOptions) -> int:
    if options.screenshot_dir is not None:
        from workbench.ui.tour import run_tour

        try:
            written = await run_tour(window, options.screenshot_dir)
        finally:
            window.close()
        sys.stdout.write(f"{len(written)} screenshots in {options.screenshot_dir}\n")
        return 0
    closed = asyncio.Event()
    window.closed.connect(closed.set)
    bench = bool(os.environ.get(BENCH_ENV))
    if bench:
        window.installEventFilter(_FirstPaint(window))
    painted = _FirstPaintWaiter(window)
    window.show()
    if options.quit_after is not None:
        QTimer.singleShot(options.quit_after, window.close)
    # Open the workspace once the window is on screen: the worker's imports and the
    # sandbox's start would otherwise compete with the first paint for the interpreter.
    await painted.wait(seconds=2.0)
    await window.start()
    if bench:  # the demo is open and shown: how much memory did that take?
        sys.stdout.write(f"started rss-kib {resident_kib()}\n")
        sys.stdout.flush()
        window.close()
    await closed.wait()
    return 0


def _report_stray_errors(window: Any) -> None:
    """Anything that escapes a slot or a task ends on the error bar, never as a traceback."""

    def on_task_error(_loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        error = context.get("exception")
        window.errors.report(error if isinstance(error, BaseException) else context["message"])

    def on_exception(kind: type[BaseException], error: BaseException, tb: Any) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, error, tb)
            return
        window.errors.report(error)

    asyncio.get_running_loop().set_exception_handler(on_task_error)
    sys.excepthook = on_exception
