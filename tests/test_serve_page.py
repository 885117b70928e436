"""The page at `/`: the report's look and colours, nothing from a CDN, article text never
becomes markup (checked in headless Chromium when it is installed)."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import urllib.parse

import pytest

from framing.report import CSS, colors
from framing.serve.app import create_app
from framing.serve.page import PAGE_JS
from tests.serve_support import LiveServer

httpx = pytest.importorskip("httpx")
HOSTILE = "Officials said <img src=x onerror=alert(1)> the corrupt traitors lied</span><script>alert(2)</script> again!"


@pytest.fixture(scope="module")
def server(tiny_span_dir):
    from framing.inference import Classifier

    live = LiveServer(create_app(Classifier.load(tiny_span_dir, device="cpu"))).start()
    yield live
    live.stop()


def test_page_is_self_contained_with_the_report_look(server, tiny_span_dir):
    from framing.inference import Classifier

    resp = httpx.get(server.url)
    assert resp.status_code == 200
    html = resp.text
    assert "script-src 'self'" in resp.headers["content-security-policy"]
    assert CSS.strip() in html  # the stylesheet of `framing report articles`
    assert not re.search(r"(src|href)=['\"]?(https?:)?//", html), "no CDN: the page works offline"
    labels = Classifier.load(tiny_span_dir, device="cpu").labels
    palette = colors([x for x in __import__("framing.taxonomy", fromlist=["x"]).load_taxonomy().ids if x in labels])
    for label, colour in palette.items():
        assert f"background:{colour}55'>{label}</span>" in html  # the legend, in the report's colours
    js = httpx.get(f"{server.url}/page.js")
    assert js.status_code == 200 and js.headers["content-type"].startswith("text/javascript")
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in PAGE_JS  # text goes into the page only as textContent / text nodes


@pytest.mark.skipif(not shutil.which("chromium"), reason="headless Chromium not installed")
def test_scored_text_is_rendered_escaped_in_a_browser(server):
    text = HOSTILE + "\nShare this article on Facebook\nThe minister will travel to Paris next week."
    with tempfile.TemporaryDirectory() as profile:
        dom = subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                              "--disable-background-networking", f"--user-data-dir={profile}",
                              "--virtual-time-budget=20000", "--dump-dom",
                              f"{server.url}/#text={urllib.parse.quote(text)}"],
                             capture_output=True, text=True, timeout=120).stdout
    assert 'data-scored="yes"' in dom, dom[-2000:]
    results = dom[dom.index('id="results"'):dom.index('<script type="application/json"')]
    assert "<img" not in results and "<script" not in results
    words = re.sub(r"<[^>]+>", "", results)  # the text as shown (spans split it into marks)
    assert "&lt;img src=x onerror=alert(1)&gt;" in words and "&lt;/span&gt;&lt;script&gt;alert(2)&lt;/script&gt;" in words
    assert 'class="sent skipped"' in results  # the boilerplate line, greyed
    assert results.count('class="sent"') >= 2
