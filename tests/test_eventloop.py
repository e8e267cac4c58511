"""The command line's event loop: uvloop when installed, asyncio's otherwise."""

from __future__ import annotations

import asyncio
import importlib.util

from workbench import eventloop


async def _loop_module() -> str:
    await asyncio.sleep(0)
    return type(asyncio.get_running_loop()).__module__


def test_run_uses_the_loop_it_names() -> None:
    expected = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    assert eventloop.loop_name() == expected
    assert eventloop.run(_loop_module()).split(".")[0] == expected
