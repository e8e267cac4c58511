"""The apps browser: search as you type, a proxy-enabled filter, the list and the details."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QItemSelection, QItemSelectionModel, QModelIndex, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from workbench.ui.models.apps import AppTableModel
from workbench.ui.widgets.appdetails import AppDetails

if TYPE_CHECKING:  # types only: the catalog's parsers are imported by the session
    from workbench.core.catalog import App, Catalog


class _SearchEdit(QLineEdit):
    """The search field; Down moves to the list so the keyboard never has to leave."""

    def __init__(self, target: QAbstractItemView, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._target = target

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Down, Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._target.setFocus()
            if not self._target.currentIndex().isValid() and self._target.model().rowCount():
                self._target.setCurrentIndex(self._target.model().index(0, 0))
            return
        super().keyPressEvent(event)


class AppBrowser(QWidget):
    """Browse and pick an app of the catalog.

    The current app stays current when a new filter hides it: filtering narrows the
    list, it does not change what the composer works on.

    Signals:
        app_chosen(object): the person picked an app (an ``App``).
    """

    app_chosen = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        """An empty browser; :meth:`set_catalog` fills it."""
        super().__init__(parent)
        self.model = AppTableModel(parent=self)
        self._current: App | None = None

        self.view = QTableView(self)
        self.view.setObjectName("appList")
        self.view.setAccessibleName("Apps")
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setShowGrid(False)
        self.view.setWordWrap(False)
        self.view.setAlternatingRowColors(True)
        # Fixed sizes keep a model reset at 10,000 rows to a few milliseconds: sizing to
        # contents would measure every row on each keystroke.
        self.view.verticalHeader().hide()
        self.view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        columns = self.view.horizontalHeader()
        columns.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        columns.setSectionResizeMode(1, QHeaderView.ResizeMode.Fixed)
        columns.setSectionResizeMode(2, QHeaderView.ResizeMode.Fixed)
        columns.setHighlightSections(False)
        self._size_to_font()

        self.search = _SearchEdit(self.view, self)
        self.search.setObjectName("appSearch")
        self.search.setAccessibleName("Search apps")
        self.search.setPlaceholderText("Search name, slug or domain")
        self.search.setClearButtonEnabled(True)
        self.proxy_only = QCheckBox("Proxy-enabled only", self)
        self.proxy_only.setObjectName("proxyEnabledOnly")
        self.proxy_only.setToolTip("Hide apps whose catalog entry does not enable the proxy")
        self.count = QLabel(self)
        self.count.setObjectName("appCount")
        self.count.setAccessibleName("Apps shown")
        self.details = AppDetails(self)

        filters = QHBoxLayout()
        filters.setContentsMargins(0, 0, 0, 0)
        filters.addWidget(self.proxy_only)
        filters.addStretch(1)
        filters.addWidget(self.count)
        top = QWidget(self)
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.search)
        top_layout.addLayout(filters)
        top_layout.addWidget(self.view, 1)
        self.splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.splitter.setObjectName("appsSplitter")
        self.splitter.addWidget(top)
        self.splitter.addWidget(self.details)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)

        self.search.textChanged.connect(self._on_filter)
        self.proxy_only.toggled.connect(self._on_filter)
        self.model.filter_changed.connect(self._on_filtered)
        self.model.modelReset.connect(self._reselect)
        self.view.selectionModel().selectionChanged.connect(self._on_selection)
        self._on_filtered(0, 0)

    def _size_to_font(self) -> None:
        metrics = self.view.fontMetrics()
        self.view.verticalHeader().setDefaultSectionSize(metrics.height() + 8)
        columns = self.view.horizontalHeader()
        for column, widest in ((1, "OAuth"), (2, "Proxy")):
            columns.resizeSection(column, metrics.horizontalAdvance(widest) + 18)

    def changeEvent(self, event: QEvent) -> None:
        """Keep row heights and column widths in step with the font (zoom)."""
        if event.type() == QEvent.Type.FontChange:
            self._size_to_font()
        super().changeEvent(event)

    def set_catalog(self, catalog: Catalog) -> None:
        """Browse ``catalog``."""
        self.model.set_catalog(catalog)
        if self._current is not None:
            self._current = catalog.get(self._current.name_slug)
            self.details.show_app(self._current)

    @property
    def current_app(self) -> App | None:
        """The app the composer works on."""
        return self._current

    def select_app(self, slug: str) -> App | None:
        """Make ``slug`` the current app (from code: ``app_chosen`` is not emitted)."""
        catalog = self.model.catalog
        app = catalog.get(slug) if slug and catalog is not None else None
        self._set_current(app)
        self._reselect()
        return app

    def _set_current(self, app: App | None) -> None:
        self._current = app
        self.details.show_app(app)

    def _on_filter(self) -> None:
        self.model.set_filter(self.search.text(), proxy_enabled_only=self.proxy_only.isChecked())

    def _on_filtered(self, shown: int, total: int) -> None:
        self.count.setText(f"{shown} / {total}")
        self.count.setToolTip(f"{shown} of {total} apps shown")

    def _reselect(self) -> None:
        """Select the current app's row again after a reset, without choosing it anew."""
        selection = self.view.selectionModel()
        row = self.model.row_of(self._current.name_slug) if self._current else -1
        blocked = selection.blockSignals(True)
        try:
            if row < 0:
                selection.clearSelection()
                return
            index = self.model.index(row, 0)
            flags = (
                QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows
            )
            selection.setCurrentIndex(index, flags)
        finally:
            selection.blockSignals(blocked)
        self.view.viewport().update()
        self.view.scrollTo(self.model.index(row, 0))

    def _on_selection(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        indexes: list[QModelIndex] = selected.indexes()
        if not indexes:
            return
        app = self.model.app_at(indexes[0].row())
        if app is None or app == self._current:
            return
        self._set_current(app)
        self.app_chosen.emit(app)
