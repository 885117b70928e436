"""One reader per input kind: a Source in, FeedItems out, one at a time (memory stays flat).

A record that can't be read becomes a FeedItem with `error` set, never an exception, so one
broken line never stops a run. Every reader enforces the size caps while it reads.
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import io
import json
import zlib
from collections.abc import Iterator

from ..limits import MAX_DOCUMENT_BYTES, MAX_FEED_BYTES
from ..textio import clean_text, decode_document, too_large
from .item import FeedItem
from .source import Source, SourceError

# What a cut or corrupt compressed stream raises part-way through reading it.
_STREAM_ERRORS = (EOFError, gzip.BadGzipFile, zlib.error)


def _field(obj: dict, key: str) -> str | None:
    value = obj.get(key)
    return clean_text(str(value)) if value not in (None, "") else None


def _from_mapping(obj: dict, fallback_id: str, source: str) -> FeedItem:
    item = FeedItem(id=_field(obj, "id") or fallback_id, source=source, url=_field(obj, "url"),
                    title=_field(obj, "title"))
    text, html = obj.get("text"), obj.get("html")
    if text is not None and not isinstance(text, str) or html is not None and not isinstance(html, str):
        item.error = "'text' and 'html' must be strings"
        return item
    text, html = clean_text(text or ""), clean_text(html or "")
    if not text.strip() and not html.strip():
        item.error = "empty record: no 'text' or 'html'"
    else:
        item.text, item.html = (text if text.strip() else None), (html or None)
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


def _truncated_tail(line: bytes) -> bool:
    try:
        json.loads(line)
    except (ValueError, UnicodeDecodeError):
        return True
    return False


def _cut(src: Source, after: int, exc: Exception) -> FeedItem:
    """The error record for a compressed input that ends early or is corrupt part-way."""
    return FeedItem(id=f"{src.name}:{after + 1}", source=src.origin,
                    error=f"compressed input is cut off or corrupt after record {after} ({type(exc).__name__}); "
                          "the records before it were read")


def read_jsonl(src: Source, limit: int | None = None) -> Iterator[FeedItem]:
    limit = limit or MAX_DOCUMENT_BYTES
    with src.open(decompress=True) as handle:
        line_no = 0
        while True:
            try:
                line, too_long = _read_line(handle, limit)
            except _STREAM_ERRORS as exc:
                yield _cut(src, line_no, exc)
                return
            line_no += 1
            where = f"{src.name}:{line_no}"
            if too_long:
                yield FeedItem(id=where, source=src.origin, error=f"record longer than {limit} bytes")
                continue
            if not line:
                return
            if not line.strip():
                continue
            if not line.endswith(b"\n") and _truncated_tail(line):
                yield FeedItem(id=where, source=src.origin, error="last line is cut off (no newline, not valid JSON)")
                return
            text, problem = decode_document(line, limit, boms=False)
            if problem:
                yield FeedItem(id=where, source=src.origin, error=problem)
                continue
            try:
                obj = json.loads(text)
            except json.JSONDecodeError as exc:
                yield FeedItem(id=where, source=src.origin, error=f"invalid JSON ({exc.msg} at column {exc.colno})")
                continue
            if not isinstance(obj, dict):
                yield FeedItem(id=where, source=src.origin, error="a JSONL line must be an object")
                continue
            yield _from_mapping(obj, where, src.origin)


def read_csv(src: Source) -> Iterator[FeedItem]:
    csv.field_size_limit(MAX_DOCUMENT_BYTES)
    with src.open(decompress=True) as raw:
        handle = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="strict", newline="")
        reader = csv.DictReader(handle)
        row_no = 1
        while True:
            row_no += 1
            where = f"{src.name}:{row_no}"
            try:
                row = next(reader)
            except StopIteration:
                return
            except UnicodeDecodeError as exc:
                yield FeedItem(id=where, source=src.origin, error=f"undecodable bytes ({exc.reason}); rest of file skipped")
                return
            except _STREAM_ERRORS as exc:
                yield _cut(src, row_no - 2, exc)
                return
            except csv.Error as exc:
                yield FeedItem(id=where, source=src.origin, error=f"bad CSV row: {exc}")
                continue
            yield _from_mapping({k: v for k, v in row.items() if k}, where, src.origin)


def _document(src: Source, html: bool) -> Iterator[FeedItem]:
    """A text or HTML file as one item, read with the document cap."""
    try:
        data = src.read_bounded(MAX_DOCUMENT_BYTES)
    except SourceError as exc:
        yield FeedItem(id=src.name, source=src.origin, error=str(exc))
        return
    text, problem = decode_document(data)
    if problem:
        yield FeedItem(id=src.name, source=src.origin, error=problem)
    elif html:
        yield FeedItem(id=src.name, source=src.origin, html=text)
    else:
        yield FeedItem(id=src.name, source=src.origin, text=text)


def read_text(src: Source) -> Iterator[FeedItem]:
    return _document(src, html=False)


def read_html(src: Source) -> Iterator[FeedItem]:
    return _document(src, html=True)


def read_feed(src: Source) -> Iterator[FeedItem]:
    import feedparser

    try:
        data = src.read_bounded(MAX_FEED_BYTES, what="feed", env="FRAMING_MAX_FEED_BYTES")
    except SourceError as exc:
        yield FeedItem(id=src.name, source=src.origin, error=str(exc))
        return
    try:
        parsed = feedparser.parse(data)
    except Exception as exc:  # a parser bug on hostile XML is one bad input, not a dead run
        yield FeedItem(id=src.name, source=src.origin, error=f"not a readable RSS/Atom feed ({type(exc).__name__})")
        return
    if parsed.bozo and not parsed.entries:
        yield FeedItem(id=src.name, source=src.origin, error=f"not a readable RSS/Atom feed ({parsed.bozo_exception})")
        return
    for n, entry in enumerate(parsed.entries, 1):
        body = entry.get("content", [{}])[0].get("value") if entry.get("content") else entry.get("summary")
        item = FeedItem(id=clean_text(str(entry.get("id") or entry.get("link") or f"{src.name}#{n}")),
                        source=src.origin, url=entry.get("link"), title=entry.get("title"),
                        html=clean_text(body) if body else None)
        if not (body or "").strip():
            item.error = "feed entry has no content or summary"
        yield item


def read_warc(src: Source) -> Iterator[FeedItem]:
    """HTML responses of a WARC file. A file cut off mid-record (a crawl killed while writing)
    yields its complete records, then one error record for the cut tail."""
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    n = 0
    quiet = io.StringIO()  # warcio writes its warnings straight to stderr; they become a record here
    name, origin = src.name, src.origin
    with src.open() as handle:  # warcio unwraps gzip members itself
        iterator = ArchiveIterator(handle)
        try:
            while True:
                with contextlib.redirect_stderr(quiet):
                    record = next(iterator, None)
                    if record is None:
                        break
                    n += 1
                    item = _warc_item(name, origin, n, record)
                if item is not None:
                    yield item
        except (ArchiveLoadFailed, *_STREAM_ERRORS, OSError) as exc:
            first = "not a readable WARC file" if n == 0 else f"WARC file is damaged after record {n}"
            yield FeedItem(id=f"{name}#{n + 1}", source=origin, error=f"{first} ({str(exc)[:200]})")
            return
        except Exception as exc:  # warcio raises arbitrary errors on malformed headers (found by fuzzing)
            yield FeedItem(id=f"{name}#{n + 1}", source=origin,
                           error=f"WARC file is damaged after record {n} ({type(exc).__name__} in the WARC parser)")
            return
        unread = src.size() - iterator.offset
    if n == 0 and src.size():
        yield FeedItem(id=name, source=origin, error="not a readable WARC file (no records found)")
    elif unread > 0:
        yield FeedItem(id=f"{name}#{n + 1}", source=origin,
                       error=f"WARC file is cut off after record {n} ({unread} bytes of an incomplete record)")
    elif iterator.err_count:
        yield FeedItem(id=f"{name}#warnings", source=origin,
                       error=f"{iterator.err_count} WARC record(s) have a wrong Content-Length; records next to them "
                             "may be mis-split")


def _warc_item(name: str, origin: str, n: int, record) -> FeedItem | None:
    cut = f"WARC record is cut off (file ends inside record {n})"
    if record.rec_type != "response":
        return None
    ctype = (record.http_headers.get_header("Content-Type") or "") if record.http_headers else ""
    if "html" not in ctype.lower():
        return None
    url = record.rec_headers.get_header("WARC-Target-URI")
    item_id = clean_text(url or record.rec_headers.get_header("WARC-Record-ID") or f"{name}#{n}")
    data = record.content_stream().read(MAX_DOCUMENT_BYTES + 1)
    if len(data) > MAX_DOCUMENT_BYTES:
        return FeedItem(id=item_id, source=origin, url=url, error=too_large(len(data), MAX_DOCUMENT_BYTES, stopped=True))
    if getattr(record.raw_stream, "limit", 0):  # bytes the record header promised but the file lacks
        return FeedItem(id=item_id, source=origin, url=url, error=cut)
    if not data.strip():
        return FeedItem(id=item_id, source=origin, url=url, error="empty response body")
    lowered = ctype.lower()
    charset = lowered.split("charset=")[-1].split(";")[0].strip().strip("\"'") if "charset=" in lowered else "utf-8"
    try:
        html = data.decode(charset)
    except (LookupError, UnicodeDecodeError):
        return FeedItem(id=item_id, source=origin, url=url, error=f"undecodable body (charset {charset[:40]})")
    return FeedItem(id=item_id, source=origin, url=url, html=clean_text(html))
