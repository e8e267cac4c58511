"""``workbench send`` exit codes: 2xx, upstream 3xx/4xx/5xx and engine refusals differ."""

from __future__ import annotations

import pytest

from tests.helpers.cli import run_cli
from workbench.sandbox.demo import ALICE

ALICE_CRM = ("--demo", "--user", ALICE, "--account", "apn_demoAliceCrm")


@pytest.mark.parametrize(
    ("url", "status", "code"),
    [
        ("/status/201", 201, 0),
        ("/redirect?to=/echo/next&status=302", 302, 6),
        ("/status/404", 404, 4),
        ("/status/429", 429, 4),
        ("/status/503", 503, 5),
    ],
)
def test_exit_code_follows_the_upstream_status(url: str, status: int, code: int) -> None:
    result = run_cli("send", *ALICE_CRM, "GET", url, "--json")

    assert result.code == code, result
    data = result.json()
    assert data["status"] == status
    assert data["error"] is None  # the upstream's own status, not the engine's
    assert result.stderr == ""


def test_restricted_header_is_an_engine_error_with_one_stderr_line() -> None:
    result = run_cli("send", *ALICE_CRM, "GET", "/echo", "-H", "Cookie: session=1")

    assert result.code == 3, result
    line = result.error_line()
    assert "Cookie" in line
    assert "restricted_header" in line
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("args", "error_code", "status"),
    [
        (("GET", "https://evil.example.com/x"), "domain_not_allowed", 400),
        (("GET", "/echo", "-H", "X-PD-Proxy-Host: evil.com"), "restricted_header", 400),
        (("TRACE", "/echo"), "method_not_allowed", 400),
    ],
)
def test_engine_refusal_in_json_names_the_engine(
    args: tuple[str, ...], error_code: str, status: int
) -> None:
    result = run_cli("send", *ALICE_CRM, *args, "--json")

    assert result.code == 3, result
    data = result.json()
    assert data["status"] == status
    assert data["error"] == {
        "code": error_code,
        "message": data["error"]["message"],
        "origin": "engine",
    }
    assert data["budget"]["remaining"] == 1000  # refused before the budget is spent
    assert data["body"] is None
    result.error_line()


def test_unknown_account_is_the_engines_404() -> None:
    result = run_cli("send", "--demo", "--user", ALICE, "--account", "apn_nope", "GET", "/echo")

    assert result.code == 3, result
    assert "account_not_found" in result.error_line()


def test_another_users_account_is_not_found_either() -> None:
    result = run_cli(
        "send",
        "--demo",
        "--user",
        "bob@example.com",
        "--account",
        "apn_demoAliceCrm",
        "GET",
        "/echo",
    )

    assert result.code == 3, result
    assert "account_not_found" in result.error_line()
