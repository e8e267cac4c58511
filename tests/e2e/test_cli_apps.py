"""``workbench apps``: the catalog as a table or one JSON value, searchable and filterable."""

from __future__ import annotations

from pathlib import Path

from tests.helpers.cli import run_cli


def test_json_lists_the_whole_builtin_catalog() -> None:
    result = run_cli("apps", "--demo", "--json")

    assert result.code == 0, result
    apps = result.json()
    assert isinstance(apps, list)
    assert len(apps) >= 60
    slugs = {app["name_slug"] for app in apps}
    assert {"slack", "github", "sandbox_bearer"} <= slugs  # builtin + the demo's sandbox apps
    assert all({"name", "auth_type", "connect", "origin"} <= set(app) for app in apps)


def test_query_and_proxy_filter(tmp_path: Path) -> None:
    workspace = ("--workspace", str(tmp_path / "ws.sqlite3"))
    everything = run_cli("apps", *workspace, "--json", "-q", "AWS").json()
    proxied = run_cli("apps", *workspace, "--json", "-q", "AWS", "--proxy-enabled").json()

    assert any(not app["connect"]["proxy_enabled"] for app in everything)
    assert proxied == [app for app in everything if app["connect"]["proxy_enabled"]]


def test_text_table_has_slug_name_auth_proxy_and_domains(tmp_path: Path) -> None:
    result = run_cli("apps", "--workspace", str(tmp_path / "ws.sqlite3"), "-q", "slack")

    assert result.code == 0, result
    header, *rows = result.stdout.splitlines()
    assert header.split() == ["SLUG", "NAME", "AUTH", "PROXY", "DOMAINS"]
    assert any(row.split()[:2] == ["slack", "Slack"] and "slack.com" in row for row in rows)
