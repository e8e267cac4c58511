"""The application icon: every size from the package data, and a broken install named."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSize
from PySide6.QtGui import QImageReader
from PySide6.QtWidgets import QApplication

from workbench.ui import icons

ROOT = Path(__file__).resolve().parents[2]


def test_the_icon_has_every_window_size(qapp: QApplication) -> None:
    icon = icons.app_icon()
    assert icon.availableSizes() == [QSize(size, size) for size in icons.WINDOW_ICON_SIZES]
    assert icons.WINDOW_ICON_SIZES == (16, 32, 48, 64, 128, 256)


def test_every_shipped_size_is_a_png_of_that_size(qapp: QApplication) -> None:
    for size in icons.ICON_SIZES:
        reader = QImageReader(str(ROOT / "resources" / "icons" / f"workbench-{size}.png"))
        assert reader.format() == b"png"
        assert reader.size() == QSize(size, size)


def test_the_bundle_icons_hold_the_same_sizes(qapp: QApplication) -> None:
    for name, count in (("workbench.ico", 6), ("workbench.icns", 10)):
        reader = QImageReader(str(ROOT / "packaging" / "icons" / name))
        assert reader.imageCount() == count, name
        sizes = set()
        for index in range(count):
            reader.jumpToImage(index)
            image = reader.read()
            assert image.width() == image.height()
            sizes.add(image.width())
        assert sizes <= set(icons.ICON_SIZES), name


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ("missing", "cannot read the icon file icons/workbench-32.png"),
        ("not a png", "the icon file icons/workbench-32.png is not a 32 px PNG"),
        ("wrong size", "the icon file icons/workbench-32.png is not a 32 px PNG"),
    ],
)
def test_a_broken_icon_file_is_named(
    qapp: QApplication, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: str, message: str
) -> None:
    folder = tmp_path / "icons"
    folder.mkdir()
    for size in icons.ICON_SIZES:
        (folder / f"workbench-{size}.png").write_bytes(
            (ROOT / "resources" / "icons" / f"workbench-{size}.png").read_bytes()
        )
    broken = folder / "workbench-32.png"
    if damage == "missing":
        broken.unlink()
    elif damage == "not a png":
        broken.write_bytes(b"<svg/>")
    else:
        broken.write_bytes((folder / "workbench-16.png").read_bytes())
    monkeypatch.setattr(icons, "resource", lambda *parts: tmp_path.joinpath(*parts))
    with pytest.raises(icons.IconError, match=message):
        icons.app_icon()
