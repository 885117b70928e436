"""Main text of an HTML page (article body, no navigation, scripts or comments)."""

from __future__ import annotations

import re


def extract_main_text(html: str) -> str | None:
    import logging

    import trafilatura

    # trafilatura logs every unparseable page; the error record already says what happened
    logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
    text = trafilatura.extract(html, include_comments=False, include_tables=False, favor_precision=True)
    if text is None and html.strip() and not re.search(r"<(html|body)\b", html[:2000], re.IGNORECASE):
        # RSS/Atom bodies are short HTML fragments that main-text extraction rejects as too
        # small; for a fragment, its text content is the article.
        import lxml.html

        text = lxml.html.fromstring(html).text_content()
    return text


def html_to_text(html: str) -> tuple[str | None, str | None]:
    """(text, None) or (None, reason); a parser crash on hostile HTML is a reason, not an exception."""
    try:
        text = extract_main_text(html)
    except Exception as exc:  # lxml/trafilatura raise many types on malformed or pathological markup
        return None, f"HTML extraction failed: {type(exc).__name__}"
    if not text or not text.strip():
        return None, "no main text found in HTML"
    return text, None
