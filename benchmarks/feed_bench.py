"""End-to-end `framing batch` benchmark on a feed built from the corpora.

Builds a JSONL feed of >= 2,000 real articles (PTC train/dev/test, SemEval-2023 st1/st3 article
texts, the 54 unlabelled SemEval-2023 articles, meme texts); every third article is given as
HTML so extraction is exercised. Runs `framing batch` in a subprocess and reports articles/s,
sentences/s and peak RSS, then the same for a feed 10x larger (each article repeated with a new
id and a distinct first line, so no article is an exact duplicate but most sentences repeat:
this measures that memory stays flat as the input grows). Prints one JSON object.

    python benchmarks/feed_bench.py [--model DIR] [--data-dir DIR] [--scale 10]
"""

from __future__ import annotations

import argparse
import html
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def articles(data_dir: Path):
    from framing.corpora import read_memes, read_ptc_articles, read_semeval2023_unlabelled

    for split in ("train", "dev", "test"):
        for d in read_ptc_articles(data_dir, split):
            yield f"ptc-{split}-{d.doc_id}", d.text
    root = data_dir / "semeval2023-task3-en"
    for folder in ("train-articles-subtask-3", "dev-articles-subtask-3", "train-articles-subtask-1",
                   "dev-articles-subtask-1"):
        for p in sorted((root / folder).glob("*.txt")):
            yield f"{folder}-{p.stem}", p.read_text(encoding="utf-8")
    for d in read_semeval2023_unlabelled(data_dir):
        yield f"unlabelled-{d.doc_id}", d.text
    for split in ("train", "dev", "test"):
        for d in read_memes(data_dir, split):
            yield f"meme-{split}-{d.doc_id}", d.text


def write_feed(path: Path, data_dir: Path, scale: int = 1) -> int:
    n = 0
    base = list(articles(data_dir))
    with open(path, "w", encoding="utf-8") as f:
        for k in range(scale):
            for i, (doc_id, text) in enumerate(base):
                if scale > 1:
                    text = f"Copy {k} of {doc_id}\n\n{text}"
                rec = {"id": f"{doc_id}#{k}", "url": f"https://example.org/{doc_id}/{k}"}
                if i % 3 == 0:
                    paras = "".join(f"<p>{html.escape(p)}</p>" for p in text.split("\n") if p.strip())
                    rec["html"] = f"<html><body><nav>Home</nav><article>{paras}</article></body></html>"
                else:
                    rec["text"] = text
                f.write(json.dumps(rec) + "\n")
                n += 1
    return n


_WRAPPER = (
    "import resource, runpy, sys\n"
    "sys.argv = ['framing'] + sys.argv[1:]\n"
    "try:\n    runpy.run_module('framing', run_name='__main__')\n"
    "except SystemExit:\n    pass\n"
    "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
)


def run_batch(feed: Path, out: Path, model: str | None) -> dict:
    """One `framing batch` run in a fresh interpreter that reports its own peak RSS."""
    cmd = [sys.executable, "-c", _WRAPPER, "batch", str(feed), "--out", str(out), "--quiet"]
    if model:
        cmd += ["--model", model]
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - t0
    lines = done.stderr.strip().splitlines()
    summary = json.loads(lines[-2])["summary"]
    return {"wall_s": round(seconds, 1), "peak_rss_mb": round(int(lines[-1]) / 1024, 1), **summary}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=None)
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--scale", type=int, default=10)
    args = ap.parse_args()
    from framing.paths import resolve_data_dir

    data_dir = resolve_data_dir(args.data_dir)
    result = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for scale in (1, args.scale):
            feed = tmp / f"feed{scale}.jsonl"
            n = write_feed(feed, data_dir, scale)
            # a fresh interpreter per run, so peak RSS is this run's own
            result[f"x{scale}"] = {"articles": n, **run_batch(feed, tmp / f"out{scale}.jsonl", args.model)}
            print(json.dumps({f"x{scale}": result[f"x{scale}"]}), file=sys.stderr)
    one, big = result["x1"], result[f"x{args.scale}"]
    result["rss_growth"] = round(big["peak_rss_mb"] / one["peak_rss_mb"] - 1, 3)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
