"""The window's icon, from the PNGs in the package data (one per size, no SVG plugin needed)."""

from __future__ import annotations

from PySide6.QtGui import QIcon, QPixmap

from workbench.resources import resource

ICON_SIZES = (16, 32, 48, 64, 128, 256, 512)  # the PNGs shipped (512 for desktop installs)
# What a window icon is drawn at: title bars, task switchers, _NET_WM_ICON. Decoding the
# 512 px PNG would add about 3.5 ms to every start for a size no window shows.
WINDOW_ICON_SIZES = tuple(size for size in ICON_SIZES if size <= 256)


class IconError(OSError):
    """An icon file of the package data is missing or unreadable (a broken install)."""


def app_icon() -> QIcon:
    """The workbench's window icon at every size of :data:`WINDOW_ICON_SIZES`.

    Raises:
        IconError: naming the file that is missing or not a PNG.
    """
    icon = QIcon()
    for size in WINDOW_ICON_SIZES:
        name = f"workbench-{size}.png"
        pixmap = QPixmap()
        try:
            data = resource("icons", name).read_bytes()
        except OSError as error:
            raise IconError(f"cannot read the icon file icons/{name}: {error}") from None
        if not pixmap.loadFromData(data, "PNG") or pixmap.width() != size:
            raise IconError(f"the icon file icons/{name} is not a {size} px PNG")
        icon.addPixmap(pixmap)
    return icon
