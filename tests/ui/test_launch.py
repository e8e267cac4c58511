"""``workbench`` with no command, as a process: the window, usage errors, no display."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

WORKBENCH = [sys.executable, "-m", "workbench"]


def launch(
    *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*WORKBENCH, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env if env is not None else os.environ.copy(),
        check=False,
    )


def test_the_window_opens_on_the_demo_and_closes(tmp_path: Path) -> None:
    done = launch("--demo", "--settings", str(tmp_path / "s.ini"), "--quit-after", "1500")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert (tmp_path / "s.ini").exists()  # the layout was remembered on close


def test_a_usage_error_is_one_line(tmp_path: Path) -> None:
    done = launch("--demo", "--workspace", str(tmp_path / "w.sqlite3"))
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith("workbench: error:")


@pytest.mark.slow
def test_without_a_display_it_renders_the_tour_and_exits(tmp_path: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    }
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    done = launch(env=env, timeout=180)
    assert done.returncode == 0, done.stderr
    folder = tmp_path / "cache" / "workbench" / "tour"
    lines = [line for line in done.stderr.splitlines() if "propagateSizeHints" not in line]
    assert len(lines) == 1
    assert "no display" in lines[0]
    assert str(folder) in lines[0]
    assert str(folder) in done.stdout
    shots = sorted(path.name for path in folder.glob("*.png"))
    assert shots == [
        "01-apps-browser.png",
        "02-composer-findings.png",
        "03-json-response.png",
        "04-connect-account.png",
        "05-large-response-gated.png",
        "06-engine-refusal.png",
        "07-dark-theme.png",
    ]
    assert all((folder / name).stat().st_size > 10_000 for name in shots)


def test_the_tour_leaves_the_user_s_settings_alone(tmp_path: Path) -> None:
    env = os.environ.copy()
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    done = launch("--demo", "--screenshot-dir", str(tmp_path / "shots"), env=env, timeout=180)
    assert done.returncode == 0, done.stderr
    assert len(list((tmp_path / "shots").glob("*.png"))) == 7
    assert not (tmp_path / "config").exists()
