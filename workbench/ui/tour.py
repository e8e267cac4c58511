"""The screenshot tour: drive the window through its main states on the demo, a PNG each.

``workbench --demo --screenshot-dir DIR`` runs it (and ``./dev run`` on a machine without
a display). It works the window the way a person would, through its widgets, so the
pictures show what people see.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QWidget

from workbench.core.draft import Row
from workbench.sandbox.demo import ALICE
from workbench.ui.backend import Session
from workbench.ui.mainwindow import MainWindow

LARGE_BODY = 20_000_000


async def until(condition: Callable[[], object], seconds: float = 20.0, what: str = "") -> None:
    """Let the window run until ``condition()`` is true.

    Raises:
        TimeoutError: naming ``what`` when it does not happen within ``seconds``.
    """
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"the tour waited {seconds:.0f} s for {what or 'the window'}")
        await asyncio.sleep(0.02)


async def settle(seconds: float = 0.15) -> None:
    """Let layouts, paints and deferred work happen before a picture is taken.

    Sleeping hands the thread to Qt's event loop, which does that work. Never call
    ``processEvents()`` here: a task woken inside that nested loop cannot run (asyncio
    is still inside this one), and its wakeup is lost for good.
    """
    await asyncio.sleep(seconds)


class Tour:
    """Takes the pictures of one run."""

    def __init__(self, window: MainWindow, folder: Path) -> None:
        """Pictures of ``window`` go to ``folder``."""
        self.window = window
        self.folder = folder
        self.written: list[Path] = []

    async def shot(self, name: str, widget: QWidget | None = None) -> Path:
        """Save a PNG of ``widget`` (the window by default) as ``name.png``."""
        await settle()
        path = self.folder / f"{name}.png"
        if not (widget or self.window).grab().save(str(path)):
            raise OSError(f"could not write {path}")
        self.written.append(path)
        return path

    def pick(self, user: str, account: str) -> None:
        """Choose a user and an account the way the pickers do."""
        pickers = self.window.pickers
        pickers.user.setCurrentIndex(pickers.users.row_of(user))
        if pickers.accounts.row_of(account) < 0:  # narrowed to another app: "show all"
            pickers.show_all_accounts_requested.emit()
        pickers.account.setCurrentIndex(pickers.accounts.row_of(account))

    async def send(
        self, url: str, *, method: str = "GET", headers: list[Row] | None = None
    ) -> object:
        """Compose and send a request; wait for the response to be shown."""
        window = self.window
        window.composer.load(method, url, headers or [])
        finished: list[object] = []
        shown: list[str] = []
        window.controller.request_finished.connect(finished.append)
        window.response.body.body_shown.connect(shown.append)
        try:
            window.composer.send.click()
            await until(lambda: finished, 60, f"the answer to {method} {url}")
            if finished[0] is not None:
                await until(lambda: shown, 60, "the body to be shown")
        finally:
            window.controller.request_finished.disconnect(finished.append)
            window.response.body.body_shown.disconnect(shown.append)
        return finished[0]


async def run_tour(window: MainWindow, folder: Path) -> list[Path]:
    """Drive ``window`` (on the demo) through its main states; the PNGs written.

    ``folder`` must exist.
    """
    tour = Tour(window, folder)
    window.resize(1440, 900)
    window.show()
    await window.start()
    await until(lambda: window.bridge.session is not None, what="the demo to open")

    # 1. The apps browser with a selection.
    window.apps.search.setText("git")
    await settle()
    window.apps.view.selectRow(max(0, window.apps.model.row_of("github")))
    await tour.shot("01-apps-browser")

    # 2. Two findings on a dynamic-domain app, Send disabled.
    window.apps.search.clear()
    tour.pick(ALICE, "apn_demoAliceDesk")
    window.composer.load(
        "GET",
        "https://api.example.com/tickets",
        [Row("Accept", "application/json"), Row("Cookie", "session=abc")],
    )
    window.composer.tabs.setCurrentWidget(window.composer.headers)
    await tour.shot("02-composer-findings")

    # 3. A JSON response with its timing waterfall and the budget.
    tour.pick(ALICE, "apn_demoAliceCrm")
    await tour.send("/echo/orders?status=open", headers=[Row("X-Request-Id", "tour-1")])
    await tour.shot("03-json-response")

    # 4. The connect-account dialog.
    window.apps.view.selectRow(window.apps.model.row_of("sandbox_keyheader"))
    dialog = window.on_connect()
    if dialog is not None:
        dialog.name.setText("Alice's second helpdesk")
        for name, edit in dialog._field_edits.items():
            edit.setText("globex" if name == "tenant" else "")
        await tour.shot("04-connect-account", dialog)
        dialog.reject()

    # 5. A 20 MB JSON response, gated.
    tour.pick(ALICE, "apn_demoAliceCrm")
    await tour.send(f"/large?bytes={LARGE_BODY}&format=json")
    await tour.shot("05-large-response-gated")

    # 6. The engine refuses: the project's budget is spent.
    await window.bridge.call(_spend_budget, window.controller.project_id)
    await tour.send("/echo/again")
    await tour.shot("06-engine-refusal")

    # 7. The dark theme.
    window.set_theme("dark")
    tour.pick(ALICE, "apn_demoAliceCrm")
    await tour.shot("07-dark-theme")
    window.set_theme("light")
    return tour.written


def _spend_budget(session: Session, project_id: str) -> None:
    """Spend what is left of the project's budget (the QA case of a customer's 429)."""
    budget = session.engine.budget
    while budget.peek(project_id).remaining:
        budget.take(project_id)
