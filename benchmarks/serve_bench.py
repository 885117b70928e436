"""`framing serve` under load on loopback, next to the engine's own throughput, in one run.

1. The engine: the same model loaded in this process, `predict_sentences` (scores and spans, one
   call per round, as `framing bench` times it) over exactly the sentences the server will get,
   timed right before and right after each load run (the server idles meanwhile).
2. The server: the real `framing serve` started in a subprocess (startup = spawn until /healthz
   answers), then for 1, 8 and 32 concurrent clients: single sentences and whole seed articles.
   Every request text is distinct (a numbered tag in front of each sentence), so neither the
   server's in-batch dedupe nor anything else can skip work the engine does. Every answer is
   checked (status, ids, sentence count); requests/s, scored sentences/s, p50/p95/p99 latency.
3. Peak RSS of the server process (VmHWM).

The clients run in this process, on the same cores as the server (loopback only; bounded
request counts). Prints a table; --json FILE also writes the figures.

    .venv/bin/python benchmarks/serve_bench.py [--model DIR] [--clients 1,8,32] [--sentence-requests 96]
        [--article-requests 64] [--startup-runs 2] [--json FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent


def tagged(text: str, tag: str) -> str:
    """`text` with `tag` in front of every sentence that will be scored (offsets of the others kept)."""
    from framing.segment import segment

    for s in reversed(segment(text)):
        if s.skipped is None:
            text = text[: s.start] + f"{tag} " + text[s.start:]
    return text


def scored_sentences(text: str) -> list[str]:
    from framing.segment import segment
    from framing.textio import clean_text

    return [s.text for s in segment(clean_text(text)) if s.skipped is None]


def workloads(sentence_requests: int, article_requests: int) -> dict[str, list[str]]:
    seeds = [p.read_text(encoding="utf-8") for p in sorted((REPO / "seeds").glob("*.txt"))]
    pool = [s for text in seeds for s in scored_sentences(text)]
    return {"sentence": [f"({k}) {pool[k % len(pool)]}" for k in range(sentence_requests)],
            "article": [tagged(seeds[k % len(seeds)], f"({k})") for k in range(article_requests)]}


class Engine:
    """The same model in this process, timed as `framing bench` times it: `predict_sentences`
    (scores and spans) over all sentences of a workload in one call."""

    def __init__(self, model, device: str):
        from framing.inference import Classifier

        self.clf = Classifier.load(model, device=device)
        self.clf.predict_sentences(["A warm-up sentence, as `framing bench` does."] * 64)
        self.rounds: dict[str, list[float]] = {}

    def round(self, name: str, docs: list[str]) -> float:
        sentences = [s for text in docs for s in scored_sentences(text)]
        rate = len(sentences) / _timed(self.clf.predict_sentences, sentences)
        self.rounds.setdefault(name, []).append(round(rate, 1))
        return rate


def _timed(fn, *args) -> float:
    t0 = time.perf_counter()
    fn(*args)
    return time.perf_counter() - t0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(model, device: str) -> tuple[subprocess.Popen, str, float]:
    import httpx

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "framing", "serve", "--port", str(port), "--device", device]
    command += ["--model", str(model)] if model else []
    t0 = time.perf_counter()
    proc = subprocess.Popen(command, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"framing serve exited: {proc.stderr.read()}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return proc, url, time.perf_counter() - t0
        except httpx.TransportError:
            time.sleep(0.02)
    proc.kill()
    sys.exit("framing serve did not answer /healthz within 300 s")


def stop_server(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()


def peak_rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


async def _load(url: str, texts: list[str], clients: int, expected: list[int]) -> dict:
    import httpx

    latencies, failures, sentences = [], 0, 0
    pending = list(range(len(texts)))[::-1]

    async def client(http):
        nonlocal failures, sentences
        while pending:
            k = pending.pop()
            t0 = time.perf_counter()
            try:
                resp = await http.post("/v1/score", json={"documents": [{"id": f"r{k}", "text": texts[k]}]})
                ok = resp.status_code == 200
                if ok:
                    [doc] = resp.json()["documents"]
                    n = sum(1 for s in doc["sentences"] if not s["skipped"])
                    ok = doc["id"] == f"r{k}" and doc["status"] == "scored" and n == expected[k]
                    sentences += n if ok else 0
            except httpx.HTTPError:
                ok = False
            latencies.append(time.perf_counter() - t0)
            failures += not ok

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, timeout=600, limits=limits) as http:
        t0 = time.perf_counter()
        await asyncio.gather(*(client(http) for _ in range(clients)))
        wall = time.perf_counter() - t0
    ms = np.array(latencies) * 1000
    return {"clients": clients, "requests": len(texts), "failed": failures, "seconds": round(wall, 2),
            "req_per_s": round(len(texts) / wall, 1), "sent_per_s": round(sentences / wall, 1),
            "p50_ms": round(float(np.percentile(ms, 50)), 1), "p95_ms": round(float(np.percentile(ms, 95)), 1),
            "p99_ms": round(float(np.percentile(ms, 99)), 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="model folder (default: the shipped model)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--clients", default="1,8,32")
    parser.add_argument("--sentence-requests", type=int, default=96)
    parser.add_argument("--article-requests", type=int, default=64)
    parser.add_argument("--startup-runs", type=int, default=2, help="extra start/stop cycles to time startup")
    parser.add_argument("--json", default=None, help="also write the figures here")
    args = parser.parse_args()
    from framing.paths import default_model_dir

    model = Path(args.model) if args.model else default_model_dir()
    clients = [int(c) for c in args.clients.split(",")]
    texts = workloads(args.sentence_requests, args.article_requests)
    expected = {name: [len(scored_sentences(t)) for t in docs] for name, docs in texts.items()}
    print(f"engine: {model} ...", file=sys.stderr)
    engine = Engine(model, args.device)
    startups = []
    for _ in range(args.startup_runs):
        proc, _url, seconds = start_server(model, args.device)
        startups.append(round(seconds, 2))
        stop_server(proc)
    proc, url, seconds = start_server(model, args.device)
    startups.append(round(seconds, 2))
    rows = []
    try:
        asyncio.run(_load(url, texts["sentence"][:4], 1, expected["sentence"][:4]))  # warm-up
        for name in ("sentence", "article"):
            for c in clients:
                # an engine round right before and right after each load run (the server idles
                # meanwhile), so a noisy neighbour slows both sides of the comparison alike
                print(f"engine, then server: {name} x {c} clients ...", file=sys.stderr)
                before = engine.round(name, texts[name])
                row = {"workload": name, **asyncio.run(_load(url, texts[name], c, expected[name]))}
                after = engine.round(name, texts[name])
                row["engine_sent_per_s"] = round((before + after) / 2, 1)
                row["of_engine"] = round(row["sent_per_s"] / row["engine_sent_per_s"], 3)
                rows.append(row)
        rss = peak_rss_mb(proc.pid)
    finally:
        stop_server(proc)
    e = {"precision": engine.clf.precision, "span_head": engine.clf.has_spans, "rounds_sent_per_s": engine.rounds,
         "sentences": {name: sum(len(scored_sentences(t)) for t in docs) for name, docs in texts.items()}}
    result = {"model": str(model), "device": args.device, "cpus": os.cpu_count(), "load_avg": os.getloadavg(),
              "engine": e, "startup_s": startups, "server_peak_rss_mb": rss, "rows": rows}
    print_table(result)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


def print_table(r: dict) -> None:
    head = f"{'workload':<9} {'clients':>7} {'requests':>8} {'failed':>6} {'req/s':>7} {'sent/s':>7} " \
           f"{'engine sent/s':>13} {'of engine':>9} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}"
    print(head)
    print("-" * len(head))
    for row in r["rows"]:
        print(f"{row['workload']:<9} {row['clients']:>7} {row['requests']:>8} {row['failed']:>6} {row['req_per_s']:>7} "
              f"{row['sent_per_s']:>7} {row['engine_sent_per_s']:>13} {row['of_engine']:>9.0%}"
              f" {row['p50_ms']:>8} {row['p95_ms']:>8} {row['p99_ms']:>8}")
    e = r["engine"]
    print(f"\nengine ({e['precision']}, spans {'on' if e['span_head'] else 'off'}, same model, in-process, one "
          f"predict_sentences call over a workload's {e['sentences']['article']} article / {e['sentences']['sentence']} "
          "single sentences): the mean of the rounds just before and after each row; every round (sent/s): "
          + "; ".join(f"{k} {v}" for k, v in e["rounds_sent_per_s"].items()))
    print(f"startup (spawn -> /healthz 200): {', '.join(f'{s:.2f}' for s in r['startup_s'])} s; "
          f"server peak RSS {r['server_peak_rss_mb']} MB; {r['cpus']} CPUs, load average at the end "
          f"{', '.join(f'{x:.1f}' for x in r['load_avg'])}")


if __name__ == "__main__":
    main()
