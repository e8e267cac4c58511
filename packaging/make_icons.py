"""Render the app icon's PNGs, .ico and .icns from its SVG with Qt (run it after editing the SVG).

    python packaging/make_icons.py           # write them
    python packaging/make_icons.py --check   # exit 1 when a committed file is stale

The SVG (``resources/icons/workbench.svg``) is the only drawn source. The PNGs are package
data (the window icon, and the hicolor sizes a Linux desktop installs); the .ico (Windows)
and .icns (macOS) hold PNGs of the same renderings, for the PyInstaller bundles.
"""

from __future__ import annotations

import argparse
import os
import struct
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ROOT = Path(__file__).resolve().parent.parent
SVG = ROOT / "resources" / "icons" / "workbench.svg"
PNG_SIZES = (16, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 32, 48, 64, 128, 256)  # 256 is the largest an .ico entry can say
# .icns entry types holding PNG data, by pixel size (the "@2x" types reuse the same pixels).
ICNS_TYPES = (
    (b"icp4", 16),
    (b"icp5", 32),
    (b"ic11", 32),
    (b"icp6", 64),
    (b"ic12", 64),
    (b"ic07", 128),
    (b"ic08", 256),
    (b"ic13", 256),
    (b"ic09", 512),
    (b"ic14", 512),
)
# Renderings may differ by a rounding step between Qt versions; a redraw differs by far more.
TOLERANCE = 8


def png_path(size: int) -> Path:
    """Where the PNG of ``size`` pixels lives."""
    return ROOT / "resources" / "icons" / f"workbench-{size}.png"


ICO = ROOT / "packaging" / "icons" / "workbench.ico"
ICNS = ROOT / "packaging" / "icons" / "workbench.icns"


def render(renderer: QSvgRenderer, size: int) -> QImage:
    """The SVG drawn on a transparent ``size`` x ``size`` image."""
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    return image.convertToFormat(QImage.Format.Format_ARGB32)


def png_bytes(image: QImage) -> bytes:
    """``image`` encoded as PNG."""
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):
        raise OSError("Qt could not encode a PNG")
    return bytes(data.data())


def ico_bytes(pngs: dict[int, bytes]) -> bytes:
    """An .ico file whose entries are PNGs (read by Windows Vista and later)."""
    header = struct.pack("<HHH", 0, 1, len(ICO_SIZES))
    offset = len(header) + 16 * len(ICO_SIZES)
    entries, payload = b"", b""
    for size in ICO_SIZES:
        data = pngs[size]
        side = size % 256  # 0 means 256
        entries += struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(data), offset)
        payload += data
        offset += len(data)
    return header + entries + payload


def icns_bytes(pngs: dict[int, bytes]) -> bytes:
    """An .icns file whose entries are PNGs (read by macOS 10.7 and later)."""
    body = b"".join(
        kind + struct.pack(">I", 8 + len(pngs[size])) + pngs[size] for kind, size in ICNS_TYPES
    )
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def differs(path: Path, expected: QImage) -> str:
    """Why the committed PNG at ``path`` is not the rendering ``expected`` ("" when it is)."""
    found = QImage(str(path))
    if found.isNull():
        return "missing or unreadable"
    found = found.convertToFormat(QImage.Format.Format_ARGB32)
    if found.size() != expected.size():
        return f"{found.width()}x{found.height()} instead of {expected.width()}x{expected.height()}"
    have, want = bytes(found.constBits()), bytes(expected.constBits())
    worst = 0 if have == want else max(abs(a - b) for a, b in zip(have, want, strict=True))
    return f"a pixel differs by {worst} of 255" if worst > TOLERANCE else ""


def main(argv: list[str] | None = None) -> int:
    """Write the icons, or with ``--check`` report the stale ones; the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare, write nothing")
    args = parser.parse_args(argv)
    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(SVG))
    if not renderer.isValid():
        sys.stderr.write(f"make_icons: {SVG} is not a valid SVG\n")
        return 1
    images = {size: render(renderer, size) for size in PNG_SIZES}
    if args.check:
        stale = [
            f"{png_path(s).name}: {why}"
            for s in PNG_SIZES
            if (why := differs(png_path(s), images[s]))
        ]
        for path in (ICO, ICNS):
            if not path.is_file():
                stale.append(f"{path.name}: missing")
        for line in stale:
            sys.stderr.write(f"make_icons: stale {line}; run python packaging/make_icons.py\n")
        return 1 if stale else 0
    pngs = {size: png_bytes(image) for size, image in images.items()}
    for size, data in pngs.items():
        png_path(size).write_bytes(data)
    ICO.parent.mkdir(parents=True, exist_ok=True)
    ICO.write_bytes(ico_bytes(pngs))
    ICNS.write_bytes(icns_bytes(pngs))
    sys.stdout.write(f"wrote {len(pngs)} PNGs, {ICO.name} and {ICNS.name} from {SVG.name}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
