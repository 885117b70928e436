"""URL fetching of `framing serve` against a local http.server: extraction as `framing batch`
does, redirects (at most 3), size, time and content-type caps, and refused addresses. The test
server is on loopback, so the allowed path runs with --allow-private-fetch; the refusals run
without it (redirects to private addresses are refused before any connection is made)."""

from __future__ import annotations

import pytest

from framing.serve import fetch
from framing.serve.app import create_app
from framing.serve.limits import ServeLimits
from tests.serve_support import LiveServer, PageServer, assert_json_error, response_validator

httpx = pytest.importorskip("httpx")
LIMITS = ServeLimits(fetch_max_bytes=50_000, fetch_timeout_s=1.0, request_timeout_s=30)


@pytest.fixture(scope="module")
def clf(tiny_span_dir):
    from framing.inference import Classifier

    return Classifier.load(tiny_span_dir, device="cpu")


@pytest.fixture(scope="module")
def pages():
    server = PageServer(big_bytes=200_000, slow_s=3.0)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def private_ok(clf):
    server = LiveServer(create_app(clf, LIMITS, allow_fetch=True, allow_private_fetch=True)).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def public_only(clf):
    server = LiveServer(create_app(clf, LIMITS, allow_fetch=True)).start()
    yield server
    server.stop()


def score_url(server, url):
    return httpx.post(f"{server.url}/v1/score", json={"url": url}, timeout=60)


def test_fetch_extracts_the_main_text(private_ok, pages):
    resp = score_url(private_ok, f"{pages.url}/article.html")
    assert resp.status_code == 200, resp.text
    body = resp.json()
    response_validator()(body)
    [doc] = body["documents"]
    assert doc["status"] == "scored" and doc["url"] == f"{pages.url}/article.html"
    text = " ".join(s["text"] for s in doc["sentences"])
    assert "The minister will travel to Paris" in text and "Copyright" not in text and "Home" not in text


def test_fetch_plain_text_and_charsets(private_ok, pages):
    [doc] = score_url(private_ok, f"{pages.url}/plain.txt").json()["documents"]
    assert doc["sentences"][0]["text"] == "Russia and China signed a new energy deal on Tuesday."
    [doc] = score_url(private_ok, f"{pages.url}/latin1.html").json()["documents"]
    assert "Pär\xeds" in " ".join(s["text"] for s in doc["sentences"])


def test_up_to_three_redirects_are_followed(private_ok, pages):
    resp = score_url(private_ok, f"{pages.url}/chain/3")
    assert resp.status_code == 200, resp.text
    assert resp.json()["documents"][0]["url"] == f"{pages.url}/chain/0"
    assert_json_error(score_url(private_ok, f"{pages.url}/chain/4"), 502, "too_many_redirects", limit="max_redirects")


@pytest.mark.parametrize("path,status,code,limit", [
    ("/big-declared", 413, "limit_exceeded", "fetch_max_bytes"),
    ("/big-streamed", 413, "limit_exceeded", "fetch_max_bytes"),
    ("/slow", 504, "fetch_timeout", "fetch_timeout_s"),
    ("/image.png", 415, "unsupported_content_type", None),
    ("/no-type", 415, "unsupported_content_type", None),
    ("/error", 502, "fetch_failed", None),
    ("/missing", 502, "fetch_failed", None),
    ("/no-location", 502, "fetch_failed", None),
    ("/to-ftp", 403, "fetch_refused", None),
])
def test_fetch_caps_and_failures(private_ok, pages, path, status, code, limit):
    error = assert_json_error(score_url(private_ok, pages.url + path), status, code)
    if limit:
        assert error["limit"] == limit
    assert httpx.get(f"{private_ok.url}/healthz").status_code == 200


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://127.0.0.1/x", "not a url", "http://", "//127.0.0.1/a"])
def test_only_http_and_https_urls(private_ok, url):
    assert_json_error(score_url(private_ok, url), 422, "invalid_url", field="url")


def test_unreachable_port_is_502(private_ok):
    assert_json_error(score_url(private_ok, "http://127.0.0.1:1/"), 502, "fetch_failed")


def test_loopback_is_refused_without_allow_private_fetch(public_only, pages):
    before = len(pages.hits)
    for url in (f"{pages.url}/article.html", f"http://localhost:{pages.port}/article.html",
                f"http://[::1]:{pages.port}/", f"http://[::ffff:127.0.0.1]:{pages.port}/"):
        error = assert_json_error(score_url(public_only, url), 403, "fetch_refused")
        assert "loopback" in error["message"]
    assert pages.hits[before:] == []  # refused before connecting


def test_redirect_to_a_private_address_is_refused(public_only, pages, monkeypatch):
    """The first hop goes to the test server (treated as public here, since no public server can
    be reached from a test); each redirect is re-checked and refused before connecting."""
    real = fetch.refusal
    monkeypatch.setattr(fetch, "refusal", lambda address: None if address == "127.0.0.1" else real(address))
    before = len(pages.hits)
    for path, address, kind in (("/to-private", "10.0.0.1", "private"),
                                ("/to-metadata", "169.254.169.254", "link-local"),
                                ("/to-ipv6-loopback", "::1", "loopback")):
        error = assert_json_error(score_url(public_only, pages.url + path), 403, "fetch_refused")
        assert address in error["message"] and kind in error["message"]
    assert pages.hits[before:] == ["/to-private", "/to-metadata", "/to-ipv6-loopback"]  # nothing after a refusal
    resp = score_url(public_only, f"{pages.url}/chain/1")  # redirects to public addresses are followed
    assert resp.status_code == 200, resp.text


@pytest.mark.parametrize("address,kind", [
    ("127.0.0.1", "loopback"), ("127.8.9.10", "loopback"), ("::1", "loopback"), ("::ffff:127.0.0.1", "loopback"),
    ("10.1.2.3", "private"), ("172.16.0.1", "private"), ("192.168.1.1", "private"), ("fd00::1", "private"),
    ("169.254.169.254", "link-local"), ("fe80::1", "link-local"), ("0.0.0.0", "unspecified"),
    ("224.0.0.1", "multicast"), ("100.64.0.1", "non-public"), ("93.184.216.34", None), ("2606:4700::1111", None),
])
def test_address_policy(address, kind):
    assert fetch.refusal(address) == kind
