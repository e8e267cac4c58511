"""The event loop for command-line runs: uvloop where it is installed, asyncio's otherwise.

The engine and the servers are plain asyncio and run on any loop (the GUI's is qasync's).
A command-line process owns its loop, so it takes the faster one: uvloop's C loop and
transports cut the REST server's time per proxied request (``bench server_vs_direct``,
which runs the server on this same loop).
"""

from __future__ import annotations

import asyncio
import importlib.util
import sys
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def loop_name() -> str:
    """Which loop :func:`run` uses: ``"uvloop"`` or ``"asyncio"`` (Windows has no uvloop)."""
    return "asyncio" if importlib.util.find_spec("uvloop") is None else "uvloop"


def run(main: Coroutine[Any, Any, T]) -> T:
    """Run ``main`` to completion on a new event loop, like :func:`asyncio.run`."""
    if loop_name() == "asyncio":
        return asyncio.run(main)
    import uvloop  # here, not at the top: absent on Windows

    return uvloop.run(main)


def new_event_loop() -> asyncio.AbstractEventLoop:
    """A new event loop of the kind :func:`run` uses, for a thread that runs its own.

    Built directly, never through the event loop policy: in the window, qasync's policy
    would hand a worker thread a Qt event loop, which only the UI thread may run.
    """
    if loop_name() == "asyncio":
        if sys.platform == "win32":
            return asyncio.ProactorEventLoop()
        return asyncio.SelectorEventLoop()
    import uvloop

    return uvloop.new_event_loop()
