"""Package data: the app catalog, icons and themes (read with importlib.resources)."""

from __future__ import annotations

import importlib.resources
from importlib.resources.abc import Traversable


def resource(*parts: str) -> Traversable:
    """A file of the package data, such as ``resource("themes", "light.json")``.

    It reads the same from a source checkout, an installed wheel and a frozen bundle
    (use ``read_bytes``/``read_text``, not a file path, so it works from a zip too).
    """
    found = importlib.resources.files(__name__)
    for part in parts:
        found = found / part
    return found
