"""The one registry of input kinds, used by `framing score`, `framing batch` and the Ray engine.

A kind is chosen by the file's suffix, else by sniffing its first bytes (standard input, pipes,
files without a known suffix). Adding an input kind is one reader function in `formats.py` and
one line in `KINDS`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ..textio import binary_reason
from . import formats
from .item import FeedItem
from .source import STDIN, Source, SourceError, open_source

_GZIP_MAGIC = b"\x1f\x8b"


def _sniff_warc(head: bytes) -> bool:
    return head.startswith(b"WARC/")


def _sniff_jsonl(head: bytes) -> bool:
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{")


_FEED_ROOT = re.compile(rb"<(rss|feed|rdf:RDF)\b", re.IGNORECASE)
_HTML_ROOT = re.compile(rb"<(!doctype\s+html|html|head|body)\b", re.IGNORECASE)


def _sniff_feed(head: bytes) -> bool:
    return bool(_FEED_ROOT.search(head[:2048]))


def _sniff_html(head: bytes) -> bool:
    return bool(_HTML_ROOT.search(head[:2048]))


def _sniff_text(head: bytes) -> bool:
    if binary_reason(head):
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:  # a multi-byte character cut by the sniff window is fine
        return exc.start >= len(head) - 3
    return True


@dataclass(frozen=True)
class Kind:
    name: str
    suffixes: tuple[str, ...]  # matched against the end of the lower-case file name
    sniff: Callable[[bytes], bool] | None  # None: recognised by suffix only (CSV has no signature)
    read: Callable[[Source], Iterator[FeedItem]]


# Sniffing tries the kinds in this order: the most specific signature first, plain text last.
KINDS: tuple[Kind, ...] = (
    Kind("warc", (".warc", ".warc.gz"), _sniff_warc, formats.read_warc),
    Kind("jsonl", (".jsonl", ".ndjson", ".json", ".jsonl.gz", ".ndjson.gz", ".json.gz"), _sniff_jsonl, formats.read_jsonl),
    Kind("csv", (".csv", ".csv.gz"), None, formats.read_csv),
    Kind("feed", (".rss", ".atom", ".xml"), _sniff_feed, formats.read_feed),
    Kind("html", (".html", ".htm", ".xhtml"), _sniff_html, formats.read_html),
    Kind("text", (".txt", ".text", ".md"), _sniff_text, formats.read_text),
)


def accepted_kinds() -> str:
    """The accepted kinds, as error records name them."""
    def listed(kind: Kind) -> str:
        plain = [s for s in kind.suffixes if not s.endswith(".gz")]
        return f"{kind.name} ({', '.join(plain)}{', also .gz' if len(plain) < len(kind.suffixes) else ''})"

    return "; ".join(listed(k) for k in KINDS)


def kind_of(src: Source) -> Kind | None:
    name = src.suffix_name
    for kind in KINDS:
        if name.endswith(kind.suffixes):
            return kind
    head = src.head()
    if head.startswith(_GZIP_MAGIC):
        import gzip
        import zlib

        try:
            head = gzip.GzipFile(fileobj=src.open(), mode="rb").read(8192)
        except (OSError, EOFError, zlib.error):
            return None
        return next((k for k in KINDS if k.name in ("warc", "jsonl") and k.sniff(head)), None)
    return next((k for k in KINDS if k.sniff is not None and k.sniff(head)), None)


@dataclass(frozen=True)
class Unit:
    """One thing to read: a file or standard input (read by the reader its kind selects), or an
    input that can't be read at all (`error`). `name` is the base of its items' ids: the file
    name of a file given as input, the path inside the folder for a folder's file. Both engines
    read exactly these units."""

    path: str
    name: str
    error: str | None = None


def _folder_files(folder: Path) -> list[Path]:
    """Every file under the folder, recursively, in a stable (sorted) order. Hidden files and
    folders (.git, .DS_Store) are not inputs; everything else is, so an unreadable or unknown
    file becomes an error record instead of vanishing."""
    return sorted(p for p in folder.rglob("*")
                  if not p.is_dir() and not any(part.startswith(".") for part in p.relative_to(folder).parts))


def expand_inputs(paths: list[str | Path]) -> list[Unit]:
    """The read units of the inputs, in argument order (folders listed, nothing read yet)."""
    units = []
    for raw in paths:
        path = Path(raw)
        if str(raw) != STDIN and path.is_dir():
            files = _folder_files(path)
            units.extend(Unit(str(file), file.relative_to(path).as_posix()) for file in files)
            if not files:
                units.append(Unit(str(path), str(path), error="empty folder: no files to read"))
        elif str(raw) == STDIN:
            units.append(Unit(STDIN, "<stdin>"))
        elif not path.exists() and not path.is_symlink():
            units.append(Unit(str(path), str(path), error="no such file or directory"))
        else:
            units.append(Unit(str(path), path.name))
    return units


def read_unit(unit: Unit) -> Iterator[FeedItem]:
    """The items of one unit; anything wrong with it becomes one error item."""
    origin = "<stdin>" if unit.path == STDIN else unit.path
    if unit.error:
        yield FeedItem(id=unit.name, source=origin, error=unit.error)
        return
    try:
        src = open_source(unit.path, unit.name)
    except SourceError as exc:
        yield FeedItem(id=unit.name, source=origin, error=str(exc))
        return
    kind = kind_of(src)
    if kind is None:
        yield FeedItem(id=src.name, source=src.origin, error=f"unknown input kind; accepted: {accepted_kinds()}")
        return
    yield from kind.read(src)


def iter_items(paths: list[str | Path]) -> Iterator[FeedItem]:
    """Items of every input, in order; unknown or missing inputs become error items."""
    for unit in expand_inputs(paths):
        yield from read_unit(unit)
