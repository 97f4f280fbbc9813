"""DRF throttles that key on the client address from `budgetpay.client_ip`.

DRF's own `get_ident` follows `NUM_PROXIES` (set to TRUSTED_PROXY_COUNT as a second line),
but without it joins the whole `X-Forwarded-For` the client wrote into the key, and with it
takes the leftmost entry when the header is shorter than expected. These never do.
"""

import ipaddress

from rest_framework.request import Request
from rest_framework.throttling import ScopedRateThrottle

from budgetpay.client_ip import client_ip

# One IPv6 customer usually holds a whole /64: counting per address would give an
# attacker 2**64 buckets. allauth's rate limits group IPv6 the same way.
IPV6_THROTTLE_PREFIX = 64


def throttle_ident(request: Request) -> str:
    """The bucket a request counts against: its client's address (an IPv6 client's /64)."""
    address = client_ip(request)
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network(f"{parsed}/{IPV6_THROTTLE_PREFIX}", strict=False).network_address)
    return address


class ClientAddressThrottleMixin:
    """Any DRF throttle: anonymous requests count against the client's address."""

    def get_ident(self, request: Request) -> str:
        return throttle_ident(request)


class ClientScopedRateThrottle(ClientAddressThrottleMixin, ScopedRateThrottle):
    """`ScopedRateThrottle` per client address (the sign-in, sign-up and refresh views)."""
