"""Turning command-line inputs (files, directories, stdin) into documents or error records.

Nothing here raises for a bad input: each problem becomes an `InputFailure` with a one-line
reason, so one unreadable file never stops a run. Bytes are decoded by `textio` (the same rules
as `framing batch`); .html files are reduced to their main text.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .feeds import HTML_SUFFIXES
from .limits import MAX_DOCUMENT_BYTES
from .textio import decode_document, read_document, too_large

TEXT_SUFFIXES = {".txt", ".text", ".md"}


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


def decode(name: str, data: bytes, html: bool = False) -> InputDoc | InputFailure:
    text, problem = decode_document(data)
    if problem:
        return InputFailure(name, problem)
    return _extracted(name, text, html)


def _extracted(name: str, text: str, html: bool) -> InputDoc | InputFailure:
    if html:
        from .extract import html_to_text

        text, problem = html_to_text(text)
        if problem:
            return InputFailure(name, problem)
    return InputDoc(name, text)


def read_path(path: Path) -> InputDoc | InputFailure:
    text, problem = read_document(path)
    if problem:
        return InputFailure(str(path), problem)
    return _extracted(str(path), text, html=path.suffix.lower() in HTML_SUFFIXES)


def read_stdin() -> InputDoc | InputFailure:
    data = sys.stdin.buffer.read(MAX_DOCUMENT_BYTES + 1)
    if len(data) > MAX_DOCUMENT_BYTES:
        return InputFailure("<stdin>", too_large(len(data), MAX_DOCUMENT_BYTES) + " (rest of stdin not read)")
    return decode("<stdin>", data)


def iter_inputs(paths: list[str]) -> Iterator[InputDoc | InputFailure]:
    """Documents in argument order; directories expand to their text and HTML files, sorted."""
    for raw in paths:
        if raw == "-":
            yield read_stdin()
            continue
        path = Path(raw)
        if path.is_dir():
            suffixes = TEXT_SUFFIXES | HTML_SUFFIXES
            files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in suffixes)
            if not files:
                yield InputFailure(str(path), f"directory has no text files ({', '.join(sorted(suffixes))})")
            for file in files:
                yield read_path(file)
        elif path.exists():
            yield read_path(path)
        else:
            yield InputFailure(str(path), "no such file or directory")
