"""Keeping the workspace and the vault in step across crashes: a journal and a reconciler.

A change that touches both stores is not atomic, so :class:`Connections` orders it so that
a crash can only leave secrets that no account owns (never an account without its secrets,
never a lost commit), and notes the account ids it is changing in a journal kept in the
vault itself. :func:`reconcile`, run when a workspace is opened, finishes what the
journal names: secrets without an account are deleted, an account whose secrets are
missing or damaged is marked unhealthy with the reason. Where the vault can list its
entries (the encrypted file), every account is checked, not only the journaled ones.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from workbench.core.accounts import Account
from workbench.core.catalog import Catalog
from workbench.core.store.vault import Vault, VaultEntryDamaged
from workbench.core.store.workspace import Workspace

__all__ = [
    "DAMAGED_DETAIL",
    "JOURNAL_KEY",
    "MISSING_DETAIL",
    "Journal",
    "Reconciled",
    "needs_secrets",
    "reconcile",
]

log = logging.getLogger(__name__)

JOURNAL_KEY = "journal:accounts"
MISSING_DETAIL = "Its secrets are missing from the vault; remove the account and connect it again"
DAMAGED_DETAIL = (
    "Its secrets in the vault are damaged ({why}); remove the account and connect it again"
)


class Journal:
    """Account ids whose row and secrets may disagree, as one JSON list in the vault.

    Only written while the workspace's writers' lock is held (see ``Connections``).
    """

    def __init__(self, vault: Vault) -> None:
        """Keep the journal in ``vault``."""
        self._vault = vault

    def ids(self) -> set[str]:
        """The journaled ids (a damaged journal reads as empty, with a warning).

        Raises:
            VaultError: the vault cannot be read.
        """
        try:
            raw = self._vault.get(JOURNAL_KEY)
        except VaultEntryDamaged as exc:
            log.warning("ignoring a damaged vault journal: %s", exc)
            return set()
        if raw is None:
            return set()
        try:
            data = json.loads(raw)
        except json.JSONDecodeError:
            data = None
        if not isinstance(data, list) or not all(isinstance(item, str) for item in data):
            log.warning("ignoring a damaged vault journal (not a list of account ids)")
            return set()
        return set(data)

    def add(self, ids: Iterable[str]) -> None:
        """Journal ``ids`` before changing them.

        Raises:
            VaultError: the journal could not be saved (change nothing then).
        """
        self._write(self.ids() | set(ids))

    def discard(self, ids: Iterable[str]) -> None:
        """Forget ``ids`` once both stores agree on them.

        Raises:
            VaultError: the journal could not be saved (the ids stay: harmless).
        """
        current = self.ids()
        remaining = current - set(ids)
        if remaining != current:
            self._write(remaining)

    def _write(self, ids: set[str]) -> None:
        if ids:
            self._vault.set(JOURNAL_KEY, json.dumps(sorted(ids)))
        else:
            self._vault.delete(JOURNAL_KEY)


@dataclass
class Reconciled:
    """What :func:`reconcile` changed.

    Attributes:
        orphans_removed: ids of secrets deleted because no account owns them.
        marked_unhealthy: ids of accounts marked unhealthy (secrets missing or damaged).
        healed: ids of accounts whose "secrets missing" mark was lifted (they are back).
    """

    orphans_removed: list[str] = field(default_factory=list)
    marked_unhealthy: list[str] = field(default_factory=list)
    healed: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.orphans_removed or self.marked_unhealthy or self.healed)


def needs_secrets(account: Account, catalog: Catalog) -> bool:
    """True when the account's app requires at least one credential."""
    app = catalog.get(account.app_slug)
    return app is not None and any(spec.required for spec in app.credentials)


def reconcile(workspace: Workspace, vault: Vault, catalog: Catalog) -> Reconciled:
    """Bring the workspace and the vault back in step; call with the writers' lock held.

    Raises:
        VaultError: the vault cannot be read or changed.
        WorkspaceError: the workspace cannot be read or changed.
    """
    journal = Journal(vault)
    pending = journal.ids()
    listed = vault.account_ids()
    accounts = {account.id: account for account in workspace.list_accounts()}
    done = Reconciled()
    for orphan in sorted((pending | (listed or frozenset())) - accounts.keys()):
        if vault.delete_credentials(orphan):
            done.orphans_removed.append(orphan)
    checked = accounts.keys() if listed is not None else pending & accounts.keys()
    for account_id in sorted(checked):
        account = accounts[account_id]
        if listed is not None and account_id not in pending:
            present, why = account_id in listed, ""  # names only: no decryption of every entry
        else:
            present, why = _read(vault, account_id)
        _record(workspace, account, present=present, why=why, catalog=catalog, done=done)
    journal.discard(pending)
    if done:
        log.warning(
            "brought the workspace and the vault back in step: %d orphaned secret(s) removed, "
            "%d account(s) marked unhealthy, %d account(s) whose secrets are back",
            len(done.orphans_removed),
            len(done.marked_unhealthy),
            len(done.healed),
        )
    return done


def _read(vault: Vault, account_id: str) -> tuple[bool, str]:
    """Whether the account has an entry, and why it is unreadable ("" when it is fine)."""
    try:
        return bool(vault.credentials(account_id)), ""
    except VaultEntryDamaged as exc:
        return True, str(exc)


def _record(
    workspace: Workspace,
    account: Account,
    *,
    present: bool,
    why: str,
    catalog: Catalog,
    done: Reconciled,
) -> None:
    if why:
        detail = DAMAGED_DETAIL.format(why=why)
    elif not present and needs_secrets(account, catalog):
        detail = MISSING_DETAIL
    else:
        if account.healthy is False and account.health_detail == MISSING_DETAIL and present:
            workspace.set_account_health(account.id, None, "")
            done.healed.append(account.id)
        return
    if (account.healthy, account.health_detail) != (False, detail):
        workspace.set_account_health(account.id, False, detail)
        done.marked_unhealthy.append(account.id)
