"""Connections: connect, verify and remove accounts, keeping SQLite and the vault in step.

This is the service the CLI, the REST server, the demo and the GUI use. It validates an
account against its catalog entry *before* storing anything, writes secrets to the vault
and everything else to the workspace, and removes both together. It is also the
engine's ``AccountDirectory`` and ``CredentialSource``.
"""

from __future__ import annotations

import base64
import hmac
import threading
from collections.abc import Mapping
from typing import Protocol

from workbench.core.accounts import ENVIRONMENTS, Account
from workbench.core.catalog import App, Catalog
from workbench.core.errors import ProxyError, RuleError
from workbench.core.exchange import ProxyRequest, ProxyResult
from workbench.core.injection import redact, render_template
from workbench.core.store.account_input import check_custom_fields, check_secrets
from workbench.core.store.ids import is_id, new_id, random_base62
from workbench.core.store.vault import Vault, client_secret_key
from workbench.core.store.workspace import Project, Workspace

__all__ = ["Connections", "Sender", "check_custom_fields", "check_secrets"]

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
        # Serialises id checks with the writes that follow them, and lazy secret creation.
        self._lock = threading.RLock()

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
        if the workspace then refuses the account, they are deleted again.

        Raises:
            RuleError: unknown project or app, bad user id, environment, account id,
                custom field or secret; the message names the input at fault.
            WorkspaceError: the workspace could not store the account.
        """
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
        fields = check_custom_fields(
            app, custom_fields or {}, allow_private_network=allow_private_network
        )
        secret_values = check_secrets(app, secrets or {})
        with self._lock:
            new_account_id = self._fresh_account_id(account_id)
            account = Account(
                id=new_account_id,
                project_id=project_id,
                app_slug=app.name_slug,
                external_user_id=external_user_id,
                environment=environment,
                name=name.strip(),
                custom_fields=fields,
                allow_private_network=allow_private_network,
            )
            self.vault.set_credentials(new_account_id, secret_values)
            try:
                return self.workspace.insert_account(account)
            except BaseException:
                self.vault.delete_credentials(new_account_id)
                raise

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

        Secrets go first: if the workspace write then fails, the account is left without
        secrets (remove it again), never secrets without an account.
        """
        self.vault.delete_credentials(account_id)
        return self.workspace.delete_account(account_id)

    def remove_user(self, project_id: str, external_id: str) -> list[str]:
        """Remove an external user, their accounts and the accounts' secrets.

        Returns:
            The ids of the accounts removed.
        """
        cleared = set()
        for account in self.workspace.list_accounts(project_id, external_user_id=external_id):
            self.vault.delete_credentials(account.id)
            cleared.add(account.id)
        removed = self.workspace.delete_user(project_id, external_id)
        for account_id in removed:  # accounts added meanwhile by another thread
            if account_id not in cleared:
                self.vault.delete_credentials(account_id)
        return removed

    def find_account(self, account_id: str) -> Account | None:
        """The account with this id, or None (``AccountDirectory``)."""
        return self.workspace.find_account(account_id)

    def credentials(self, account_id: str) -> Mapping[str, str]:
        """The account's secrets (``CredentialSource``)."""
        return self.vault.credentials(account_id)

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
        """
        project = self._project(project_id)
        with self._lock:
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
        """
        project = self._project(project_id)
        secret = f"pd_secret_{random_base62(32)}"
        with self._lock:
            self.vault.set(client_secret_key(project.id), secret)
            self.workspace.tokens.revoke_project(project.id)
        return secret

    def check_client_credentials(self, client_id: str, client_secret: str) -> Project | None:
        """The project these REST client credentials belong to, or None when they are wrong."""
        project = self.workspace.find_project_by_client_id(client_id)
        expected = self.vault.get(client_secret_key(project.id)) if project else None
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
        secrets = _secret_forms(app, account, self.credentials(account.id))
        try:
            result = await engine.send(request)
        except ProxyError as error:
            healthy, detail = False, redact(error.message, secrets)
        else:
            healthy = result.status in app.verification.expect_status
            # Redact before cutting, so that no secret is left half-visible at the cut.
            text = redact(result.body.decode("utf-8", errors="replace"), secrets)
            detail = f"HTTP {result.status}: {' '.join(text.split())[:HEALTH_DETAIL_CHARS]}"
        return self.workspace.set_account_health(account.id, healthy, detail)


def _secret_forms(app: App, account: Account, secrets: Mapping[str, str]) -> list[str]:
    """The account's secrets plus the Basic blobs built from them (an upstream may echo one)."""
    forms = [value for value in secrets.values() if value]
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
