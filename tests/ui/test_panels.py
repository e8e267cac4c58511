"""Small panels: the budget indicator, the timing waterfall, the error bar, app details."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from workbench.core.catalog import Catalog
from workbench.core.errors import ProxyError, RuleError
from workbench.core.exchange import BudgetSnapshot, Timings
from workbench.ui import theme
from workbench.ui.errors import ErrorBar, describe, write_crash
from workbench.ui.widgets.appdetails import AppDetails, details_html
from workbench.ui.widgets.budget import BudgetIndicator, budget_text, countdown
from workbench.ui.widgets.waterfall import TimingView, format_ms, waterfall_text


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def test_budget_text_and_countdown() -> None:
    assert countdown(299.2) == "5:00"
    assert countdown(59) == "0:59"
    assert countdown(-3) == "0:00"
    assert budget_text(None, 0) == "Budget: unknown"
    full = BudgetSnapshot(1000, 1000, 300.0, None)
    assert budget_text(full, 0) == "Budget 1000 of 1000 left"
    spent = BudgetSnapshot(1000, 998, 300.0, resets_at=1_240.0)
    assert budget_text(spent, 1_000.0) == "Budget 998 of 1000 left · next slot in 4:00"


@pytest.mark.parametrize(
    ("remaining", "color"),
    [(1000, "ok"), (200, "ok"), (199, "warning"), (1, "warning"), (0, "error")],
)
def test_budget_colour_turns_amber_below_a_fifth_and_red_at_zero(
    qtbot: QtBot, remaining: int, color: str
) -> None:
    indicator = BudgetIndicator(clock=Clock())
    qtbot.addWidget(indicator)
    indicator.set_snapshot(BudgetSnapshot(1000, remaining, 300.0, 1_100.0))
    assert getattr(theme.colors(), color).name() in indicator.styleSheet()
    assert re.match(rf"Budget {remaining} of 1000 left", indicator.text())


def test_budget_ticks_and_asks_for_a_fresh_snapshot(qtbot: QtBot) -> None:
    clock = Clock()
    indicator = BudgetIndicator(clock=clock, refresh_every=5.0)
    qtbot.addWidget(indicator)
    asked: list[None] = []
    indicator.refresh_needed.connect(lambda: asked.append(None))
    indicator.set_snapshot(BudgetSnapshot(1000, 0, 300.0, resets_at=1_002.0))
    assert indicator.text().endswith("next slot in 0:02")
    clock.now += 1
    indicator.tick()
    assert indicator.text().endswith("next slot in 0:01")
    assert asked == []
    clock.now += 1.5  # the slot has freed: ask for the new count
    indicator.tick()
    assert asked == [None]
    clock.now += 1
    indicator.tick()  # asked already in this period
    assert asked == [None]
    clock.now += 5
    indicator.tick()  # other processes share the budget: refresh every few seconds
    assert len(asked) == 2


def test_waterfall_shows_every_phase(qtbot: QtBot, tmp_path: Path) -> None:
    view = TimingView()
    qtbot.addWidget(view)
    timings = Timings(0.4, 1.2, 3.0, 12.5, 0.2, 150.0, 1204.0, 1371.3, 10, 2048, False)
    view.set_timings(timings)
    text = waterfall_text(timings)
    for label in ("Engine", "DNS", "Connect", "TLS", "Send", "Wait", "Download"):
        assert label in text
    assert "1,204 ms" in text
    assert "New connection" in text
    assert view.accessibleDescription() == text
    view.resize(500, view.sizeHint().height())
    assert view.grab().save(str(tmp_path / "waterfall.png"))
    assert [format_ms(v) for v in (0.123, 12.34, 5000)] == ["0.12 ms", "12.3 ms", "5,000 ms"]
    assert "Token refresh" not in text
    refreshed = dataclasses.replace(timings, refresh_ms=88.0)
    view.set_timings(refreshed)
    assert "Token refresh: 88.0 ms" in view.accessibleDescription()
    assert view.sizeHint().height() > view.fontMetrics().height() * 11


def test_error_sentences_carry_the_engine_code() -> None:
    assert describe(ProxyError(429, "rate_limited", "Rate limit reached")) == (
        "Rate limit reached (429 rate_limited)."
    )
    assert describe(RuleError("restricted_header", "Header 'Cookie' is restricted")) == (
        "Header 'Cookie' is restricted (restricted_header)."
    )
    assert describe(FileNotFoundError(2, "No such file or directory", "/x/y")) == (
        "No such file or directory: /x/y."
    )


def test_unexpected_errors_go_to_the_crash_log_without_their_message(
    qtbot: QtBot, tmp_path: Path
) -> None:
    bar = ErrorBar()
    qtbot.addWidget(bar)
    log = tmp_path / "crash.log"

    typed = "canary-typed-value-9d1e"

    def fail() -> None:
        raise KeyError(typed)  # an exception's text may quote what a person typed

    try:
        fail()
    except KeyError as error:
        sentence = describe(error, crash_log=log)
        written = write_crash(error, log)
    assert sentence == f"Unexpected KeyError; details are in {log}."
    assert written == log
    text = log.read_text()
    assert "builtins.KeyError" in text
    assert "in fail" in text
    assert typed not in text
    assert bar.report("Saving failed.") == "Saving failed."
    assert bar.message == "Saving failed."


def test_app_details_name_where_the_credential_goes_never_a_value(qtbot: QtBot) -> None:
    catalog = Catalog.load_builtin()
    zendesk = catalog.get("zendesk")
    html = details_html(zendesk)
    assert "Account-specific domain" in html
    assert "{{custom_fields.subdomain}}" in html  # highlighted, not rendered
    assert "credentials." not in html.replace("{{credentials", "")  # templates not shown raw
    aws = catalog.get("aws")
    assert "The proxy cannot call this app" in details_html(aws)
    details = AppDetails()
    qtbot.addWidget(details)
    details.show_app(catalog.get("github"))
    text = details.toPlainText()
    assert "api.github.com" in text
    assert "Static domain" in text
    assert "Header Authorization (Bearer …)" in text
