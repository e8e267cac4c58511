"""Settings: declared once, typed, defaulted; a key the code uses but never declared fails."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

import workbench.ui
from workbench.core import settings as schema
from workbench.ui.settings import Settings


def test_values_are_typed_and_bad_ones_fall_back_to_defaults(tmp_path: Path, qtbot: QtBot) -> None:
    path = tmp_path / "workbench.ini"
    settings = Settings.from_file(path)
    assert settings.get("appearance/theme") == "system"
    assert settings.get("appearance/zoom") == 100
    assert settings.get("window/geometry") == b""
    changes: list[tuple[str, object]] = []
    settings.changed.connect(lambda key, value: changes.append((key, value)))
    settings.set("appearance/zoom", "125")
    settings.set("appearance/zoom", 125)  # unchanged: no signal
    settings.set("apps/proxy_enabled_only", True)
    settings.set("window/geometry", b"\x01\x02")
    settings.sync()
    again = Settings.from_file(path)
    assert again.get("appearance/zoom") == 125
    assert again.get("apps/proxy_enabled_only") is True
    assert again.get("window/geometry") == b"\x01\x02"
    assert changes == [
        ("appearance/zoom", 125),
        ("apps/proxy_enabled_only", True),
        ("window/geometry", b"\x01\x02"),
    ]
    path.write_text("[appearance]\ntheme=purple\nzoom=lots\n[settings]\nversion=1\n")
    broken = Settings.from_file(path)
    assert broken.get("appearance/theme") == "system"
    assert broken.get("appearance/zoom") == 100


def test_undeclared_keys_are_refused(tmp_path: Path) -> None:
    settings = Settings.from_file(tmp_path / "s.ini")
    with pytest.raises(KeyError, match="not declared"):
        settings.get("appearance/them")
    with pytest.raises(KeyError, match="not declared"):
        settings.set("window/geometri", b"")


def test_every_key_the_window_uses_is_declared() -> None:
    """A typo in a settings key fails here, not silently at run time (picard's check)."""
    package = Path(workbench.ui.__file__).parent
    used = set()
    for source in package.rglob("*.py"):
        used.update(re.findall(r"settings\.(?:get|set)\(\s*\"([^\"]+)\"", source.read_text()))
    assert used, "the scan found no settings keys: the pattern is stale"
    assert used <= set(schema.OPTIONS), sorted(used - set(schema.OPTIONS))


def test_older_files_are_upgraded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "old.ini"
    path.write_text("[settings]\nversion=1\n[look]\nzoom=150\n")

    def move_zoom(values: dict[str, object]) -> dict[str, object]:
        values["appearance/zoom"] = values.pop("look/zoom")
        return values

    monkeypatch.setattr(schema, "SCHEMA_VERSION", 2)
    monkeypatch.setattr(schema, "UPGRADES", {1: move_zoom})
    monkeypatch.setattr("workbench.ui.settings.SCHEMA_VERSION", 2)
    settings = Settings.from_file(path)
    assert settings.get("appearance/zoom") == 150
    assert settings.get("settings/version") == 2
