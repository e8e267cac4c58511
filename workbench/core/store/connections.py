"""Connections: connect, verify and remove accounts, keeping SQLite and the vault in step.

This is the service the CLI, the REST server, the demo and the GUI use. It validates an
account against its catalog entry *before* storing anything, writes secrets to the vault
and everything else to the workspace, and removes both together. It is also the
engine's ``AccountDirectory`` and ``CredentialSource``.

Every change to both stores holds the workspace's writers' lock (``<workspace>.lock``,
shared by every process on the file), journals the account ids it touches (see
:mod:`workbench.core.store.reconcile`), and runs in the one order a crash cannot turn into
a loss: secrets are written before the row that owns them is committed, and deleted only
after the row's deletion is committed. A failure midway undoes what it can and raises.
"""

from __future__ import annotations

import base64
import hmac
import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Protocol

from workbench.core.accounts import ENVIRONMENTS, Account, CredentialsUnavailable
from workbench.core.catalog import App, Catalog
from workbench.core.errors import ProxyError, RuleError
from workbench.core.exchange import ProxyRequest, ProxyResult
from workbench.core.injection import redact, render_template
from workbench.core.oauth.tokens import ACCESS_TOKEN, NOT_SECRET
from workbench.core.store.account_input import check_custom_fields, check_secret, check_secrets
from workbench.core.store.faults import checkpoint
from workbench.core.store.filelock import FileLock, held, lock_path
from workbench.core.store.ids import is_id, new_id, random_base62
from workbench.core.store.reconcile import (
    DAMAGED_DETAIL,
    MISSING_DETAIL,
    Journal,
    Reconciled,
    needs_secrets,
    reconcile,
)
from workbench.core.store.vault import (
    Vault,
    VaultEntryDamaged,
    VaultError,
    account_key,
    client_secret_key,
    oauth_client_secret_key,
)
from workbench.core.store.workspace import OAuthClientRecord, Project, Workspace

if TYPE_CHECKING:
    from workbench.core.engine import ProxyEngine
    from workbench.core.oauth.flow import Authorized
    from workbench.core.oauth.refresh import TokenRefresher

__all__ = ["Connections", "Sender", "check_custom_fields", "check_secrets"]

log = logging.getLogger(__name__)

HEALTH_DETAIL_CHARS = 200


class Sender(Protocol):
    """What :meth:`Connections.verify_account` needs of an engine."""

    async def send(self, request: ProxyRequest) -> ProxyResult:
        """Send one request upstream; raises only ``ProxyError``."""
        ...


class Connections:
    """Accounts with their secrets: one service over the workspace, the vault and the catalog.

    Attributes:
        workspace: the SQLite workspace (non-secret data).
        vault: where secrets go.
        catalog: the apps accounts are checked against; may be replaced (imports).
    """

    def __init__(self, workspace: Workspace, vault: Vault, catalog: Catalog) -> None:
        """Combine a workspace, a vault and a catalog."""
        self.workspace = workspace
        self.vault = vault
        self.catalog = catalog
        # Serialises id checks with the writes that follow them, lazy secret creation and
        # every change to both stores, across threads and processes.
        self._lock = FileLock(lock_path(workspace.path))
        self._journal = Journal(vault)
        self._refresher: TokenRefresher | None = None

    def reconcile(self) -> Reconciled:
        """Finish what a crash interrupted: see :func:`~workbench.core.store.reconcile.reconcile`.

        Call it once when opening a workspace with its own (persistent) vault.

        Raises:
            VaultError: the vault cannot be read or changed.
            WorkspaceError: the workspace cannot be read or changed.
        """
        with self._lock:
            return reconcile(self.workspace, self.vault, self.catalog)

    @contextmanager
    def _changing(self, account_ids: Sequence[str]) -> Iterator[None]:
        """Journal ``account_ids`` for the duration of a change to both stores.

        A failure to journal fails the change before anything happened. Once the change
        succeeded, a failure to clear the journal only leaves work for :meth:`reconcile`.
        """
        self._journal.add(account_ids)
        yield
        try:
            self._journal.discard(account_ids)
        except VaultError as exc:
            log.warning("the vault journal keeps %s until next start: %s", account_ids, exc)

    def add_account(
        self,
        project_id: str,
        external_user_id: str,
        app_slug: str,
        *,
        custom_fields: Mapping[str, str] | None = None,
        secrets: Mapping[str, str] | None = None,
        environment: str = "development",
        name: str = "",
        allow_private_network: bool = False,
        account_id: str | None = None,
    ) -> Account:
        """Validate and store a new account; its external user is created on demand.

        Everything is checked before anything is stored. Secrets go to the vault first;
        if the workspace then refuses the account, they are deleted again (or, if even
        that fails, at the next :meth:`reconcile`).

        Raises:
            RuleError: unknown project or app, bad user id, environment, account id,
                custom field or secret; the message names the input at fault.
            VaultError: the secrets could not be saved; nothing was added.
            WorkspaceError: the workspace could not store the account; nothing was added.
        """
        app = self._check_owner(project_id, external_user_id, environment, app_slug)
        fields = check_custom_fields(
            app, custom_fields or {}, allow_private_network=allow_private_network
        )
        secret_values = check_secrets(app, secrets or {})
        draft = _draft(project_id, external_user_id, app, environment, name, fields)
        draft = replace(draft, allow_private_network=allow_private_network)
        return self._store_new(draft, secret_values, account_id)

    def add_oauth_account(
        self,
        project_id: str,
        external_user_id: str,
        app_slug: str,
        authorized: Authorized,
        *,
        environment: str = "development",
        name: str = "",
        allow_private_network: bool = False,
    ) -> Account:
        """Store the account a finished OAuth sign-in produced (tokens to the vault only).

        Its custom fields (typed, and those the token response filled) pass the same
        checks as :meth:`add_account`'s; the vault entry holds the tokens under
        Pipedream's credential names.

        Raises:
            RuleError: as :meth:`add_account`; also when the app is not an OAuth app.
            VaultError: the tokens could not be saved; nothing was added.
            WorkspaceError: the workspace could not store the account; nothing was added.
        """
        app = self._check_owner(project_id, external_user_id, environment, app_slug)
        if app.oauth is None:
            raise RuleError("not_oauth", f"{app.name} is not an OAuth app", field="app")
        fields = check_custom_fields(
            app, authorized.custom_fields, allow_private_network=allow_private_network
        )
        token_spec = next((spec for spec in app.credentials if spec.name == ACCESS_TOKEN), None)
        if token_spec is not None:
            check_secret(app, token_spec, authorized.tokens.access_token)
        draft = _draft(project_id, external_user_id, app, environment, name, fields)
        draft = replace(draft, allow_private_network=allow_private_network)
        return self._store_new(draft, authorized.tokens.to_credentials(), None)

    def _check_owner(
        self, project_id: str, external_user_id: str, environment: str, app_slug: str
    ) -> App:
        """The app, once the project, the user id and the environment are known good."""
        if self.workspace.get_project(project_id) is None:
            raise RuleError(
                "project_not_found", f"Project '{project_id}' does not exist", field="project"
            )
        if not external_user_id or not external_user_id.isprintable():
            raise RuleError(
                "bad_external_user_id",
                "The external user id must be non-empty text without control characters",
                field="external_user_id",
            )
        if environment not in ENVIRONMENTS:
            raise RuleError(
                "bad_environment",
                f"Environment must be development or production, got {environment!r}",
                field="environment",
            )
        app = self.catalog.get(app_slug)
        if app is None:
            raise RuleError("app_not_found", f"Unknown app '{app_slug}'", field="app")
        return app

    def _store_new(
        self, draft: Account, secret_values: Mapping[str, str], account_id: str | None
    ) -> Account:
        """Store a checked account: secrets first, then the row (see the module docstring)."""
        with self._lock:
            new_account_id = self._fresh_account_id(account_id)
            account = replace(draft, id=new_account_id)
            with self._changing([new_account_id]):
                self.vault.set_credentials(new_account_id, secret_values)
                try:
                    checkpoint("add.secrets-stored")
                    stored = self.workspace.insert_account(account)
                except BaseException:
                    self._forget_secrets(new_account_id)
                    raise
                checkpoint("add.committed")
            return stored

    def _forget_secrets(self, account_id: str) -> None:
        """Undo a new account's secrets after its row failed; the journal covers a failure."""
        try:
            self.vault.delete_credentials(account_id)
        except VaultError as exc:
            log.warning("orphaned secrets of %s stay until next start: %s", account_id, exc)

    def _fresh_account_id(self, account_id: str | None) -> str:
        if account_id is None:
            return new_id("apn")
        if not is_id(account_id, "apn"):
            raise RuleError(
                "bad_account_id",
                f"Account id {account_id!r} must look like apn_<letters and digits>",
                field="account_id",
            )
        if self.workspace.find_account(account_id) is not None:
            raise RuleError(
                "account_exists", f"Account {account_id} already exists", field="account_id"
            )
        return account_id

    def remove_account(self, account_id: str) -> bool:
        """Remove an account and its secrets; True when the account existed.

        The row goes first: a crash or failure after it leaves only secrets without an
        account, which :meth:`reconcile` deletes, never an account without its secrets.

        Raises:
            WorkspaceError: the account could not be removed; nothing changed.
            VaultError: the account is removed but its secrets could not be deleted yet
                (the next :meth:`reconcile` deletes them).
        """
        with self._lock, self._changing([account_id]):
            existed = self.workspace.delete_account(account_id)
            checkpoint("remove.committed")
            self._delete_secrets_of_removed([account_id])
        return existed

    def _delete_secrets_of_removed(self, account_ids: Sequence[str]) -> None:
        for account_id in account_ids:
            try:
                self.vault.delete_credentials(account_id)
            except VaultError as exc:
                raise VaultError(
                    f"account {account_id} was removed, but {exc}; they are deleted the next "
                    "time this workspace is opened"
                ) from exc
            checkpoint("remove.secret-deleted")

    def remove_user(
        self, project_id: str, external_id: str, *, environment: str | None = None
    ) -> list[str]:
        """Remove an external user's accounts with their secrets, and the user once bare.

        Args:
            project_id: the user's project.
            external_id: the user.
            environment: only the accounts in this environment (the user stays while
                they have accounts in the other); all of them when None.

        Returns:
            The ids of the accounts removed.

        Raises:
            WorkspaceError: nothing could be removed.
            VaultError: the accounts are removed but some secrets could not be deleted
                yet (the next :meth:`reconcile` deletes them).
        """
        with self._lock:
            accounts = self.workspace.list_accounts(
                project_id, external_user_id=external_id, environment=environment
            )
            with self._changing([account.id for account in accounts]):
                removed = self.workspace.delete_user(
                    project_id, external_id, environment=environment
                )
                checkpoint("remove-user.committed")
                self._delete_secrets_of_removed(removed)
        return removed

    def forget_secrets(self) -> list[str]:
        """Delete every secret of this workspace from the vault (before an uninstall).

        Every account's secrets and every project's client secret, named from the
        workspace's rows (a keychain cannot list them). The rows stay, so the accounts then
        show their secrets as missing. Other workspaces' entries under the same keychain
        service are left alone; secrets a crash left without an account are the
        reconciler's (run when the workspace is opened).

        Returns:
            The vault keys that held a secret (names only, such as ``account:apn_...``).

        Raises:
            VaultError: an entry could not be deleted; those before it are gone, and
                running it again finishes the rest.
        """
        with self._lock:
            accounts = [account.id for account in self.workspace.list_accounts()]
            deleted = [
                account_key(account_id)
                for account_id in accounts
                if self.vault.delete_credentials(account_id)
            ]
            deleted += [
                client_secret_key(project.id)
                for project in self.workspace.list_projects()
                if self.vault.delete(client_secret_key(project.id))
            ]
            self._journal.discard(accounts)
        return deleted

    def find_account(self, account_id: str) -> Account | None:
        """The account with this id, or None (``AccountDirectory``)."""
        return self.workspace.find_account(account_id)

    def credentials(self, account_id: str) -> Mapping[str, str]:
        """The account's secrets (``CredentialSource``).

        A damaged entry, or no entry for an account whose app needs secrets, marks the
        account unhealthy with the reason (only that account: the others read on).

        Raises:
            CredentialsUnavailable: the entry is damaged or the vault cannot be read.
        """
        try:
            secrets = self.vault.credentials(account_id)
        except VaultEntryDamaged as exc:
            self._mark_unhealthy(account_id, DAMAGED_DETAIL.format(why=exc))
            raise CredentialsUnavailable(
                f"The secrets of account {account_id} cannot be read: {exc}"
            ) from exc
        except VaultError as exc:
            raise CredentialsUnavailable(
                f"The secrets of account {account_id} cannot be read: {exc}"
            ) from exc
        if not secrets and self.vault.persistent:
            account = self.find_account(account_id)
            if account is not None and needs_secrets(account, self.catalog):
                self._mark_unhealthy(account_id, MISSING_DETAIL)
        return secrets

    def mark_unhealthy(self, account_id: str, detail: str) -> None:
        """Record why an account stopped working (shown in the picker and the lists)."""
        self._mark_unhealthy(account_id, detail[:HEALTH_DETAIL_CHARS])

    # OAuth: the user's own clients, and the tokens the refresher renews

    def engine(self, **options: Any) -> ProxyEngine:
        """A proxy engine over these accounts: the workspace's shared budget, tokens renewed.

        ``options`` go to :class:`ProxyEngine` (``events``, ``allow_private_networks``...).
        """
        from workbench.core.engine import ProxyEngine

        options.setdefault("budget", self.workspace.budget)
        return ProxyEngine(self.catalog, self, self, tokens=self.tokens, **options)

    @property
    def tokens(self) -> TokenRefresher:
        """The engine's refresher of this workspace's OAuth tokens (one per connections)."""
        if self._refresher is None:
            from workbench.core.oauth.refresh import TokenRefresher

            self._refresher = TokenRefresher(self)
        return self._refresher

    def oauth_client(self, app_slug: str) -> tuple[OAuthClientRecord | None, bool]:
        """The OAuth client remembered for an app, and whether its secret is remembered.

        Raises:
            VaultError: the vault cannot be read.
        """
        record = self.workspace.oauth_client(app_slug)
        if record is None or not record.client_id:
            return record, False
        secret = self.vault.get(oauth_client_secret_key(app_slug, record.client_id))
        return record, secret is not None

    def remember_oauth_client(
        self,
        app_slug: str,
        *,
        client_id: str | None = None,
        client_secret: str | None = None,
        redirect_port: int | None = None,
    ) -> OAuthClientRecord:
        """Remember an app's OAuth client: id and port in the workspace, secret in the vault.

        The secret is stored under the client id, so it can never be read back for
        another client; it goes first (a crash then leaves an unused secret, never a
        client id with a wrong secret).

        Raises:
            RuleError: a secret without a client id, or one with control characters.
            VaultError: the secret was not saved (nothing was changed).
            WorkspaceError: the id or port was not saved.
        """
        if client_secret is not None:
            if not client_id:
                raise RuleError(
                    "missing_client_id", "A client secret needs its client id", field="client_id"
                )
            if not client_secret.isprintable():
                raise RuleError(
                    "bad_client_secret",
                    "The client secret must be text without line breaks or control characters",
                    field="client_secret",
                )
        with self._lock:
            if client_secret:
                assert client_id is not None
                self.vault.set(oauth_client_secret_key(app_slug, client_id), client_secret)
            return self.workspace.save_oauth_client(
                app_slug, client_id=client_id, redirect_port=redirect_port
            )

    def oauth_client_secret(self, app_slug: str, client_id: str) -> str | None:
        """The remembered secret of an app's OAuth client ``client_id``, or None.

        Raises:
            CredentialsUnavailable: the vault cannot be read.
        """
        try:
            return self.vault.get(oauth_client_secret_key(app_slug, client_id))
        except VaultError as exc:
            raise CredentialsUnavailable(f"The OAuth client secret cannot be read: {exc}") from exc

    def store_tokens(self, account_id: str, credentials: Mapping[str, str]) -> bool:
        """Replace an account's vault entry with refreshed tokens; False if it is gone.

        Holds the writers' lock and checks the row first: a refresh that ends after the
        account was removed must not leave its secrets behind. One vault entry is
        replaced at once, so there is nothing for the journal to finish after a crash.

        Raises:
            CredentialsUnavailable: the vault refused the write.
        """
        with self._lock:
            if self.workspace.find_account(account_id) is None:
                return False
            try:
                self.vault.set_credentials(account_id, credentials)
            except VaultError as exc:
                raise CredentialsUnavailable(
                    f"The refreshed tokens of account {account_id} could not be saved: {exc}"
                ) from exc
        return True

    def refresh_lock(self) -> AbstractAsyncContextManager[object]:
        """The lock every process takes to refresh this workspace's tokens."""
        # Longer than one refresh may take, so a waiting process outlasts the one refreshing.
        path = self.workspace.path.with_name(self.workspace.path.name + ".oauth.lock")
        return held(path, patience=60.0)

    def _mark_unhealthy(self, account_id: str, detail: str) -> None:
        account = self.find_account(account_id)
        if account is not None and (account.healthy, account.health_detail) != (False, detail):
            self.workspace.set_account_health(account_id, False, detail)

    def _project(self, project_id: str) -> Project:
        project = self.workspace.get_project(project_id)
        if project is None:
            raise RuleError(
                "project_not_found", f"Project '{project_id}' does not exist", field="project"
            )
        return project

    def project_credentials(self, project_id: str) -> tuple[str, str]:
        """The project's REST client id and secret; the secret is created on first use.

        Raises:
            RuleError: the project does not exist.
            VaultError: the secret could not be read, or a new one could not be saved.
        """
        project = self._project(project_id)
        with self._lock:  # two processes must not both create one (one would be lost)
            secret = self.vault.get(client_secret_key(project.id))
            if secret is None:
                secret = f"pd_secret_{random_base62(32)}"
                self.vault.set(client_secret_key(project.id), secret)
        return project.client_id, secret

    def rotate_client_secret(self, project_id: str) -> str:
        """Replace the project's client secret; the old one stops working at once.

        The REST server's tokens of the project are revoked too, in the workspace, so
        every server process answers them 401 from their next request. The secret is
        replaced first: a token granted on the old one in between is revoked with them.

        Raises:
            RuleError: the project does not exist.
            VaultError: the new secret was not saved; the old one stays valid.
        """
        project = self._project(project_id)
        secret = f"pd_secret_{random_base62(32)}"
        with self._lock:
            self.vault.set(client_secret_key(project.id), secret)
            self.workspace.tokens.revoke_project(project.id)
        return secret

    def check_client_credentials(self, client_id: str, client_secret: str) -> Project | None:
        """The project these REST client credentials belong to, or None when they are wrong.

        Raises:
            CredentialsUnavailable: the project's secret cannot be read (so no answer,
                rather than a wrong "no").
        """
        project = self.workspace.find_project_by_client_id(client_id)
        try:
            expected = self.vault.get(client_secret_key(project.id)) if project else None
        except VaultError as exc:
            raise CredentialsUnavailable(f"Client credentials cannot be checked: {exc}") from exc
        if project is None or expected is None:
            return None
        if hmac.compare_digest(expected.encode("utf-8"), client_secret.encode("utf-8")):
            return project
        return None

    async def verify_account(self, engine: Sender, account_id: str) -> Account:
        """Run the app's verification request through ``engine`` and record the health.

        Healthy iff the upstream status is one the app expects. The detail is
        ``HTTP <status>: <start of the body>`` or the engine's error message, with the
        account's secrets redacted (it is stored in SQLite and shown).

        Raises:
            RuleError: the account or its app is missing, or the app has no verification.
        """
        account = self.find_account(account_id)
        if account is None:
            raise RuleError(
                "account_not_found", f"Account {account_id} does not exist", field="account_id"
            )
        healthy, detail = await self.verification_outcome(
            engine, account, self.credentials(account.id)
        )
        return self.workspace.set_account_health(account.id, healthy, detail)

    async def verification_outcome(
        self, engine: Sender, account: Account, secrets: Mapping[str, str]
    ) -> tuple[bool, str]:
        """Send the app's verification request for ``account`` and judge the answer.

        The account need not be stored: a connect form verifies typed values through an
        engine that knows only them. Nothing is recorded.

        Returns:
            ``(healthy, detail)`` as :meth:`verify_account` records them.

        Raises:
            RuleError: the app is missing or has no verification.
        """
        app = self.catalog.get(account.app_slug)
        if app is None:
            raise RuleError("app_not_found", f"Unknown app '{account.app_slug}'", field="app")
        if app.verification is None:
            raise RuleError(
                "no_verification",
                f"App '{app.name_slug}' has no verification request to check accounts with",
                field="app",
            )
        request = ProxyRequest(
            project_id=account.project_id,
            external_user_id=account.external_user_id,
            account_id=account.id,
            method=app.verification.method,
            url=app.verification.path,
            environment=account.environment,
            origin="verify",
        )
        forms = _secret_forms(app, account, secrets)
        try:
            result = await engine.send(request)
        except ProxyError as error:
            return False, redact(error.message, forms)
        # Redact before cutting, so that no secret is left half-visible at the cut.
        text = redact(result.body.decode("utf-8", errors="replace"), forms)
        detail = f"HTTP {result.status}: {' '.join(text.split())[:HEALTH_DETAIL_CHARS]}"
        return result.status in app.verification.expect_status, detail


def _draft(
    project_id: str, user: str, app: App, environment: str, name: str, fields: dict[str, str]
) -> Account:
    """A checked account before it has an id (``environment`` checked by ``_check_owner``)."""
    return Account("", project_id, app.name_slug, user, environment, name.strip(), fields)  # type: ignore[arg-type]


def _secret_forms(app: App, account: Account, secrets: Mapping[str, str]) -> list[str]:
    """The account's secrets plus the Basic blobs built from them (an upstream may echo one)."""
    forms = [value for name, value in secrets.items() if value and name not in NOT_SECRET]
    for injection in app.injection:
        if injection.kind != "basic":
            continue
        try:
            user, password = (
                render_template(
                    template or "", custom_fields=account.custom_fields, credentials=secrets
                )
                for template in (injection.username, injection.password)
            )
        except RuleError:
            continue
        forms.append(base64.b64encode(f"{user}:{password}".encode()).decode("ascii"))
    return forms
