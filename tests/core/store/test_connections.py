"""Connections: validated accounts, secrets kept in step with SQLite, client credentials."""

from __future__ import annotations

import asyncio
import base64
import json
import sqlite3
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.servers import RawRequest, RawServer, refused_port, response_bytes
from tests.helpers.workspace import make_connections, memory_vault, use_memory_keyring
from workbench.core.catalog import App, parse_app
from workbench.core.engine import ProxyEngine
from workbench.core.errors import RuleError
from workbench.core.events import ExchangeEvent
from workbench.core.store.connections import Connections
from workbench.core.store.vault import MemoryKeyring, account_key, client_secret_key
from workbench.core.store.workspace import Project, WorkspaceError

CANARY = "CANARY-sk-9f8e7d"


@pytest.fixture(autouse=True)
def memory_keyring() -> MemoryKeyring:
    """Every test starts with a fresh, empty in-memory keyring backend."""
    return use_memory_keyring()


@pytest.fixture
def connections(tmp_path: Path, memory_keyring: MemoryKeyring) -> Iterator[Connections]:
    built = make_connections(tmp_path, vault=memory_vault(memory_keyring))
    yield built
    built.workspace.close()


@pytest.fixture
def project(connections: Connections) -> Project:
    return connections.workspace.create_project("Acme")


def stored_nothing(connections: Connections, keyring_backend: MemoryKeyring) -> bool:
    """No account, no external user, no account secret anywhere."""
    ws = connections.workspace
    users = [u for p in ws.list_projects() for u in ws.list_users(p.id)]
    secrets = [k for k in keyring_backend.usernames("workbench") if k.startswith("account:")]
    return ws.list_accounts() == [] and users == [] and secrets == []


def test_add_account_stores_fields_in_sqlite_and_secrets_in_the_vault(
    connections: Connections, project: Project, memory_keyring: MemoryKeyring
) -> None:
    account = connections.add_account(
        project.id,
        "alice@example.com",
        "zendesk",
        custom_fields={"subdomain": "Acme"},
        secrets={"oauth_access_token": CANARY},
        environment="production",
        name="  Support desk ",
    )
    assert account.id.startswith("apn_")
    assert (account.app_slug, account.external_user_id) == ("zendesk", "alice@example.com")
    assert account.environment == "production"
    assert account.custom_fields == {"subdomain": "acme"}  # a label is lower-cased
    assert account.name == "Support desk"
    assert connections.find_account(account.id) == account
    assert connections.credentials(account.id) == {"oauth_access_token": CANARY}
    assert memory_keyring.usernames("workbench") == [account_key(account.id)]
    assert connections.workspace.get_user(project.id, "alice@example.com") is not None


def test_app_can_be_named_by_id_and_defaults_fill_optional_fields(
    connections: Connections, project: Project
) -> None:
    gitlab = connections.catalog.get("gitlab")
    assert gitlab is not None
    account = connections.add_account(
        project.id, "bob", gitlab.id, secrets={"oauth_access_token": "glpat-1"}
    )
    assert account.app_slug == "gitlab"
    assert account.custom_fields == {"base_api_url": "gitlab.com"}


def test_a_given_account_id_is_kept_and_must_be_new(
    connections: Connections, project: Project
) -> None:
    secrets = {"oauth_access_token": "t"}
    account = connections.add_account(
        project.id, "carol", "github", secrets=secrets, account_id="apn_demoCarolGh"
    )
    assert account.id == "apn_demoCarolGh"
    with pytest.raises(RuleError, match="apn_demoCarolGh already exists"):
        connections.add_account(
            project.id, "carol", "github", secrets=secrets, account_id="apn_demoCarolGh"
        )
    with pytest.raises(RuleError, match="must look like apn_"):
        connections.add_account(project.id, "carol", "github", secrets=secrets, account_id="x")


BAD_FIELDS = [
    ("zendesk", {"subdomain": "evil.com/x"}, "subdomain"),
    ("zendesk", {"subdomain": "a b"}, "subdomain"),
    ("zendesk", {"subdomain": "x.y"}, "subdomain"),
    ("zendesk", {"subdomain": "acme\r\nX-Injected: 1"}, "subdomain"),
    ("zendesk", {"subdomain": "acme\n"}, "subdomain"),
    ("zendesk", {"subdomain": "acme#"}, "subdomain"),
    ("zendesk", {}, "subdomain"),
    ("zendesk", {"subdomain": ""}, "subdomain"),
    ("zendesk", {"subdomain": "acme", "region": "eu"}, "region"),
    ("gitlab", {"base_api_url": "10.0.0.1"}, "base_api_url"),
    ("gitlab", {"base_api_url": "localhost:8080"}, "base_api_url"),
    ("gitlab", {"base_api_url": "https://gitlab.example.com"}, "base_api_url"),
    ("gitlab", {"base_api_url": "gitlab.example.com/api"}, "base_api_url"),
    ("gitlab", {"base_api_url": "user@gitlab.example.com"}, "base_api_url"),
]


@pytest.mark.parametrize(("app", "fields", "named"), BAD_FIELDS)
def test_bad_custom_fields_are_refused_naming_the_field_with_nothing_stored(
    connections: Connections,
    project: Project,
    memory_keyring: MemoryKeyring,
    app: str,
    fields: dict[str, str],
    named: str,
) -> None:
    with pytest.raises(RuleError) as caught:
        connections.add_account(
            project.id, "alice", app, custom_fields=fields, secrets={"oauth_access_token": CANARY}
        )
    assert f"'{named}'" in caught.value.message
    assert caught.value.field == "custom_fields"
    assert CANARY not in str(caught.value)
    assert stored_nothing(connections, memory_keyring)


def test_a_private_host_is_accepted_only_when_the_account_opts_in(
    connections: Connections, project: Project
) -> None:
    secrets = {"oauth_access_token": "t"}
    with pytest.raises(RuleError, match="base_api_url"):
        connections.add_account(
            project.id, "a", "gitlab", custom_fields={"base_api_url": "10.0.0.1"}, secrets=secrets
        )
    account = connections.add_account(
        project.id,
        "a",
        "gitlab",
        custom_fields={"base_api_url": "10.0.0.1:8443"},
        secrets=secrets,
        allow_private_network=True,
    )
    assert account.allow_private_network is True
    assert account.custom_fields == {"base_api_url": "10.0.0.1:8443"}


def test_the_fields_pattern_is_applied(connections: Connections, project: Project) -> None:
    app = parse_app(
        {
            "name_slug": "patterned",
            "name": "Patterned",
            "auth_type": "keys",
            "connect": {
                "proxy_enabled": True,
                "allowed_domains": ["api.example.com"],
                "base_proxy_target_url": "https://api.example.com",
            },
            "custom_fields": [
                {"name": "region", "label": "Region", "kind": "text", "pattern": "(eu|us)[0-9]"},
                {"name": "tier", "label": "Tier", "kind": "text", "required": False},
            ],
            "credentials": [{"name": "api_key", "label": "API key"}],
            "injection": [{"in": "header", "name": "X-Key", "template": "{{credentials.api_key}}"}],
        },
        origin="imported",
    )
    connections.catalog = connections.catalog.with_apps([app])
    with pytest.raises(RuleError, match=r"Custom field 'region' must match \(eu\|us\)\[0-9\]"):
        connections.add_account(
            project.id, "a", "patterned", custom_fields={"region": "ap1"}, secrets={"api_key": "k"}
        )
    account = connections.add_account(
        project.id, "a", "patterned", custom_fields={"region": "eu1"}, secrets={"api_key": "k"}
    )
    assert account.custom_fields == {"region": "eu1"}  # an optional field without default: absent


@pytest.mark.parametrize(
    ("secrets", "code", "named"),
    [
        ({}, "missing_credential", "api_key"),
        ({"api_key": ""}, "missing_credential", "api_key"),
        ({"api_key": CANARY, "password": "x"}, "unknown_credential", "password"),
        ({"api_key": CANARY + "\r\n"}, "bad_credential", "api_key"),
        ({"api_key": "\x00" + CANARY}, "bad_credential", "api_key"),
    ],
)
def test_bad_secrets_are_refused_naming_the_credential_never_its_value(
    connections: Connections,
    project: Project,
    memory_keyring: MemoryKeyring,
    secrets: dict[str, str],
    code: str,
    named: str,
) -> None:
    with pytest.raises(RuleError) as caught:
        connections.add_account(project.id, "alice", "stripe", secrets=secrets)
    assert caught.value.code == code
    assert f"'{named}'" in caught.value.message
    assert CANARY not in str(caught.value)
    assert stored_nothing(connections, memory_keyring)


@pytest.mark.parametrize(
    ("arguments", "code"),
    [
        ({"project_id": "proj_nope"}, "project_not_found"),
        ({"app_slug": "no_such_app"}, "app_not_found"),
        ({"external_user_id": ""}, "bad_external_user_id"),
        ({"external_user_id": "a\nb"}, "bad_external_user_id"),
        ({"environment": "staging"}, "bad_environment"),
    ],
)
def test_bad_targets_are_refused_with_nothing_stored(
    connections: Connections,
    project: Project,
    memory_keyring: MemoryKeyring,
    arguments: dict[str, Any],
    code: str,
) -> None:
    call: dict[str, Any] = {
        "project_id": project.id,
        "external_user_id": "alice",
        "app_slug": "stripe",
        "secrets": {"api_key": CANARY},
    }
    call.update(arguments)
    with pytest.raises(RuleError) as caught:
        connections.add_account(**call)
    assert caught.value.code == code
    assert stored_nothing(connections, memory_keyring)


def test_unknown_app_message(connections: Connections, project: Project) -> None:
    with pytest.raises(RuleError, match="Unknown app 'nope'"):
        connections.add_account(project.id, "alice", "nope")


def test_secrets_are_deleted_again_when_sqlite_refuses_the_account(
    connections: Connections, project: Project, memory_keyring: MemoryKeyring
) -> None:
    # A real SQLite failure on insert: a trigger aborting every new account.
    conn = sqlite3.connect(connections.workspace.path)
    conn.execute(
        "CREATE TRIGGER no_accounts BEFORE INSERT ON accounts "
        "BEGIN SELECT RAISE(ABORT, 'disk quota exceeded'); END"
    )
    conn.commit()
    conn.close()
    with pytest.raises(WorkspaceError, match="disk quota exceeded"):
        connections.add_account(project.id, "alice", "stripe", secrets={"api_key": CANARY})
    assert stored_nothing(connections, memory_keyring)


def test_remove_account_removes_its_secrets(
    connections: Connections, project: Project, memory_keyring: MemoryKeyring
) -> None:
    keep = connections.add_account(project.id, "a", "stripe", secrets={"api_key": "keep"})
    gone = connections.add_account(project.id, "a", "stripe", secrets={"api_key": CANARY})
    assert connections.remove_account(gone.id) is True
    assert connections.remove_account(gone.id) is False
    assert connections.find_account(gone.id) is None
    assert memory_keyring.usernames("workbench") == [account_key(keep.id)]


def test_remove_user_removes_their_accounts_and_secrets_from_the_keyring(
    connections: Connections, project: Project, memory_keyring: MemoryKeyring
) -> None:
    alice = [
        connections.add_account(project.id, "alice", "stripe", secrets={"api_key": CANARY}),
        connections.add_account(
            project.id, "alice", "github", secrets={"oauth_access_token": CANARY}
        ),
    ]
    bob = connections.add_account(project.id, "bob", "stripe", secrets={"api_key": "bob-key"})
    removed = connections.remove_user(project.id, "alice")
    assert removed == [account.id for account in alice]
    assert memory_keyring.usernames("workbench") == [account_key(bob.id)]
    for account_id in removed:
        assert memory_keyring.get_password("workbench", account_key(account_id)) is None
    assert connections.workspace.get_user(project.id, "alice") is None
    assert [a.id for a in connections.workspace.list_accounts(project.id)] == [bob.id]
    assert connections.remove_user(project.id, "alice") == []


def test_project_client_secret_is_created_lazily_and_stays(
    connections: Connections, project: Project, memory_keyring: MemoryKeyring
) -> None:
    assert memory_keyring.usernames("workbench") == []
    client_id, secret = connections.project_credentials(project.id)
    assert client_id == project.client_id
    assert secret.startswith("pd_secret_")
    assert len(secret) == len("pd_secret_") + 32
    assert secret[len("pd_secret_") :].isalnum()
    assert memory_keyring.usernames("workbench") == [client_secret_key(project.id)]
    assert connections.project_credentials(project.id) == (client_id, secret)
    other = connections.workspace.create_project("Other")
    assert connections.project_credentials(other.id)[1] != secret


def test_client_credentials_are_checked_and_rotated(
    connections: Connections, project: Project
) -> None:
    assert connections.check_client_credentials(project.client_id, "pd_secret_guess") is None
    client_id, secret = connections.project_credentials(project.id)
    assert connections.check_client_credentials(client_id, secret) == project
    assert connections.check_client_credentials(client_id, secret + "x") is None
    assert connections.check_client_credentials(client_id, "") is None
    assert connections.check_client_credentials(client_id, "sécret") is None
    assert connections.check_client_credentials("pd_client_nope", secret) is None
    rotated = connections.rotate_client_secret(project.id)
    assert rotated != secret
    assert connections.check_client_credentials(client_id, secret) is None
    assert connections.check_client_credentials(client_id, rotated) == project
    assert connections.project_credentials(project.id) == (client_id, rotated)


def test_client_credentials_of_an_unknown_project_are_refused(connections: Connections) -> None:
    with pytest.raises(RuleError, match="proj_nope"):
        connections.project_credentials("proj_nope")
    with pytest.raises(RuleError, match="proj_nope"):
        connections.rotate_client_secret("proj_nope")


def local_app(authority: str, slug: str, *, basic: bool = False, verify: bool = True) -> App:
    """A sandbox-style app on a local server, with a bearer or Basic credential."""
    injection = (
        {"in": "basic", "username": "{{credentials.user}}", "password": "{{credentials.api_key}}"}
        if basic
        else {"in": "header", "name": "Authorization", "template": "Bearer {{credentials.api_key}}"}
    )
    data: dict[str, Any] = {
        "name_slug": slug,
        "name": slug.title(),
        "auth_type": "keys",
        "connect": {
            "proxy_enabled": True,
            "allowed_domains": [authority],
            "base_proxy_target_url": f"http://{authority}",
        },
        "credentials": [{"name": "api_key", "label": "API key"}]
        + ([{"name": "user", "label": "User"}] if basic else []),
        "injection": [injection],
    }
    if verify:
        data["verification"] = {"method": "GET", "path": "/me", "expect_status": [200, 204]}
    return parse_app(data, origin="sandbox")


async def whoami(request: RawRequest, writer: asyncio.StreamWriter) -> None:
    """200 for the good bearer token or Basic pair, else 401; both echo what arrived."""
    sent = request.header("Authorization") or ""
    good = {f"Bearer {CANARY}", "Basic " + base64.b64encode(f"me:{CANARY}".encode()).decode()}
    status = 200 if sent in good else 401
    body = json.dumps({"you sent": sent, "ok": status == 200, "padding": "z" * 500}).encode()
    writer.write(response_bytes(status, [("Content-Type", "application/json")], body))


@pytest.fixture
async def verifying(connections: Connections) -> AsyncIterator[tuple[Connections, RawServer]]:
    """Connections whose catalog holds local apps served by a ``whoami`` server."""
    async with RawServer(whoami) as server:
        connections.catalog = connections.catalog.with_apps(
            [
                local_app(server.authority, "local_bearer"),
                local_app(server.authority, "local_basic", basic=True),
                local_app(server.authority, "local_unverifiable", verify=False),
                local_app(f"127.0.0.1:{refused_port()}", "local_down"),
            ]
        )
        yield connections, server


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("app", "secrets", "healthy", "status"),
    [
        ("local_bearer", {"api_key": CANARY}, True, 200),
        ("local_bearer", {"api_key": CANARY[:-1]}, False, 401),
        ("local_basic", {"api_key": CANARY, "user": "me"}, True, 200),
    ],
)
async def test_verify_account_through_the_real_engine_records_health_without_secrets(
    verifying: tuple[Connections, RawServer],
    project: Project,
    app: str,
    secrets: dict[str, str],
    healthy: bool,
    status: int,
) -> None:
    connections, server = verifying
    account = connections.add_account(project.id, "alice", app, secrets=secrets)
    events: list[ExchangeEvent] = []
    async with ProxyEngine(
        connections.catalog, connections, connections, allow_private_networks=True
    ) as engine:
        engine.events.subscribe(events.append)
        checked = await connections.verify_account(engine, account.id)
    assert server.requests[-1].target == "/me"
    assert (checked.healthy, connections.find_account(account.id)) == (healthy, checked)
    assert checked.health_detail.startswith(f'HTTP {status}: {{"you sent": "')
    assert "[REDACTED]" in checked.health_detail  # the upstream echoed the credential
    assert CANARY[:-1] not in checked.health_detail
    assert len(checked.health_detail) == len("HTTP 000: ") + 200
    assert [(e.origin, e.account_id) for e in events] == [("verify", account.id)]


@pytest.mark.anyio
async def test_verify_account_records_an_engine_error_as_unhealthy(
    verifying: tuple[Connections, RawServer], project: Project
) -> None:
    connections, _ = verifying
    account = connections.add_account(project.id, "a", "local_down", secrets={"api_key": CANARY})
    async with ProxyEngine(
        connections.catalog, connections, connections, allow_private_networks=True
    ) as engine:
        checked = await connections.verify_account(engine, account.id)
    assert checked.healthy is False
    assert checked.health_detail
    assert not checked.health_detail.startswith("HTTP ")
    assert CANARY not in checked.health_detail


@pytest.mark.anyio
async def test_verify_account_refuses_what_it_cannot_verify(
    verifying: tuple[Connections, RawServer], project: Project
) -> None:
    connections, _ = verifying
    account = connections.add_account(
        project.id, "a", "local_unverifiable", secrets={"api_key": CANARY}
    )
    async with ProxyEngine(connections.catalog, connections, connections) as engine:
        with pytest.raises(RuleError, match="has no verification request"):
            await connections.verify_account(engine, account.id)
        with pytest.raises(RuleError, match="apn_nope does not exist"):
            await connections.verify_account(engine, "apn_nope")
    assert connections.find_account(account.id) == account  # health untouched
