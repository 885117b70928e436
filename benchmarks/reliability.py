"""Reliability figures for the README: every hostile input through `framing score` and
`framing batch` (one process per input, so peak memory and time are per input), then kill -9 /
resume trials and a full-disk trial. Prints a markdown table and a JSON summary.

    python benchmarks/reliability.py [--model DIR] [--trials 10]

A crash is a non-zero exit other than the documented ones (1: nothing could be scored,
2: a clear one-line error), or a traceback on stderr. A lost record is an input id with no
record in OUT (batch) or an input with no output line (score).
"""

from __future__ import annotations

import argparse
import json
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.hostile.corpus import make_corpus  # noqa: E402
from tests.hostile.expectations import FEEDS, SCORED  # noqa: E402
from tests.hostile.expectations import TEXT as _TEXT  # noqa: E402

TEXT = {**_TEXT, "near-limit-10mb.txt": SCORED}
from tests.hostile.test_interrupts import write_feed  # noqa: E402


def framing(*args: str) -> list[str]:
    return [sys.executable, "-m", "framing", *args]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=None)
    ap.add_argument("--trials", type=int, default=10)
    args = ap.parse_args()
    model = ["--model", args.model] if args.model else []
    rows, totals = [], {"inputs": 0, "crashes": 0, "lost": 0}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        text = {**make_corpus(tmp / "text", "text"), **make_corpus(tmp / "text", "near-limit")}
        feeds = make_corpus(tmp / "feeds", "feeds")
        # ru_maxrss of children is a high-water mark over all children, so each input runs in a
        # fresh grandchild measured by its own wrapper process.
        for name, (path, what) in text.items():
            for command in ("score", "batch"):
                out = tmp / f"{name}.{command}.jsonl"
                if command == "score":
                    cmd = framing("score", str(path), "--format", "json", *model)
                    with open(out, "wb") as handle:
                        r = isolated(cmd, stdout=handle)
                    lines = out.read_text(encoding="utf-8").splitlines()
                    got = 1 if len(lines) == 1 else 0
                    status = "error" if got and "error" in json.loads(lines[0]) else "scored"
                else:
                    r = isolated(framing("batch", str(path), "--out", str(out), "--quiet", *model))
                    recs = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()] if out.exists() else []
                    got = len(recs)
                    status = recs[0]["status"] if recs else "missing"
                expected = TEXT[name]
                ok = (status == "scored") == (expected == SCORED)
                totals["inputs"] += 1
                totals["crashes"] += r["crash"]
                totals["lost"] += 1 - got
                rows.append((name, what, command, status if ok else f"UNEXPECTED {status}", r))
        for name, (path, what) in feeds.items():
            out = tmp / f"{name}.batch.jsonl"
            r = isolated(framing("batch", str(path), "--out", str(out), "--quiet", *model))
            recs = {json.loads(x)["id"] for x in out.read_text(encoding="utf-8").splitlines()} if out.exists() else set()
            lost = len(set(FEEDS[name]) - recs)
            totals["inputs"] += 1
            totals["crashes"] += r["crash"]
            totals["lost"] += lost
            rows.append((name, what, "batch", f"{len(recs)} records, {lost} expected ids missing", r))
        trials = kill_trials(tmp, args.trials, model)
    print("| input | what | command | outcome | exit | seconds | peak RSS MB |")
    print("|---|---|---|---|---|---|---|")
    for name, what, command, outcome, r in rows:
        print(f"| {name} | {what} | {command} | {outcome} | {r['rc']} | {r['seconds']} | {r['peak_mb']:.0f} |")
    print()
    print(json.dumps({"totals": totals, "kill_resume": trials}, indent=2))


def isolated(cmd: list[str], stdout=None) -> dict:
    """Run cmd under a small wrapper so RUSAGE_CHILDREN is this input's alone."""
    wrapper = ("import json,resource,subprocess,sys,time;t=time.perf_counter();"
               "p=subprocess.run(sys.argv[1:],stdout=sys.stdout,stderr=subprocess.PIPE);"
               "e=p.stderr.decode('utf-8','replace');"
               "print(json.dumps({'rc':p.returncode,'seconds':round(time.perf_counter()-t,2),"
               "'peak_mb':resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss/1024,"
               "'crash':p.returncode not in (0,1,2) or 'Traceback' in e,'stderr':e.strip().splitlines()[-1:]}),"
               "file=sys.stderr)")
    proc = subprocess.run([sys.executable, "-c", wrapper, *cmd], stdout=stdout or subprocess.DEVNULL,
                          stderr=subprocess.PIPE, timeout=900)
    return json.loads(proc.stderr.decode().strip().splitlines()[-1])


def kill_trials(tmp: Path, n: int, model: list[str]) -> dict:
    """kill -9 `framing batch` at random points (seeds 0..n-1), resume until done, and count
    duplicate and missing records."""
    if not model:
        from framing.paths import default_model_dir

        model = ["--model", str(default_model_dir())]
    kills = dups = missing = 0
    for seed in range(n):
        rng = random.Random(seed)
        inputs, expected = write_feed(tmp / f"trial{seed}")
        out = tmp / f"trial{seed}.jsonl"
        for attempt in range(8):
            cmd = framing("batch", *inputs, "--out", str(out), "--batch-size", "8", "--quiet", *model,
                          *(["--resume"] if attempt else []))
            proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if attempt < 2:
                target = (out.stat().st_size if out.exists() else 0) + rng.randrange(1, 400_000)
                while proc.poll() is None and (not out.exists() or out.stat().st_size < target):
                    time.sleep(rng.uniform(0.001, 0.05))
                if proc.poll() is None:
                    proc.send_signal(signal.SIGKILL)
                    kills += 1
            proc.wait()
            if proc.returncode == 0:
                break
        ids = [json.loads(x)["id"] for x in out.read_text().splitlines()]
        dups += len(ids) - len(set(ids))
        missing += len(expected - set(ids))
    return {"trials": n, "kills": kills, "records_per_trial": len(expected), "duplicates": dups, "missing": missing}


if __name__ == "__main__":
    main()
