"""Every cap of `framing serve` in one place (docs/SERVE.md's limits table names these fields).

Each cap can be raised with the environment variable next to it; tests pass their own
`ServeLimits` to reach every limit quickly.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from ..limits import MB, env_number


def _env(name: str, default, kind=int):
    return field(default_factory=lambda: env_number(name, default, kind), metadata={"env": name})


@dataclass(frozen=True)
class ServeLimits:
    # -- one request
    max_body_bytes: int = _env("FRAMING_SERVE_MAX_BODY_BYTES", 4 * MB)
    max_documents: int = _env("FRAMING_SERVE_MAX_DOCUMENTS", 64)
    max_chars: int = _env("FRAMING_SERVE_MAX_CHARS", 2_000_000)  # text + html characters, all documents
    max_sentences: int = _env("FRAMING_SERVE_MAX_SENTENCES", 5_000)  # after segmentation, all documents
    request_timeout_s: float = _env("FRAMING_SERVE_TIMEOUT_S", 60.0, float)
    # -- the whole server: sentences waiting for the model; past it a request gets 503, not a queue
    # that grows until every request times out
    max_queued_sentences: int = _env("FRAMING_SERVE_MAX_QUEUED_SENTENCES", 50_000)
    # -- micro-batching: one model call takes queued requests up to this many sentences, waiting at
    # most batch_wait_ms after the first for more to arrive
    batch_sentences: int = _env("FRAMING_SERVE_BATCH_SENTENCES", 1_024)
    batch_wait_ms: float = _env("FRAMING_SERVE_BATCH_WAIT_MS", 5.0, float)
    # -- URL fetching (--allow-fetch)
    max_redirects: int = _env("FRAMING_SERVE_MAX_REDIRECTS", 3)
    fetch_max_bytes: int = _env("FRAMING_SERVE_FETCH_MAX_BYTES", 5 * MB)
    fetch_timeout_s: float = _env("FRAMING_SERVE_FETCH_TIMEOUT_S", 10.0, float)

    def env_of(self, name: str) -> str:
        return next(f.metadata["env"] for f in fields(self) if f.name == name)
