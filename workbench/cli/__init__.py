"""The ``workbench`` command line: the window when no command is given, else one command.

This module only dispatches. The window's path imports no command module, and the
commands' path imports no Qt, so each starts with only what it uses (the window's cold
start is measured by ``bench/gui.py``).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``workbench`` and return the process exit status."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    from workbench.cli.window import is_window_call, run_window

    if is_window_call(arguments):
        return run_window(arguments)
    from workbench.cli.commands import run

    return run(arguments)
