"""Bytes -> text for every reader, with one set of rules (score and batch agree).

- A byte-order mark decides the encoding (UTF-8, UTF-16 or UTF-32 with BOM); otherwise the bytes
  must be UTF-8. There is no guessing: a Latin-1 file gets an error naming the first bad byte and
  the fix, rather than silently wrong text.
- Binary data (NUL or other control bytes in bulk) is refused.
- Text is made safe without moving any offset: a stray NUL becomes a space and a lone surrogate
  (which JSON escapes can produce, and which can't be written as UTF-8) becomes U+FFFD.
"""

from __future__ import annotations

import codecs
import re

from .limits import MAX_DOCUMENT_BYTES

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_SNIFF = 8192
# Control bytes that text files don't contain (tab, newlines, form feed, backspace and ESC do
# occur in real text and are left out).
_BINARY_BYTES = frozenset(range(0, 8)) | {11, 14, 15} | frozenset(range(16, 27)) | frozenset(range(28, 32))
_UNSAFE = re.compile("[\x00\ud800-\udfff]")


def clean_text(text: str) -> str:
    """Same length, same offsets; safe to segment, tokenize and write as UTF-8."""
    if not _UNSAFE.search(text):
        return text
    return _UNSAFE.sub(lambda m: " " if m.group() == "\x00" else "\ufffd", text)


def binary_reason(data: bytes) -> str | None:
    """Why the bytes look binary, or None. Random or compressed bytes are ~10% control bytes;
    a short text with a few stray NULs is not binary, so short samples need a higher share."""
    head = data[:_SNIFF]
    if not head:
        return None
    share = sum(b in _BINARY_BYTES for b in head) / len(head)
    if share <= (0.05 if len(head) >= 256 else 0.2):
        return None
    odd, even = head[1::2], head[0::2]
    if len(head) >= 16 and (odd.count(0) > 0.4 * len(odd) or even.count(0) > 0.4 * len(even)):
        return "looks like UTF-16 without a byte-order mark; save it as UTF-8"
    return "binary data, not text (control bytes in the first 8 KB)"


def decode_document(data: bytes, limit: int | None = None, boms: bool = True) -> tuple[str | None, str | None]:
    """(text, None) or (None, one-line reason). `boms=False` for pieces of a UTF-8 file (a JSONL
    line), where only a UTF-8 BOM can occur."""
    limit = limit or MAX_DOCUMENT_BYTES
    if len(data) > limit:
        return None, too_large(len(data), limit)
    encoding = "utf-8"
    for bom, name in _BOMS if boms else _BOMS[2:3]:
        if data.startswith(bom):
            data, encoding = data[len(bom):], name
            break
    else:
        reason = binary_reason(data)
        if reason:
            return None, reason
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        bad = data[exc.start: exc.start + 1]
        if encoding != "utf-8":
            return None, f"not valid {encoding.upper()} despite its byte-order mark (byte {exc.start})"
        return None, (f"not valid UTF-8 (byte {exc.start}: {bad!r}); convert it to UTF-8 first "
                      "(for Latin-1: iconv -f latin1 -t utf-8)")
    text = clean_text(text)
    if not text.strip():
        return None, "empty: no text to score" if not text else "empty: only whitespace"
    return text, None


def too_large(size: int, limit: int, stopped: bool = False, what: str = "document",
              env: str = "FRAMING_MAX_DOC_BYTES") -> str:
    """The one-line reason for an input over a cap; `stopped`: reading stopped at the cap, so
    `size` is a lower bound (a stream, a device, standard input)."""
    seen = f"read stopped past {limit / 2**20:.1f} MB" if stopped else f"{size / 2**20:.1f} MB"
    return f"larger than the {limit / 2**20:.0f} MB {what} limit ({seen}); split it, or raise {env}"
