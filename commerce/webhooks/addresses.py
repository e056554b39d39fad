"""Which addresses a webhook may reach: the public internet only, unless WEBHOOK_ALLOW_PRIVATE_ADDRESSES.

A URL a staff member typed is a request our servers make on their behalf; pointed at 127.0.0.1, the cloud's
metadata service or the office network it would reach what no outsider should (SSRF). Every address a host
resolves to is judged here before any packet is sent to it, and the connection then goes to one of those
addresses (commerce.webhooks.client), so a DNS answer that changes between the check and the connection (a
rebind) cannot smuggle a private address through. IPv6 forms that carry an IPv4 address (IPv4-mapped, 6to4,
NAT64) are judged by the IPv4 address they carry too.
"""
import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# Cloud metadata services (AWS/GCP/Azure/OpenStack, AWS over IPv6, Alibaba): private or link-local already, named
# so the refusal says what it protected.
METADATA = {ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200")}
NAT64 = ipaddress.ip_network("64:ff9b::/96")
KINDS = ("is_loopback", "is_link_local", "is_multicast", "is_unspecified", "is_reserved", "is_private")


class Refused(Exception):
    """This URL or address is not one a webhook may reach; nothing was sent."""


def why_forbidden(ip: IPAddress) -> str | None:
    """What kind of address `ip` is when a webhook may not reach it ("loopback", "metadata"...); None if public."""
    if ip.version == 6:
        embedded = ip.ipv4_mapped or ip.sixtofour or (
            ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF) if ip in NAT64 else None)
        if embedded is not None and (reason := why_forbidden(embedded)):
            return reason
    if ip in METADATA:
        return "metadata"
    for kind in KINDS:
        if getattr(ip, kind):
            return kind.removeprefix("is_").replace("_", "-")
    return None if ip.is_global else "not-global"


def check_url(url: str) -> None:
    """The URL's form: http(s) with a host, https unless WEBHOOK_ALLOW_HTTP, no credentials in it, and (when the
    host is an address) a public one. Names are resolved only when sending: DNS may change in between."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise Refused("not a URL") from None
    allowed = {"https", "http"} if settings.WEBHOOK_ALLOW_HTTP else {"https"}
    if parts.scheme not in allowed:
        raise Refused("the URL must start with https://" if parts.scheme == "http" else "only http(s) URLs")
    if not parts.hostname:
        raise Refused("the URL has no host")
    if parts.username or parts.password:
        raise Refused("credentials do not belong in the URL")
    if port == 0:
        raise Refused("port 0")
    try:
        literal = ipaddress.ip_address(parts.hostname)
    except ValueError:
        return
    vet(literal)


def vet(ip: IPAddress) -> IPAddress:
    reason = why_forbidden(ip)
    if reason and not settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES:
        raise Refused(f"{ip} is a {reason} address")
    return ip


def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to, each vetted; Refused if any one is forbidden (a name that also points
    inside is not trusted to be outside this time)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise Refused(f"{host} does not resolve ({error})") from None
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not addresses:
        raise Refused(f"{host} does not resolve")
    return [str(vet(ipaddress.ip_address(address))) for address in addresses]
