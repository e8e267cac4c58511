"""``workbench send --demo``: the echo shows the injected credential, masked, in text and JSON."""

from __future__ import annotations

import base64
from pathlib import Path

from tests.helpers.cli import run_cli
from workbench.sandbox.demo import ALICE, BOB, DEMO_ACCOUNTS

SECRETS = [value for account in DEMO_ACCOUNTS for value in account.secrets.values()]
ALICE_CRM = ("--demo", "--user", ALICE, "--account", "apn_demoAliceCrm")


def assert_no_demo_secret(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text


def test_text_output_shows_request_response_timings_and_budget() -> None:
    result = run_cli("send", *ALICE_CRM, "GET", "/echo/hello?x=1", "-H", "X-Trace: t-1")

    assert result.code == 0, result
    out = result.stdout
    assert "> GET http://127.0.0.1:" in out
    assert "< HTTP 200 OK" in out
    assert "Bearer sk_d••" in out  # the injected credential: visibly present, masked
    assert '"path": "/echo/hello"' in out  # the echo, pretty-printed JSON
    assert '["x-trace", "t-1"]' in out
    assert "timings: total" in out
    assert "budget: 999 of 1000 requests left" in out
    assert_no_demo_secret(out + result.stderr)


def test_json_output_is_one_object_with_the_contract_keys() -> None:
    result = run_cli("send", *ALICE_CRM, "GET", "/echo/a", "--json")

    assert result.code == 0, result
    data = result.json()
    assert {"status", "headers", "body", "body_base64", "json", "url", "timings", "budget"} <= set(
        data
    )
    assert data["status"] == 200
    assert data["error"] is None
    assert data["body_base64"] is None
    assert data["url"].endswith("/echo/a")
    assert ["content-type", "application/json"] in data["headers"]
    echo = data["json"]
    assert echo["path"] == "/echo/a"
    assert echo["auth"]["scheme"] == "bearer"
    assert echo["auth"]["masked"].startswith("sk_d")
    assert data["timings"]["total_ms"] >= 0
    assert data["budget"]["limit"] == 1000
    assert data["budget"]["remaining"] == 999
    assert_no_demo_secret(result.stdout)


def test_json_data_is_sent_with_a_json_content_type() -> None:
    result = run_cli("send", *ALICE_CRM, "POST", "/echo/items", "--data", '{"name": "x"}', "--json")

    assert result.code == 0, result
    echo = result.json()["json"]
    assert echo["method"] == "POST"
    assert echo["body"] == '{"name": "x"}'
    assert ["content-type", "application/json"] in echo["headers"]


def test_data_from_a_file_is_sent_as_bytes(tmp_path: Path) -> None:
    payload = tmp_path / "payload.bin"
    payload.write_bytes(b"\x00\x01binary\xff")

    result = run_cli(
        "send",
        *ALICE_CRM,
        "PUT",
        "/echo/upload",
        "--data",
        f"@{payload}",
        "-H",
        "Content-Type: application/octet-stream",
        "--json",
    )

    assert result.code == 0, result
    echo = result.json()["json"]
    assert echo["body_base64"] is True
    assert base64.b64decode(echo["body"]) == b"\x00\x01binary\xff"


def test_query_credential_is_masked_too() -> None:
    result = run_cli(
        "send", "--demo", "--user", BOB, "--account", "apn_demoBobWeather", "GET",
        "/echo/weather?city=Oslo", "--json",
    )  # fmt: skip

    assert result.code == 0, result
    data = result.json()
    assert data["json"]["auth"]["scheme"] == "query"
    assert "city=Oslo" in data["url"]
    assert_no_demo_secret(result.stdout)


def test_binary_body_is_summarised_in_text_and_base64_in_json() -> None:
    text = run_cli("send", *ALICE_CRM, "GET", "/image.png")
    as_json = run_cli("send", *ALICE_CRM, "GET", "/image.png", "--json")

    assert text.code == 0, text
    assert "[binary body:" in text.stdout
    assert "image/png" in text.stdout
    assert "\x89PNG" not in text.stdout
    data = as_json.json()
    assert data["body"] is None
    assert data["json"] is None
    assert base64.b64decode(data["body_base64"]).startswith(b"\x89PNG\r\n\x1a\n")
