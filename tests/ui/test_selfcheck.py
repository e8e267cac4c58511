"""``workbench --self-check``: every step proven, a failing step named, in process and not."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import qasync
from PySide6.QtGui import QIcon, QPalette
from PySide6.QtWidgets import QApplication

from workbench import __version__
from workbench.core.catalog import Catalog, CatalogError
from workbench.core.store.faults import ENOSPC_ENV
from workbench.core.store.vault import VaultError
from workbench.ui import selfcheck
from workbench.ui.backend import Worker
from workbench.ui.bridge import Bridge
from workbench.ui.mainwindow import MainWindow


@pytest.fixture
def bridge(qapp: QApplication) -> Iterator[Bridge]:
    """A bridge to a started worker; the app's palette and icon are put back afterwards."""
    palette, icon = QPalette(qapp.palette()), QIcon(qapp.windowIcon())
    worker = Worker()
    worker.start()
    bridge = Bridge(worker)
    yield bridge
    bridge.close()
    qapp.setPalette(palette)
    qapp.setWindowIcon(icon)


def check(loop: qasync.QEventLoop, bridge: Bridge, tmp_path: Path) -> selfcheck.Report:
    return loop.run_until_complete(selfcheck.self_check(bridge, tmp_path / "settings.ini"))


def test_every_step_passes_and_is_named_on_one_line(
    qloop: qasync.QEventLoop, bridge: Bridge, tmp_path: Path
) -> None:
    report = check(qloop, bridge, tmp_path)
    assert report.passed, report.line()
    assert [phrase.split(" ")[0] for phrase in report.checked] == list(selfcheck.STEPS)
    line = report.line()
    assert line.startswith(f"workbench {__version__} self-check passed in ")
    assert "\n" not in line
    assert f"catalog ({len(Catalog.load_builtin())} apps)" in line
    assert "icon (6 sizes)" in line
    assert "/echo/self-check: 200, bearer credential injected" in line
    assert "window (opened on the demo and closed, offscreen)" in line
    assert QApplication.instance().windowIcon().availableSizes()  # type: ignore[union-attr]
    # the window remembered its layout in the settings file it was given, nowhere else
    assert [path.name for path in tmp_path.iterdir()] == ["settings.ini"]


@contextlib.asynccontextmanager
async def _never_opens() -> AsyncIterator[None]:
    await asyncio.sleep(30)
    yield


def _break(step: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Make ``step`` fail as it would in a broken installation; the message expected."""
    if step == "catalog":

        def broken() -> Catalog:
            raise CatalogError("resources/catalog/apps.json is not in the package")

        monkeypatch.setattr(Catalog, "load_builtin", broken)
        return "resources/catalog/apps.json is not in the package"
    if step == "vault":

        def no_vault(mode: str) -> None:
            raise VaultError("the memory store is out of order")

        monkeypatch.setattr(selfcheck, "open_vault", no_vault)
        return "the memory store is out of order"
    if step == "sandbox":  # a full disk under the demo workspace (a named fault point)
        monkeypatch.setenv(ENOSPC_ENV, "workspace.commit")
        return "No space left on device"
    if step == "engine":  # the engine refuses: no such account
        monkeypatch.setattr(selfcheck, "ACCOUNT", "apn_missing")
        return "(engine: 404 account_not_found)"

    def no_window(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("no widgets today")

    monkeypatch.setattr(MainWindow, "__init__", no_window)
    return "RuntimeError: no widgets today"


@pytest.mark.parametrize("step", selfcheck.STEPS)
def test_a_failing_step_is_named_and_stops_the_check(
    qloop: qasync.QEventLoop,
    bridge: Bridge,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    step: str,
) -> None:
    expected = _break(step, monkeypatch)
    report = check(qloop, bridge, tmp_path)
    assert not report.passed
    assert report.failed_step == step
    assert expected in report.failure
    assert report.line().startswith(f"workbench: error: self-check failed at the {step} step: ")
    done = [phrase.split(" ")[0] for phrase in report.checked]
    assert step not in done
    assert set(done) <= set(selfcheck.STEPS[: selfcheck.STEPS.index(step)])


def test_a_step_that_hangs_is_named_with_its_time_limit(
    qloop: qasync.QEventLoop, bridge: Bridge, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(selfcheck, "STEP_SECONDS", 0.5)
    monkeypatch.setattr("workbench.sandbox.demo.open_demo", _never_opens)
    report = check(qloop, bridge, tmp_path)
    assert (report.failed_step, report.failure) == ("sandbox", "did not finish within 0.5 s")


def _self_check(**env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "workbench", "--self-check"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen", **env},
        check=False,
    )


def test_as_a_process_it_prints_one_line_and_exits_0() -> None:
    done = _self_check()
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert done.stdout.count("\n") == 1
    assert done.stdout.startswith(f"workbench {__version__} self-check passed in ")


def test_as_a_process_a_failure_is_one_line_on_stderr_and_exit_1() -> None:
    done = _self_check(**{ENOSPC_ENV: "workspace.commit"})
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith("workbench: error: self-check failed at the sandbox step: ")
    assert "Traceback" not in done.stderr
