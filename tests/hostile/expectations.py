"""What each hostile input must become: SCORED, or an error whose message contains the text."""

SCORED = "scored"

TEXT = {
    "empty.txt": "empty",
    "whitespace.txt": "only whitespace",
    "big-50mb.txt": "document limit",
    "one-sentence-1mb.txt": SCORED,
    "binary.txt": "binary",
    "nul-bytes.txt": SCORED,
    "utf16-bom.txt": SCORED,
    "utf16be-bom.txt": SCORED,
    "latin1.txt": "not valid UTF-8",
    "surrogate-bytes.txt": "not valid UTF-8",
    "rtl-zero-width.txt": SCORED,
    "controls.txt": SCORED,
    "script.html": SCORED,
    "entity-bomb.html": SCORED,
    "nested.html": "no main text",
    "good.txt": SCORED,
}

# `framing batch` record ids per feed file -> expected status or error text
FEEDS = {
    "broken.jsonl": {
        "j-ok": SCORED, "broken.jsonl:2": "invalid JSON", "broken.jsonl:3": "must be an object",
        "j-surrogate": SCORED, "j-nul": SCORED, "j-nontext": "must be strings", "j-html": SCORED,
        "broken.jsonl:8": "not valid UTF-8", "broken.jsonl:9": "longer than", "j-ok2": SCORED,
        "broken.jsonl:11": "cut off",
    },
    "quotes.csv": {"c-ok": SCORED, "c-empty": "empty record", "c-ok2": SCORED, "c-bad": "empty record"},
    "truncated.warc": {"http://w/0": SCORED, "http://w/4": "cut off"},
    "truncated.warc.gz": {"truncated.warc.gz#5": "cut off"},
    "garbage.warc.gz": {"garbage.warc.gz#1": "not a readable WARC"},
    "nested.warc.gz": {"http://w/deep": "no main text"},
    "bomb.rss": {"r-bomb": SCORED, "r-ok": SCORED},
    "truncated.jsonl.gz": {"gz-j-ok": SCORED, "truncated.jsonl.gz:9": "cut off"},
}
