"""Hostile inputs, generated on the fly (nothing hostile is committed).

`make_corpus(folder)` writes one file per case and returns {case: (path, what it is)}. The
reliability suite (tests/hostile) and the reliability benchmark (benchmarks/reliability.py)
both use it, so the README table covers exactly what the tests run.
"""

from __future__ import annotations

import gzip
import io
import json
import random
from pathlib import Path

PROSE = ("The delegation praised the strategic partnership and said that sanctions would never break the "
         "friendship between the two nations. ")
GOOD = "The minister said the talks were useful.\nCritics called the plan a disgraceful betrayal of the nation.\n"


def _warc(records: list[tuple[str, bytes, str]], gz: bool) -> bytes:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    buf = io.BytesIO()
    writer = WARCWriter(buf, gzip=gz)
    for url, body, ctype in records:
        headers = StatusAndHeaders("200 OK", [("Content-Type", ctype)], protocol="HTTP/1.0")
        writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=headers))
    return buf.getvalue()


def _page(body: str) -> bytes:
    return f"<html><head><title>t</title></head><body><article><p>{body}</p></article></body></html>".encode()


def near_limit_case() -> dict[str, tuple[bytes, str]]:
    """Just under the 10 MB document limit (benchmark only: its output is ~100 MB of JSON)."""
    size = 10 * 1024 * 1024 - 4096
    return {"near-limit-10mb.txt": ((PROSE * (size // len(PROSE) + 1)).encode()[:size], "document just under the 10 MB limit")}


def text_cases() -> dict[str, tuple[bytes, str]]:
    """Single documents: what `framing score` is given as files (and `framing batch` in a folder)."""
    rng = random.Random(7)
    big = (PROSE * (50 * 1024 * 1024 // len(PROSE) + 1)).encode()[: 50 * 1024 * 1024]
    words = [rng.choice(["sanctions", "hegemony", "partnership", "west", "lies", "truth", "people"]) for _ in range(150_000)]
    one_sentence = " ".join(words).encode()[: 1024 * 1024]
    rtl = ("\u202eتقول الحكومة إن العقوبات فشلت\u202c. \u200bזה\u200d שקר גמור\u200c של המערב\ufeff. "
           "Zero\u200bwidth\u2060joiners\u200d everywhere.\n")
    return {
        "empty.txt": (b"", "empty file"),
        "whitespace.txt": (" \t\n\r\n\u3000\u00a0\u2028\n".encode(), "whitespace only (incl. Unicode spaces)"),
        "big-50mb.txt": (big, "50 MB document"),
        "one-sentence-1mb.txt": (one_sentence, "1 MB single sentence, no punctuation"),
        "binary.txt": (bytes(rng.randrange(256) for _ in range(65536)), "random binary"),
        "nul-bytes.txt": (b"Sanctions failed.\x00\x00 The West lies.\x00\n", "text with NUL bytes"),
        "utf16-bom.txt": (("\ufeff" + GOOD).encode("utf-16-le"), "UTF-16 LE with BOM"),
        "utf16be-bom.txt": (("\ufeff" + GOOD).encode("utf-16-be"), "UTF-16 BE with BOM"),
        "latin1.txt": ("Caf\u00e9 politics: the na\u00efve West.\n".encode("latin-1"), "Latin-1 bytes"),
        "surrogate-bytes.txt": (b"Broken \xed\xa0\x80 surrogate.\n", "UTF-8-encoded lone surrogate"),
        "rtl-zero-width.txt": (rtl.encode(), "right-to-left, bidi overrides, zero-width characters"),
        "controls.txt": (("Bell\x07 and\x1b[31m escape\x08 codes. " * 50 + "\n").encode(), "C0 control characters"),
        "script.html": (b"<html><head><script>while(true){alert(1)}</script><style>p{}</style></head><body>"
                        b"<p onload='x()'>" + PROSE.encode() * 3 + b"</p><script>document.write('<p>injected')"
                        b"</script></body></html>", "HTML with scripts"),
        "entity-bomb.html": (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 '
                             b'"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;'
                             b'&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;"><!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;'
                             b'&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]><html><body><p>&lol4;&lol4;&lol4;</p>'
                             + b"<p>" + b"&amp;&lt;&#x1F600;&#xD800;&#0;" * 20000 + b"</p></body></html>",
                             "HTML with an entity bomb and 100k entities"),
        "nested.html": (b"<html><body>" + b"<div>" * 100_000 + PROSE.encode() + b"</div>" * 100_000 + b"</body></html>",
                        "HTML nested 100,000 deep"),
        "good.txt": (GOOD.encode(), "a normal article (must be scored)"),
    }


def feed_cases() -> dict[str, tuple[bytes, str]]:
    """Multi-record inputs for `framing batch`."""
    lines = [
        json.dumps({"id": "j-ok", "text": GOOD}),
        '{"id": "j-broken", "text": "unterminated',
        "[1, 2, 3]",
        json.dumps({"id": "j-surrogate", "text": "Lone \ud800 surrogate and \udfff another. The West lies."}),
        json.dumps({"id": "j-nul", "text": "NUL\u0000 inside. Sanctions failed."}),
        json.dumps({"id": "j-nontext", "text": {"nested": True}}),
        json.dumps({"id": "j-html", "html": "<p>" + PROSE + "</p>"}),
        "\udcff\udcfe garbage line",  # raw bytes 0xff 0xfe once encoded with surrogateescape
        json.dumps({"id": "j-huge", "text": "x" * (11 * 1024 * 1024)}),
        json.dumps({"id": "j-ok2", "text": "Second fine record about the strategic partnership."}),
    ]
    jsonl = "\n".join(lines).encode("utf-8", "surrogateescape") + b"\n" + b'{"id": "j-torn", "text": "no newline'
    csv = (b'id,title,text\n'
           b'c-ok,T,"Quoted ""text"" with\nembedded\r\nnewlines, and commas."\n'
           b'c-empty,T,\n'
           b'c-ok2,T,Plain line without quotes.\n'
           b'c-bad,"unclosed quote,text\n'
           b'c-after,T,never reached as its own row\n')
    pages = [(f"http://w/{i}", _page(PROSE * 3), "text/html; charset=utf-8") for i in range(6)]
    warc = _warc(pages, gz=False)
    warc_gz = _warc(pages, gz=True)
    nested = _warc([("http://w/deep", b"<html><body>" + b"<div>" * 50_000 + PROSE.encode() + b"</body></html>",
                     "text/html")], gz=True)
    rss_bomb = (b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
                b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">'
                b'<!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;"><!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">'
                b'<!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;"><!ENTITY h "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;">]>'
                b'<rss version="2.0"><channel><title>t</title><item><guid>r-bomb</guid><description>&h;</description>'
                b'</item><item><guid>r-ok</guid><description>' + PROSE.encode() + b'</description></item></channel></rss>')
    jsonl_gz = gzip.compress(jsonl.replace(b'"id": "', b'"id": "gz-'))
    return {
        "broken.jsonl": (jsonl, "JSONL: broken, non-object, undecodable, 11 MB and torn lines; surrogate and NUL escapes"),
        "quotes.csv": (csv, "CSV: embedded newlines, doubled quotes, an unclosed quote"),
        "truncated.warc": (warc[: len(warc) * 3 // 4], "WARC cut mid-record"),
        "truncated.warc.gz": (warc_gz[: len(warc_gz) * 3 // 4], "gzipped WARC cut mid-member"),
        "garbage.warc.gz": (gzip.compress(b"definitely not a warc")[:12] + b"\x00" * 100, "gzip header then garbage"),
        "nested.warc.gz": (nested, "WARC record with HTML nested 50,000 deep"),
        "bomb.rss": (rss_bomb, "RSS with a billion-laughs entity bomb"),
        "truncated.jsonl.gz": (jsonl_gz[: len(jsonl_gz) // 2], "gzipped JSONL cut in half"),
    }


def small_seeds() -> dict[str, bytes]:
    """One small valid input per reader format (seeds for mutation and fuzzing)."""
    rec = {"id": "a", "text": "Sanctions failed. The West lies.", "url": "http://x"}
    jsonl = (json.dumps(rec) + "\n" + json.dumps({**rec, "id": "b"}) + "\n").encode()
    page = b"<html><body><article><p>Sanctions failed. The West lies about everything.</p></article></body></html>"
    rss = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><guid>g1</guid>'
           b"<description>Sanctions failed.</description></item></channel></rss>")
    return {
        "x.jsonl": jsonl, "x.jsonl.gz": gzip.compress(jsonl), "x.csv": b'id,text\na,"Sanctions\nfailed."\nb,ok\n',
        "x.rss": rss, "x.warc": _warc([("http://w/1", page, "text/html")], gz=False),
        "x.warc.gz": _warc([("http://w/1", page, "text/html")], gz=True), "x.html": page, "x.txt": b"Plain text.\n",
    }


def make_corpus(folder: Path, which: str = "all") -> dict[str, tuple[Path, str]]:
    folder.mkdir(parents=True, exist_ok=True)
    cases = {}
    if which in ("all", "text"):
        cases.update(text_cases())
    if which == "near-limit":
        cases.update(near_limit_case())
    if which in ("all", "feeds"):
        cases.update(feed_cases())
    out = {}
    for name, (data, what) in cases.items():
        path = folder / name
        path.write_bytes(data)
        out[name] = (path, what)
    return out
