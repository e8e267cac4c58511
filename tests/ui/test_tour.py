"""The screenshot tour's waiting helpers, on a running qasync loop."""

from __future__ import annotations

import asyncio

import qasync

from workbench.ui.tour import settle


def test_settling_never_loses_another_task_s_wakeup(qloop: qasync.QEventLoop) -> None:
    # A task woken while the tour settles must still run: a wakeup delivered inside a
    # nested event loop (processEvents within a task) cannot enter its task and is lost,
    # which once left the tour's process hanging at exit on a send's last await.
    async def scenario() -> bool:
        ready = qloop.create_future()

        async def waiter() -> None:
            await ready

        woken = asyncio.ensure_future(waiter())
        await asyncio.sleep(0)  # the waiter now awaits ``ready``
        ready.set_result(None)  # its wakeup is scheduled ...
        await settle(0.05)  # ... and delivered while the tour settles
        await asyncio.wait_for(asyncio.shield(woken), 1.0)
        return woken.done()

    assert qloop.run_until_complete(scenario())
