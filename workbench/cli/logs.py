"""Log records on the terminal: one ``workbench: level: message`` line, never a traceback."""

from __future__ import annotations

import logging
import os
import sys


class _OneLineFormatter(logging.Formatter):
    """Warnings as single lines: no traceback reaches the terminal from a log record."""

    def format(self, record: logging.LogRecord) -> str:
        return f"workbench: {record.levelname.lower()}: {record.getMessage()}"


def configure_logging() -> None:
    """Send warnings (everything with ``WORKBENCH_DEBUG`` set) to stderr, one line each."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_OneLineFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if os.environ.get("WORKBENCH_DEBUG") else logging.WARNING)
