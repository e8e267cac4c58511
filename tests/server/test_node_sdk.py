"""The official Node SDK (``@pipedream/sdk@3``) against the server: its base64 flavour
(standard alphabet, percent-encoded) and lower-cased headers.

Needs ``node`` and ``npm``; the SDK is installed once into ``tests/server/node/node_modules``
(git-ignored). Skips cleanly when either tool or the npm registry is unavailable.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.server.conftest import BEARER_SECRET, Stack

NODE_DIR = Path(__file__).parent / "node"
SDK_DIR = NODE_DIR / "node_modules" / "@pipedream" / "sdk"

pytestmark = pytest.mark.slow


def _install_sdk() -> None:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("node and npm are needed for the Node SDK test")
    if SDK_DIR.is_dir():
        return
    try:
        subprocess.run(
            [npm, "install", "--no-package-lock", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=NODE_DIR,
            check=True,
            capture_output=True,
            timeout=240,
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
        output = getattr(error, "stderr", b"") or b""
        pytest.skip(f"could not install @pipedream/sdk@3 from npm: {output.decode()[-300:]}")


def _url_with_every_base64_symbol(authority: str) -> str:
    """A full URL whose standard base64 has '+', '/' and '=' (Node sends them as %2B %2F %3D)."""
    for pad in range(3):  # shifts which 3-byte groups '>>?' and '~~~' fall into
        for n in range(100):
            url = f"http://{authority}/v1/echo?p={'p' * pad}&sel=>>?&t=~~~&n={n}"
            encoded = base64.b64encode(url.encode()).decode()
            if "+" in encoded and "/" in encoded and encoded.endswith("="):
                return url
    raise AssertionError("no URL with every base64 symbol found")


def test_node_sdk_token_proxy_and_pagination(stack: Stack):
    _install_sdk()
    account = stack.add_account("node-user")
    url = _url_with_every_base64_symbol(stack.authority)
    env = {
        **os.environ,
        "WB_BASE_URL": stack.base_url,
        "WB_PROJECT_ID": stack.project_id,
        "WB_CLIENT_ID": stack.client_id,
        "WB_CLIENT_SECRET": stack.client_secret,
        "WB_EXTERNAL_USER_ID": "node-user",
        "WB_ACCOUNT_ID": account.id,
        "WB_FULL_URL": url,
    }
    done = subprocess.run(
        ["node", "check.mjs"], cwd=NODE_DIR, env=env, capture_output=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    result = json.loads(done.stdout)

    get, post = result["get"], result["post"]
    assert get["method"] == "GET"
    assert get["path"] == "/v1/echo"
    assert get["query"].endswith("&t=~~~&n=" + url.rsplit("=", 1)[1])
    sent = {name: value for name, value in get["headers"]}
    assert sent["authorization"] == f"Bearer {BEARER_SECRET}"
    assert sent["x-custom-header"] == "from-node"
    assert post["method"] == "POST"
    assert json.loads(post["body"]) == {"name": "widget", "nested": {"n": 1}}

    assert result["refused"]["statusCode"] == 400
    assert result["refused"]["body"]["code"] == "restricted_header"
    assert len(result["slugs"]) == len(stack.engine.catalog)  # for-await stopped at the end
    assert result["accounts"] == [account.id]
