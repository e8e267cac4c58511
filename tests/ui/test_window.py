"""The whole window on the demo, driven as a person would: pick, compose, send, read."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
import qasync
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QInputDialog
from pytestqt.qtbot import QtBot

from tests.helpers.ui import open_window, pick, run, send, wait
from workbench.core.draft import Row
from workbench.core.errors import ProxyError
from workbench.core.exchange import ProxyResult
from workbench.core.injection import MASK
from workbench.sandbox.demo import ALICE, BOB, DEMO_ACCOUNTS
from workbench.ui.mainwindow import MainWindow
from workbench.ui.models.rows import NAME

SECRETS = [value for account in DEMO_ACCOUNTS for value in account.secrets.values()]


def choose_app(window: MainWindow, slug: str) -> None:
    """Click the app's row in the apps list."""
    window.apps.search.clear()
    row = window.apps.model.row_of(slug)
    assert row >= 0
    window.apps.view.selectRow(row)


def test_a_user_sends_a_request_end_to_end(
    qloop: qasync.QEventLoop, tmp_path: Path, qtbot: QtBot
) -> None:
    with open_window(qloop, tmp_path / "settings.ini") as window:
        assert "Demo" in window.windowTitle()
        assert window.budget.text().startswith("Budget 1000 of 1000 left")
        choose_app(window, "sandbox_bearer")
        pick(window, ALICE, "apn_demoAliceCrm")
        composer = window.composer
        assert window.apps.current_app.name_slug == "sandbox_bearer"

        # a full URL outside the allowed domains: found, and Send is disabled
        qtbot.keyClicks(composer.url, "https://api.example.com/echo/hi")
        assert (
            "domain_not_allowed"
            in window.findChild(type(composer.findings), "validationMessages").text()
        )
        assert not composer.send.isEnabled()
        assert composer.blocked.text().startswith("Send is disabled")

        # fixed: a relative path resolves, and the credential's place is shown masked
        composer.url.clear()
        qtbot.keyClicks(composer.url, "/echo/hi?lang=en")
        assert composer.send.isEnabled()
        assert "/echo/hi?lang=en" in composer.resolved.text()
        assert f"Bearer {MASK}" in composer.resolved.text()

        # a Cookie header: the finding is on its row, Send is disabled; removing it fixes it
        composer.tabs.setCurrentWidget(composer.headers)
        table = composer.headers.table
        qtbot.keyClicks(table, "")  # focus
        model = composer.headers.model
        model.setData(model.index(0, NAME), "Cookie")
        model.setData(model.index(0, 2), "session=1")
        assert "restricted_header" in model.index(0, NAME).data(Qt.ItemDataRole.ToolTipRole)
        assert not composer.send.isEnabled()
        table.selectRow(0)
        qtbot.keyClick(table, Qt.Key.Key_Delete)
        assert model.rows() == []
        assert composer.send.isEnabled()

        result = send(qloop, window)
        assert isinstance(result, ProxyResult)
        assert window.response.status.text() == "200 OK · upstream"
        wait(
            qloop,
            lambda: "sk_d" in window.response.body.findChild(object, "responseBody").toPlainText(),
        )
        echoed = window.findChild(object, "responseBody").toPlainText()
        assert MASK in echoed or "•" in echoed  # the sandbox shows the injected credential masked
        assert not any(secret in echoed for secret in SECRETS)
        assert window.response.timing.timings is not None
        assert window.response.timing.timings.total_ms > 0
        assert window.budget.text().startswith("Budget 999 of 1000 left")
        sent = window.response.sent.toPlainText()
        assert sent.startswith("GET http://127.0.0.1:")
        assert f"Bearer sk_d{MASK}" in sent or MASK in sent
        assert not any(secret in sent for secret in SECRETS)


def test_picking_an_account_switches_the_app_and_picking_an_app_narrows_the_accounts(
    qloop: qasync.QEventLoop, tmp_path: Path
) -> None:
    with open_window(qloop, tmp_path / "settings.ini") as window:
        pickers = window.pickers
        pick(window, ALICE, "apn_demoAliceDesk")
        assert window.apps.current_app.name_slug == "sandbox_keyheader"
        choose_app(window, "sandbox_bearer")
        assert [c.id for c in pickers.accounts.choices()] == ["apn_demoAliceCrm"]
        assert pickers.account_id == "apn_demoAliceCrm"
        assert pickers.filter_note.isVisibleTo(window)
        choose_app(window, "slack")
        assert pickers.accounts.choices() == []
        assert not window.composer.send.isEnabled()
        pickers.show_all_accounts_requested.emit()  # "show all 2"
        assert [c.id for c in pickers.accounts.choices()] == [
            "apn_demoAliceCrm",
            "apn_demoAliceDesk",
        ]
        pickers.account.setCurrentIndex(pickers.accounts.row_of("apn_demoAliceCrm"))
        assert window.apps.current_app.name_slug == "sandbox_bearer"


def test_environments_keep_accounts_apart(qloop: qasync.QEventLoop, tmp_path: Path) -> None:
    with open_window(qloop, tmp_path / "settings.ini") as window:
        pickers = window.pickers
        pick(window, BOB)
        assert pickers.account_id == "apn_demoBobWeather"
        pickers.environment.setCurrentIndex(pickers.environments.row_of("production"))
        wait(qloop, lambda: pickers.accounts.choices() == [], "production's accounts")
        assert pickers.account_id == ""


def test_the_selection_theme_and_zoom_persist(qloop: qasync.QEventLoop, tmp_path: Path) -> None:
    settings = tmp_path / "settings.ini"
    base_size = QApplication.font().pointSizeF()
    with open_window(qloop, settings) as window:
        pick(window, ALICE, "apn_demoAliceDesk")
        window.set_theme("dark")
        window.zoom(+1)
        window.main_splitter.setSizes([500, 700])
        sizes = window.main_splitter.sizes()
    with open_window(qloop, settings) as window:
        assert window.pickers.user_id == ALICE
        assert window.pickers.account_id == "apn_demoAliceDesk"
        assert window.apps.current_app.name_slug == "sandbox_keyheader"
        assert window.settings.get("appearance/theme") == "dark"
        assert window.settings.get("appearance/zoom") == 110
        assert QApplication.font().pointSizeF() > base_size
        restored = window.main_splitter.sizes()
        assert all(abs(a - b) <= 4 for a, b in zip(restored, sizes, strict=True))  # rounding
        window.zoom(0)
        window.set_theme("light")
    assert QApplication.font().pointSizeF() == base_size


def test_cancel_aborts_a_slow_request(qloop: qasync.QEventLoop, tmp_path: Path) -> None:
    with open_window(qloop, tmp_path / "settings.ini") as window:
        pick(window, ALICE, "apn_demoAliceCrm")
        window.composer.load("GET", "/slow?seconds=20", [])
        finished: list[object] = []
        window.controller.request_finished.connect(finished.append)
        window.composer.send.click()
        wait(qloop, lambda: window.composer.cancel.isEnabled(), "the request to start")
        assert not window.composer.send.isEnabled()
        window.actions_by_name["cancel"].trigger()  # Esc
        wait(qloop, lambda: finished, "the cancel")
        assert finished == [None]
        assert window.response.status.text() == "Cancelled"
        assert window.composer.send.isEnabled()


def test_a_slow_body_shows_bytes_received_so_far(qloop: qasync.QEventLoop, tmp_path: Path) -> None:
    with open_window(qloop, tmp_path / "settings.ini") as window:
        pick(window, ALICE, "apn_demoAliceCrm")
        window.composer.load("GET", "/drip?bytes=4000&delay=0.1&chunk=400", [])
        window.composer.send.click()
        wait(qloop, lambda: " of 3.9 KB" in window.response.size_label.text(), "progress")
        wait(qloop, lambda: window.response.status.text().startswith("200"), "the end")


def test_an_engine_refusal_names_its_origin_and_code(
    qloop: qasync.QEventLoop, tmp_path: Path
) -> None:
    with open_window(qloop, tmp_path / "settings.ini") as window:
        pick(window, ALICE, "apn_demoAliceCrm")
        window.composer.load("GET", "/slow?seconds=5", [])
        window.composer.timeout.setValue(0.5)
        outcome = send(qloop, window)
        assert isinstance(outcome, ProxyError)
        assert window.response.status.text() == "504 upstream_timeout · engine"
        body = json.loads(window.findChild(object, "responseBody").toPlainText())
        assert (body["code"], body["origin"]) == ("upstream_timeout", "engine")
        assert window.budget.text().startswith("Budget 999 of 1000")  # it was sent


def test_connecting_an_account_verifies_saves_and_keeps_the_secret_out_of_sqlite(
    qloop: qasync.QEventLoop, tmp_path: Path, qtbot: QtBot
) -> None:
    secret = "sk_test_GUI_connect_7f3e9a"
    with open_window(qloop, tmp_path / "settings.ini") as window:
        pick(window, BOB)
        choose_app(window, "sandbox_bearer")
        dialog = window.on_connect()
        assert dialog is not None
        token = dialog.findChild(type(dialog.name), "secret_api_token")
        assert token.echoMode() == token.EchoMode.Password
        assert not dialog.save_button.isEnabled()
        qtbot.keyClicks(dialog.name, "Bob's CRM")
        qtbot.keyClicks(token, secret)
        assert dialog.save_button.isEnabled()
        verified: list[object] = []
        dialog.verified.connect(verified.append)
        dialog.verify_button.click()
        wait(qloop, lambda: verified, "the verification")
        assert verified[0] is not None, dialog.status.text()
        assert verified[0].healthy, dialog.status.text()
        assert secret not in dialog.status.text()
        saved: list[object] = []
        dialog.account_saved.connect(saved.append)
        dialog.save_button.click()
        wait(qloop, lambda: saved and window.pickers.account_id == saved[0].id, "the new account")
        account = saved[0]
        assert account.healthy is True
        assert window.pickers.user_id == BOB
        workspace = window.bridge.session.workspace.path
        with sqlite3.connect(workspace) as db:
            dump = "\n".join(db.iterdump())
        assert account.id in dump
        assert secret not in dump
        assert secret not in Path(workspace).read_bytes().decode("latin-1")


def test_a_custom_field_is_checked_as_it_is_typed(
    qloop: qasync.QEventLoop, tmp_path: Path, qtbot: QtBot
) -> None:
    with open_window(qloop, tmp_path / "settings.ini") as window:
        pick(window, ALICE)
        choose_app(window, "sandbox_keyheader")
        dialog = window.on_connect()
        tenant = dialog.findChild(type(dialog.name), "field_tenant")
        error = dialog._field_errors["tenant"]
        qtbot.keyClicks(tenant, "evil/../x")
        assert error.isVisibleTo(dialog)
        assert "tenant" in error.text()
        assert not dialog.save_button.isEnabled()
        tenant.setText("globex")
        assert not error.isVisibleTo(dialog)
        dialog.reject()


def test_removing_an_account_asks_first_and_says_secrets_go_too(
    qloop: qasync.QEventLoop, tmp_path: Path
) -> None:
    with open_window(qloop, tmp_path / "settings.ini") as window:
        pick(window, BOB, "apn_demoBobWeather")
        window.on_remove_account()
        box = window.findChild(object, "confirmDialog")
        assert "secrets" in box.text()
        removal = next(b for b in box.buttons() if b.text() == "Remove account")
        removal.click()
        wait(qloop, lambda: window.pickers.accounts.choices() == [], "the removal")
        assert window.bridge.session.vault.credentials("apn_demoBobWeather") == {}


def test_the_help_lists_every_shortcut(qloop: qasync.QEventLoop, tmp_path: Path) -> None:
    with open_window(qloop, tmp_path / "settings.ini") as window:
        window.show_shortcuts()
        text = window.findChild(object, "shortcutsList").text()
        for keys in ("Ctrl+Return", "Esc", "Ctrl+F", "Ctrl+L", "Ctrl++", "Ctrl+0", "F1"):
            assert keys in text
        window.findChild(object, "shortcutsDialog").close()


def test_the_headers_as_sent_keep_what_was_typed(qloop: qasync.QEventLoop, tmp_path: Path) -> None:
    with open_window(qloop, tmp_path / "settings.ini") as window:
        pick(window, "carol@example.com", "apn_demoCarolFiles")
        assert window.pickers.user_id == "carol@example.com"
        window.composer.load("POST", "/echo/files", [Row("X-Trace", "t-1")])
        window.composer.body.editor.setPlainText('{"name": "report.pdf"}')
        result = send(qloop, window)
        assert isinstance(result, ProxyResult)
        echoed = json.loads(result.body)
        assert echoed["method"] == "POST"
        assert ["x-trace", "t-1"] in [[k.lower(), v] for k, v in echoed["headers"]]
        assert "Basic" in window.response.sent.toPlainText()
        assert not any(secret in window.response.sent.toPlainText() for secret in SECRETS)


def test_removing_a_user_removes_their_accounts_in_this_environment(
    qloop: qasync.QEventLoop, tmp_path: Path
) -> None:
    with open_window(qloop, tmp_path / "settings.ini") as window:
        pick(window, BOB, "apn_demoBobWeather")
        window.on_remove_user()
        box = window.findChild(object, "confirmDialog")
        assert "development" in box.text()
        assert "secrets" in box.text()
        next(b for b in box.buttons() if b.text() == "Remove user").click()
        wait(qloop, lambda: window.pickers.users.row_of(BOB) < 0, "bob to go")
        session = window.bridge.session
        assert session.vault.credentials("apn_demoBobWeather") == {}
        assert session.workspace.find_account("apn_demoBobWeather") is None


def test_the_main_controls_have_their_stable_object_names(
    qloop: qasync.QEventLoop, tmp_path: Path
) -> None:
    from PySide6.QtWidgets import (
        QAbstractItemView,
        QCheckBox,
        QComboBox,
        QLabel,
        QLineEdit,
        QPlainTextEdit,
        QPushButton,
        QWidget,
    )

    expected = {
        "appSearch": QLineEdit,
        "proxyEnabledOnly": QCheckBox,
        "appList": QAbstractItemView,
        "appDetails": QWidget,
        "projectPicker": QComboBox,
        "environmentPicker": QComboBox,
        "userPicker": QComboBox,
        "accountPicker": QComboBox,
        "methodPicker": QComboBox,
        "urlEdit": QLineEdit,
        "headersTable": QAbstractItemView,
        "headersBulkEdit": QPlainTextEdit,
        "bodyEditor": QPlainTextEdit,
        "validationMessages": QLabel,
        "resolvedUrl": QLabel,
        "sendButton": QPushButton,
        "cancelButton": QPushButton,
        "responseStatus": QLabel,
        "responseBody": QWidget,
        "responseHeaders": QAbstractItemView,
        "timingView": QWidget,
        "budgetIndicator": QLabel,
    }
    with open_window(qloop, tmp_path / "settings.ini") as window:
        assert window.objectName() == "MainWindow"
        for name, kind in expected.items():
            found = window.findChildren(QWidget, name)
            assert len(found) == 1, name
            assert isinstance(found[0], kind), name
            assert found[0].accessibleName() or isinstance(found[0], QPushButton | QCheckBox), name
        assert "1000" in window.findChild(QLabel, "budgetIndicator").text()


def test_upstream_rate_limit_headers_are_shown_with_the_response(
    qloop: qasync.QEventLoop, tmp_path: Path
) -> None:
    with open_window(qloop, tmp_path / "settings.ini") as window:
        pick(window, ALICE, "apn_demoAliceCrm")
        window.composer.load("GET", "/ratelimited", [])
        send(qloop, window)
        shown = window.response.rate_limit
        assert shown.isVisibleTo(window)
        assert "X-RateLimit-Remaining" in shown.text() or "x-ratelimit-remaining" in shown.text()


def test_the_first_run_offers_a_real_workspace_and_switches_to_it(
    qloop: qasync.QEventLoop, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workbench.ui.backend import SessionTarget, Worker
    from workbench.ui.bridge import Bridge
    from workbench.ui.mainwindow import MainWindow as Window
    from workbench.ui.settings import Settings

    workspace = tmp_path / "data" / "workspace.sqlite3"
    monkeypatch.setattr("workbench.ui.mainwindow.default_workspace_path", lambda: workspace)
    worker = Worker()
    worker.start()
    bridge = Bridge(worker)
    window = Window(bridge, Settings(tmp_path / "s.ini"), SessionTarget(demo=True), first_run=True)
    try:
        window.show()
        run(qloop, window.start())
        assert window.banner.isVisibleTo(window)
        window.create_workspace_button.click()
        ask = window.findChild(QInputDialog, "askDialog")
        ask.setTextValue("Support tools")
        ask.accept()
        wait(qloop, lambda: not window.bridge.session.is_demo, "the real workspace")
        wait(
            qloop,
            lambda: [p.name for p in window.controller.projects] == ["Support tools"],
            "its first project",
        )
        assert workspace.exists()
        assert not window.banner.isVisibleTo(window)
        assert "Demo" not in window.windowTitle()
        assert workspace.name in window.windowTitle()
    finally:
        window.close()
        bridge.close()
        window.deleteLater()
