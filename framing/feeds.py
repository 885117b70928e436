"""Readers for crawled input: JSONL, CSV, folders of .txt/.html, RSS/Atom, WARC.

Every reader yields `FeedItem`s one at a time (memory stays flat however large the input). A
record that can't be read becomes a FeedItem with `error` set, never an exception, so one broken
line never stops a run.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

MAX_RECORD_BYTES = 10 * 1024 * 1024  # longer JSONL lines/records become error records
JSONL_SUFFIXES = {".jsonl", ".ndjson", ".json"}
FEED_SUFFIXES = {".rss", ".atom", ".xml"}
TEXT_SUFFIXES = {".txt", ".text"}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}


@dataclass
class FeedItem:
    id: str
    source: str
    url: str | None = None
    title: str | None = None
    text: str | None = None
    html: str | None = None
    error: str | None = None


def _decode(data: bytes, where: str) -> tuple[str | None, str | None]:
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        return None, f"undecodable bytes at offset {exc.start} in {where} (expected UTF-8)"


def _from_mapping(obj: dict, fallback_id: str, source: str) -> FeedItem:
    item_id = obj.get("id")
    item = FeedItem(id=str(item_id) if item_id not in (None, "") else fallback_id, source=source,
                    url=obj.get("url") or None, title=obj.get("title") or None)
    text, html = obj.get("text"), obj.get("html")
    if text is not None and not isinstance(text, str) or html is not None and not isinstance(html, str):
        item.error = "'text' and 'html' must be strings"
    elif not (text or "").strip() and not (html or "").strip():
        item.error = "empty record: no 'text' or 'html'"
    else:
        item.text, item.html = (text if (text or "").strip() else None), (html or None)
    return item


def _read_line(handle, limit: int) -> tuple[bytes, bool]:
    """One line of at most `limit` bytes; an over-long line is consumed in chunks, not held."""
    line = handle.readline(limit + 1)
    if len(line) <= limit or line.endswith(b"\n"):
        return line, False
    while True:  # discard the rest of the over-long line
        chunk = handle.readline(1 << 20)
        if not chunk or chunk.endswith(b"\n"):
            return b"", True


def iter_jsonl(path: Path, limit: int | None = None) -> Iterator[FeedItem]:
    limit = limit or MAX_RECORD_BYTES
    with open(path, "rb") as handle:
        line_no = 0
        while True:
            line, too_long = _read_line(handle, limit)
            line_no += 1
            where = f"{path.name}:{line_no}"
            if too_long:
                yield FeedItem(id=where, source=str(path), error=f"record longer than {limit} bytes")
                continue
            if not line:
                return
            if not line.strip():
                continue
            text, problem = _decode(line, where)
            if problem:
                yield FeedItem(id=where, source=str(path), error=problem)
                continue
            try:
                obj = json.loads(text)
            except json.JSONDecodeError as exc:
                yield FeedItem(id=where, source=str(path), error=f"invalid JSON ({exc.msg} at column {exc.colno})")
                continue
            if not isinstance(obj, dict):
                yield FeedItem(id=where, source=str(path), error="a JSONL line must be an object")
                continue
            yield _from_mapping(obj, where, str(path))


def iter_csv(path: Path) -> Iterator[FeedItem]:
    csv.field_size_limit(MAX_RECORD_BYTES)
    with open(path, "rb") as raw:
        handle = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="strict", newline="")
        reader = csv.DictReader(handle)
        row_no = 1
        while True:
            row_no += 1
            where = f"{path.name}:{row_no}"
            try:
                row = next(reader)
            except StopIteration:
                return
            except UnicodeDecodeError as exc:
                yield FeedItem(id=where, source=str(path), error=f"undecodable bytes ({exc.reason}); rest of file skipped")
                return
            except csv.Error as exc:
                yield FeedItem(id=where, source=str(path), error=f"bad CSV row: {exc}")
                continue
            yield _from_mapping({k: v for k, v in row.items() if k}, where, str(path))


def read_file_item(file: Path, item_id: str) -> FeedItem:
    """A .txt or .html file as one item (text or html set, or error)."""
    try:
        data = file.read_bytes()
    except OSError as exc:
        return FeedItem(id=item_id, source=str(file), error=f"can't read: {exc.strerror or exc}")
    if len(data) > MAX_RECORD_BYTES:
        return FeedItem(id=item_id, source=str(file), error=f"file larger than {MAX_RECORD_BYTES} bytes")
    text, problem = _decode(data, item_id)
    if problem:
        return FeedItem(id=item_id, source=str(file), error=problem)
    if not text.strip():
        return FeedItem(id=item_id, source=str(file), error="empty file")
    if file.suffix.lower() in HTML_SUFFIXES:
        return FeedItem(id=item_id, source=str(file), html=text)
    return FeedItem(id=item_id, source=str(file), text=text)


def iter_folder(path: Path) -> Iterator[FeedItem]:
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        if file.suffix.lower() in TEXT_SUFFIXES | HTML_SUFFIXES:
            yield read_file_item(file, str(file.relative_to(path)))


def iter_feed(path: Path) -> Iterator[FeedItem]:
    import feedparser

    parsed = feedparser.parse(str(path))
    if parsed.bozo and not parsed.entries:
        yield FeedItem(id=path.name, source=str(path), error=f"not a readable RSS/Atom feed ({parsed.bozo_exception})")
        return
    for n, entry in enumerate(parsed.entries, 1):
        body = entry.get("content", [{}])[0].get("value") if entry.get("content") else entry.get("summary")
        item = FeedItem(id=str(entry.get("id") or entry.get("link") or f"{path.name}#{n}"), source=str(path),
                        url=entry.get("link"), title=entry.get("title"), html=body or None)
        if not (body or "").strip():
            item.error = "feed entry has no content or summary"
        yield item


def iter_warc(path: Path) -> Iterator[FeedItem]:
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    n = 0
    with open(path, "rb") as handle:
        try:
            for n, record in enumerate(ArchiveIterator(handle), 1):
                if record.rec_type != "response":
                    continue
                ctype = (record.http_headers.get_header("Content-Type") or "") if record.http_headers else ""
                if "html" not in ctype.lower():
                    continue
                url = record.rec_headers.get_header("WARC-Target-URI")
                item_id = url or record.rec_headers.get_header("WARC-Record-ID") or f"{path.name}#{n}"
                data = record.content_stream().read(MAX_RECORD_BYTES + 1)
                if len(data) > MAX_RECORD_BYTES:
                    yield FeedItem(id=item_id, source=str(path), url=url, error="response body too large")
                    continue
                charset = ctype.lower().split("charset=")[-1].split(";")[0].strip() if "charset=" in ctype.lower() else "utf-8"
                try:
                    html = data.decode(charset)
                except (LookupError, UnicodeDecodeError):
                    yield FeedItem(id=item_id, source=str(path), url=url, error=f"undecodable body (charset {charset})")
                    continue
                yield FeedItem(id=item_id, source=str(path), url=url, html=html)
        except (ArchiveLoadFailed, EOFError, OSError) as exc:
            yield FeedItem(id=path.name, source=str(path), error=f"not a readable WARC file ({exc})")
            return
    if n == 0 and path.stat().st_size:
        yield FeedItem(id=path.name, source=str(path), error="not a readable WARC file (no records found)")


def iter_inputs(paths: list[str | Path]) -> Iterator[FeedItem]:
    """Items of every input, in order; unknown or missing inputs become error items."""
    for raw in paths:
        path = Path(raw)
        name = path.name.lower()
        if path.is_dir():
            yield from iter_folder(path)
        elif not path.exists():
            yield FeedItem(id=str(path), source=str(path), error="no such file or directory")
        elif name.endswith((".warc", ".warc.gz")):
            yield from iter_warc(path)
        elif path.suffix.lower() in JSONL_SUFFIXES:
            yield from iter_jsonl(path)
        elif path.suffix.lower() == ".csv":
            yield from iter_csv(path)
        elif path.suffix.lower() in FEED_SUFFIXES:
            yield from iter_feed(path)
        elif path.suffix.lower() in TEXT_SUFFIXES | HTML_SUFFIXES:
            yield read_file_item(path, path.name)
        else:
            yield FeedItem(id=str(path), source=str(path), error="unknown input type (expected .jsonl, .csv, .rss/.atom/"
                                                                  ".xml, .warc[.gz], .txt, .html or a folder)")
