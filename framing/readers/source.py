"""Opening an input with its size caps enforced while reading, whatever the path is.

A regular file is streamed from disk. Anything else (standard input, a character device such as
/dev/zero, a pipe from `<(curl ...)`, a named pipe) is read through one bounded reader into
memory: at most the document cap plus one byte, so an endless stream ends with an error naming
the cap. A named pipe with no writer would block `open()` forever; it is opened non-blocking and
refused when no data arrives within FRAMING_PIPE_WAIT_S seconds.
"""

from __future__ import annotations

import gzip
import io
import os
import select
import stat
import sys
from dataclasses import dataclass
from pathlib import Path

from ..limits import MAX_DOCUMENT_BYTES, PIPE_WAIT_S
from ..textio import too_large

STDIN = "-"
_SNIFF_BYTES = 8192


class SourceError(Exception):
    """An input that can't be opened or read at all; its message is the error record's reason."""


@dataclass
class Source:
    """An opened input: `name` is the base of its items' ids (the file name, or the path inside
    a folder given as input, or <stdin>), `origin` the path as given (the records' `source`),
    `path` the file on disk (None for standard input), `data` the bytes of a non-regular input,
    read once with the cap."""

    name: str
    origin: str
    path: Path | None = None
    data: bytes | None = None

    @property
    def suffix_name(self) -> str:
        """The lower-case file name the registry matches suffixes against ("" for stdin)."""
        return self.path.name.lower() if self.path is not None else ""

    def open(self, decompress: bool = False):
        """A binary handle from the start; `decompress` unwraps gzip (by suffix or magic bytes)."""
        raw = io.BytesIO(self.data) if self.data is not None else open(self.path, "rb")
        if decompress and (self.suffix_name.endswith(".gz") or self.head(2) == b"\x1f\x8b"):
            return gzip.GzipFile(fileobj=raw, mode="rb")
        return raw

    def head(self, n: int = _SNIFF_BYTES) -> bytes:
        if self.data is not None:
            return self.data[:n]
        with open(self.path, "rb") as handle:
            return handle.read(n)

    def read_bounded(self, limit: int | None = None, what: str = "document", env: str = "FRAMING_MAX_DOC_BYTES") -> bytes:
        """The whole input as bytes, refused (SourceError) past `limit`: read, not stat'ed."""
        limit = limit or MAX_DOCUMENT_BYTES
        if self.data is not None:
            data = self.data
        else:
            with open(self.path, "rb") as handle:
                data = handle.read(limit + 1)
        if len(data) > limit:
            raise SourceError(too_large(len(data), limit, stopped=True, what=what, env=env))
        return data

    def size(self) -> int:
        return len(self.data) if self.data is not None else self.path.stat().st_size


def open_source(raw: str | Path, name: str | None = None, limit: int | None = None) -> Source:
    """The input named on the command line (or a folder's file, `name` being its path inside
    the folder); SourceError if it can't be read at all."""
    limit = limit or MAX_DOCUMENT_BYTES
    if str(raw) == STDIN:
        return Source("<stdin>", "<stdin>", data=_read_capped(sys.stdin.buffer, limit, "<stdin>"))
    path = Path(raw)
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise SourceError("no such file or directory") from None
    except PermissionError:
        raise SourceError("permission denied") from None
    except OSError as exc:
        raise SourceError(f"can't read: {exc.strerror or exc}") from None
    if stat.S_ISREG(mode):
        if not os.access(path, os.R_OK):
            raise SourceError("permission denied")
        return Source(name or path.name, str(raw), path=path)
    if stat.S_ISDIR(mode):
        raise SourceError("is a folder")
    return Source(name or path.name, str(raw), path=path, data=_read_special(path, mode, limit))


def _read_special(path: Path, mode: int, limit: int) -> bytes:
    """A device, pipe or socket: never trust its size on disk (0 or unbounded), read with the cap."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise SourceError(f"can't open: {exc.strerror or exc}") from None
    try:
        if stat.S_ISFIFO(mode):
            poller = select.poll()
            poller.register(fd, select.POLLIN | select.POLLHUP)
            if not poller.poll(PIPE_WAIT_S * 1000):
                raise SourceError(f"named pipe: nothing was written to it within {PIPE_WAIT_S} s (no writer?); "
                                  "start the writer first or raise FRAMING_PIPE_WAIT_S")
        os.set_blocking(fd, True)
        with os.fdopen(fd, "rb", closefd=False) as handle:
            return _read_capped(handle, limit, path.name)
    except OSError as exc:
        raise SourceError(f"can't read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)


def _read_capped(handle, limit: int, name: str) -> bytes:
    """At most limit + 1 bytes, in 1 MB reads (memory never exceeds the cap by more than that)."""
    parts, total = [], 0
    while total <= limit:
        chunk = handle.read(min(1 << 20, limit + 1 - total))
        if not chunk:
            break
        parts.append(chunk)
        total += len(chunk)
    if total > limit:
        raise SourceError(too_large(total, limit, stopped=True))
    return b"".join(parts)
