"""What every reader yields: one input item (an article, a feed entry, a record, a file)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class FeedItem:
    """One item to score. Exactly one of `text`, `html` or `error` matters: a reader never
    raises for a bad input, it yields an item with `error` set (one line, says what to fix)."""

    id: str
    source: str
    url: str | None = None
    title: str | None = None
    text: str | None = None
    html: str | None = None
    error: str | None = None
