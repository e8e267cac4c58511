"""Importing apps: a page of Pipedream's /v1/connect/apps JSON, and files in our schema."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any

import pytest

from workbench.core import rules
from workbench.core.catalog import (
    Catalog,
    CatalogError,
    Injection,
    app_to_dict,
    load_app_file,
    parse_pipedream_app,
)

# A page as GET /v1/connect/apps returns it (fields of pipedream-rest.md section 5).
PIPEDREAM_PAGE: dict[str, Any] = {
    "page_info": {"count": 3, "total_count": 3, "start_cursor": "YXBwXzE", "end_cursor": None},
    "data": [
        {
            "id": "app_1Z2hw1",
            "name_slug": "gitlab",
            "name": "GitLab",
            "auth_type": "oauth",
            "description": "GitLab is the DevOps platform.",
            "img_src": "https://assets.pipedream.net/s.v0/app_1Z2hw1/logo/orig",
            "custom_fields_json": json.dumps(
                [
                    {
                        "name": "base_api_url",
                        "label": "Base API URL",
                        "description": "Only for self-managed GitLab instances",
                        "default": "gitlab.com",
                        "optional": True,
                    }
                ]
            ),
            "categories": ["Developer Tools"],
            "featured_weight": 5000,
            "scope_profiles": [],
            "connect": {
                "proxy_enabled": True,
                "allowed_domains": ["gitlab.com"],
                "base_proxy_target_url": "https://{{custom_fields.base_api_url}}",
            },
        },
        {
            "id": "app_OkrhR1",
            "name_slug": "slack",
            "name": "Slack",
            "auth_type": "oauth",
            "description": "Slack is a channel-based messaging platform.",
            "img_src": "https://assets.pipedream.net/s.v0/app_OkrhR1/logo/orig",
            "custom_fields_json": "[]",
            "categories": ["Communication"],
            "featured_weight": 9999,
            "scope_profiles": [{"name": "read_only", "scopes": ["channels:read"]}],
            "connect": {
                "proxy_enabled": True,
                "allowed_domains": ["slack.com"],
                "base_proxy_target_url": "https://slack.com",
            },
        },
        {
            "id": "app_m7tm2Y",
            "name_slug": "legacy_erp",
            "name": "Legacy ERP",
            "auth_type": "keys",
            "description": None,
            "img_src": "",
            "custom_fields_json": None,
            "categories": [],
            "featured_weight": 0,
            "scope_profiles": [],
            "connect": {
                "proxy_enabled": False,
                "allowed_domains": None,
                "base_proxy_target_url": None,
            },
        },
    ],
}


def write(tmp_path: Path, document: Any, name: str = "apps.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    return path


def pipedream_app(**changes: Any) -> dict[str, Any]:
    data = json.loads(json.dumps(PIPEDREAM_PAGE["data"][1]))
    data.update(changes)
    return data


# --- Pipedream pages ---------------------------------------------------------------------


def test_pipedream_page_imports(tmp_path: Path) -> None:
    gitlab, slack, erp = load_app_file(write(tmp_path, PIPEDREAM_PAGE))
    assert [app.origin for app in (gitlab, slack, erp)] == ["imported"] * 3
    assert (gitlab.id, slack.id, erp.id) == ("app_1Z2hw1", "app_OkrhR1", "app_m7tm2Y")

    field = gitlab.custom_fields[0]
    assert (field.name, field.kind, field.required, field.default) == (
        "base_api_url",
        "host",
        False,
        "gitlab.com",
    )
    bearer = Injection("header", "Authorization", "Bearer {{credentials.oauth_access_token}}")
    assert gitlab.injection == slack.injection == (bearer,)
    assert [(c.name, c.source, c.secret) for c in slack.credentials] == [
        ("oauth_access_token", "oauth", True)
    ]
    assert slack.categories == ("Communication",)
    assert slack.featured_weight == 9999
    assert slack.description.startswith("Slack is")

    assert not erp.connect.proxy_enabled
    assert erp.connect.allowed_domains == ()
    assert erp.connect.base_proxy_target_url == ""
    assert erp.description == ""

    url = rules.resolve_target(
        "/api/v4/user",
        base_proxy_target_url=gitlab.connect.base_proxy_target_url,
        allowed_domains=list(gitlab.connect.allowed_domains),
        custom_fields={"base_api_url": field.default or ""},
    )
    assert url == "https://gitlab.com/api/v4/user"


def test_pipedream_retrieve_response_imports(tmp_path: Path) -> None:
    (app,) = load_app_file(write(tmp_path, {"data": PIPEDREAM_PAGE["data"][1]}))
    assert app.name_slug == "slack"


def test_keys_and_none_defaults() -> None:
    keys = parse_pipedream_app(pipedream_app(auth_type="keys"))
    assert keys.injection == (
        Injection("header", "Authorization", "Bearer {{credentials.api_key}}"),
    )
    assert [(c.name, c.source) for c in keys.credentials] == [("api_key", "user")]
    none = parse_pipedream_app(pipedream_app(auth_type="none"))
    assert none.injection == ()
    assert none.credentials == ()
    assert parse_pipedream_app(pipedream_app(auth_type=None)).auth_type == "none"


def test_secret_custom_fields_become_credentials() -> None:
    fields = [
        {"name": "api_key", "label": "API key", "secret": True},
        {"name": "api_secret", "label": "API secret", "type": "password", "optional": True},
        {"name": "region", "label": "Region", "default": "us"},
    ]
    app = parse_pipedream_app(
        pipedream_app(auth_type="keys", custom_fields_json=json.dumps(fields))
    )
    assert [(c.name, c.required, c.secret) for c in app.credentials] == [
        ("api_key", True, True),
        ("api_secret", False, True),
    ]
    assert [(f.name, f.kind, f.default) for f in app.custom_fields] == [("region", "text", "us")]


def test_undeclared_placeholders_become_custom_fields() -> None:
    connect = {
        "proxy_enabled": True,
        "allowed_domains": ["{{custom_fields.subdomain}}.acme.example"],
        "base_proxy_target_url": "https://{{custom_fields.subdomain}}.acme.example/t/{{custom_fields.team}}",
    }
    app = parse_pipedream_app(pipedream_app(name_slug="acme", connect=connect))
    assert [(f.name, f.label, f.kind, f.required) for f in app.custom_fields] == [
        ("subdomain", "Subdomain", "label", True),
        ("team", "Team", "text", True),
    ]


def test_whole_url_fields_become_host_fields() -> None:
    connect = {
        "proxy_enabled": True,
        "allowed_domains": ["{{custom_fields.instance_url.host}}"],
        "base_proxy_target_url": "{{custom_fields.instance_url}}",
    }
    fields = [{"name": "instance_url", "label": "Instance URL"}]
    app = parse_pipedream_app(
        pipedream_app(name_slug="crm", connect=connect, custom_fields_json=json.dumps(fields))
    )
    assert app.connect.base_proxy_target_url == "https://{{custom_fields.instance_url}}"
    assert app.connect.allowed_domains == ("{{custom_fields.instance_url}}",)
    assert app.custom_fields[0].kind == "host"
    assert "without https://" in app.custom_fields[0].description


def test_app_without_connect_is_not_proxy_enabled() -> None:
    data = pipedream_app()
    del data["connect"]
    app = parse_pipedream_app(data)
    assert not app.connect.proxy_enabled
    assert app.connect.allowed_domains == ()


def test_our_injection_spec_overrides_the_default() -> None:
    app = parse_pipedream_app(
        pipedream_app(
            auth_type="keys",
            credentials=[{"name": "bot_token", "label": "Bot token"}],
            injection=[
                {
                    "in": "header",
                    "name": "Authorization",
                    "template": "Bot {{credentials.bot_token}}",
                }
            ],
        )
    )
    assert app.injection == (Injection("header", "Authorization", "Bot {{credentials.bot_token}}"),)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"custom_fields_json": "[{"}, "app 'slack': custom_fields_json: is not valid JSON"),
        ({"custom_fields_json": "{}"}, "app 'slack': custom_fields_json: must hold a JSON list"),
        (
            {
                "connect": {
                    "proxy_enabled": True,
                    "allowed_domains": None,
                    "base_proxy_target_url": "https://slack.com",
                }
            },
            "app 'slack': connect.allowed_domains: is empty",
        ),
        (
            {
                "connect": {
                    "proxy_enabled": True,
                    "allowed_domains": ["*"],
                    "base_proxy_target_url": "https://slack.com",
                }
            },
            "app 'slack': connect.allowed_domains[0]:",
        ),
        ({"auth_type": "password"}, "app 'slack': auth_type: must be one of"),
        ({"name": None}, "app 'slack': name: is required"),
    ],
)
def test_broken_pipedream_app_in_a_file(
    tmp_path: Path, changes: dict[str, Any], expected: str
) -> None:
    page = {"data": [PIPEDREAM_PAGE["data"][0], pipedream_app(**changes)]}
    path = write(tmp_path, page, "page.json")
    with pytest.raises(CatalogError) as caught:
        load_app_file(path)
    assert str(caught.value).startswith(f"{path}: {expected}")
    assert caught.value.source == str(path)


def test_pipedream_item_without_slug_is_named_by_index(tmp_path: Path) -> None:
    path = write(tmp_path, {"data": [PIPEDREAM_PAGE["data"][1], {"name": "No slug"}]})
    with pytest.raises(CatalogError, match=r"apps\.json: app #1: name_slug: is required"):
        load_app_file(path)
    no_slug = {"name": "No slug", "custom_fields_json": "[{"}
    with pytest.raises(CatalogError, match=r"app #1: custom_fields_json: is not valid JSON"):
        load_app_file(write(tmp_path, {"data": [PIPEDREAM_PAGE["data"][1], no_slug]}))
    with pytest.raises(CatalogError, match=r"app #0: must be a JSON object"):
        load_app_file(write(tmp_path, {"data": ["slack"]}))


# --- files in our schema ---------------------------------------------------------------


def test_our_schema_file_round_trips(tmp_path: Path) -> None:
    builtin = Catalog.load_builtin()
    chosen = [builtin.get(slug) for slug in ("zendesk", "telegram_bot_api", "trello", "aws")]
    originals = [app for app in chosen if app is not None]
    document = {"schema": 1, "apps": [app_to_dict(app) for app in originals]}
    for content in (document, document["apps"]):
        loaded = load_app_file(write(tmp_path, content))
        assert loaded == [dataclasses.replace(app, origin="imported") for app in originals]
        assert [app_to_dict(app) for app in loaded] == document["apps"]


def test_imported_apps_layer_over_the_builtin_catalog(tmp_path: Path) -> None:
    builtin = Catalog.load_builtin()
    imported = load_app_file(write(tmp_path, PIPEDREAM_PAGE))
    layered = builtin.with_apps(imported)
    assert len(layered) == len(builtin) + 1  # gitlab and slack replaced, legacy_erp added
    gitlab = layered.get("gitlab")
    assert gitlab is not None
    assert gitlab.origin == "imported"
    assert layered.get("app_1Z2hw1") is gitlab


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            '{\n  "apps": [\n    {"name_slug": "x",}\n  ]\n}',
            r"not valid JSON: .* \(line 3, column 23\)",
        ),
        ('{"schema": 2, "apps": []}', r"schema: unsupported schema version 2"),
        ('{"apps": {"name_slug": "x"}}', r"apps: must be a list of app objects"),
        ('{"things": []}', r"expected our schema"),
        ('"slack"', r"expected our schema"),
        ('[{"name_slug": "x", "name": "X"}]', r"app 'x': auth_type: is required"),
        ('[{"name": "X"}]', r"app #0: name_slug: is required"),
    ],
)
def test_broken_files_name_the_file(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "mine.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CatalogError, match=rf"^{re.escape(str(path))}: {expected}"):
        load_app_file(path)


def test_duplicate_slugs_in_a_file(tmp_path: Path) -> None:
    slack = app_to_dict(Catalog.load_builtin().get("slack"))  # type: ignore[arg-type]
    with pytest.raises(CatalogError, match=r"app 'slack': name_slug: duplicate name_slug"):
        load_app_file(write(tmp_path, [slack, slack]))


def test_unreadable_files(tmp_path: Path) -> None:
    missing = tmp_path / "missing.json"
    with pytest.raises(CatalogError, match=rf"^{re.escape(str(missing))}: cannot be read"):
        load_app_file(missing)
    binary = tmp_path / "binary.json"
    binary.write_bytes(b"\xff\xfe{")
    with pytest.raises(CatalogError, match=rf"^{re.escape(str(binary))}: is not UTF-8 text"):
        load_app_file(binary)
