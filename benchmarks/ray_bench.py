"""`framing batch` throughput: the local engine vs Ray with 1 and 2 actors, in one run.

The feed is benchmarks/feed_bench.py's (>= 2,000 real articles from the corpora, every third as
HTML), written as 8 JSONL files the way crawls arrive. Every configuration gets the same torch
threads in total (local: the process; Ray: CPUs per actor = cores / actors). Each run is a fresh
process (a Ray run includes starting its local Ray instance). Also reports how many records are
identical between the local and each Ray output, and how many get the same decisions (status,
labels of every sentence): scores can differ in the last digits because bf16 results depend on
which sentences share a batch. Prints one JSON object.

    python benchmarks/ray_bench.py [--model DIR] [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from feed_bench import write_feed  # noqa: E402


def split(feed: Path, parts: int) -> list[str]:
    lines = feed.read_text(encoding="utf-8").splitlines(keepends=True)
    paths = []
    for k in range(parts):
        path = feed.with_name(f"crawl-{k}.jsonl")
        path.write_text("".join(lines[k::parts]), encoding="utf-8")
        paths.append(str(path))
    return paths


def run(inputs: list[str], out: Path, model: str | None, *extra: str) -> dict:
    """One fresh `framing batch` process; rates use the records it wrote (scored articles' sentences)."""
    cmd = [sys.executable, "-m", "framing", "batch", *inputs, "--out", str(out), "--quiet", *extra]
    if model:
        cmd += ["--model", model]
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(done.stderr[-3000:])
    wall = time.perf_counter() - t0
    recs = records(out)
    sentences = sum(r.get("n_sentences", 0) for r in recs.values() if r["status"] == "scored")
    return {"wall_s": round(wall, 1), "articles": len(recs), "articles_per_s": round(len(recs) / wall, 2),
            "sentences": sentences, "sentences_per_s": round(sentences / wall, 1)}


def records(out: Path) -> dict[str, dict]:
    files = sorted(out.glob("part-*.jsonl")) if out.is_dir() else [out]
    return {json.loads(line)["id"]: json.loads(line) for f in files for line in f.read_text(encoding="utf-8").splitlines()}


def decisions(rec: dict):
    """What a user acts on: status, and each sentence's labels."""
    return rec["status"], rec.get("duplicate_of"), [tuple(s["labels"]) for s in rec.get("sentences", [])]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=None)
    ap.add_argument("--data-dir", default=None)
    args = ap.parse_args()
    from framing.paths import resolve_data_dir

    cores = os.cpu_count() or 1
    result = {"cores": cores}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        n = write_feed(tmp / "feed.jsonl", resolve_data_dir(args.data_dir))
        inputs = split(tmp / "feed.jsonl", 8)
        result["feed_articles"] = n
        result["local"] = run(inputs, tmp / "local.jsonl", args.model)
        print(json.dumps({"local": result["local"]}), file=sys.stderr)
        local = records(tmp / "local.jsonl")
        for actors in (1, 2):
            key = f"ray_{actors}_actor" + ("s" if actors > 1 else "")
            out = tmp / key
            result[key] = run(inputs, out, args.model, "--engine", "ray", "--actors", str(actors),
                              "--cpus-per-actor", str(max(1, cores // actors)))
            remote = records(out)
            result[key]["same_ids"] = set(remote) == set(local)
            result[key]["identical_records"] = round(sum(remote.get(k) == v for k, v in local.items()) / len(local), 4)
            result[key]["same_decisions"] = round(sum(k in remote and decisions(remote[k]) == decisions(v)
                                                      for k, v in local.items()) / len(local), 4)
            print(json.dumps({key: result[key]}), file=sys.stderr)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
