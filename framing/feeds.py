"""Readers for crawled input: JSONL, CSV, folders of .txt/.html, RSS/Atom, WARC.

Every reader yields `FeedItem`s one at a time (memory stays flat however large the input). A
record that can't be read becomes a FeedItem with `error` set, never an exception, so one broken
line never stops a run.
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import io
import json
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .limits import MAX_DOCUMENT_BYTES as MAX_RECORD_BYTES  # longer records become error records
from .textio import clean_text, decode_document, read_document, too_large

# What a cut or corrupt compressed stream raises part-way through reading it.
_STREAM_ERRORS = (EOFError, gzip.BadGzipFile, zlib.error)
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


def _open(path: Path):
    """Binary handle; .gz inputs are decompressed as they stream."""
    return gzip.open(path, "rb") if path.name.lower().endswith(".gz") else open(path, "rb")


def _stem_suffix(path: Path) -> str:
    """.jsonl for x.jsonl and x.jsonl.gz alike."""
    name = path.name.lower()
    return Path(name[:-3]).suffix if name.endswith(".gz") else path.suffix.lower()


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


def iter_jsonl(path: Path, limit: int | None = None) -> Iterator[FeedItem]:
    limit = limit or MAX_RECORD_BYTES
    with _open(path) as handle:
        line_no = 0
        while True:
            try:
                line, too_long = _read_line(handle, limit)
            except _STREAM_ERRORS as exc:
                yield _cut(path, line_no, exc)
                return
            line_no += 1
            where = f"{path.name}:{line_no}"
            if too_long:
                yield FeedItem(id=where, source=str(path), error=f"record longer than {limit} bytes")
                continue
            if not line:
                return
            if not line.strip():
                continue
            if not line.endswith(b"\n") and _truncated_tail(line):
                yield FeedItem(id=where, source=str(path), error="last line is cut off (no newline, not valid JSON)")
                return
            text, problem = decode_document(line, limit, boms=False)
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


def _truncated_tail(line: bytes) -> bool:
    try:
        json.loads(line)
    except (ValueError, UnicodeDecodeError):
        return True
    return False


def _cut(path: Path, after: int, exc: Exception) -> FeedItem:
    """The error record for a compressed input that ends early or is corrupt part-way."""
    return FeedItem(id=f"{path.name}:{after + 1}", source=str(path),
                    error=f"compressed input is cut off or corrupt after record {after} ({type(exc).__name__}); "
                          "the records before it were read")


def iter_csv(path: Path) -> Iterator[FeedItem]:
    csv.field_size_limit(MAX_RECORD_BYTES)
    with _open(path) as raw:
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
            except _STREAM_ERRORS as exc:
                yield _cut(path, row_no - 2, exc)
                return
            except csv.Error as exc:
                yield FeedItem(id=where, source=str(path), error=f"bad CSV row: {exc}")
                continue
            yield _from_mapping({k: v for k, v in row.items() if k}, where, str(path))


def read_file_item(file: Path, item_id: str) -> FeedItem:
    """A .txt or .html file as one item (text or html set, or error)."""
    text, problem = read_document(file, MAX_RECORD_BYTES)
    if problem:
        return FeedItem(id=item_id, source=str(file), error=problem)
    if file.suffix.lower() in HTML_SUFFIXES:
        return FeedItem(id=item_id, source=str(file), html=text)
    return FeedItem(id=item_id, source=str(file), text=text)


def iter_feed(path: Path) -> Iterator[FeedItem]:
    import feedparser

    try:
        parsed = feedparser.parse(str(path))
    except Exception as exc:  # a parser bug on hostile XML is one bad input, not a dead run
        yield FeedItem(id=path.name, source=str(path), error=f"not a readable RSS/Atom feed ({type(exc).__name__})")
        return
    if parsed.bozo and not parsed.entries:
        yield FeedItem(id=path.name, source=str(path), error=f"not a readable RSS/Atom feed ({parsed.bozo_exception})")
        return
    for n, entry in enumerate(parsed.entries, 1):
        body = entry.get("content", [{}])[0].get("value") if entry.get("content") else entry.get("summary")
        item = FeedItem(id=clean_text(str(entry.get("id") or entry.get("link") or f"{path.name}#{n}")),
                        source=str(path), url=entry.get("link"), title=entry.get("title"),
                        html=clean_text(body) if body else None)
        if not (body or "").strip():
            item.error = "feed entry has no content or summary"
        yield item


def iter_warc(path: Path) -> Iterator[FeedItem]:
    """HTML responses of a WARC file. A file cut off mid-record (a crawl killed while writing)
    yields its complete records, then one error record for the cut tail."""
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    n = 0
    quiet = io.StringIO()  # warcio writes its warnings straight to stderr; they become a record here
    with open(path, "rb") as handle:
        iterator = ArchiveIterator(handle)
        try:
            while True:
                with contextlib.redirect_stderr(quiet):
                    record = next(iterator, None)
                    if record is None:
                        break
                    n += 1
                    item = _warc_item(path, n, record)
                if item is not None:
                    yield item
        except (ArchiveLoadFailed, *_STREAM_ERRORS, OSError) as exc:
            first = "not a readable WARC file" if n == 0 else f"WARC file is damaged after record {n}"
            yield FeedItem(id=f"{path.name}#{n + 1}", source=str(path), error=f"{first} ({str(exc)[:200]})")
            return
        except Exception as exc:  # warcio raises arbitrary errors on malformed headers (found by fuzzing)
            yield FeedItem(id=f"{path.name}#{n + 1}", source=str(path),
                           error=f"WARC file is damaged after record {n} ({type(exc).__name__} in the WARC parser)")
            return
        unread = path.stat().st_size - iterator.offset
    if n == 0 and path.stat().st_size:
        yield FeedItem(id=path.name, source=str(path), error="not a readable WARC file (no records found)")
    elif unread > 0:
        yield FeedItem(id=f"{path.name}#{n + 1}", source=str(path),
                       error=f"WARC file is cut off after record {n} ({unread} bytes of an incomplete record)")
    elif iterator.err_count:
        yield FeedItem(id=f"{path.name}#warnings", source=str(path),
                       error=f"{iterator.err_count} WARC record(s) have a wrong Content-Length; records next to them "
                             "may be mis-split")


def _warc_item(path: Path, n: int, record) -> FeedItem | None:
    cut = f"WARC record is cut off (file ends inside record {n})"
    if record.rec_type != "response":
        return None
    ctype = (record.http_headers.get_header("Content-Type") or "") if record.http_headers else ""
    if "html" not in ctype.lower():
        return None
    url = record.rec_headers.get_header("WARC-Target-URI")
    item_id = clean_text(url or record.rec_headers.get_header("WARC-Record-ID") or f"{path.name}#{n}")
    data = record.content_stream().read(MAX_RECORD_BYTES + 1)
    if len(data) > MAX_RECORD_BYTES:
        return FeedItem(id=item_id, source=str(path), url=url, error=too_large(len(data), MAX_RECORD_BYTES))
    if getattr(record.raw_stream, "limit", 0):  # bytes the record header promised but the file lacks
        return FeedItem(id=item_id, source=str(path), url=url, error=cut)
    if not data.strip():
        return FeedItem(id=item_id, source=str(path), url=url, error="empty response body")
    lowered = ctype.lower()
    charset = lowered.split("charset=")[-1].split(";")[0].strip().strip("\"'") if "charset=" in lowered else "utf-8"
    try:
        html = data.decode(charset)
    except (LookupError, UnicodeDecodeError):
        return FeedItem(id=item_id, source=str(path), url=url, error=f"undecodable body (charset {charset[:40]})")
    return FeedItem(id=item_id, source=str(path), url=url, html=clean_text(html))


@dataclass(frozen=True)
class Unit:
    """One thing to read: a file (read by the reader its name selects), one file of a folder
    (id = its path inside the folder), or an input that can't be read at all (error)."""

    path: str
    item_id: str | None = None  # set for a folder's file
    error: str | None = None


def expand_inputs(paths: list[str | Path]) -> list[Unit]:
    """The read units of the inputs, in order (folders listed, nothing read yet). The local and
    the Ray engine both read exactly these units with `read_unit`."""
    units = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for file in sorted(p for p in path.rglob("*") if p.is_file()):
                if file.suffix.lower() in TEXT_SUFFIXES | HTML_SUFFIXES:
                    units.append(Unit(str(file), item_id=str(file.relative_to(path))))
        elif not path.exists():
            units.append(Unit(str(path), error="no such file or directory"))
        else:
            units.append(Unit(str(path)))
    return units


def read_unit(unit: Unit) -> Iterator[FeedItem]:
    path = Path(unit.path)
    name = path.name.lower()
    if unit.error:
        yield FeedItem(id=unit.path, source=unit.path, error=unit.error)
    elif unit.item_id is not None:
        yield read_file_item(path, unit.item_id)
    elif name.endswith((".warc", ".warc.gz")):
        yield from iter_warc(path)
    elif _stem_suffix(path) in JSONL_SUFFIXES:
        yield from iter_jsonl(path)
    elif _stem_suffix(path) == ".csv":
        yield from iter_csv(path)
    elif path.suffix.lower() in FEED_SUFFIXES:
        yield from iter_feed(path)
    elif path.suffix.lower() in TEXT_SUFFIXES | HTML_SUFFIXES:
        yield read_file_item(path, path.name)
    else:
        yield FeedItem(id=str(path), source=str(path), error="unknown input type (expected .jsonl[.gz], .csv[.gz], "
                                                              ".rss/.atom/.xml, .warc[.gz], .txt, .html or a folder)")


def iter_inputs(paths: list[str | Path]) -> Iterator[FeedItem]:
    """Items of every input, in order; unknown or missing inputs become error items."""
    for unit in expand_inputs(paths):
        yield from read_unit(unit)
