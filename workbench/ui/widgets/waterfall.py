"""The timing waterfall: where one request's time went, phase by phase."""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from workbench.core.exchange import Timings
from workbench.ui import theme

# (label, Timings field, colour): the order the phases happen in.
PHASES: tuple[tuple[str, str, str], ...] = (
    ("Engine", "engine_ms", "#8c959f"),
    ("DNS", "dns_ms", "#bf8700"),
    ("Connect", "connect_ms", "#fb8500"),
    ("TLS", "tls_ms", "#a371f7"),
    ("Send", "send_ms", "#2da44e"),
    ("Wait", "wait_ms", "#1f6feb"),
    ("Download", "download_ms", "#0ea5b7"),
)
# Shown after the engine's own time when the request renewed an OAuth token.
REFRESH_PHASE = ("Token refresh", "refresh_ms", "#d1242f")


def phases_of(timings: Timings | None) -> tuple[tuple[str, str, str], ...]:
    """The phases one request went through (the token refresh only when there was one)."""
    if timings is None or not timings.refresh_ms:
        return PHASES
    return (PHASES[0], REFRESH_PHASE, *PHASES[1:])


def format_ms(value: float) -> str:
    """Milliseconds for people: ``0.42 ms``, ``12.3 ms``, ``1,204 ms``."""
    if value < 1:
        return f"{value:.2f} ms"
    if value < 100:
        return f"{value:.1f} ms"
    return f"{value:,.0f} ms"


def waterfall_text(timings: Timings) -> str:
    """The waterfall as text (accessible description, copy)."""
    lines = [
        f"{label}: {format_ms(getattr(timings, field))}" for label, field, _ in phases_of(timings)
    ]
    lines.append(f"Total: {format_ms(timings.total_ms)}")
    lines.append("Connection reused" if timings.reused_connection else "New connection")
    return "\n".join(lines)


class TimingView(QWidget):
    """A bar per phase (engine, DNS, connect, TLS, send, wait, download), each starting where
    the previous ended, with its milliseconds; and whether the connection was reused."""

    def __init__(self, parent: QWidget | None = None) -> None:
        """An empty waterfall."""
        super().__init__(parent)
        self.setObjectName("timingView")
        self.setAccessibleName("Timing")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self._timings: Timings | None = None
        self._empty = "Send a request to see its timings."

    @property
    def timings(self) -> Timings | None:
        """The timings shown."""
        return self._timings

    def set_timings(self, timings: Timings | None, *, empty: str = "") -> None:
        """Show ``timings``; with None, show ``empty`` (or an invitation to send) instead."""
        self._timings = timings
        self._empty = empty or "Send a request to see its timings."
        self.setAccessibleDescription(waterfall_text(timings) if timings else "No timings yet")
        self.setToolTip(waterfall_text(timings) if timings else "")
        self.updateGeometry()
        self.update()

    def _row_height(self) -> int:
        return self.fontMetrics().height() + 8

    def sizeHint(self) -> QSize:
        """Room for every phase and the summary line."""
        return QSize(420, self._row_height() * (len(phases_of(self._timings)) + 3) + 8)

    def minimumSizeHint(self) -> QSize:
        """The same as the size hint: the waterfall is unreadable when squeezed."""
        return QSize(260, self.sizeHint().height())

    def paintEvent(self, event: QPaintEvent) -> None:
        """Draw the phases."""
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        text = palette.windowText().color()
        muted = theme.colors().muted
        metrics = self.fontMetrics()
        row = self._row_height()
        if self._timings is None:
            painter.setPen(muted)
            painter.drawText(
                self.rect(),
                Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                self._empty,
            )
            return
        timings = self._timings
        phases = phases_of(timings)
        label_width = max(metrics.horizontalAdvance(label) for label, _, _ in phases) + 16
        value_width = metrics.horizontalAdvance("00,000.0 ms") + 12
        bar_left = label_width
        bar_width = max(40, self.width() - label_width - value_width - 8)
        parts = [max(0.0, getattr(timings, field)) for _, field, _ in phases]
        scale = max(timings.total_ms, sum(parts), 0.001)
        start = 0.0
        for index, ((label, _, color), value) in enumerate(zip(phases, parts, strict=True)):
            top = 4 + index * row
            painter.setPen(text)
            painter.drawText(
                QRectF(0, top, label_width - 8, row),
                Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
                label,
            )
            left = bar_left + bar_width * start / scale
            width = max(1.5 if value > 0 else 0.0, bar_width * value / scale)
            painter.fillRect(QRectF(left, top + 4, width, row - 8), QColor(color))
            painter.setPen(text if value > 0 else muted)
            painter.drawText(
                QRectF(bar_left + bar_width + 8, top, value_width, row),
                Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                format_ms(value),
            )
            start += value
        top = 4 + len(phases) * row
        painter.setPen(palette.mid().color())
        painter.drawLine(int(bar_left), top + 2, int(bar_left + bar_width), top + 2)
        painter.setPen(text)
        reused = "connection reused" if timings.reused_connection else "new connection"
        lines = (
            f"Total {format_ms(timings.total_ms)} · {reused}",
            f"Sent {timings.request_bytes:,} B · received {timings.response_bytes:,} B",
        )
        for offset, line in enumerate(lines):
            painter.drawText(
                QRectF(8, top + 4 + offset * row, self.width() - 8, row),
                Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                line,
            )
