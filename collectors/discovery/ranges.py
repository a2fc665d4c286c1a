"""Address ranges as an operator types them: a CIDR, one address, or a dash range."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Iterator

# A sweep bigger than this needs an explicit yes (CLI --yes, API "confirm": true).
LARGE_SWEEP = 4096
# Even confirmed, a sweep is expanded in memory and probed address by address: a /16 is the most
# one job takes (a /8 would hold the service for minutes and gigabytes); split larger estates.
MAX_SWEEP = 65536


class RangeError(ValueError):
    """The range cannot be read; the message names it and says why."""


def _address(text: str, whole: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        raise RangeError(f"{whole!r} is not an address, a CIDR or a range a-b") from None


def expand(text: str) -> Iterator[str]:
    """10.0.0.0/30 -> hosts (network and broadcast left out for /30 and wider),
    10.0.0.5 -> itself, 10.0.0.10-10.0.0.20 or 10.0.0.10-20 -> every address in between."""
    text = text.strip()
    if "/" in text:
        try:
            network = ipaddress.ip_network(text, strict=False)
        except ValueError as exc:
            raise RangeError(f"{text!r} is not a valid CIDR range: {exc}") from None
        hosts = network.hosts() if network.num_addresses > 2 else iter(network)
        yield from (str(host) for host in hosts)
        return
    if "-" in text:
        first, last = _span(text)
        for number in range(first, last + 1):
            yield str(ipaddress.ip_address(number))
        return
    yield str(_address(text, text))


def _span(text: str) -> tuple[int, int]:
    """First and last address of `a-b` (or `a-N`, the last octet of an IPv4 address) as integers."""
    first_text, _, last_text = text.partition("-")
    first = _address(first_text, text)
    if last_text.isdigit() and first.version == 4:
        last_text = first_text.rsplit(".", 1)[0] + "." + last_text
    last = _address(last_text, text)
    if last.version != first.version or int(last) < int(first):
        raise RangeError(f"{text!r}: the range must go from a lower to a higher address")
    return int(first), int(last)


def size(text: str) -> int:
    text = text.strip()
    if "/" in text:
        try:
            network = ipaddress.ip_network(text, strict=False)
        except ValueError as exc:
            raise RangeError(f"{text!r} is not a valid CIDR range: {exc}") from None
        return network.num_addresses - 2 if network.num_addresses > 2 else network.num_addresses
    if "-" in text:
        first, last = _span(text)
        return last - first + 1
    _address(text, text)
    return 1


def total(ranges: Iterable[str]) -> int:
    """How many addresses the ranges hold (counted without expanding them); raises RangeError."""
    return sum(size(text) for text in ranges)


def addresses(ranges: Iterable[str]) -> list[str]:
    """Every address once, in the order given."""
    seen: dict[str, None] = {}
    for text in ranges:
        for address in expand(text):
            seen.setdefault(address, None)
    return list(seen)
