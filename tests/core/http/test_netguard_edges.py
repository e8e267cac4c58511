"""The address guard at its edges: every refused range at its first and last address.

One table states the policy, written here independently of ``netguard``'s own table, so
that dropping, narrowing or shifting a range there fails here. From each row the cases
are generated: its first and last address are refused, and so is every address of its
neighbours in the table, until the first address on each side that is in no row: that
one must be public. So a range the guard refuses beyond the table fails too.
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Iterator
from typing import NamedTuple

import pytest

from workbench.core.http.netguard import GuardedDialer, is_public_address, system_resolver
from workbench.core.http.timing import PhaseRecorder

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Every range the guard refuses (security-policy 3.7 and the IANA special-purpose
# registries), with the reason. Ranges may overlap; their union is what is refused.
REFUSED: list[tuple[str, str]] = [
    ("0.0.0.0/8", "this network, unspecified"),
    ("10.0.0.0/8", "private (RFC 1918)"),
    ("100.64.0.0/10", "CGNAT shared address space"),
    ("127.0.0.0/8", "loopback"),
    ("169.254.0.0/16", "link-local, cloud metadata"),
    ("172.16.0.0/12", "private (RFC 1918)"),
    ("192.0.0.0/24", "IETF protocol assignments"),
    ("192.0.2.0/24", "documentation TEST-NET-1"),
    ("192.88.99.0/24", "6to4 relay anycast"),
    ("192.168.0.0/16", "private (RFC 1918)"),
    ("198.18.0.0/15", "benchmarking"),
    ("198.51.100.0/24", "documentation TEST-NET-2"),
    ("203.0.113.0/24", "documentation TEST-NET-3"),
    ("224.0.0.0/4", "multicast"),
    ("240.0.0.0/4", "reserved"),
    ("255.255.255.255/32", "limited broadcast"),
    # IPv6 outside 2000::/3, the global unicast block, is never public ...
    ("::/3", "reserved, below global unicast"),
    ("4000::/2", "reserved, above global unicast"),
    ("8000::/1", "reserved, ULA, link-local, site-local, multicast"),
    # ... and these inside it are named, to show each edge of each one.
    ("::/128", "unspecified"),
    ("::1/128", "loopback"),
    ("::/96", "IPv4-compatible"),
    ("::ffff:0:0/96", "IPv4-mapped"),
    ("::ffff:0:0:0/96", "IPv4-translated"),
    ("64:ff9b::/96", "NAT64 well-known prefix"),
    ("64:ff9b:1::/48", "NAT64 local-use prefix"),
    ("100::/64", "discard-only"),
    ("5f00::/16", "SRv6 segment identifiers"),
    ("fc00::/7", "unique local (ULA)"),
    ("fe80::/10", "link-local"),
    ("fec0::/10", "site-local"),
    ("ff00::/8", "multicast"),
    ("2001::/23", "IETF protocol assignments"),
    ("2001::/32", "Teredo"),
    ("2001:2::/48", "benchmarking"),
    ("2001:10::/28", "ORCHID"),
    ("2001:20::/28", "ORCHIDv2"),
    ("2001:db8::/32", "documentation"),
    ("2002::/16", "6to4"),
    ("3fff::/20", "documentation"),
]

NETWORKS: list[IPNetwork] = [ipaddress.ip_network(net) for net, _ in REFUSED]


class Case(NamedTuple):
    """One address of the edge table and whether the guard must call it public."""

    address: str
    public: bool
    where: str


def _refusing(address: IPAddress) -> list[IPNetwork]:
    return [net for net in NETWORKS if net.version == address.version and address in net]


def _address(version: int, value: int) -> IPAddress:
    return ipaddress.IPv6Address(value) if version == 6 else ipaddress.IPv4Address(value)


def _public_neighbour(address: IPAddress, step: int) -> IPAddress | None:
    """The first address from ``address`` in direction ``step`` that no row refuses.

    Jumps over whole rows at a time; None when the address space ends first.
    """
    top = 2**address.max_prefixlen - 1
    current = int(address)
    while 0 <= current <= top:
        here = _address(address.version, current)
        inside = _refusing(here)
        if not inside:
            return here
        if step < 0:
            current = min(int(net.network_address) for net in inside) - 1
        else:
            current = max(int(net.broadcast_address) for net in inside) + 1
    return None


def _cases() -> Iterator[Case]:
    seen: set[tuple[str, bool]] = set()
    for (net_text, name), net in zip(REFUSED, NETWORKS, strict=True):
        first, last = net.network_address, net.broadcast_address
        for address, public, role in (
            (first, False, "first"),
            (last, False, "last"),
            (_public_neighbour(first, -1), True, "public below"),
            (_public_neighbour(last, +1), True, "public above"),
        ):
            if address is None or (str(address), public) in seen:
                continue
            seen.add((str(address), public))
            yield Case(str(address), public, f"{net_text} {name}: {role}")


CASES = list(_cases())


@pytest.mark.parametrize("case", CASES, ids=[f"{c.where} {c.address}" for c in CASES])
def test_edge(case: Case) -> None:
    assert is_public_address(case.address) is case.public, case.where


def test_the_table_reaches_public_space_on_both_sides_of_every_family() -> None:
    # Guards the generator: if the table refused everything, no case would be public.
    public = {ipaddress.ip_address(c.address).version for c in CASES if c.public}
    assert public == {4, 6}
    assert len([c for c in CASES if c.public]) >= 30


@pytest.mark.parametrize(
    "address",
    [
        "::1:0:0",  # just above ::/96; reserved, and not global unicast
        "::2:7f00:1",
        "100:0:0:1::1",  # dummy prefix (RFC 9780), outside 100::/64
        "2001:100::1",  # IETF protocol assignments, outside every named sub-range
        "2001:30::1",
        "4000::1",
        "5f00::1",  # SRv6 segment identifiers
        "7fff::1",
    ],
)
def test_reserved_ipv6_outside_the_named_ranges_is_refused(address: str) -> None:
    # Each was public before the guard refused all of IPv6 outside 2000::/3 and 2001::/23.
    assert not is_public_address(address)


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("2606:4700:4700::1111%eth0", True),  # a zone suffix does not change the verdict
        ("fe80::1%eth0", False),
        ("%eth0", False),
        ("93.184.216.34%eth0", True),
        ("10.0.0.1%eth0", False),
    ],
)
def test_a_zone_suffix_is_ignored(address: str, public: bool) -> None:
    assert is_public_address(address) is public


def test_only_the_first_zone_separator_ends_the_address() -> None:
    assert is_public_address("2606:4700:4700::1111%eth0%1")
    assert is_public_address("93.184.216.34%eth0%1")  # IPv4 has no zones: cut, not parsed


# The dialer's look-up: what it asks the resolver, and how long it says it took.


class PortRecordingResolver:
    """Answers one public address and records every ``(host, port)`` asked."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, int]] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.asked.append((host, port))
        return ["93.184.216.34"]


@pytest.mark.anyio
async def test_the_resolver_is_asked_for_the_host_and_port() -> None:
    resolver = PortRecordingResolver()
    connected: list[tuple[str, int]] = []

    async def connect(ip: str, port: int) -> str:
        connected.append((ip, port))
        return "ok"

    await GuardedDialer(resolver=resolver).dial("api.example.com", 8443, connect)
    assert resolver.asked == [("api.example.com", 8443)]
    assert connected == [("93.184.216.34", 8443)]


@pytest.mark.anyio
async def test_the_lookup_time_is_read_from_the_clock() -> None:
    ticks = iter([100.0, 100.25])
    dialer = GuardedDialer(resolver=PortRecordingResolver(), clock=lambda: next(ticks))
    recorder = PhaseRecorder()
    with recorder.active():
        await dialer.dial("api.example.com", 443, lambda ip, port: asyncio.sleep(0))
    assert recorder.dns_ms == 250.0


@pytest.mark.anyio
async def test_the_system_resolver_answers_each_address_once() -> None:
    # A name other than the loopback default, asked once per address (TCP only).
    assert await system_resolver("127.0.0.2", 80) == ["127.0.0.2"]
