"""The window's item models: Qt's model contract, the apps filter, editable rows, choices."""

from __future__ import annotations

from dataclasses import replace

import pytest
from PySide6.QtCore import Qt
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from workbench.core.accounts import Account
from workbench.core.catalog import App, Catalog, ConnectSpec
from workbench.core.draft import Row
from workbench.core.rules import Finding
from workbench.ui.models.apps import APP_ROLE, SLUG_ROLE, AppTableModel
from workbench.ui.models.choices import ID_ROLE, Choice, ChoiceModel, account_choice
from workbench.ui.models.rows import ENABLED, NAME, VALUE, RowsModel


def synthetic_catalog(count: int) -> Catalog:
    """``count`` apps, every third one not proxy-enabled, each on its own domain."""
    return Catalog(
        App(
            name_slug=f"app_{index:05d}",
            name=f"Tool {index:05d}",
            auth_type="keys",
            connect=ConnectSpec(
                index % 3 != 0,
                (f"api.tool{index}.example.com",),
                f"https://api.tool{index}.example.com",
            ),
        )
        for index in range(count)
    )


def test_apps_model_passes_the_model_tester(qtmodeltester: ModelTester) -> None:
    model = AppTableModel(Catalog.load_builtin())
    qtmodeltester.check(model)
    model.set_filter("git", proxy_enabled_only=True)
    qtmodeltester.check(model)


def test_apps_filter_matches_name_slug_and_domain_and_counts(qtbot: QtBot) -> None:
    model = AppTableModel(Catalog.load_builtin())
    total = len(model.catalog)
    counts: list[tuple[int, int]] = []
    model.filter_changed.connect(lambda shown, all_: counts.append((shown, all_)))
    model.set_filter("api.github.com", proxy_enabled_only=False)  # a domain
    assert [model.app_at(row).name_slug for row in range(model.rowCount())] == ["github"]
    model.set_filter("GOOGLE_SHEETS", proxy_enabled_only=False)  # a slug, any case
    assert [model.app_at(r).name_slug for r in range(model.rowCount())] == ["google_sheets"]
    model.set_filter("", proxy_enabled_only=True)
    enabled = [app for app in model.catalog if app.connect.proxy_enabled]
    assert model.rowCount() == len(enabled) < total
    assert counts[-1] == (len(enabled), total)
    index = model.index(model.row_of("slack"), 0)
    assert index.data(SLUG_ROLE) == "slack"
    assert index.data(APP_ROLE).name == "Slack"
    assert model.row_of("aws") == -1  # filtered out: not proxy-enabled


def test_apps_filter_over_ten_thousand_apps() -> None:
    model = AppTableModel(synthetic_catalog(10_000))
    model.set_filter("tool 0999", proxy_enabled_only=False)
    assert [model.app_at(r).name_slug for r in range(model.rowCount())] == [
        f"app_0{index}" for index in range(9990, 10000)
    ]
    model.set_filter("api.tool43.example", proxy_enabled_only=True)
    assert [model.app_at(r).name_slug for r in range(model.rowCount())] == ["app_00043"]


def test_rows_model_contract_and_editing(qtmodeltester: ModelTester) -> None:
    model = RowsModel()
    model.set_rows([Row("Accept", "application/json"), Row("X-Off", "1", enabled=False)])
    qtmodeltester.check(model)
    edits: list[None] = []
    model.rows_edited.connect(lambda: edits.append(None))
    assert model.rowCount() == 3  # two rows and the row for typing a new one
    assert model.index(2, NAME).data() == "Add a header…"
    # typing into the blank row adds a row
    assert model.setData(model.index(2, NAME), "X-New")
    assert model.rows()[-1] == Row("X-New", "")
    assert model.setData(model.index(2, VALUE), "42")
    switch = model.index(1, ENABLED)
    assert switch.data(Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Unchecked
    assert model.setData(switch, Qt.CheckState.Checked.value, Qt.ItemDataRole.CheckStateRole)
    assert model.rows() == [
        Row("Accept", "application/json"),
        Row("X-Off", "1"),
        Row("X-New", "42"),
    ]
    model.remove_rows([0, 5])
    assert [row.name for row in model.rows()] == ["X-Off", "X-New"]
    assert len(edits) == 4  # name, value, switch, removal
    qtmodeltester.check(model)


def test_rows_model_shows_findings_on_their_rows() -> None:
    model = RowsModel()
    model.set_rows([Row("Accept", "x"), Row("Cookie", "a=b")])
    finding = Finding(
        "error", "headers", 1, "restricted_header", "Header 'Cookie' is restricted", "Remove it."
    )
    model.set_findings({1: [finding]})
    assert model.index(0, NAME).data(Qt.ItemDataRole.ToolTipRole) is None
    assert "restricted_header" in model.index(1, NAME).data(Qt.ItemDataRole.ToolTipRole)
    assert model.index(1, VALUE).data(Qt.ItemDataRole.BackgroundRole) is not None
    assert model.findings_of(1) == [finding]


def test_read_only_rows_have_no_blank_row(qtmodeltester: ModelTester) -> None:
    model = RowsModel(editable=False)
    model.set_rows([Row("Content-Type", "text/plain")])
    qtmodeltester.check(model)
    assert model.rowCount() == 1
    assert not model.setData(model.index(0, VALUE), "x")


def test_choice_model(qtmodeltester: ModelTester) -> None:
    model = ChoiceModel(["Account", "App", "Health"])
    account = Account("apn_a1", "proj_x", "slack", "alice", name="Work Slack")
    unhealthy = replace(account, id="apn_b2", healthy=False, health_detail="HTTP 401: invalid_auth")
    model.set_choices([account_choice(account, "Slack"), account_choice(unhealthy, "Slack")])
    qtmodeltester.check(model)
    assert model.index(0, 0).data() == "Work Slack (apn_a1)"
    assert model.index(0, 0).data(ID_ROLE) == "apn_a1"
    assert [model.index(1, c).data() for c in (1, 2)] == ["Slack", "unhealthy"]
    assert "invalid_auth" in model.index(1, 0).data(Qt.ItemDataRole.ToolTipRole)
    assert model.index(1, 0).data(Qt.ItemDataRole.ForegroundRole) is not None
    assert model.row_of("apn_b2") == 1
    assert model.row_of("apn_zz") == -1
    # an editable combo box reads its items with EditRole
    assert model.index(0, 0).data(Qt.ItemDataRole.EditRole) == "Work Slack (apn_a1)"


@pytest.mark.parametrize(("choices", "expected"), [([], 0), ([Choice("a", ("a",))], 1)])
def test_choice_model_sizes(choices: list[Choice], expected: int) -> None:
    model = ChoiceModel(["X"])
    model.set_choices(choices)
    assert model.rowCount() == expected
