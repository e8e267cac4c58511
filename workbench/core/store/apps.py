"""The catalog a workspace sees: the builtin apps with the workspace's imported apps over them."""

from __future__ import annotations

from collections.abc import Callable

from workbench.core.catalog import Catalog, CatalogError, parse_app
from workbench.core.store.workspace import Workspace


def workspace_catalog(
    workspace: Workspace, *, on_skipped: Callable[[CatalogError], None] | None = None
) -> Catalog:
    """The builtin catalog with ``workspace``'s imported apps layered over it.

    An imported entry that no longer loads (a file written by a newer version, a rule
    that got stricter) is skipped and reported to ``on_skipped``: one stale entry must
    not lock the user out of every other app.
    """
    imported = []
    for data in workspace.list_app_dicts():
        try:
            imported.append(parse_app(data, origin="imported"))
        except CatalogError as error:
            if on_skipped is not None:
                on_skipped(error)
    return Catalog.load_builtin().with_apps(imported)
