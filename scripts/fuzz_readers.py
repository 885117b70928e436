"""atheris (libFuzzer) target for every input reader and the byte decoder. Not run in CI.

    .venv/bin/python scripts/fuzz_readers.py -runs=200000            # fixed number of iterations
    .venv/bin/python scripts/fuzz_readers.py -runs=200000 corpus_dir # keep the corpus it grows

The first fuzzer byte picks the format (.jsonl, .jsonl.gz, .csv, .rss, .warc, .warc.gz, .html,
.txt); the rest is the file. Without a corpus folder it starts from one valid seed per format
(tests/hostile/corpus.py). A reader may return error records, never raise: any exception is a
crash, which libFuzzer reports (with the input) before exiting non-zero; libFuzzer's last line,
"Done N runs in S second(s)", is the figure for the README.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import atheris

with atheris.instrument_imports():
    from framing.pipeline import prepare
    from framing.readers import iter_items
    from framing.records import error_record, head_of, to_jsonl
    from framing.textio import decode_document

SUFFIXES = (".jsonl", ".jsonl.gz", ".csv", ".rss", ".warc", ".warc.gz", ".html", ".txt")
WORK = Path(tempfile.mkdtemp(prefix="framing-fuzz-"))


def one_input(data: bytes) -> None:
    if not data:
        return
    suffix, body = SUFFIXES[data[0] % len(SUFFIXES)], data[1:]
    decode_document(body)
    path = WORK / f"input{suffix}"
    path.write_bytes(body)
    for item in iter_items([path]):
        assert isinstance(item.id, str) and item.id, "every item needs an id"
        assert item.error or item.text or item.html, "an item is either content or an error"
        p = prepare(item) if not item.error else None
        record = error_record(head_of(item), item.error) if item.error else {"id": item.id, "n": len(p.sentences)}
        json.loads(to_jsonl(record))


def seed_corpus() -> str:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests.hostile.corpus import small_seeds

    folder = Path(tempfile.mkdtemp(prefix="framing-fuzz-seeds-"))
    for name, data in small_seeds().items():
        suffix = name[1:]  # "x.jsonl.gz" -> ".jsonl.gz"
        (folder / name).write_bytes(bytes([SUFFIXES.index(suffix)]) + data)
    return str(folder)


if __name__ == "__main__":
    args = list(sys.argv)
    if not any(not a.startswith("-") for a in args[1:]):
        args.append(seed_corpus())
    if not any(a.startswith("-max_len=") for a in args):
        args.append("-max_len=8192")
    atheris.Setup(args, one_input)
    atheris.Fuzz()
