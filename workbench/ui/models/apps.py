"""The apps browser's model: the catalog, filtered as the person types.

Why not a ``QSortFilterProxyModel``: it asks the source model for every row's data on
each keystroke, a Python call per row, which costs 100-325 ms at 10,000 apps. Here the
filter is :meth:`Catalog.search` over the catalog's precomputed haystacks (about 1 ms at
10,000 apps) and the model is reset to the matching rows; a table view with fixed row
heights then lays out only what is visible (``bench/gui.py`` measures a keystroke).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from workbench.ui import theme
from workbench.ui.models.titles import column_title

if TYPE_CHECKING:  # types only: the catalog's parsers are imported by the session
    from workbench.core.catalog import App, Catalog

SLUG_ROLE = Qt.ItemDataRole.UserRole
APP_ROLE = Qt.ItemDataRole.UserRole + 1
# Plain ints: a view asks data() about ten roles per visible cell on every repaint, and
# comparing ints is much cheaper than comparing enum members.
_DISPLAY = int(Qt.ItemDataRole.DisplayRole.value)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole.value)
_FOREGROUND = int(Qt.ItemDataRole.ForegroundRole.value)
_SLUG = int(SLUG_ROLE.value)
_APP = int(APP_ROLE)
_ANSWERED = frozenset((_DISPLAY, _TOOLTIP, _FOREGROUND, _SLUG, _APP))
_HEADERS = ("App", "Auth", "Proxy")
_AUTH = {"oauth": "OAuth", "keys": "Keys", "none": "None"}

Index = QModelIndex | QPersistentModelIndex


class AppTableModel(QAbstractTableModel):
    """Apps matching the current filter, sorted by name.

    Columns: name (with the slug as tooltip), auth type, whether the proxy may call it.

    Signals:
        filter_changed(int, int): the filter was applied (apps shown, apps in the catalog).
    """

    filter_changed = Signal(int, int)

    def __init__(self, catalog: Catalog | None = None, parent: QObject | None = None) -> None:
        """Show every app of ``catalog`` (none until a catalog is set)."""
        super().__init__(parent)
        self._catalog = catalog
        self._query = ""
        self._proxy_only = False
        self._rows: list[App] = list(catalog) if catalog is not None else []

    @property
    def catalog(self) -> Catalog | None:
        """The catalog the apps come from (None before a workspace is open)."""
        return self._catalog

    def set_catalog(self, catalog: Catalog) -> None:
        """Show ``catalog`` under the current filter."""
        self._catalog = catalog
        self._apply()

    def set_filter(self, query: str, *, proxy_enabled_only: bool) -> None:
        """Keep the apps whose name, slug or an allowed domain contains ``query``."""
        if (query, proxy_enabled_only) == (self._query, self._proxy_only):
            return
        self._query, self._proxy_only = query, proxy_enabled_only
        self._apply()

    def _apply(self) -> None:
        catalog = self._catalog
        only = True if self._proxy_only else None
        rows = catalog.search(self._query, proxy_enabled=only) if catalog is not None else []
        self.beginResetModel()
        self._rows = rows
        self.endResetModel()
        self.filter_changed.emit(len(rows), len(catalog) if catalog is not None else 0)

    def app_at(self, row: int) -> App | None:
        """The app shown in ``row``, or None."""
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, slug: str) -> int:
        """The row showing the app ``slug``, or -1 when it is filtered out or unknown."""
        for row, app in enumerate(self._rows):
            if app.name_slug == slug:
                return row
        return -1

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008  (Qt's signature)
        """Apps shown."""
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        """Name, auth, proxy."""
        return 0 if parent.isValid() else len(_HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        """Column titles."""
        return column_title(_HEADERS, section, orientation, role)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """What a row shows."""
        role = int(role)
        if role not in _ANSWERED:
            return None
        row = index.row()
        if not 0 <= row < len(self._rows) or not index.isValid():
            return None
        app = self._rows[row]
        if role == _DISPLAY:
            column = index.column()
            if column == 0:
                return app.name
            if column == 1:
                return _AUTH.get(app.auth_type, app.auth_type)
            return "yes" if app.connect.proxy_enabled else "no"
        if role == _FOREGROUND:
            return None if app.connect.proxy_enabled else theme.colors().muted
        if role == _SLUG:
            return app.name_slug
        if role == _APP:
            return app
        domains = ", ".join(app.connect.allowed_domains) or "none"
        proxy = "" if app.connect.proxy_enabled else "\nThe proxy cannot call this app."
        return f"{app.name} ({app.name_slug})\nAllowed domains: {domains}{proxy}"
