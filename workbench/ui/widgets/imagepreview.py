"""Image preview for response bodies: PNG, JPEG, GIF, WebP and SVG, scaled to fit.

Decoding happens on the body view's worker thread (:func:`decode_image`): ``QImage`` and
``QSvgRenderer`` release the GIL while they work and a ``QImage`` may be handed to the UI
thread. The picture kept for display is capped at :data:`DISPLAY_MAX` pixels a side, so
scaling it on every resize stays cheap however big the original was.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QByteArray, QRectF, QSize, Qt
from PySide6.QtGui import QBrush, QColor, QImage, QPainter, QPaintEvent, QPalette, QTransform
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

DISPLAY_MAX = 2048  # pixels a side of the picture kept for display
SVG_RENDER = 1024  # an SVG is drawn this big (longest side), vectors scale up cleanly


@dataclass(frozen=True)
class DecodedImage:
    """A decoded body ready to show.

    Attributes:
        image: the picture, at most :data:`DISPLAY_MAX` pixels a side.
        size: the image's own size (an SVG's default size).
        kind: ``png``, ``jpeg``, ``gif``, ``webp`` or ``svg``.
    """

    image: QImage
    size: QSize
    kind: str

    @property
    def caption(self) -> str:
        """``PNG · 640 × 480 px``."""
        return f"{self.kind.upper()} · {self.size.width()} × {self.size.height()} px"


def decode_image(data: bytes, kind: str) -> DecodedImage | str:
    """Decode an image body (runs on the worker thread).

    Returns:
        The decoded image, or one sentence saying why it could not be decoded.
    """
    if kind == "svg":
        from PySide6.QtSvg import QSvgRenderer  # an SVG body only: not worth loading at start

        renderer = QSvgRenderer(QByteArray(data))
        if not renderer.isValid():
            return "This SVG could not be read."
        size = renderer.defaultSize()
        if size.isEmpty():
            size = renderer.viewBox().size()
        if size.isEmpty():
            size = QSize(SVG_RENDER, SVG_RENDER)
        target = size.scaled(SVG_RENDER, SVG_RENDER, Qt.AspectRatioMode.KeepAspectRatio)
        image = QImage(target, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        renderer.render(painter)
        painter.end()
        return DecodedImage(image, size, kind)
    image = QImage.fromData(data)
    if image.isNull():
        return f"This {kind.upper()} image could not be decoded."
    size = image.size()
    if max(size.width(), size.height()) > DISPLAY_MAX:
        image = image.scaled(
            DISPLAY_MAX,
            DISPLAY_MAX,
            Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )
    return DecodedImage(image, size, kind)


class _Canvas(QWidget):
    """Paints the picture scaled to fit (never above its own size) on a checkerboard.

    Signals:
        none.
    """

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.image = QImage()
        self.natural = QSize()
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.palette().color(QPalette.ColorRole.Base))
        if self.image.isNull():
            return
        # Fit the image's own size (an SVG drawn bigger counts as its own size) in the view.
        shown = self.natural.scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
        if shown.width() > self.natural.width():
            shown = self.natural
        rect = QRectF(
            (self.width() - shown.width()) / 2,
            (self.height() - shown.height()) / 2,
            shown.width(),
            shown.height(),
        )
        _checkerboard(painter, rect)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.drawImage(rect, self.image)


def _checkerboard(painter: QPainter, rect: QRectF, cell: int = 8) -> None:
    """Grey squares behind the image, so transparency shows as transparency."""
    tile = QImage(2 * cell, 2 * cell, QImage.Format.Format_RGB32)
    tile.fill(QColor("#ffffff"))
    tile_painter = QPainter(tile)
    tile_painter.fillRect(0, 0, cell, cell, QColor("#d0d0d0"))
    tile_painter.fillRect(cell, cell, cell, cell, QColor("#d0d0d0"))
    tile_painter.end()
    brush = QBrush(tile)
    brush.setTransform(QTransform.fromTranslate(rect.left(), rect.top()))
    painter.fillRect(rect, brush)


class ImagePreview(QWidget):
    """A decoded image body with its kind and pixel size under it.

    Signals:
        none.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Image preview")
        self._canvas = _Canvas(self)
        self._caption = QLabel(self)
        self._caption.setObjectName("bodyPreviewCaption")
        self._caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._caption.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._canvas, 1)
        layout.addWidget(self._caption)

    def set_image(self, decoded: DecodedImage) -> None:
        """Show a decoded image."""
        self._canvas.image = decoded.image
        self._canvas.natural = decoded.size
        self._canvas.setAccessibleDescription(decoded.caption)
        self._caption.setText(decoded.caption)
        self._canvas.update()

    def clear(self) -> None:
        """Show nothing."""
        self._canvas.image = QImage()
        self._canvas.natural = QSize()
        self._caption.clear()
        self._canvas.update()

    def image(self) -> QImage:
        """The picture shown (null when none)."""
        return self._canvas.image

    def caption(self) -> str:
        """The text under the picture: kind and pixel size."""
        return self._caption.text()
