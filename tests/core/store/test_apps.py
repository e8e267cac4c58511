"""The catalog a workspace sees: imported apps over the builtin ones, stale entries skipped."""

from __future__ import annotations

from pathlib import Path

from tests.helpers.workspace import open_workspace
from workbench.core.catalog import Catalog, CatalogError, app_to_dict
from workbench.core.store.apps import workspace_catalog


def test_imported_apps_layer_over_the_builtin_ones_and_stale_ones_are_reported(
    tmp_path: Path,
) -> None:
    builtin = Catalog.load_builtin()
    slack = builtin.get("slack")
    assert slack is not None
    with open_workspace(tmp_path) as workspace:
        workspace.save_app({**app_to_dict(slack), "name": "Slack (our fork)"})
        workspace.save_app({"name_slug": "broken", "name": "Broken"})  # no connect, no auth
        skipped: list[CatalogError] = []
        catalog = workspace_catalog(workspace, on_skipped=skipped.append)
    assert len(catalog) == len(builtin)
    replaced = catalog.get("slack")
    assert replaced is not None
    assert replaced.name == "Slack (our fork)"
    assert replaced.origin == "imported"
    assert catalog.get("broken") is None
    assert [error.app for error in skipped] == ["'broken'"]
