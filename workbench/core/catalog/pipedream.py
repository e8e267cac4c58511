"""Import apps from Pipedream's ``/v1/connect/apps`` JSON into our catalog schema.

A Pipedream App object says what an app is and where the proxy may go (``connect``)
but not where the credential goes, so the conversion adds our documented default
injection for the app's ``auth_type`` and then validates the result exactly like an
entry of our own schema (:func:`workbench.core.catalog.schema.parse_app`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from workbench.core.catalog.model import App, CatalogError
from workbench.core.catalog.schema import app_label, parse_app, parse_unique

# Keys of our schema a Pipedream-shaped object may carry to override the defaults.
_OUR_KEYS = ("credentials", "injection", "static_headers", "oauth", "verification", "rate_limit",
             "notes")  # fmt: skip
_DEFAULT_CREDENTIAL = {
    "oauth": {"name": "oauth_access_token", "label": "OAuth access token", "source": "oauth"},
    "keys": {"name": "api_key", "label": "API key", "source": "user"},
}
_PLACEHOLDER = re.compile(r"\{\{custom_fields\.([A-Za-z_][A-Za-z0-9_]*)\}\}")
# Pipedream writes a field holding a whole URL as "{{custom_fields.x}}" (base) and
# "{{custom_fields.x.host}}" (allowed domain); our rules only place host names.
_WHOLE_URL_BASE = re.compile(r"\{\{custom_fields\.([A-Za-z_][A-Za-z0-9_]*)\}\}(?=/|\Z)")
_HOST_ACCESSOR = re.compile(r"\{\{custom_fields\.([A-Za-z_][A-Za-z0-9_]*)\.host\}\}")


def parse_pipedream_page(data: object) -> list[App]:
    """The apps of a page's ``data`` (a list, or one App for a retrieve response).

    Raises:
        CatalogError: naming the app (slug or ``#index``) and the field.
    """
    items = [data] if isinstance(data, Mapping) else data
    if not isinstance(items, list):
        raise CatalogError("must be a list of Pipedream App objects", field="data")
    return parse_unique(items, lambda item, index: parse_pipedream_app(item, index=index))


def parse_pipedream_app(data: object, *, index: int | None = None) -> App:
    """Build one app from an App object of Pipedream's ``/v1/connect/apps`` JSON.

    Pipedream's App has no injection spec, so an app without one gets the documented
    default for its ``auth_type`` (our default, not Pipedream's data: import our own
    schema for any other style):

    - ``oauth``: header ``Authorization: Bearer {{credentials.oauth_access_token}}``,
      credential ``oauth_access_token`` (source ``oauth``);
    - ``keys``: header ``Authorization: Bearer {{credentials.api_key}}``, credential
      ``api_key``;
    - ``none``: no injection.

    ``custom_fields_json`` (a JSON string) becomes ``custom_fields``; its fields marked
    ``secret`` (or of type ``password``) are credentials instead. Placeholders of
    ``base_proxy_target_url`` that it does not declare become required custom fields.
    An app without ``connect`` or with ``connect.proxy_enabled`` false imports as not
    proxy-enabled. The result has origin ``imported``.

    Raises:
        CatalogError: naming the app and the field.
    """
    if not isinstance(data, Mapping):
        raise CatalogError("must be a JSON object (a Pipedream App)", app=app_label(data, index))
    ours = _to_our_schema(data, app_label(data, index))
    return parse_app(ours, origin="imported", index=index)


def _to_our_schema(data: Mapping[str, Any], label: str) -> dict[str, Any]:
    slug = data.get("name_slug")
    auth_type = data.get("auth_type") or "none"
    raw_connect = data.get("connect")
    connect: Mapping[str, Any] = raw_connect if isinstance(raw_connect, Mapping) else {}
    base = connect.get("base_proxy_target_url") or ""
    domains = connect.get("allowed_domains") or []
    host_fields: set[str] = set()
    if isinstance(base, str) and (whole_url := _WHOLE_URL_BASE.match(base)):
        base = "https://" + base
        host_fields.add(whole_url.group(1))
    if isinstance(domains, list):
        host_fields.update(_HOST_ACCESSOR.findall(" ".join(map(str, domains))))
        domains = [_HOST_ACCESSOR.sub(r"{{custom_fields.\1}}", d) if isinstance(d, str) else d
                   for d in domains]  # fmt: skip
    custom_fields, secret_fields = _custom_fields(data.get("custom_fields_json"), label)
    declared = {str(item.get("name")) for item in custom_fields}
    for template in [base, *domains]:
        for name in _PLACEHOLDER.findall(template) if isinstance(template, str) else ():
            if name not in declared:
                declared.add(name)
                custom_fields.append({"name": name, "label": _humanise(name), "required": True})
    for item in custom_fields:
        if item["name"] in host_fields:
            note = "Host name only, without https:// (Pipedream stores a whole URL here)."
            item["description"] = f"{item.get('description', '')} {note}".strip()
    ours: dict[str, Any] = {
        "name_slug": slug,
        "name": data.get("name"),
        "auth_type": auth_type,
        "description": data.get("description") or "",
        "categories": data.get("categories") or [],
        "img_src": data.get("img_src") or "",
        "featured_weight": data.get("featured_weight") or 0,
        "connect": {
            "proxy_enabled": connect.get("proxy_enabled", False),
            "allowed_domains": domains,
            "base_proxy_target_url": base,
        },
        "custom_fields": custom_fields,
    }
    if isinstance(data.get("id"), str) and data["id"]:
        ours["id"] = data["id"]
    ours.update({key: data[key] for key in _OUR_KEYS if data.get(key) is not None})
    if "injection" not in ours:
        default = _DEFAULT_CREDENTIAL.get(auth_type) if isinstance(auth_type, str) else None
        credentials = list(secret_fields)
        if default is not None:
            credentials = [default, *(c for c in credentials if c["name"] != default["name"])]
            ours["injection"] = [
                {
                    "in": "header",
                    "name": "Authorization",
                    "template": f"Bearer {{{{credentials.{default['name']}}}}}",
                }
            ]
        ours.setdefault("credentials", credentials)
    return ours


def _custom_fields(raw: object, label: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Split ``custom_fields_json`` into our custom fields and our credentials."""
    if raw is None or raw == "":
        return [], []
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError as error:
            raise CatalogError(
                f"is not valid JSON ({error.msg} at column {error.colno})",
                app=label,
                field="custom_fields_json",
            ) from None
    if not isinstance(raw, list):
        raise CatalogError("must hold a JSON list", app=label, field="custom_fields_json")
    fields: list[dict[str, Any]] = []
    secrets: list[dict[str, Any]] = []
    for index, item in enumerate(raw):
        if not isinstance(item, Mapping):
            raise CatalogError(
                "must be a JSON object", app=label, field=f"custom_fields_json[{index}]"
            )
        name = item.get("name")
        entry: dict[str, Any] = {"name": name, "label": item.get("label") or name}
        if isinstance(item.get("description"), str) and item["description"]:
            entry["description"] = item["description"]
        if isinstance(item.get("optional"), bool):
            entry["required"] = not item["optional"]
        elif "required" in item:
            entry["required"] = item["required"]
        if item.get("secret") is True or item.get("type") == "password":
            secrets.append({**entry, "source": "user"})
            continue
        for key in ("default", "example", "pattern"):
            if isinstance(item.get(key), str) and item[key]:
                entry[key] = item[key]
        fields.append(entry)
    return fields, secrets


def _humanise(name: str) -> str:
    return name.replace("_", " ").strip().capitalize() or name
