"""`framing serve`: the API through httpx against a real uvicorn on a loopback port; schemas,
every limit and error path (JSON body, right status, no traceback, server still up)."""

from __future__ import annotations

import json
import re
import time

import pytest
from typer.testing import CliRunner

from framing.cli import app as cli_app
from framing.records import SCHEMA_VERSION
from framing.serve.app import create_app
from framing.serve.limits import ServeLimits
from tests.serve_support import Flaky, LiveServer, assert_json_error, response_validator

httpx = pytest.importorskip("httpx")
pytest.importorskip("jsonschema")

TEXT = ("The corrupt traitors in Washington are destroying everything we love!\n"
        "The committee met on Tuesday to discuss the budget. Officials said the bridge would reopen in March.\n"
        "Why should anyone believe these so-called experts now?")
SMALL = ServeLimits(max_body_bytes=20_000, max_documents=3, max_chars=5_000, max_sentences=12,
                    max_queued_sentences=10_000, request_timeout_s=30)
TOKEN = "test-token-0123456789abcdef"


@pytest.fixture(scope="module")
def clf(tiny_span_dir):
    from framing.inference import Classifier

    return Classifier.load(tiny_span_dir, device="cpu")


@pytest.fixture(scope="module")
def start():
    """start(clf, **create_app options) -> a running LiveServer; all stopped after the module."""
    servers = []

    def _start(model, **options):
        server = LiveServer(create_app(model, **options)).start()
        servers.append(server)
        return server

    yield _start
    for server in servers:
        server.stop()


@pytest.fixture(scope="module")
def base(start, clf):
    return start(clf, limits=SMALL, loopback_only=True)


def post(server, body=None, content=None, headers=None, **kwargs):
    headers = {"Content-Type": "application/json", **(headers or {})}
    if body is not None:
        content = json.dumps(body)
    return httpx.post(f"{server.url}/v1/score", content=content, headers=headers, timeout=60, **kwargs)


def alive(server) -> None:
    resp = httpx.get(f"{server.url}/healthz", timeout=30)
    assert resp.status_code == 200 and resp.json()["status"] == "ok"


def idle(server) -> None:
    for _ in range(600):
        if httpx.get(f"{server.url}/healthz", timeout=30).json()["queued_sentences"] == 0:
            return
        time.sleep(0.05)
    raise AssertionError("the queue never drained")


def test_health_model_and_docs(base, clf):
    health = httpx.get(f"{base.url}/healthz").json()
    assert health["status"] == "ok" and health["model_version"] == clf.manifest.get("version")
    model = httpx.get(f"{base.url}/v1/model").json()
    assert model["labels"] == clf.labels and set(model["thresholds"]) == set(clf.labels)
    assert model["schema_version"] == SCHEMA_VERSION and model["model_type"] == "transformer"
    assert model["span_head"]["outputs"] and model["model_card"].startswith("---")
    spec = httpx.get(f"{base.url}/openapi.json").json()
    assert {"/v1/score", "/v1/model", "/healthz"} <= set(spec["paths"])
    assert {"413", "422", "504"} <= set(spec["paths"]["/v1/score"]["post"]["responses"])
    docs = httpx.get(f"{base.url}/docs")
    assert docs.status_code == 200 and "POST /v1/score" in docs.text
    assert not re.search(r"(src|href)=['\"]?(https?:)?//", docs.text), "no CDN: /docs works offline"


def test_text_gives_the_records_of_framing_score(base, tiny_span_dir, tmp_path):
    resp = post(base, {"text": TEXT})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    response_validator()(body)
    assert body["schema_version"] == SCHEMA_VERSION
    [doc] = body["documents"]
    assert doc["status"] == "scored" and doc["id"] == "text"
    (tmp_path / "article.txt").write_text(TEXT, encoding="utf-8")
    result = CliRunner().invoke(cli_app, ["score", str(tmp_path / "article.txt"), "--format", "json",
                                          "--model", str(tiny_span_dir), "--device", "cpu"])
    assert result.exit_code == 0, result.output
    cli = json.loads(result.stdout.splitlines()[0])
    strip = [{k: v for k, v in s.items() if k != "doc"} for s in cli["sentences"]]
    assert [{k: v for k, v in s.items() if k != "doc"} for s in doc["sentences"]] == strip
    for s in doc["sentences"]:
        assert TEXT[s["start"]:s["end"]] == s["text"]
        for span in s["spans"]:
            assert TEXT[span["start"]:span["end"]] == span["text"]
    assert any(s["spans"] for s in doc["sentences"]), "the tiny span head marks some words"


def test_documents_text_and_html_in_order_with_error_records(base):
    docs = [{"id": "b", "text": "Officials said the bridge would reopen in March."},
            {"id": "a", "html": "<html><body><article><p>The minister will travel to Paris next week.</p>"
                                "<p>Disgusting liars and crooks run the media circus.</p></article></body></html>"},
            {"id": "empty", "text": ""}]
    resp = post(base, {"documents": docs})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    response_validator()(body)
    assert [d["id"] for d in body["documents"]] == ["b", "a", "empty"]
    assert body["documents"][1]["status"] == "scored"
    assert "Paris" in " ".join(s["text"] for s in body["documents"][1]["sentences"])
    assert body["documents"][2]["status"] == "error" and body["documents"][2]["error"] == "empty text"


def test_lone_surrogates_and_nul_are_made_safe(base):
    resp = post(base, content=b'{"text": "Officials said \\ud800 the bridge\\u0000 would reopen."}')
    assert resp.status_code == 200, resp.text
    [doc] = resp.json()["documents"]
    assert doc["status"] == "scored" and "\ufffd" in doc["sentences"][0]["text"]


def test_skipped_boilerplate_lines_come_back_unscored(base):
    text = "Share this article on Facebook\nThe committee met on Tuesday to discuss the budget."
    [doc] = post(base, {"text": text}).json()["documents"]
    skipped = [s for s in doc["sentences"] if s["skipped"]]
    assert skipped and all(s["scores"] is None for s in skipped)


MALFORMED = [
    ("not json", b'{"text": ', "body"),
    ("not an object", b"[1, 2]", "body"),
    ("text not a string", b'{"text": 5}', "text"),
    ("unknown field", b'{"texts": "a"}', "texts"),
    ("nothing given", b"{}", "body"),
    ("two given", b'{"text": "a", "documents": []}', "documents"),
    ("document without id", b'{"documents": [{"text": "a"}]}', "documents.0.id"),
    ("document with empty id", b'{"documents": [{"id": "", "text": "a"}]}', "documents.0.id"),
    ("document with text and html", b'{"documents": [{"id": "x", "text": "a", "html": "b"}]}', "documents.0"),
    ("document with neither", b'{"documents": [{"id": "x"}, {"id": "y"}]}', "documents.0"),
    ("documents not a list", b'{"documents": {"id": "x"}}', "documents"),
    ("html not a string", b'{"documents": [{"id": "x", "html": ["a"]}]}', "documents.0.html"),
    ("invalid UTF-8", b'{"text": "\xff\xfe"}', "body"),
]


@pytest.mark.parametrize("name,content,field", MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_input_is_422_naming_the_field(base, name, content, field):
    assert_json_error(post(base, content=content), 422, "invalid_request", field=field)
    alive(base)


def test_other_protocol_errors(base):
    assert_json_error(post(base, content=b'{"text": "a"}', headers={"Content-Type": "text/plain"}), 415,
                      "unsupported_media_type")
    assert_json_error(httpx.get(f"{base.url}/v1/nothing"), 404, "not_found")
    assert_json_error(httpx.put(f"{base.url}/v1/score", json={"text": "a"}), 405, "method_not_allowed")
    assert_json_error(httpx.get(f"{base.url}/healthz", headers={"Host": "rebound.example"}), 421, "wrong_host")
    assert_json_error(post(base, {"url": "http://127.0.0.1:1/"}), 403, "fetch_disabled", field="url")
    alive(base)


def test_every_cap_is_413_naming_the_limit(base):
    cases = [
        ({"text": "word " * 5_000}, "max_body_bytes"),  # 25 KB of JSON > 20 KB
        ({"documents": [{"id": str(k), "text": "A sentence."} for k in range(4)]}, "max_documents"),
        ({"text": "Officials met. " * 400}, "max_chars"),  # 6,000 characters > 5,000
        ({"text": "Officials met again. " * 13}, "max_sentences"),  # 13 sentences > 12
    ]
    for body, limit in cases:
        error = assert_json_error(post(base, body), 413, "limit_exceeded", limit=limit)
        assert error["max"] == getattr(SMALL, limit)
    # a body without Content-Length (chunked) is counted as it arrives
    chunks = (b'{"text": "' + b"x" * 5_000 if k == 0 else b"y" * 5_000 for k in range(6))
    assert_json_error(post(base, content=chunks), 413, "limit_exceeded", limit="max_body_bytes")
    alive(base)


def test_queue_cap_is_503(start, clf):
    server = start(clf, limits=ServeLimits(max_queued_sentences=2))
    assert post(server, {"text": "One sentence here."}).status_code == 200
    assert_json_error(post(server, {"text": "One. Two. Three."}), 503, "busy", limit="max_queued_sentences")
    alive(server)


def test_request_timeout_is_504_and_the_server_lives_on(start, clf):
    slow = Flaky(clf, delay=2.0)
    server = start(slow, limits=ServeLimits(request_timeout_s=0.3))
    assert_json_error(post(server, {"text": "The minister will travel to Paris."}), 504, "timeout",
                      limit="request_timeout_s")
    slow.delay = 0.0
    idle(server)  # the model call of the timed-out request still finishes first
    assert post(server, {"text": "The minister will travel to Paris."}).status_code == 200


def test_internal_error_is_500_without_traceback_and_the_server_lives_on(start, clf):
    flaky = Flaky(clf)
    server = start(flaky)
    flaky.fail_next = True
    error = assert_json_error(post(server, {"text": "The minister will travel to Paris."}), 500, "internal")
    assert "exploded" not in error["message"]  # the exception's text stays in the server log
    resp = post(server, {"text": "The minister will travel to Paris."})
    assert resp.status_code == 200 and resp.json()["documents"][0]["status"] == "scored"


def test_bearer_token(start, clf):
    server = start(clf, token=TOKEN)
    for headers in ({}, {"Authorization": "Bearer wrong-token"}, {"Authorization": TOKEN},
                    {"Authorization": f"Basic {TOKEN}"}):
        resp = post(server, {"text": "A sentence."}, headers=headers)
        assert_json_error(resp, 401, "unauthorized")
        assert resp.headers["www-authenticate"] == "Bearer"
    assert_json_error(httpx.get(f"{server.url}/v1/model"), 401, "unauthorized")
    assert post(server, {"text": "A sentence."}, headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    assert httpx.get(f"{server.url}/v1/model", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    alive(server)  # /healthz, the page and /docs hold no data: open
    assert httpx.get(f"{server.url}/").status_code == 200
