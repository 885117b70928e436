"""Inputs -> items: one reader layer for every command (see `registry` for the kinds)."""

from .item import FeedItem
from .registry import KINDS, Kind, Unit, accepted_kinds, expand_inputs, iter_items, kind_of, read_unit
from .source import STDIN, Source, SourceError, open_source

__all__ = ["KINDS", "STDIN", "FeedItem", "Kind", "Source", "SourceError", "Unit", "accepted_kinds", "expand_inputs",
           "iter_items", "kind_of", "open_source", "read_unit"]
