"""The command line's event loop: uvloop when installed, asyncio's otherwise."""

from __future__ import annotations

import asyncio
import importlib.util

import pytest

from workbench import eventloop


async def _loop_module() -> str:
    await asyncio.sleep(0)
    return type(asyncio.get_running_loop()).__module__


def test_run_uses_the_loop_it_names() -> None:
    expected = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    assert eventloop.loop_name() == expected
    assert eventloop.run(_loop_module()).split(".")[0] == expected


def test_a_worker_thread_loop_is_never_the_policy_s(monkeypatch: pytest.MonkeyPatch) -> None:
    """Under qasync the policy makes Qt loops; a worker thread must get a plain one."""

    class QtLikePolicy(asyncio.DefaultEventLoopPolicy):
        def new_event_loop(self) -> asyncio.AbstractEventLoop:
            raise AssertionError("the policy's loop was asked for")

    monkeypatch.setattr(eventloop, "loop_name", lambda: "asyncio")
    asyncio.set_event_loop_policy(QtLikePolicy())
    try:
        loop = eventloop.new_event_loop()
    finally:
        asyncio.set_event_loop_policy(None)
    try:
        assert loop.run_until_complete(asyncio.sleep(0, result=42)) == 42
    finally:
        loop.close()
