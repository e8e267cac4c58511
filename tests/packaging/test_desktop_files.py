"""The desktop integration files: valid where their validators exist, and in step with the app."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from workbench import __version__
from workbench.ui.app import APP_ID

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"
DESKTOP = PACKAGING / f"{APP_ID}.desktop"
METAINFO = PACKAGING / f"{APP_ID}.metainfo.xml"


def validator(name: str) -> str:
    """The validator's path; ``./dev`` installs it on Debian, elsewhere the test is skipped."""
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed here")
    return found


def validate(*command: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(part) for part in command], capture_output=True, text=True, timeout=60, check=False
    )


def desktop_entry() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read(DESKTOP, encoding="utf-8")
    return parser["Desktop Entry"]


def test_the_metainfo_passes_appstreamcli_validate() -> None:
    done = validate(validator("appstreamcli"), "validate", "--no-net", METAINFO)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_desktop_entry_passes_desktop_file_validate() -> None:
    done = validate(validator("desktop-file-validate"), DESKTOP)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout == "", done.stdout  # not even a hint


def test_the_id_names_the_same_app_everywhere() -> None:
    """The component, the desktop entry, its icon, the command and the version agree."""
    component = ET.parse(METAINFO).getroot()
    assert component.findtext("id") == APP_ID
    assert component.findtext("launchable[@type='desktop-id']") == DESKTOP.name
    entry = desktop_entry()
    assert entry["Icon"] == APP_ID
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert entry["Exec"] in scripts
    assert component.findtext("provides/binary") == entry["Exec"]
    assert component.find("releases/release").get("version") == __version__  # type: ignore[union-attr]
    assert entry["Name"] == component.findtext("name")


def test_the_icons_are_the_svg_rendered_by_the_committed_script() -> None:
    done = subprocess.run(
        [sys.executable, str(PACKAGING / "make_icons.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
