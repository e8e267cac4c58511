"""The network guard: address classification, resolution and the checking dialer."""

from __future__ import annotations

import asyncio
import socket

import pytest

from workbench.core.http.netguard import (
    AddressRefused,
    GuardedDialer,
    UnresolvedHost,
    is_public_address,
    system_resolver,
)
from workbench.core.http.timing import PhaseRecorder

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


class TableResolver:
    """A resolver returning the given answers in turn (the last one repeats)."""

    def __init__(self, *answers: list[str], delay: float = 0.0) -> None:
        self.answers = answers
        self.delay = delay
        self.calls: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append(host)
        if self.delay:
            await asyncio.sleep(self.delay)
        return self.answers[min(len(self.calls), len(self.answers)) - 1]


class RecordingConnect:
    """A fake ``connect(ip, port)``: records every attempt, fails for the IPs told to."""

    def __init__(self, failures: dict[str, OSError] | None = None) -> None:
        self.failures = failures or {}
        self.calls: list[tuple[str, int]] = []

    async def __call__(self, ip: str, port: int) -> str:
        self.calls.append((ip, port))
        if ip in self.failures:
            raise self.failures[ip]
        return f"connected to {ip}:{port}"


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
    connect = RecordingConnect()
    dialer = GuardedDialer(resolver=TableResolver(answer))
    with pytest.raises(AddressRefused) as caught:
        await dialer.dial("api.example.com", 443, connect)
    assert str(caught.value) == "Host api.example.com resolves to a non-public address"
    assert caught.value.host == "api.example.com"
    assert not any(ip in str(caught.value) for ip in answer)  # the IP is never named
    assert connect.calls == []  # no connection attempted


async def test_dialer_connects_to_the_checked_address() -> None:
    connect = RecordingConnect()
    dialer = GuardedDialer(resolver=TableResolver(["93.184.216.34"]))
    assert await dialer.dial("api.example.com", 443, connect) == "connected to 93.184.216.34:443"
    assert connect.calls == [("93.184.216.34", 443)]


async def test_rebinding_between_connections_is_caught() -> None:
    resolver = TableResolver(["93.184.216.34"], ["127.0.0.1"])
    connect = RecordingConnect()
    dialer = GuardedDialer(resolver=resolver)
    await dialer.dial("api.example.com", 443, connect)
    with pytest.raises(AddressRefused):
        await dialer.dial("api.example.com", 443, connect)
    assert connect.calls == [("93.184.216.34", 443)]
    assert resolver.calls == ["api.example.com", "api.example.com"]  # never cached


async def test_unchecked_dialer_accepts_private_addresses() -> None:
    connect = RecordingConnect()
    dialer = GuardedDialer(check=False, resolver=TableResolver(["10.0.0.7"]))
    await dialer.dial("gitlab.lan", 8443, connect)
    assert connect.calls == [("10.0.0.7", 8443)]


async def test_ip_literals_skip_the_resolver() -> None:
    resolver = TableResolver(["10.9.9.9"])
    connect = RecordingConnect()
    await GuardedDialer(check=False, resolver=resolver).dial("127.0.0.1", 8000, connect)
    await GuardedDialer(resolver=resolver).dial("2606:4700:4700::1111", 443, connect)
    assert resolver.calls == []
    assert connect.calls == [("127.0.0.1", 8000), ("2606:4700:4700::1111", 443)]
    with pytest.raises(AddressRefused):
        await GuardedDialer(resolver=resolver).dial("127.0.0.1", 80, connect)
    assert len(connect.calls) == 2


async def test_resolution_failure_is_an_unresolved_host() -> None:
    async def failing(host: str, port: int) -> list[str]:
        raise socket.gaierror(-2, "Name or service not known")

    connect = RecordingConnect()
    with pytest.raises(UnresolvedHost) as caught:
        await GuardedDialer(resolver=failing).dial("nowhere.example", 443, connect)
    assert isinstance(caught.value, OSError)  # the transport turns OSError into ConnectError
    assert str(caught.value).startswith("Could not resolve host nowhere.example:")
    assert "Name or service not known" in str(caught.value)
    assert connect.calls == []


async def test_empty_answer_is_an_unresolved_host() -> None:
    connect = RecordingConnect()
    with pytest.raises(UnresolvedHost, match=r"^Host empty\.example has no addresses$"):
        await GuardedDialer(resolver=TableResolver([])).dial("empty.example", 443, connect)
    assert connect.calls == []


async def test_a_failing_address_falls_through_to_the_next() -> None:
    resolver = TableResolver(["2606:4700::6810:84e5", "93.184.216.34"])
    connect = RecordingConnect({"2606:4700::6810:84e5": OSError(101, "Network is unreachable")})
    result = await GuardedDialer(resolver=resolver).dial("api.example.com", 443, connect)
    assert result == "connected to 93.184.216.34:443"
    assert connect.calls == [("2606:4700::6810:84e5", 443), ("93.184.216.34", 443)]


async def test_when_every_address_fails_the_last_error_is_raised() -> None:
    first = ConnectionRefusedError(111, "Connection refused")
    last = TimeoutError(110, "Connection timed out")
    # Duplicates in the answer are tried once.
    resolver = TableResolver(["93.184.216.34", "93.184.216.34", "93.184.216.35"])
    connect = RecordingConnect({"93.184.216.34": first, "93.184.216.35": last})
    with pytest.raises(TimeoutError) as caught:
        await GuardedDialer(resolver=resolver).dial("api.example.com", 443, connect)
    assert caught.value is last
    assert connect.calls == [("93.184.216.34", 443), ("93.184.216.35", 443)]


async def test_errors_other_than_oserror_are_not_retried() -> None:
    async def broken(ip: str, port: int) -> str:
        calls.append(ip)
        raise ValueError("a bug, not a network failure")

    calls: list[str] = []
    resolver = TableResolver(["93.184.216.34", "93.184.216.35"])
    with pytest.raises(ValueError, match="a bug"):
        await GuardedDialer(resolver=resolver).dial("api.example.com", 443, broken)
    assert calls == ["93.184.216.34"]


async def test_resolution_time_goes_to_the_active_recorder() -> None:
    dialer = GuardedDialer(resolver=TableResolver(["93.184.216.34"], delay=0.02))
    recorder = PhaseRecorder()
    with recorder.active():
        await dialer.dial("api.example.com", 443, RecordingConnect())
    assert recorder.dns_ms >= 15.0
    literal = PhaseRecorder()
    with literal.active():
        await dialer.dial("93.184.216.34", 443, RecordingConnect())
    assert literal.dns_ms == 0.0  # nothing was resolved


async def test_system_resolver_resolves_loopback() -> None:
    assert "127.0.0.1" in await system_resolver("127.0.0.1", 80)


async def test_default_dialer_uses_the_system_resolver() -> None:
    connect = RecordingConnect()
    await GuardedDialer(check=False).dial("localhost", 8080, connect)
    assert connect.calls
    assert {ip for ip, _ in connect.calls} <= {"127.0.0.1", "::1"}
