"""The ASGI app: routes, request validation, and the one JSON error shape.

`POST /v1/score` returns the records of `framing score --format json` (document records, error
records for documents that can't be scored) in request order, under `schema_version`. Every
failure is an `ApiError` body with the right status: malformed input 422 naming the field, a cap
413 naming the limit, a slow request 504; an unexpected exception is a 500 with a one-line body
(the traceback goes to the server's log, never to the client), and the server lives on.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import time
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..pipeline import prepare
from ..readers import FeedItem
from ..records import SCHEMA_VERSION
from ..schema import format_schema
from ..version import __version__
from .batching import BatchQueue
from .errors import ApiError, too_large
from .fetch import fetch_page
from .limits import ServeLimits
from .page import CSP, PAGE_JS, docs_html, page_html

log = logging.getLogger("framing.serve")
SOURCE = "<api>"
OPEN_PATHS = frozenset({"/", "/page.js", "/healthz", "/docs", "/openapi.json"})  # no data in them: no token


class DocumentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=1, max_length=1000, description="Your id; records carry it as `id` and `doc`.")
    text: str | None = Field(None, description="Plain text (give `text` or `html`).")
    html: str | None = Field(None, description="An HTML page; its main text is extracted as `framing batch` does.")


class ScoreRequest(BaseModel):
    """Exactly one of `text`, `documents` or `url`."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"text": "The corrupt elites lied to us again!"},
        {"documents": [{"id": "a1", "text": "First article."}, {"id": "a2", "html": "<p>Second.</p>"}]},
        {"url": "https://example.org/article.html"}]})
    text: str | None = None
    documents: list[DocumentIn] | None = None
    url: str | None = Field(None, description="Fetched and extracted by the server; only with --allow-fetch.")


def response_schema() -> dict:
    """JSON Schema of a `POST /v1/score` answer; its documents are docs/schema/score-json records."""
    records = format_schema("score-json")
    return {"type": "object", "required": ["schema_version", "model_version", "documents"],
            "additionalProperties": False,
            "properties": {"schema_version": {"const": SCHEMA_VERSION},
                           "model_version": {"type": ["string", "null"]},
                           "documents": {"type": "array", "items": {"oneOf": records["oneOf"]}}},
            "$defs": records["$defs"]}


ERROR_SCHEMA = {"type": "object", "required": ["error"], "properties": {"error": {
    "type": "object", "required": ["code", "message"],
    "properties": {"code": {"type": "string"}, "message": {"type": "string"}, "field": {"type": "string"},
                   "limit": {"type": "string"}, "max": {"type": "number"}}}}}


def _error(status: int, text: str) -> dict:
    return {"description": text, "content": {"application/json": {"schema": ERROR_SCHEMA}}}


SCORE_RESPONSES = {
    200: {"description": "Records in request order, as `framing score --format json` writes them.",
          "content": {"application/json": {"schema": response_schema()}}},
    401: _error(401, "Missing or wrong bearer token (servers started with --token-file)."),
    403: _error(403, "URL fetching is off (--allow-fetch), or the URL or a redirect leads to a refused address."),
    413: _error(413, "A limit was exceeded; `error.limit` names it."),
    415: _error(415, "The body is not sent as application/json, or the fetched page is not HTML or plain text."),
    421: _error(421, "A server on loopback was addressed by another host name."),
    422: _error(422, "Malformed JSON or a wrong field; `error.field` names it."),
    502: _error(502, "The URL could not be fetched (no answer, an HTTP error, too many redirects)."),
    503: _error(503, "Too many sentences queued; retry later."),
    504: _error(504, "The request (or its fetch) took longer than its timeout."),
}


def create_app(clf, limits: ServeLimits | None = None, *, allow_fetch: bool = False, allow_private_fetch: bool = False,
               token: str | None = None, device: str | None = None, loopback_only: bool = False) -> Guards:
    """The app for one loaded `Classifier`, wrapped in the token and body-size guards (those
    run before any route or body parsing)."""
    limits = limits or ServeLimits()
    started = time.time()
    batcher = BatchQueue(clf, limits.batch_sentences, limits.batch_wait_ms, limits.max_queued_sentences)

    @asynccontextmanager
    async def lifespan(_app):
        yield
        batcher.close()  # the worker thread ends after the batch it is scoring

    app = FastAPI(title="framing", version=__version__, docs_url=None, redoc_url=None, lifespan=lifespan,
                  description="Persuasion techniques and geopolitical frames per sentence, with spans.")
    app.state.queue = batcher
    page = page_html(clf, allow_fetch, token is not None)
    _handlers(app)

    @app.get("/", include_in_schema=False)
    async def index() -> HTMLResponse:
        return HTMLResponse(page, headers={"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff"})

    @app.get("/page.js", include_in_schema=False)
    async def page_js() -> Response:
        return Response(PAGE_JS, media_type="text/javascript", headers={"X-Content-Type-Options": "nosniff"})

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return HTMLResponse(docs_html(app.openapi()), headers={"Content-Security-Policy": CSP})

    @app.get("/healthz", summary="Liveness and queue figures")
    async def healthz() -> dict:
        q = app.state.queue
        return {"status": "ok", "model_version": clf.manifest.get("version"), "uptime_s": round(time.time() - started, 1),
                "queued_sentences": q.queued_sentences, "requests_scored": q.requests, "model_calls": q.calls}

    @app.get("/v1/model", summary="The loaded model: labels, thresholds, model card")
    async def model() -> dict:
        return model_info(clf, device)

    @app.post("/v1/score", summary="Score text, documents, or a URL", responses=SCORE_RESPONSES,
              response_class=Response)
    async def score(request: ScoreRequest) -> Response:
        try:
            async with asyncio.timeout(limits.request_timeout_s):
                items = await _items(request, limits, allow_fetch, allow_private_fetch)
                prepared = await run_in_threadpool(lambda: [prepare(item) for item in items])
                n = sum(1 for p in prepared for s in p.sentences if s.skipped is None)
                if n > limits.max_sentences:
                    raise too_large("max_sentences", limits.max_sentences, f"the request's {n} sentences",
                                    limits.env_of("max_sentences"))
                records = await app.state.queue.score(prepared)
        except TimeoutError:
            raise ApiError(504, "timeout", f"the request took longer than request_timeout_s={limits.request_timeout_s:g}",
                           limit="request_timeout_s", max=limits.request_timeout_s) from None
        out = {"schema_version": SCHEMA_VERSION, "model_version": clf.manifest.get("version"), "documents": records}
        body = await run_in_threadpool(lambda: json.dumps(out, ensure_ascii=False).encode("utf-8"))
        return Response(body, media_type="application/json")

    return Guards(app, limits.max_body_bytes, token, loopback_only)


async def _items(request: ScoreRequest, limits: ServeLimits, allow_fetch: bool, allow_private: bool) -> list[FeedItem]:
    given = [name for name in ("text", "documents", "url") if getattr(request, name) is not None]
    if len(given) != 1:
        raise ApiError(422, "invalid_request", "give exactly one of text, documents or url"
                       + (f" (got {', '.join(given)})" if given else ""), field=given[-1] if given else "body")
    if request.url is not None:
        if not allow_fetch:
            raise ApiError(403, "fetch_disabled", "this server does not fetch URLs (start it with --allow-fetch); "
                           "send the page as documents[].html instead", field="url")
        page = await fetch_page(request.url, limits, allow_private)
        html = page.content_type != "text/plain"
        items = [FeedItem(id=request.url, source=page.url, url=page.url,
                          html=page.text if html else None, text=None if html else page.text)]
    elif request.text is not None:
        items = [FeedItem(id="text", source=SOURCE, text=request.text)]
    else:
        if len(request.documents) > limits.max_documents:
            raise too_large("max_documents", limits.max_documents, f"{len(request.documents)} documents",
                            limits.env_of("max_documents"))
        items = []
        for k, doc in enumerate(request.documents):
            if (doc.text is None) == (doc.html is None):
                raise ApiError(422, "invalid_request", "each document needs exactly one of text or html",
                               field=f"documents.{k}")
            items.append(FeedItem(id=doc.id, source=SOURCE, text=doc.text, html=doc.html))
    chars = sum(len(item.text or "") + len(item.html or "") for item in items)
    if chars > limits.max_chars:
        raise too_large("max_chars", limits.max_chars, f"{chars} characters", limits.env_of("max_chars"))
    # `prepare` treats an empty text as HTML to extract: keep the empty string as text so its
    # record says "empty text", as `framing score` does for an empty file
    for item in items:
        if item.text == "" and item.html is None:
            item.text = " "
    return items


def model_info(clf, device: str | None) -> dict:
    m = clf.manifest
    head = m.get("span_head")
    card = clf.path / "README.md"
    return {
        "version": m.get("version"), "model_type": m["model_type"], "labels": clf.labels, "outputs": clf.outputs,
        "thresholds": m["thresholds"], "any_technique": m.get("any_technique"), "max_length": m.get("max_length"),
        "taxonomy_version": m.get("taxonomy_version"), "data_fingerprint": m.get("data_fingerprint"),
        "created": m.get("created"), "versions": m.get("versions"),
        "metrics": {split: {k: v for k, v in (m.get("metrics", {}).get(split) or {}).items() if k != "sets"}
                    for split in ("dev", "test") if m.get("metrics", {}).get(split)},
        "span_head": {k: head.get(k) for k in ("outputs", "thresholds", "decoding", "metrics")} if head else None,
        "context": m.get("context"), "blend": m.get("blend"),
        "precision": clf.precision, "device": device, "schema_version": SCHEMA_VERSION, "framing_version": __version__,
        "model_card": card.read_text(encoding="utf-8") if card.is_file() else None,
    }


def _field(loc) -> str:
    parts = [str(p) for p in loc if p != "body"]
    return ".".join(parts) if parts else "body"


def _handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(exc.body(), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = []
        for e in exc.errors()[:20]:
            if e.get("type") == "json_invalid":
                errors.append({"field": "body", "message": f"malformed JSON: {e.get('ctx', {}).get('error', e['msg'])}"})
            else:
                field = _field(e.get("loc", ()))
                errors.append({"field": field, "message": f"{field}: {e['msg']}"})
        first = errors[0] if errors else {"field": "body", "message": "invalid request"}
        body = ApiError(422, "invalid_request", first["message"], field=first["field"]).body()
        body["error"]["errors"] = errors
        return JSONResponse(body, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:  # FastAPI's answer to a body it can't decode (not UTF-8): still the body's fault
            return JSONResponse(ApiError(422, "invalid_request", f"malformed body: {exc.detail} (send UTF-8 JSON)",
                                         field="body").body(), status_code=422)
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return JSONResponse({"error": {"code": code, "message": str(exc.detail)}}, status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def internal(_request: Request, exc: Exception) -> JSONResponse:
        log.error("internal error while answering a request", exc_info=exc)
        return JSONResponse({"error": {"code": "internal", "message": f"internal error ({type(exc).__name__}); "
                                       "the server log has the details"}}, status_code=500)


async def _answer(send, status: int, body: dict, headers: list | None = None) -> None:
    payload = json.dumps(body).encode("utf-8")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()),
                            *(headers or [])]})
    await send({"type": "http.response.body", "body": payload})


def _loopback_host(value: bytes) -> bool:
    host = value.decode("latin-1").rsplit("]", 1)[0].lstrip("[") if value.startswith(b"[") else \
        value.decode("latin-1").split(":")[0]
    return host in ("localhost", "::1") or host.startswith("127.")


class Guards:
    """Plain ASGI around the app, so all run before routing and body parsing: the Host header
    (on loopback: a loopback name, so a page whose domain was rebound to 127.0.0.1 can't read
    answers), the bearer token (compared in constant time), JSON bodies only (a browser sends
    text/plain or form posts cross-site without asking, JSON it may not), and the body-size cap
    (a declared length over it is refused unread; an undeclared one is counted as it arrives)."""

    def __init__(self, app: FastAPI, max_body_bytes: int, token: str | None, loopback_only: bool = False):
        self.app, self.max_body_bytes = app, max_body_bytes
        self.token = token.encode("utf-8") if token is not None else None
        self.loopback_only = loopback_only

    @property
    def state(self):
        return self.app.state

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        if self.loopback_only and not _loopback_host(headers.get(b"host", b"")):
            return await _answer(send, 421, {"error": {"code": "wrong_host", "message":
                                 "this server answers requests for localhost, 127.0.0.1 or [::1] only"}})
        if self.token is not None and scope.get("path") not in OPEN_PATHS:
            given = headers.get(b"authorization", b"")
            scheme, _, value = given.partition(b" ")
            if scheme.lower() != b"bearer" or not hmac.compare_digest(value.strip(), self.token):
                return await _answer(send, 401, {"error": {"code": "unauthorized", "message":
                                     "send the server's token as 'Authorization: Bearer <token>'"}},
                                     [(b"www-authenticate", b"Bearer")])
        if scope.get("method") == "POST":
            ctype = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
            if ctype != b"application/json" and not ctype.endswith(b"+json"):
                return await _answer(send, 415, {"error": {"code": "unsupported_media_type", "message":
                                     "send the body as JSON with 'Content-Type: application/json'"}})
        declared = headers.get(b"content-length", b"")
        over = too_large("max_body_bytes", self.max_body_bytes, "the request body", "FRAMING_SERVE_MAX_BODY_BYTES")
        if declared.isdigit() and int(declared) > self.max_body_bytes:
            return await _answer(send, 413, over.body(), [(b"connection", b"close")])
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > self.max_body_bytes:
                return await _answer(send, 413, over.body(), [(b"connection", b"close")])
            more = message.get("more_body", False)
        body, replayed = b"".join(chunks), False

        async def replay():
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return await self.app(scope, replay, send)
