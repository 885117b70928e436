"""Every size cap in one place, so the README's limits table and the code can't drift apart.

A document over a cap becomes an error record (batch) or a one-line error (score); nothing is
silently cut except over-long sentences, which the model truncates and the output counts.
Each cap can be raised with the environment variable next to it.
"""

from __future__ import annotations

import os

from .segment import MAX_LINE_CHARS


def env_number(name: str, default, kind=int):
    """The positive number in environment variable `name` (read as `kind`: int or float), else
    `default`; a value that is not one is an error naming the variable."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise ValueError(f"{name}={raw!r} is not {'an integer' if kind is int else 'a number'}") from None
    if value <= 0:
        raise ValueError(f"{name} must be {'>= 1' if kind is int else '> 0'}, got {value}")
    return value


MB = 1024 * 1024
# One document (a file given to `score`, a JSONL/CSV record, a WARC body, a .txt/.html file).
MAX_DOCUMENT_BYTES = env_number("FRAMING_MAX_DOC_BYTES", 10 * MB)
# One RSS/Atom file: the parser needs it whole, so it is read into memory with this cap.
MAX_FEED_BYTES = env_number("FRAMING_MAX_FEED_BYTES", 64 * MB)
# A named pipe given as an input: seconds to wait for its first byte (a pipe without a writer
# would otherwise block the run forever).
PIPE_WAIT_S = env_number("FRAMING_PIPE_WAIT_S", 10)
# The segmenter cuts any run of text without a line break into windows of this many characters,
# so no "sentence" is longer; the transformer then reads its first max_length (128) tokens.
MAX_SENTENCE_CHARS = MAX_LINE_CHARS
# `framing batch`: raw input bytes read ahead of the model (bounds memory under huge records).
MAX_INFLIGHT_BYTES = env_number("FRAMING_MAX_INFLIGHT_BYTES", 64 * MB)
# `framing batch`: text characters per scoring chunk (a chunk is also at most --batch-size articles).
MAX_CHUNK_CHARS = env_number("FRAMING_MAX_CHUNK_CHARS", 16 * MB)
# `framing batch`: the per-run sentence cache holds at most this many characters of sentence
# text, and only sentences up to CACHEABLE_SENTENCE_CHARS long (boilerplate repeats are short).
MAX_CACHE_CHARS = env_number("FRAMING_MAX_CACHE_CHARS", 64 * MB)
CACHEABLE_SENTENCE_CHARS = 2_000
