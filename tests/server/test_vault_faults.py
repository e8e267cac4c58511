"""A running server whose vault is damaged: only what is damaged fails, nothing is forgotten.

One user's damaged entry used to turn the whole vault into empty memory until restart, so
every account failed and the right client secret got 401. Now that account alone gets a
503 naming the problem and is marked unhealthy, the rest carry on, and an unreadable
client secret is a 503 too, never a false 401. Repairing the file needs no restart.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from pipedream.core.api_error import ApiError

from tests.server.conftest import BEARER_SECRET, Stack
from workbench.core.store.vault import Vault, account_key, client_secret_key
from workbench.core.store.vaultfile import EncryptedFileKeyring
from workbench.server.errors import ENGINE_ERROR_HEADER


@pytest.fixture
def stack(stack_factory: Callable[..., Stack], tmp_path: Path) -> Stack:
    backend = EncryptedFileKeyring(tmp_path / "ws.secrets", "correct horse", scrypt_n=2**10)
    return stack_factory(vault=Vault(backend=backend))


def secrets_file(stack: Stack) -> Path:
    backend = stack.connections.vault.backend
    assert isinstance(backend, EncryptedFileKeyring)
    return backend.path


def damage_entry(stack: Stack, key: str) -> None:
    path = secrets_file(stack)
    document = json.loads(path.read_text())
    document["entries"]["workbench"][key] = "gAAAAAB-not-a-token"
    path.write_text(json.dumps(document))


def token_status(stack: Stack, secret: str) -> httpx.Response:
    with httpx.Client(base_url=stack.base_url, trust_env=False) as client:
        return client.post(
            "/v1/oauth/token",
            json={
                "grant_type": "client_credentials",
                "client_id": stack.client_id,
                "client_secret": secret,
            },
        )


def test_one_damaged_entry_fails_only_its_account(stack: Stack):
    broken, fine = stack.add_account("user-broken"), stack.add_account("user-fine")
    pd = stack.sdk()
    damage_entry(stack, account_key(broken.id))
    with pytest.raises(ApiError) as caught:
        pd.proxy.get(
            url=f"http://{stack.authority}/echo", external_user_id="user-broken",
            account_id=broken.id,
        )  # fmt: skip
    assert caught.value.status_code == 503
    assert caught.value.body["code"] == "credentials_unavailable"
    assert caught.value.headers[ENGINE_ERROR_HEADER] == "credentials_unavailable"
    echoed = pd.proxy.get(
        url=f"http://{stack.authority}/echo", external_user_id="user-fine", account_id=fine.id
    )
    assert ["authorization", f"Bearer {BEARER_SECRET}"] in echoed["headers"]
    assert token_status(stack, stack.client_secret).status_code == 200
    marked = pd.accounts.retrieve(broken.id)
    assert marked.healthy is False
    assert pd.accounts.retrieve(fine.id).healthy is None


def test_an_unreadable_client_secret_is_a_503_not_a_wrong_secret(stack: Stack):
    path = secrets_file(stack)
    intact = path.read_bytes()
    damage_entry(stack, client_secret_key(stack.project_id))
    for secret in (stack.client_secret, "pd_secret_wrong"):
        answer = token_status(stack, secret)
        assert answer.status_code == 503, answer.text
        assert "Client credentials cannot be checked" in answer.json()["error"]
    path.write_bytes(intact)  # repaired: no restart needed, nothing was swapped for memory
    assert token_status(stack, stack.client_secret).status_code == 200
    assert token_status(stack, "pd_secret_wrong").status_code == 401


def test_a_damaged_file_is_reported_on_every_route_and_repair_needs_no_restart(stack: Stack):
    account = stack.add_account("user-any")
    pd = stack.sdk()
    pd.accounts.list()  # a token is in hand before the damage
    path = secrets_file(stack)
    intact = path.read_bytes()
    path.write_bytes(intact[:50])
    with pytest.raises(ApiError) as proxied:
        pd.proxy.get(
            url=f"http://{stack.authority}/echo", external_user_id="user-any",
            account_id=account.id,
        )  # fmt: skip
    with pytest.raises(ApiError) as deleted:
        pd.accounts.delete(account.id)
    for caught in (proxied, deleted):
        assert caught.value.status_code == 503
        assert f"the secrets file {path} is damaged" in json.dumps(caught.value.body)
    assert stack.connections.find_account(account.id) is not None  # nothing half done
    assert token_status(stack, stack.client_secret).status_code == 503
    path.write_bytes(intact)
    pd.accounts.delete(account.id)
    assert stack.connections.find_account(account.id) is None
    assert stack.connections.vault.account_ids() == frozenset()
