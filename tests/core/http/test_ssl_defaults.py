"""The engine's TLS defaults: verified, certifi's CA bundle unless the machine names its own."""

from __future__ import annotations

import ssl
from collections.abc import Iterator

import certifi
import pytest
import pytest_httpbin.certs

from workbench.core.http.transport import default_ssl_context


@pytest.fixture(autouse=True)
def _fresh() -> Iterator[None]:
    default_ssl_context.cache_clear()
    yield
    default_ssl_context.cache_clear()


def test_verified_with_certifi_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    context = default_ssl_context()
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname
    expected = ssl.create_default_context(cafile=certifi.where())
    assert context.cert_store_stats()["x509_ca"] == expected.cert_store_stats()["x509_ca"] > 0
    assert default_ssl_context() is context  # built once


def test_a_machine_bundle_in_ssl_cert_file_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    # A company proxy's CA, say: here pytest-httpbin's test CA, one certificate.
    monkeypatch.setenv("SSL_CERT_FILE", pytest_httpbin.certs.where())
    context = default_ssl_context()
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.cert_store_stats()["x509_ca"] == 1
