"""Secrets never reach the SQLite file (WAL and shared memory included), logs or errors."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

import pytest

from tests.helpers.servers import RawRequest, RawServer, response_bytes
from tests.helpers.workspace import make_connections, memory_vault, use_memory_keyring
from workbench.core.catalog import parse_app
from workbench.core.engine import ProxyEngine
from workbench.core.errors import RuleError
from workbench.core.store.connections import Connections
from workbench.core.store.vault import Vault, open_vault
from workbench.core.store.vaultfile import EncryptedFileKeyring

CANARY = "CANARY-sk-9f8e7d"
MARKER = "visible-marker-tenant"  # a non-secret value: proves the scan reads the data


def database_files(connections: Connections) -> dict[str, bytes]:
    path = connections.workspace.path
    files = {
        suffix: Path(f"{path}{suffix}").read_bytes()
        for suffix in ("", "-wal", "-shm")
        if Path(f"{path}{suffix}").exists()
    }
    assert "" in files
    return files


def canaries(n: int) -> list[str]:
    return [f"{CANARY}-{i}" for i in range(n)]


async def leaky(request: RawRequest, writer: asyncio.StreamWriter) -> None:
    """An upstream that echoes the credential it received in its body."""
    body = json.dumps({"token": request.header("Authorization")}).encode()
    writer.write(response_bytes(200, [("Content-Type", "application/json")], body))


async def fill(connections: Connections, server: RawServer) -> list[str]:
    """Connect accounts with canary secrets, verify one, create a client secret."""
    app = parse_app(
        {
            "name_slug": "leaky",
            "name": "Leaky",
            "auth_type": "keys",
            "connect": {
                "proxy_enabled": True,
                "allowed_domains": [server.authority],
                "base_proxy_target_url": f"http://{server.authority}",
            },
            "custom_fields": [{"name": "tenant", "label": "Tenant", "kind": "text"}],
            "credentials": [{"name": "api_key", "label": "API key"}],
            "injection": [
                {"in": "header", "name": "Authorization", "template": "{{credentials.api_key}}"}
            ],
            "verification": {"method": "GET", "path": "/me"},
        },
        origin="sandbox",
    )
    connections.catalog = connections.catalog.with_apps([app])
    project = connections.workspace.create_project("Scan")
    secrets = canaries(4)
    leaky_account = connections.add_account(
        project.id, "u0", "leaky", custom_fields={"tenant": MARKER}, secrets={"api_key": secrets[0]}
    )
    connections.add_account(project.id, "u1", "stripe", secrets={"api_key": secrets[1]})
    connections.add_account(
        project.id,
        "u2",
        "zendesk",
        custom_fields={"subdomain": "acme"},
        secrets={"oauth_access_token": secrets[2]},
        environment="production",
    )
    with pytest.raises(RuleError) as refused:  # a refused account with a secret in hand
        connections.add_account(
            project.id,
            "u3",
            "zendesk",
            custom_fields={"subdomain": "a b"},
            secrets={"oauth_access_token": secrets[3]},
        )
    assert secrets[3] not in str(refused.value)
    async with ProxyEngine(
        connections.catalog, connections, connections, allow_private_networks=True
    ) as engine:
        verified = await connections.verify_account(engine, leaky_account.id)
    assert verified.healthy is True
    assert "[REDACTED]" in verified.health_detail
    secrets.append(connections.project_credentials(project.id)[1])
    return secrets


@pytest.mark.anyio
async def test_no_secret_in_the_database_files_before_and_after_checkpoint(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    connections = make_connections(tmp_path, vault=memory_vault(use_memory_keyring()))
    with caplog.at_level(logging.DEBUG):
        async with RawServer(leaky) as server:
            secrets = await fill(connections, server)
    live = database_files(connections)  # still open: nothing checkpointed on close yet
    assert live.get("-wal"), "the scan must see an uncheckpointed WAL"
    assert any(MARKER.encode() in data for data in live.values())
    connections.workspace.close()
    closed = database_files(connections)
    assert MARKER.encode() in closed[""]
    for where, data in [*live.items(), *closed.items()]:
        for secret in secrets:
            assert secret.encode() not in data, f"secret found in the database file{where}"
        assert CANARY.encode() not in data
    for secret in secrets:
        assert secret not in caplog.text


@pytest.mark.anyio
async def test_with_the_encrypted_file_vault_no_file_holds_a_secret(tmp_path: Path) -> None:
    secrets_file = tmp_path / "workspace.secrets"
    EncryptedFileKeyring(secrets_file, "passphrase", scrypt_n=2**12)
    vault: Vault = open_vault("file", path=secrets_file, passphrase="passphrase")
    connections = make_connections(tmp_path, vault=vault)
    async with RawServer(leaky) as server:
        secrets = await fill(connections, server)
    account_ids = [account.id for account in connections.workspace.list_accounts()]
    files = database_files(connections)
    connections.workspace.close()
    files["secrets file"] = secrets_file.read_bytes()
    for where, data in files.items():
        assert CANARY.encode() not in data, where
        for secret in secrets:
            assert secret.encode() not in data, where
    # The secrets are really there, readable with the passphrase.
    reopened = open_vault("file", path=secrets_file, passphrase="passphrase")
    stored = [value for i in account_ids for value in reopened.credentials(i).values()]
    assert sorted(stored) == sorted(secrets[:3])
