"""The wheel, as a user gets it: built with ``python -m build``, installed in a fresh venv.

Outside the source tree, the installed ``workbench --version`` prints the version and
``workbench --self-check`` passes offscreen (package data, vault, sandbox, engine, window).
It takes about 30 s (build, venv, install); ``-m "not wheel"`` leaves it out locally, and
CI always runs it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from workbench import __version__

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.wheel, pytest.mark.slow, pytest.mark.timeout(900)]


def run(*command: str | Path, cwd: Path, env: dict[str, str]) -> str:
    """Run ``command``; its stdout, or a failure that shows what it printed."""
    done = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, f"{command} exited {done.returncode}:\n{done.stdout}{done.stderr}"
    return done.stdout


def package_data() -> set[str]:
    """Every data file under ``resources/``, named as it sits in the wheel."""
    return {
        f"workbench/resources/{path.relative_to(ROOT / 'resources').as_posix()}"
        for path in (ROOT / "resources").rglob("*")
        if path.is_file() and path.suffix not in (".py", ".pyc")
    }


def test_the_wheel_installs_outside_the_tree_and_passes_its_self_check(tmp_path: Path) -> None:
    assert not tmp_path.is_relative_to(ROOT)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["QT_QPA_PLATFORM"] = "offscreen"

    run(sys.executable, "-m", "build", "--outdir", tmp_path / "dist", ROOT, cwd=ROOT, env=env)
    (wheel,) = (tmp_path / "dist").glob("workbench-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = package_data()
    assert {"workbench/resources/catalog/apps.json", "workbench/resources/themes/dark.json"} < (
        expected
    )
    assert expected <= names, f"not in the wheel: {sorted(expected - names)}"

    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", venv, cwd=tmp_path, env=env)
    run(venv / "bin" / "python", "-m", "pip", "install", "-q", wheel, cwd=tmp_path, env=env)
    home = tmp_path / "elsewhere"
    home.mkdir()

    imported = run(
        venv / "bin" / "python",
        "-c",
        "import workbench, workbench.resources as r; print(workbench.__file__); print(r.__file__)",
        cwd=home,
        env=env,
    )
    assert all(Path(line).is_relative_to(venv) for line in imported.splitlines()), imported
    assert run(venv / "bin" / "workbench", "--version", cwd=home, env=env) == (
        f"workbench {__version__}\n"
    )
    line = run(venv / "bin" / "workbench", "--self-check", cwd=home, env=env)
    assert line.startswith(f"workbench {__version__} self-check passed in "), line
    assert line.count("\n") == 1
