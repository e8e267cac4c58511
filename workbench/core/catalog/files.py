"""Catalog files: the builtin ``apps.json`` and files of apps to import, in either format.

Our own schema is ``{"schema": 1, "apps": [...]}`` (or a bare list of apps); a page of
Pipedream's ``/v1/connect/apps`` is ``{"data": [...], "page_info": {...}}``. Every error
names the file, and broken JSON its line and column.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from workbench.core.catalog.model import App, CatalogError
from workbench.core.catalog.pipedream import parse_pipedream_page
from workbench.core.catalog.schema import parse_apps

SCHEMA_VERSION = 1


def parse_catalog_text(text: str, *, source: str) -> list[App]:
    """Parse the builtin catalog file (``{"schema": 1, "apps": [...]}``).

    Raises:
        CatalogError: naming ``source``, the app and the field.
    """
    document = load_json(text, source=source)
    if not isinstance(document, dict) or "apps" not in document:
        raise CatalogError('expected {"schema": 1, "apps": [...]}', source=source)
    try:
        _check_schema_version(document)
        return parse_apps(document["apps"], origin="builtin")
    except CatalogError as error:
        raise error.in_file(source) from None


def load_app_file(path: str | os.PathLike[str]) -> list[App]:
    """Read apps to import from a JSON file, detecting its format.

    Accepted: our schema (``{"apps": [...]}`` or a bare list of apps) and a page of
    Pipedream's ``/v1/connect/apps`` (``{"data": [...], "page_info": ...}``, or a single
    ``{"data": {...}}``). Every app gets origin ``imported``.

    Raises:
        CatalogError: naming the file (and the line for broken JSON), the app and the field.
    """
    source = os.fspath(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise CatalogError("is not UTF-8 text", source=source) from None
    except OSError as error:
        raise CatalogError(f"cannot be read ({error.strerror or error})", source=source) from None
    document = load_json(text, source=source)
    try:
        if isinstance(document, list):
            return parse_apps(document, origin="imported")
        if isinstance(document, dict) and "apps" in document:
            _check_schema_version(document)
            return parse_apps(document["apps"], origin="imported")
        if isinstance(document, dict) and "data" in document:
            return parse_pipedream_page(document["data"])
    except CatalogError as error:
        raise error.in_file(source) from None
    raise CatalogError(
        'expected our schema ({"apps": [...]} or a list of apps) '
        'or a Pipedream page ({"data": [...]})',
        source=source,
    )


def load_json(text: str, *, source: str) -> Any:
    """``json.loads`` with an error that names the file, line and column.

    Raises:
        CatalogError: for text that is not JSON.
    """
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise CatalogError(
            f"not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})",
            source=source,
        ) from None


def _check_schema_version(document: Mapping[str, Any]) -> None:
    version = document.get("schema", SCHEMA_VERSION)
    if version != SCHEMA_VERSION or isinstance(version, bool):
        raise CatalogError(
            f"unsupported schema version {version!r} (this version reads {SCHEMA_VERSION})",
            field="schema",
        )
