"""The composer: live findings where they belong, Send gated with its reason, rows in step."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from workbench.core.accounts import Account
from workbench.core.catalog import App, Catalog
from workbench.core.draft import Row
from workbench.core.injection import MASK
from workbench.sandbox.apps import sandbox_apps
from workbench.ui.models.rows import NAME
from workbench.ui.widgets.composer import Composer

AUTHORITY = "127.0.0.1:8123"
CATALOG = Catalog.load_builtin().with_apps(sandbox_apps(AUTHORITY))


def app(slug: str) -> App:
    found = CATALOG.get(slug)
    assert found is not None
    return found


def account(slug: str, **fields: str) -> Account:
    return Account(
        "apn_test1", "proj_test", slug, "alice", custom_fields=fields, allow_private_network=True
    )


@pytest.fixture
def composer(qtbot: QtBot) -> Composer:
    widget = Composer()
    qtbot.addWidget(widget)
    widget.set_target(app("sandbox_bearer"), account("sandbox_bearer"))
    return widget


def codes(composer: Composer) -> list[str]:
    return [finding.code for finding in composer.diagnosis.findings]


def test_a_clean_request_can_be_sent_and_shows_where_the_credential_goes(
    composer: Composer, qtbot: QtBot
) -> None:
    qtbot.keyClicks(composer.url, "/echo/hi?x=1")
    assert composer.can_send
    assert composer.blocked.text() == ""
    assert composer.findings.text() == "✓ No problems found."
    assert f"http://{AUTHORITY}/echo/hi?x=1" in composer.resolved.text()
    assert f"Authorization: Bearer {MASK}" in composer.resolved.text()


def test_full_url_on_a_dynamic_domain_app_is_refused_on_the_url_field(
    composer: Composer, qtbot: QtBot
) -> None:
    composer.set_target(app("sandbox_keyheader"), account("sandbox_keyheader", tenant="acme"))
    qtbot.keyClicks(composer.url, f"http://{AUTHORITY}/tenants/acme/x")
    assert "relative_path_required" in codes(composer)
    assert not composer.can_send
    assert composer.url_finding.isVisibleTo(composer)
    assert "use a path" in composer.url_finding.text().lower()
    assert "relative_path_required" in composer.findings.text()
    assert "Send is disabled" in composer.blocked.text()
    composer.url.setText("/x")
    assert composer.can_send
    assert "/tenants/acme/x" in composer.resolved.text()
    assert not composer.url_finding.isVisibleTo(composer)


def test_host_outside_the_allowed_domains(composer: Composer) -> None:
    composer.set_target(app("github"), account("github"))
    composer.url.setText("https://evil.example.com/repos")
    assert "domain_not_allowed" in codes(composer)
    assert "api.github.com" in composer.url_finding.text()  # the hint names what is allowed
    assert not composer.can_send


@pytest.mark.parametrize(
    ("slug", "header", "code"),
    [
        ("sandbox_bearer", "Cookie", "restricted_header"),
        ("sandbox_bearer", "x-pd-proxy-Host", "restricted_header"),
        ("sandbox_bearer", "X-PD-PROXY-cookie", "restricted_header"),
        ("sandbox_keyheader", "x-api-key", "reserved_header"),  # the injection owns it
    ],
)
def test_header_findings_sit_on_their_row(
    composer: Composer, slug: str, header: str, code: str
) -> None:
    composer.set_target(app(slug), account(slug, tenant="acme"))
    composer.url.setText("/echo")
    composer.headers.set_rows([Row("Accept", "application/json"), Row(header, "v")])
    model = composer.headers.model
    assert [f.code for f in model.findings_of(1)] == [code]
    assert model.findings_of(0) == []
    assert code in model.index(1, NAME).data(Qt.ItemDataRole.ToolTipRole)
    assert code in composer.findings.text()
    assert "Header row 2" in composer.findings.text()
    assert not composer.can_send
    # switching the row off takes it out of the request, and the finding goes with it
    model.setData(model.index(1, 0), Qt.CheckState.Unchecked.value, Qt.ItemDataRole.CheckStateRole)
    assert code not in codes(composer)
    assert composer.can_send


def test_findings_follow_rows_when_some_are_switched_off(composer: Composer) -> None:
    composer.url.setText("/echo")
    composer.headers.set_rows([Row("X-Off", "1", enabled=False), Row("Cookie", "a")])
    assert [f.code for f in composer.headers.model.findings_of(1)] == ["restricted_header"]


def test_missing_custom_field_is_a_finding(composer: Composer) -> None:
    composer.set_target(app("sandbox_keyheader"), account("sandbox_keyheader"))
    composer.url.setText("/tickets")
    assert "missing_custom_field" in codes(composer)
    assert "Account:" in composer.findings.text()
    assert not composer.can_send


def test_send_needs_an_app_an_account_and_a_url(composer: Composer) -> None:
    composer.set_target(app("sandbox_bearer"), None)
    composer.url.setText("/echo")
    assert not composer.can_send
    assert "connected account" in composer.blocked.text()
    composer.set_target(None, None)
    assert "Choose an app" in composer.blocked.text()
    composer.set_target(app("sandbox_bearer"), account("sandbox_bearer"))
    composer.url.clear()
    assert "Type a URL" in composer.blocked.text()
    composer.set_target(app("aws"), account("aws"))
    composer.url.setText("/x")
    assert "app_not_proxy_enabled" in codes(composer)
    assert not composer.can_send


def test_send_is_emitted_only_when_allowed(composer: Composer, qtbot: QtBot) -> None:
    sent: list[None] = []
    composer.send_requested.connect(lambda: sent.append(None))
    composer.url.setText("/echo")
    composer.headers.set_rows([Row("Cookie", "a")])
    composer.send.click()  # disabled: nothing
    composer.headers.set_rows([])
    qtbot.mouseClick(composer.send, Qt.MouseButton.LeftButton)
    assert sent == [None]
    composer.set_busy(True)
    assert not composer.can_send
    assert composer.cancel.isEnabled()


def test_url_and_params_table_stay_in_step(composer: Composer, qtbot: QtBot) -> None:
    qtbot.keyClicks(composer.url, "/echo?a=1&b=two")
    assert composer.params.rows() == [Row("a", "1"), Row("b", "two")]
    assert composer.tabs.tabText(0) == "Params (2)"
    params = composer.params
    params.setData(
        params.index(0, 0), Qt.CheckState.Unchecked.value, Qt.ItemDataRole.CheckStateRole
    )
    assert composer.url.text() == "/echo?b=two"
    params.setData(params.index(2, NAME), "c")  # the blank row
    params.setData(params.index(2, 2), "3")
    assert composer.url.text() == "/echo?b=two&c=3"
    composer.url.setText("/echo?z=9")
    assert composer.params.rows() == [Row("z", "9"), Row("a", "1", enabled=False)]


def test_headers_table_and_bulk_text_stay_in_step(composer: Composer) -> None:
    composer.url.setText("/echo")
    editor = composer.headers
    # typing into the hidden bulk editor updates the table and the findings
    editor.bulk.setPlainText("Accept: application/json\n# X-Debug: 1\nCookie: a=b")
    assert editor.rows() == [
        Row("Accept", "application/json"),
        Row("X-Debug", "1", enabled=False),
        Row("Cookie", "a=b"),
    ]
    assert [f.code for f in editor.model.findings_of(2)] == ["restricted_header"]
    editor.model.remove_rows([2])
    assert editor.bulk.toPlainText() == "Accept: application/json\n# X-Debug: 1"
    assert composer.can_send
    assert composer.composed().headers == (("Accept", "application/json"),)
    editor.toggle.click()
    assert editor.pages.currentWidget() is editor.bulk


def test_body_forms_and_content_type(composer: Composer) -> None:
    composer.url.setText("/echo")
    body = composer.body
    assert body.mode == "none"
    body.editor.setPlainText('{"a": 1,}')  # typing switches "No body" to JSON
    assert body.mode == "json"
    assert "line 1, column 9" in body.syntax.text()
    assert composer.can_send  # invalid JSON is a warning: it is sent as written
    composed = composer.composed()
    assert composed.body == b'{"a": 1,}'
    assert ("Content-Type", "application/json") in composed.headers
    composer.headers.set_rows([Row("content-type", "application/vnd.api+json")])
    assert [n for n, _ in composer.composed().headers] == ["content-type"]
    body.set_mode("form")
    body.form.set_rows([Row("q", "a b"), Row("off", "1", enabled=False)])
    assert composer.composed().body == b"q=a+b"
    body.set_mode("none")
    assert composer.composed().body is None


def test_no_secret_reaches_what_the_composer_shows(composer: Composer) -> None:
    composer.set_target(app("sandbox_query"), account("sandbox_query"))
    composer.url.setText("/weather?city=Oslo")
    resolved = composer.resolved.text()
    assert f"api_key={MASK}" in resolved
    assert "sk_" not in resolved
