"""Turning command-line inputs (files, directories, stdin) into documents or error records.

Nothing here raises for a bad input: each problem becomes an `InputFailure` with a one-line
reason, so one unreadable file never stops a run.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

TEXT_SUFFIXES = {".txt", ".text", ".md"}
_SNIFF = 8192


@dataclass(frozen=True)
class InputDoc:
    doc: str
    text: str


@dataclass(frozen=True)
class InputFailure:
    doc: str
    error: str

    def to_dict(self) -> dict:
        return {"doc": self.doc, "error": self.error}


def decode(name: str, data: bytes) -> InputDoc | InputFailure:
    if not data.strip():
        return InputFailure(name, "empty input: nothing to score")
    if b"\x00" in data[:_SNIFF]:
        return InputFailure(name, "binary file (NUL bytes): expected UTF-8 text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return InputFailure(name, f"not valid UTF-8 (byte {exc.start}: {data[exc.start:exc.start + 1]!r})")
    if not text.strip():
        return InputFailure(name, "empty input: only whitespace")
    return InputDoc(name, text)


def read_path(path: Path) -> InputDoc | InputFailure:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return InputFailure(str(path), "no such file")
    except PermissionError:
        return InputFailure(str(path), "permission denied")
    except OSError as exc:
        return InputFailure(str(path), f"can't read: {exc.strerror or exc}")
    return decode(str(path), data)


def iter_inputs(paths: list[str]) -> Iterator[InputDoc | InputFailure]:
    """Documents in argument order; directories expand to their text files, sorted."""
    for raw in paths:
        if raw == "-":
            yield decode("<stdin>", sys.stdin.buffer.read())
            continue
        path = Path(raw)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in TEXT_SUFFIXES)
            if not files:
                yield InputFailure(str(path), f"directory has no text files ({', '.join(sorted(TEXT_SUFFIXES))})")
            for file in files:
                yield read_path(file)
        elif path.exists():
            yield read_path(path)
        else:
            yield InputFailure(str(path), "no such file or directory")
