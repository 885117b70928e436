"""Detects the furniture of crawled pages: banners, repost notices, comment forms, login and
share prompts, ads and "Popular News" teaser blocks.

Detection is per line (a paragraph). A flagged line is kept in the output with a reason and is
never scored. Patterns are anchored to whole short lines where possible, so that an article
sentence that merely mentions "subscribe" is not lost.
"""

from __future__ import annotations

import re

_DASHES = r"[-\u2010-\u2015\s]*"

# (reason, pattern). Order matters only for which reason is reported.
_LINE_PATTERNS: list[tuple[str, str]] = [
    ("banner", r"^support .{1,60}? ?[-\u2013\u2014] ?go ad-free!?$"),
    ("repost-notice", r"^this (post|article|story) (first |originally )?appeared (first |originally )?(on|in|at)\b"),
    ("repost-notice", r"^(originally published|first published) (on|at|by)\b"),
    ("license", r"^anyone is free to republish\b"),
    ("comment-form", r"^our commenting rules\b"),
    ("comment-form", r"^leave a (reply|comment)\b.{0,40}$"),
    ("comment-form", r"^fill in your details below"),
    ("comment-form", r"^you are commenting using your\b"),
    ("comment-form", r"^connecting to %s$"),
    ("comment-form", r"akismet to reduce spam"),
    ("comment-form", r"^(\w+(\.com)? )?(logo|photo|picture)$"),
    ("comment-form", r"^\d* ?comments?$|^(post|add) a comment$|^notify me of (new|follow-up)"),
    ("login", r"^(log ?in|sign ?in|log ?out|register|create an account)\b.{0,40}$"),
    ("login", r"log ?out\s*/\s*change"),
    ("subscribe", r"^(free )?subscri(b|p)?tions?!?$|^subscribe\b.{0,60}$|^sign up (for|to)\b.{0,60}$"),
    ("subscribe", r"^(get|join) (our|the) (newsletter|mailing list)\b"),
    ("share", r"^(share|tweet|email|print|pin it|whatsapp|telegram)( this( article| post| story)?)?( on \w+)?:?$"),
    ("share", r"^(follow|like) us (on|at)\b.{0,60}$"),
    ("advertisement", rf"^{_DASHES}(advertisement|sponsored|promoted)( content)?{_DASHES}$"),
    ("advertisement", r"^[\u2013\u2014\u2015] .{1,60} [\u2013\u2014\u2015]$"),
    ("share", r"^%d bloggers like this:?$|^like this:?$"),
    ("site-furniture", r"^spot_img$|^skip to (main )?content$|^(menu|search|close|home|back to top|up\s*\u2191)$"),
    ("site-furniture", r"^create (a free website|your website)\b|^get started$|^powered by\b.{0,40}$"),
    ("site-furniture", r"^this entry was posted in\b|bookmark the permalink\.?$"),
    ("site-furniture", r"^(all rights reserved|copyright|\u00a9)\b.{0,80}$"),
    ("breadcrumb", r"(?-i:^Home[A-Z][a-z]+[A-Z].*\.\.\.$)"),
    ("markup", r"^<[a-z][a-z0-9]*\b[^>]*>.*</[a-z][a-z0-9]*>$"),
    ("author-promo", r"^visit my (new )?web ?site\b|^my (newest|new|latest) book\b|^listen to .{0,80}\b(radio|podcast)\b"),
    ("byline", r"(?-i:^[Bb]y [A-Z][\w.'-]+( [A-Z][\w.'-]+){0,3}( \(.{0,60}\))?$)"),
]
_TEASER_HEADINGS = (
    r"^(most popular|popular (news|posts|articles|stories)|related( posts| articles| news| stories)?"
    r"|you may (also )?like|recommended( for you)?|trending( now)?|more (news|stories) from\b.*|read (more|next|also))$"
)

# Case-insensitive, except where a rule keys on capitals: (?-i:...) marks those (breadcrumbs
# glue CamelCase, "HomeWorld...", and bylines need a capitalised name).
_COMPILED = [(reason, re.compile(pattern, re.IGNORECASE)) for reason, pattern in _LINE_PATTERNS]
_TEASER = re.compile(_TEASER_HEADINGS, re.IGNORECASE)


def line_reason(line: str) -> str | None:
    """Why a single stripped line is boilerplate, or None if it is content."""
    text = line.strip()
    if not text:
        return None
    for reason, rx in _COMPILED:
        if rx.search(text):
            return reason
    return None


def is_teaser_heading(line: str) -> bool:
    return bool(_TEASER.match(line.strip()))


class BoilerplateTracker:
    """Walks the lines of one document in order; after a teaser heading such as "Popular News",
    everything that follows is a teaser block (crawled pages put it after the article)."""

    def __init__(self) -> None:
        self.in_teasers = False

    def reason(self, line: str) -> str | None:
        if self.in_teasers:
            return "teaser"
        if is_teaser_heading(line):
            self.in_teasers = True
            return "teaser"
        return line_reason(line)
