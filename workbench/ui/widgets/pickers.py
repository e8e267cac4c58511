"""Who a request is for: project, environment, external user and connected account."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QCompleter,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSizePolicy,
    QTableView,
    QToolButton,
    QWidget,
)

from workbench.core.accounts import ENVIRONMENTS
from workbench.ui.models.choices import ID_ROLE, Choice, ChoiceModel


def _combo(name: str, accessible: str, model: ChoiceModel, parent: QWidget) -> QComboBox:
    combo = QComboBox(parent)
    combo.setObjectName(name)
    combo.setAccessibleName(accessible)
    combo.setModel(model)
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(10)
    return combo


def _table_popup(combo: QComboBox) -> QTableView:
    """Show the combo's choices as a table (every column) when it opens."""
    view = QTableView(combo)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setShowGrid(False)
    view.verticalHeader().hide()
    view.horizontalHeader().hide()
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    view.setWordWrap(False)
    combo.setView(view)
    return view


def _tool(text: str, name: str, tip: str, parent: QWidget) -> QToolButton:
    button = QToolButton(parent)
    button.setText(text)
    button.setObjectName(name)
    button.setToolTip(tip)
    button.setAccessibleName(tip)
    return button


class PickerBar(QWidget):
    """The row of pickers above the composer.

    Picking emits the new id; filling from code (``set_*``) emits nothing.

    Signals:
        project_changed(str): a project was picked (its id).
        environment_changed(str): ``development`` or ``production`` was picked.
        user_changed(str): an external user was picked (its external id, "" for none).
        account_changed(str): an account was picked (its id, "" for none).
        add_user_requested(): "Add user…" was pressed.
        remove_user_requested(): "Remove user…" was pressed.
        connect_requested(): "Connect account…" was pressed.
        remove_account_requested(): "Remove account…" was pressed.
        show_all_accounts_requested(): the app filter on the accounts was dropped.
    """

    project_changed = Signal(str)
    environment_changed = Signal(str)
    user_changed = Signal(str)
    account_changed = Signal(str)
    add_user_requested = Signal()
    remove_user_requested = Signal()
    connect_requested = Signal()
    remove_account_requested = Signal()
    show_all_accounts_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        """Empty pickers."""
        super().__init__(parent)
        self.projects = ChoiceModel(["Project"], self)
        self.environments = ChoiceModel(["Environment"], self)
        self.users = ChoiceModel(["External user"], self)
        self.accounts = ChoiceModel(["Account", "App", "Health"], self)
        self.environments.set_choices([Choice(env, (env,)) for env in ENVIRONMENTS])

        self.project = _combo("projectPicker", "Project", self.projects, self)
        self.environment = _combo("environmentPicker", "Environment", self.environments, self)
        self.environment.setMinimumContentsLength(11)
        self.user = _combo("userPicker", "External user", self.users, self)
        self.user.setEditable(True)
        self.user.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        search = self.user.lineEdit()
        if search is not None:  # always, for an editable combo box
            search.setPlaceholderText("Search users")
        completer = QCompleter(self.users, self.user)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.user.setCompleter(completer)
        self.account = _combo("accountPicker", "Connected account", self.accounts, self)
        self.account.setMinimumContentsLength(20)
        self.account.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        _table_popup(self.account)

        self.add_user = _tool("+", "addUserButton", "Add an external user", self)
        self.remove_user = _tool(
            "−", "removeUserButton", "Remove the user and their accounts", self
        )
        self.connect_account = QPushButton("Connect account…", self)
        self.connect_account.setObjectName("connectAccountButton")
        self.remove_account = _tool("−", "removeAccountButton", "Remove the account", self)
        self.filter_note = QLabel(self)
        self.filter_note.setObjectName("accountFilterNote")
        self.filter_note.setTextFormat(Qt.TextFormat.RichText)
        self.filter_note.hide()

        # Two rows, so the window still fits a laptop screen when zoomed for a demo.
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setHorizontalSpacing(6)
        layout.setVerticalSpacing(4)
        first = QHBoxLayout()
        first.setSpacing(6)
        for label, widget in (("Project", self.project), ("Environment", self.environment)):
            first.addWidget(_buddy(label, widget, self))
            first.addWidget(widget, 1)
            first.addSpacing(10)
        first.addWidget(_buddy("User", self.user, self))
        first.addWidget(self.user, 2)
        first.addWidget(self.add_user)
        first.addWidget(self.remove_user)
        second = QHBoxLayout()
        second.setSpacing(6)
        second.addWidget(_buddy("Account", self.account, self))
        second.addWidget(self.account, 1)
        second.addWidget(self.remove_account)
        second.addWidget(self.filter_note)
        second.addWidget(self.connect_account)
        layout.addLayout(first, 0, 0)
        layout.addLayout(second, 1, 0)

        self.project.currentIndexChanged.connect(
            lambda _: self.project_changed.emit(self.project_id)
        )
        self.environment.currentIndexChanged.connect(
            lambda _: self.environment_changed.emit(self.environment_name)
        )
        self.user.currentIndexChanged.connect(lambda _: self.user_changed.emit(self.user_id))
        self.account.currentIndexChanged.connect(
            lambda _: self.account_changed.emit(self.account_id)
        )
        self.add_user.clicked.connect(self.add_user_requested)
        self.remove_user.clicked.connect(self.remove_user_requested)
        self.connect_account.clicked.connect(self.connect_requested)
        self.remove_account.clicked.connect(self.remove_account_requested)
        self.filter_note.linkActivated.connect(lambda _: self.show_all_accounts_requested.emit())
        for combo in (self.project, self.user, self.account):
            combo.currentIndexChanged.connect(lambda _: self._update_buttons())
        self._update_buttons()

    @property
    def project_id(self) -> str:
        """The chosen project's id ("" for none)."""
        return str(self.project.currentData(ID_ROLE) or "")

    @property
    def environment_name(self) -> str:
        """The chosen environment."""
        return str(self.environment.currentData(ID_ROLE) or ENVIRONMENTS[0])

    @property
    def user_id(self) -> str:
        """The chosen external user's id ("" for none)."""
        return str(self.user.currentData(ID_ROLE) or "")

    @property
    def account_id(self) -> str:
        """The chosen account's id ("" for none)."""
        return str(self.account.currentData(ID_ROLE) or "")

    def set_projects(self, choices: Sequence[Choice], current: str) -> None:
        """Fill the project picker and choose ``current`` (or the first project)."""
        _fill(self.project, self.projects, choices, current)
        self._update_buttons()

    def set_environment(self, environment: str) -> None:
        """Choose ``environment``."""
        _fill(self.environment, self.environments, self.environments.choices(), environment)

    def set_users(self, choices: Sequence[Choice], current: str) -> None:
        """Fill the user picker and choose ``current`` (or the first user)."""
        _fill(self.user, self.users, choices, current)
        self._update_buttons()

    def set_accounts(
        self, choices: Sequence[Choice], current: str, *, filtered_by: str | None, hidden: int
    ) -> None:
        """Fill the account picker and choose ``current`` (or the first account).

        Args:
            choices: the accounts to offer.
            current: the account to choose when offered.
            filtered_by: the app name the accounts are narrowed to, if any.
            hidden: how many of the user's accounts the narrowing hides.
        """
        _fill(self.account, self.accounts, choices, current)
        self.account.view().setMinimumWidth(
            sum(self.account.view().sizeHintForColumn(c) for c in range(3)) + 24
        )
        if filtered_by is not None and hidden:
            self.filter_note.setText(
                f"{filtered_by} only · <a href='all'>show all {len(choices) + hidden}</a>"
            )
            self.filter_note.setToolTip("Show the user's accounts of every app")
            self.filter_note.show()
        else:
            self.filter_note.hide()
        if not choices:
            self.account.setPlaceholderText(
                f"No {filtered_by} account: connect one" if filtered_by else "No account yet"
            )
        self._update_buttons()

    def _update_buttons(self) -> None:
        self.remove_user.setEnabled(bool(self.user_id))
        self.remove_account.setEnabled(bool(self.account_id))
        self.add_user.setEnabled(bool(self.project_id))
        self.connect_account.setEnabled(bool(self.project_id))


def _buddy(text: str, widget: QWidget, parent: QWidget) -> QLabel:
    label = QLabel(f"&{text}", parent)
    label.setBuddy(widget)
    return label


def _fill(combo: QComboBox, model: ChoiceModel, choices: Sequence[Choice], current: str) -> None:
    blocked = combo.blockSignals(True)
    try:
        model.set_choices(choices)
        row = model.row_of(current)
        combo.setCurrentIndex(row if row >= 0 else (0 if choices else -1))
        if combo.isEditable():  # its line edit follows the index only through signals
            index = combo.currentIndex()
            combo.setEditText(combo.itemText(index) if index >= 0 else "")
    finally:
        combo.blockSignals(blocked)
