"""Connecting an OAuth account from the window, against the local authorization server.

The system browser is replaced by a function that follows the authorize URL with an HTTP
client in a thread (or opens nothing); no test starts a real browser.
"""

from __future__ import annotations

import socket
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
import qasync
from PySide6.QtWidgets import QLineEdit
from pytestqt.qtbot import QtBot

from tests.helpers.oauthserver import CLIENT_ID, CLIENT_SECRET, OAuthServer, oauth_server
from tests.helpers.ui import open_window, pick, send, wait
from workbench.core.errors import ProxyError
from workbench.core.store.workspace import Workspace
from workbench.ui.backend import SessionTarget
from workbench.ui.dialogs.connect import ConnectAccountDialog
from workbench.ui.dialogs.oauthpanel import OAuthPanel
from workbench.ui.mainwindow import MainWindow

USER = "dana@example.com"


@pytest.fixture
def server() -> Iterator[OAuthServer]:
    with oauth_server() as running:
        yield running


@pytest.fixture
def target(tmp_path: Path, server: OAuthServer) -> SessionTarget:
    """A workspace with one project, one user and the local OAuth app imported."""
    path = tmp_path / "ws.sqlite3"
    with Workspace.open(path) as workspace:
        project = workspace.create_project("OAuth")
        workspace.ensure_user(project.id, USER)
        workspace.save_app(server.app_dict())
    return SessionTarget(workspace=path)


def following_browser(opened: list[str]) -> Callable[[str], bool]:
    """A stand-in for the system browser: follow the URL (and its redirect) in a thread."""

    def open_url(url: str) -> bool:
        opened.append(url)
        threading.Thread(
            target=lambda: httpx.get(url, follow_redirects=True, trust_env=False, timeout=30),
            daemon=True,
        ).start()
        return True

    return open_url


def open_form(loop: qasync.QEventLoop, window: MainWindow) -> ConnectAccountDialog:
    pick(window, USER)
    window.apps.search.clear()
    window.apps.view.selectRow(window.apps.model.row_of("local_oauth"))
    dialog = window.on_connect()
    assert dialog is not None
    assert dialog.oauth_panel is not None
    wait(loop, lambda: dialog.oauth_panel.redirect_uri.text(), "the redirect URI")
    return dialog


def filled_form(
    loop: qasync.QEventLoop, window: MainWindow, qtbot: QtBot
) -> tuple[ConnectAccountDialog, OAuthPanel, list[str]]:
    """A form with the client id typed and private addresses allowed; its failures listed."""
    dialog = open_form(loop, window)
    panel = dialog.oauth_panel
    assert panel is not None
    qtbot.keyClicks(panel.client_id, CLIENT_ID)
    dialog.allow_private.setChecked(True)  # the local server is on 127.0.0.1
    failures: list[str] = []
    panel.failed.connect(failures.append)
    return dialog, panel, failures


def test_an_oauth_account_is_connected_through_the_browser(
    qloop: qasync.QEventLoop,
    tmp_path: Path,
    qtbot: QtBot,
    target: SessionTarget,
    server: OAuthServer,
) -> None:
    opened: list[str] = []
    with open_window(qloop, tmp_path / "settings.ini", target) as window:
        window.open_url = following_browser(opened)
        dialog = open_form(qloop, window)
        panel = dialog.oauth_panel
        assert panel is not None
        redirect = panel.redirect_uri.text()
        assert redirect.startswith("http://127.0.0.1:")
        assert panel.scopes.text() == "profile api"
        assert not dialog.save_button.isVisibleTo(dialog)
        filled = dialog.findChild(QLineEdit, "field_api_host")
        assert not filled.isVisibleTo(dialog)  # the token response fills it
        assert not dialog.findChild(QLineEdit, "secret_oauth_access_token").isVisibleTo(dialog)
        assert not panel.start_button.isEnabled()  # no client id yet
        qtbot.keyClicks(panel.client_id, CLIENT_ID)
        qtbot.keyClicks(panel.client_secret, CLIENT_SECRET)
        assert panel.client_secret.echoMode() == QLineEdit.EchoMode.Password
        dialog.allow_private.setChecked(True)  # the local server is on 127.0.0.1
        saved: list[object] = []
        dialog.account_saved.connect(saved.append)
        panel.start_button.click()
        wait(qloop, lambda: saved, "the sign-in")
        account = saved[0]
        wait(qloop, lambda: window.pickers.account_id == account.id, "the new account")
        assert len(opened) == 1
        assert urlsplit(opened[0]).path == "/authorize"
        session = window.bridge.session
        assert session is not None
        stored = session.vault.credentials(account.id)
        assert stored["oauth_access_token"] in server.issued()
        with sqlite3.connect(session.workspace.path) as db:
            dump = "\n".join(db.iterdump())
        for secret in [*server.issued(), CLIENT_SECRET]:
            assert secret not in dump

        # A revoked grant: the send fails with the engine's code, the picker shows why.
        server.state.revoke_all()
        window.composer.load("GET", "/api/me", [])
        outcome = send(qloop, window)
        assert isinstance(outcome, ProxyError)
        assert outcome.code == "oauth_refresh_failed"
        wait(qloop, lambda: _health(window, account.id) is False, "the account's new health")

        # The next form remembers the client, its secret and the redirect URI.
        again = open_form(qloop, window)
        assert again.oauth_panel is not None
        assert again.oauth_panel.client_id.text() == CLIENT_ID
        assert again.oauth_panel.client_secret.text() == ""
        assert "Remembered" in again.oauth_panel.client_secret.placeholderText()
        assert again.oauth_panel.redirect_uri.text() == redirect
        again.reject()


def test_the_providers_error_is_shown_and_the_form_can_try_again(
    qloop: qasync.QEventLoop,
    tmp_path: Path,
    qtbot: QtBot,
    target: SessionTarget,
    server: OAuthServer,
) -> None:
    server.state.authorize_error = "access_denied"
    with open_window(qloop, tmp_path / "settings.ini", target) as window:
        window.open_url = following_browser([])
        dialog, panel, failures = filled_form(qloop, window, qtbot)
        panel.start_button.click()
        wait(qloop, lambda: failures, "the refusal")
        assert "access_denied: The user said no" in dialog.status.text()
        assert panel.start_button.isEnabled()
        assert not panel.waiting_box.isVisibleTo(dialog)
        dialog.reject()


def test_without_a_browser_the_url_is_shown_and_cancel_stops_listening(
    qloop: qasync.QEventLoop, tmp_path: Path, qtbot: QtBot, target: SessionTarget
) -> None:
    with open_window(qloop, tmp_path / "settings.ini", target) as window:
        window.open_url = lambda url: False
        dialog, panel, failures = filled_form(qloop, window, qtbot)
        urls: list[str] = []
        panel.waiting.connect(urls.append)
        panel.start_button.click()
        wait(qloop, lambda: urls, "the waiting state")
        assert panel.waiting_box.isVisibleTo(dialog)
        assert panel.authorize_url.text() == urls[0]
        assert "No browser opened" in panel.waiting_text.text()
        assert "5 minutes" in panel.waiting_text.text()
        assert panel.cancel_button.isEnabled()
        assert not panel.start_button.isEnabled()
        port = int(urlsplit(panel.redirect_uri.text()).port or 0)
        panel.cancel_button.click()
        wait(qloop, lambda: failures, "the cancellation")
        assert "cancelled" in failures[0]
        wait(qloop, lambda: not _listening(port), "the listener to close")
        # Closing the form while it waits ends the sign-in too.
        panel.start_button.click()
        wait(qloop, lambda: len(urls) == 2 and _listening(port), "the second sign-in")
        dialog.reject()
        wait(qloop, lambda: not _listening(port), "the listener to close with the form")


def test_the_sign_in_gives_up_after_its_time_limit(
    qloop: qasync.QEventLoop, tmp_path: Path, qtbot: QtBot, target: SessionTarget
) -> None:
    with open_window(qloop, tmp_path / "settings.ini", target) as window:
        window.open_url = lambda url: True  # "opened", but nobody signs in
        window.sign_in_timeout = 0.2
        dialog, panel, failures = filled_form(qloop, window, qtbot)
        panel.start_button.click()
        wait(qloop, lambda: failures, "the time limit")
        assert "within 0.2 s" in dialog.status.text()
        dialog.reject()


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _health(window: MainWindow, account_id: str) -> bool | None:
    """The health the window's picker shows for an account."""
    account = window.controller.account
    return account.healthy if account is not None and account.id == account_id else None
