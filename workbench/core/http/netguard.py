"""The network guard: resolve a host, refuse non-public addresses, connect to the checked IP.

The check lives in the dialer that opens every engine connection, so the address that was
checked is the address connected to: a DNS answer cannot change between the check and
the connection (DNS rebinding), and no code path can reach the network around it.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import TypeVar

from workbench.core.http import timing

T = TypeVar("T")

Resolver = Callable[[str, int], Awaitable[list[str]]]
"""An async function ``(host, port) -> [ip, ...]``: the addresses a name resolves to."""

# ipaddress.is_global alone is insufficient (security-policy 2.3): it calls NAT64, 6to4,
# site-local and multicast addresses global, and its tables change between Python
# releases. Every range below is refused explicitly; is_global is only a second opinion.
_DENIED_V4 = tuple(
    ipaddress.IPv4Network(net)
    for net in (
        "0.0.0.0/8",  # "this network", unspecified
        "10.0.0.0/8",  # RFC 1918
        "100.64.0.0/10",  # CGNAT
        "127.0.0.0/8",  # loopback
        "169.254.0.0/16",  # link-local, cloud metadata
        "172.16.0.0/12",  # RFC 1918
        "192.0.0.0/24",  # IETF protocol assignments
        "192.0.2.0/24",  # TEST-NET-1
        "192.88.99.0/24",  # 6to4 relay anycast
        "192.168.0.0/16",  # RFC 1918
        "198.18.0.0/15",  # benchmarking
        "198.51.100.0/24",  # TEST-NET-2
        "203.0.113.0/24",  # TEST-NET-3
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, broadcast
    )
)
# IPv6: only global unicast (2000::/3, RFC 4291 section 2.4) can be public; everything
# outside it is refused whatever ipaddress thinks of it. That covers ::/96 (unspecified,
# loopback, IPv4-compatible), ::ffff:0:0/96 (IPv4-mapped), ::ffff:0:0:0/96
# (IPv4-translated), 64:ff9b::/96 and 64:ff9b:1::/48 (NAT64), 100::/64 (discard),
# 5f00::/16 (SRv6), fc00::/7 (unique local), fe80::/10 (link-local), fec0::/10
# (site-local), ff00::/8 (multicast), and the reserved rest.
_GLOBAL_UNICAST_V6 = ipaddress.IPv6Network("2000::/3")
# Inside it, the special-purpose blocks that are not public.
_DENIED_V6 = tuple(
    ipaddress.IPv6Network(net)
    for net in (
        # IETF protocol assignments: Teredo 2001::/32, benchmarking 2001:2::/48, ORCHID
        # 2001:10::/28, ORCHIDv2 2001:20::/28, and the anycast services no proxy targets.
        "2001::/23",
        "2001:db8::/32",  # documentation
        "2002::/16",  # 6to4
        "3fff::/20",  # documentation
    )
)


def is_public_address(ip: str) -> bool:
    """Whether ``ip`` is a public unicast address that the engine may connect to.

    Anything that is not a valid address literal is not public. A zone suffix
    (``fe80::1%eth0``) is ignored for classification.
    """
    try:
        address = ipaddress.ip_address(ip.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv4Address):
        denied = any(address in net for net in _DENIED_V4)
    else:
        denied = address not in _GLOBAL_UNICAST_V6 or any(address in net for net in _DENIED_V6)
    return not denied and address.is_global


class AddressRefused(Exception):
    """A host resolved to at least one non-public address while private networks are off.

    ``host`` is the name as asked; the message names it and never the address (so a
    refusal does not map the internal network for the caller).
    """

    def __init__(self, host: str) -> None:
        super().__init__(f"Host {host} resolves to a non-public address")
        self.host = host


async def system_resolver(host: str, port: int) -> list[str]:
    """Resolve ``host`` with the event loop's ``getaddrinfo`` (the default resolver)."""
    infos = await asyncio.get_running_loop().getaddrinfo(
        host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
    )
    return [str(info[4][0]) for info in infos]


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _unique(addresses: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(addresses))


class UnresolvedHost(ConnectionError):
    """A name the resolver could not turn into any address."""


class GuardedDialer:
    """Resolves names itself, checks every address, then connects to a checked one.

    With ``check=True`` the connection is refused (:class:`AddressRefused`) unless EVERY
    address the name resolves to is public; then it connects to one of those checked
    addresses, so a DNS answer cannot change between the check and the connection. TLS
    SNI, certificate names and the Host header still use the name, not the address.

    With ``check=False`` (private networks allowed) names are still resolved here, so the
    DNS phase is timed the same way, but any address is accepted.
    """

    def __init__(
        self,
        *,
        check: bool = True,
        resolver: Resolver | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        """Create a dialer.

        Args:
            check: refuse non-public addresses.
            resolver: async ``(host, port) -> [ip, ...]``; defaults to ``getaddrinfo``.
            clock: seconds, for timing the lookup (``time.perf_counter``).
        """
        self.check = check
        self._resolve = resolver or system_resolver
        self._clock = clock

    async def dial(self, host: str, port: int, connect: Callable[[str, int], Awaitable[T]]) -> T:
        """Resolve and check ``host``, then ``connect(ip, port)`` to each address in turn.

        Returns:
            What the first ``connect`` that succeeds returns.

        Raises:
            AddressRefused: an address is not public and the check is on.
            OSError: resolution failed (:class:`UnresolvedHost`), or every connect did
                (the last error).
        """
        addresses = await self._lookup(host, port)
        if self.check and not all(is_public_address(ip) for ip in addresses):
            raise AddressRefused(host)
        last_error: OSError | None = None
        for ip in addresses:
            try:
                return await connect(ip, port)
            except OSError as error:
                last_error = error
        assert last_error is not None  # _lookup never returns an empty list
        raise last_error

    async def _lookup(self, host: str, port: int) -> list[str]:
        if _is_ip_literal(host):
            return [host]  # nothing to resolve (only reachable with private networks on)
        started = self._clock()
        try:
            addresses = _unique(await self._resolve(host, port))
        except OSError as error:
            # gaierror text names only the failure ("Name or service not known").
            raise UnresolvedHost(f"Could not resolve host {host}: {error}") from None
        finally:
            timing.note_dns((self._clock() - started) * 1000.0)
        if not addresses:
            raise UnresolvedHost(f"Host {host} has no addresses")
        return addresses
