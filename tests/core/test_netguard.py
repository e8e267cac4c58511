"""The network guard: address classification and the checking dialer."""

from __future__ import annotations

import ssl
from collections.abc import Iterable

import httpcore
import pytest

from workbench.core.netguard import (
    AddressRefused,
    GuardedNetworkBackend,
    is_public_address,
    system_resolver,
)

pytestmark = pytest.mark.anyio

PUBLIC = [
    "8.8.8.8",
    "1.1.1.1",
    "93.184.216.34",
    "100.63.255.255",  # just below CGNAT
    "100.128.0.0",  # just above CGNAT
    "172.15.255.255",
    "172.32.0.0",
    "198.17.255.255",
    "198.20.0.0",
    "223.255.255.254",
    "2606:4700:4700::1111",
    "2001:4860:4860::8888",
    "2a00:1450:4001:80b::200e",
]

NOT_PUBLIC = [
    "0.0.0.0",  # unspecified / this network
    "0.1.2.3",
    "10.0.0.1",
    "10.255.255.255",
    "100.64.0.1",  # CGNAT
    "100.127.255.254",
    "127.0.0.1",
    "127.255.255.254",
    "169.254.169.254",  # cloud metadata
    "172.16.0.1",
    "172.31.255.255",
    "192.0.0.8",
    "192.0.2.1",  # documentation
    "192.88.99.1",  # 6to4 relay
    "192.168.1.1",
    "198.18.0.1",  # benchmarking
    "198.19.255.255",
    "198.51.100.7",
    "203.0.113.9",
    "224.0.0.1",  # multicast (is_global says True in 3.11)
    "239.255.255.250",
    "240.0.0.1",  # reserved
    "255.255.255.255",  # broadcast
    "::",
    "::1",
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:8.8.8.8",  # mapped forms are refused even for a public IPv4
    "::127.0.0.1",  # IPv4-compatible
    "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254 (is_global says True)
    "64:ff9b:1::1",
    "2002:a9fe:a9fe::1",  # 6to4 (is_global says True)
    "2001::1",  # Teredo
    "2001:db8::1",  # documentation
    "3fff::1",
    "fc00::1",  # ULA
    "fd12:3456::1",
    "fe80::1",  # link-local
    "fe80::1%eth0",
    "fec0::1",  # site-local (is_global says True)
    "ff02::1",  # multicast
    "not-an-ip",
    "",
    "127.1",
    "2130706433",
]


@pytest.mark.parametrize("ip", PUBLIC)
def test_public_addresses(ip: str) -> None:
    assert is_public_address(ip)


@pytest.mark.parametrize("ip", NOT_PUBLIC)
def test_non_public_addresses(ip: str) -> None:
    assert not is_public_address(ip)


class RecordingStream(httpcore.AsyncMockStream):
    """A mock stream that remembers the TLS server name it was asked for."""

    def __init__(self, buffer: list[bytes], log: list[str]) -> None:
        super().__init__(buffer)
        self._log = log

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
    ) -> httpcore.AsyncNetworkStream:
        self._log.append(f"tls:{server_hostname}")
        return self


class RecordingBackend(httpcore.AsyncMockBackend):
    """A mock backend that records every address it is asked to connect to."""

    def __init__(self, buffer: list[bytes] | None = None) -> None:
        super().__init__(buffer or [])
        self.log: list[str] = []

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        self.log.append(f"connect:{host}:{port}")
        return RecordingStream(list(self._buffer), self.log)


class TableResolver:
    """A resolver returning the given answers in turn (the last one repeats)."""

    def __init__(self, *answers: list[str]) -> None:
        self.answers = answers
        self.calls: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append(host)
        return self.answers[min(len(self.calls), len(self.answers)) - 1]


@pytest.mark.parametrize(
    "answer",
    [
        ["127.0.0.1"],
        ["10.1.2.3"],
        ["169.254.169.254"],
        ["::ffff:127.0.0.1"],
        ["64:ff9b::a9fe:a9fe"],
        ["93.184.216.34", "10.0.0.5"],  # one public, one private: all must be public
        ["10.0.0.5", "93.184.216.34"],
    ],
)
async def test_dialer_refuses_before_connecting(answer: list[str]) -> None:
    inner = RecordingBackend()
    backend = GuardedNetworkBackend(resolver=TableResolver(answer), inner=inner)
    with pytest.raises(AddressRefused) as caught:
        await backend.connect_tcp("api.example.com", 443)
    assert str(caught.value) == "Host api.example.com resolves to a non-public address"
    assert not any(ip in str(caught.value) for ip in answer)  # the IP is never named
    assert inner.log == []  # no connection attempted


async def test_dialer_connects_to_the_checked_address() -> None:
    inner = RecordingBackend()
    backend = GuardedNetworkBackend(resolver=TableResolver(["93.184.216.34"]), inner=inner)
    await backend.connect_tcp("api.example.com", 443)
    assert inner.log == ["connect:93.184.216.34:443"]


async def test_rebinding_between_connections_is_caught() -> None:
    resolver = TableResolver(["93.184.216.34"], ["127.0.0.1"])
    inner = RecordingBackend()
    backend = GuardedNetworkBackend(resolver=resolver, inner=inner)
    await backend.connect_tcp("api.example.com", 443)
    with pytest.raises(AddressRefused):
        await backend.connect_tcp("api.example.com", 443)
    assert inner.log == ["connect:93.184.216.34:443"]
    assert resolver.calls == ["api.example.com", "api.example.com"]


async def test_unchecked_dialer_accepts_private_addresses() -> None:
    inner = RecordingBackend()
    backend = GuardedNetworkBackend(check=False, resolver=TableResolver(["10.0.0.7"]), inner=inner)
    await backend.connect_tcp("gitlab.lan", 8443)
    assert inner.log == ["connect:10.0.0.7:8443"]


async def test_ip_literals_skip_the_resolver() -> None:
    resolver = TableResolver(["10.9.9.9"])
    inner = RecordingBackend()
    backend = GuardedNetworkBackend(check=False, resolver=resolver, inner=inner)
    await backend.connect_tcp("127.0.0.1", 8000)
    assert (resolver.calls, inner.log) == ([], ["connect:127.0.0.1:8000"])
    with pytest.raises(AddressRefused):
        await GuardedNetworkBackend(resolver=resolver, inner=inner).connect_tcp("127.0.0.1", 80)


async def test_resolution_failure_is_a_connect_error() -> None:
    async def failing(host: str, port: int) -> list[str]:
        raise OSError(-2, "Name or service not known")

    backend = GuardedNetworkBackend(resolver=failing, inner=RecordingBackend())
    with pytest.raises(httpcore.ConnectError, match=r"Could not resolve host nowhere\.example"):
        await backend.connect_tcp("nowhere.example", 443)


async def test_empty_answer_is_a_connect_error() -> None:
    backend = GuardedNetworkBackend(resolver=TableResolver([]), inner=RecordingBackend())
    with pytest.raises(httpcore.ConnectError, match="has no addresses"):
        await backend.connect_tcp("empty.example", 443)


async def test_unix_sockets_are_refused() -> None:
    with pytest.raises(httpcore.ConnectError):
        await GuardedNetworkBackend().connect_unix_socket("/var/run/docker.sock")


async def test_tls_server_name_is_the_host_not_the_ip() -> None:
    """Through a real httpcore pool: TCP goes to the checked IP, SNI and Host use the name."""
    answer = b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n"
    inner = RecordingBackend([answer])
    backend = GuardedNetworkBackend(resolver=TableResolver(["93.184.216.34"]), inner=inner)
    async with httpcore.AsyncConnectionPool(network_backend=backend) as pool:
        response = await pool.request("GET", "https://api.example.com/v1/me")
    assert response.status == 204
    assert inner.log == ["connect:93.184.216.34:443", "tls:api.example.com"]


async def test_system_resolver_resolves_loopback() -> None:
    assert "127.0.0.1" in await system_resolver("127.0.0.1", 80)


async def test_sleep_is_delegated() -> None:
    await GuardedNetworkBackend(inner=RecordingBackend()).sleep(0)  # the mock backend's no-op
