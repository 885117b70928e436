"""URL fetching for `POST /v1/score {"url": ...}` (only with --allow-fetch).

A fetch must not become a way into the server's own network: only http/https, at most
`max_redirects` redirects, and before every hop (the first and each redirect) the host is
resolved here and every address it resolves to is checked; the connection then goes to the
checked address (Host header and TLS SNI keep the name), so a second DNS answer can't swap in
another. Loopback, link-local, private and other non-public addresses are refused unless
--allow-private-fetch. Proxies from the environment are ignored for the same reason. The
download is capped in bytes and time and must be HTML or plain text.
"""

from __future__ import annotations

import asyncio
import codecs
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urljoin

from .errors import ApiError, too_large
from .limits import ServeLimits

CONTENT_TYPES = ("text/html", "application/xhtml+xml", "text/plain")
REDIRECTS = (301, 302, 303, 307, 308)


@dataclass
class Page:
    url: str  # where the text came from, after redirects
    content_type: str
    text: str


def refusal(address: str) -> str | None:
    """Why a fetch may not connect to `address` (without --allow-private-fetch), or None."""
    ip = ipaddress.ip_address(address.split("%")[0])
    if ip.version == 6 and ip.ipv4_mapped:  # ::ffff:127.0.0.1 is 127.0.0.1
        ip = ip.ipv4_mapped
    for kind in ("unspecified", "loopback", "link_local", "multicast", "private", "reserved"):
        if getattr(ip, f"is_{kind}"):
            return kind.replace("_", "-")
    return None if ip.is_global else "non-public"


async def _addresses(host: str, port: int) -> list[str]:
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise ApiError(502, "fetch_failed", f"cannot resolve {host!r} ({exc})") from None
    return list(dict.fromkeys(info[4][0] for info in infos))


def _check_url(url: str, first: bool):
    import httpx

    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise ApiError(422, "invalid_url", f"not a URL: {exc}", field="url") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        where = "url" if first else "a redirect"
        raise ApiError(422 if first else 403, "invalid_url" if first else "fetch_refused",
                       f"{where} must be an absolute http or https URL, got {str(parsed)[:200]!r}",
                       field="url" if first else None)
    return parsed


async def fetch_page(url: str, limits: ServeLimits, allow_private: bool = False) -> Page:
    try:
        async with asyncio.timeout(limits.fetch_timeout_s):
            return await _fetch(url, limits, allow_private)
    except TimeoutError:
        raise ApiError(504, "fetch_timeout", f"fetching {url[:200]} took longer than fetch_timeout_s="
                       f"{limits.fetch_timeout_s:g}", limit="fetch_timeout_s", max=limits.fetch_timeout_s) from None


async def _fetch(url: str, limits: ServeLimits, allow_private: bool) -> Page:
    import httpx

    current = url
    async with httpx.AsyncClient(trust_env=False, follow_redirects=False, timeout=limits.fetch_timeout_s) as client:
        for hop in range(limits.max_redirects + 1):
            parsed = _check_url(current, first=hop == 0)
            port = parsed.port or (443 if parsed.scheme == "https" else 80)
            addresses = await _addresses(parsed.host, port)
            if not allow_private:
                for address in addresses:
                    kind = refusal(address)
                    if kind:
                        raise ApiError(403, "fetch_refused", f"{parsed.host} resolves to {address}, a {kind} address; "
                                       "the server fetches only public addresses (unless --allow-private-fetch)")
            pinned = parsed.copy_with(host=addresses[0])
            host_header = f"[{parsed.host}]" if ":" in parsed.host else parsed.host  # an IPv6 literal
            host_header += "" if parsed.port is None else f":{parsed.port}"
            extensions = {"sni_hostname": parsed.host} if parsed.scheme == "https" else {}
            headers = {"Host": host_header, "User-Agent": "framing-serve",
                       "Accept": "text/html,application/xhtml+xml,text/plain;q=0.9"}
            try:
                async with client.stream("GET", pinned, headers=headers, extensions=extensions) as resp:
                    if resp.status_code in REDIRECTS:
                        location = resp.headers.get("location")
                        if not location:
                            raise ApiError(502, "fetch_failed", f"{current[:200]} redirects without a Location")
                        current = urljoin(current, location)
                        continue
                    return await _read(resp, current, limits)
            except httpx.HTTPError as exc:
                raise ApiError(502, "fetch_failed", f"fetching {current[:200]} failed: {type(exc).__name__}") from None
    raise ApiError(502, "too_many_redirects", f"{url[:200]} redirects more than max_redirects={limits.max_redirects} "
                   "times", limit="max_redirects", max=limits.max_redirects)


async def _read(resp, url: str, limits: ServeLimits) -> Page:
    if resp.status_code >= 400 or resp.status_code < 200:
        raise ApiError(502, "fetch_failed", f"{url[:200]} answered HTTP {resp.status_code}")
    ctype, _, params = resp.headers.get("content-type", "").partition(";")
    ctype = ctype.strip().lower()
    if ctype not in CONTENT_TYPES:
        raise ApiError(415, "unsupported_content_type", f"{url[:200]} is {ctype or 'of no stated type'}; "
                       f"the server scores {', '.join(CONTENT_TYPES)}")
    cap = limits.fetch_max_bytes
    over = too_large("fetch_max_bytes", cap, f"the page at {url[:200]}", limits.env_of("fetch_max_bytes"))
    declared = resp.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > cap:
        raise over
    body = bytearray()
    async for chunk in resp.aiter_bytes():
        body += chunk
        if len(body) > cap:
            raise over
    return Page(url, ctype, _decode(bytes(body), params))


def _decode(data: bytes, params: str) -> str:
    charset = "utf-8"
    for param in params.split(";"):
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            try:
                charset = codecs.lookup(value.strip().strip("\"'")).name
            except LookupError:
                pass  # an unknown charset name: read as UTF-8, bad bytes replaced
    return data.decode(charset, errors="replace")
