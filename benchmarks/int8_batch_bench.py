"""`framing batch` end to end against the engine it runs, in one run: the engine alone on the
sentences of the PTC dev articles (`Classifier.predict_sentences`, as `framing bench` times it)
and `run_batch` over the same articles as a JSONL feed (reading, segmentation, the sentence
cache, the article-context stage, records, fsynced output). Rounds take turns; each figure is
its fastest round. The target: batch at >= 80% of the int8 engine's sentences/s. Prints one
JSON object.

    python benchmarks/int8_batch_bench.py [--model DIR] [--data-dir DIR] [--precision int8] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", type=Path, default=None)
    ap.add_argument("--data-dir", type=Path, default=None)
    ap.add_argument("--precision", default="int8")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()

    from framing.batch import run_batch
    from framing.corpora import read_ptc_articles
    from framing.inference import Classifier
    from framing.paths import find_data_dir
    from framing.pipeline import prepare
    from framing.readers import FeedItem

    data_dir = args.data_dir or find_data_dir()
    docs = read_ptc_articles(data_dir, "dev")
    clf = Classifier.load(args.model, device="cpu", precision=args.precision)
    with tempfile.TemporaryDirectory(prefix="framing-int8-batch-") as tmp:
        feed = Path(tmp) / "feed.jsonl"
        feed.write_text("".join(json.dumps({"id": d.doc_id, "text": d.text}) + "\n" for d in docs), encoding="utf-8")
        # the engine's input: the very sentences batch scores (segmented, boilerplate skipped, each once)
        sentences = list(dict.fromkeys(s.text for d in docs
                                       for s in prepare(FeedItem(id=d.doc_id, source="bench", text=d.text)).sentences
                                       if s.skipped is None))
        clf.predict_sentences(sentences[:64])  # warm-up
        engine, batch, summary = None, None, None
        for round_no in range(max(1, args.repeats)):
            t0 = time.perf_counter()
            clf.predict_sentences(sentences)
            seconds = time.perf_counter() - t0
            engine = seconds if engine is None else min(engine, seconds)
            out = Path(tmp) / f"out{round_no}.jsonl"
            t0 = time.perf_counter()
            summary = run_batch([feed], out, clf, progress=False)  # a fresh OUT: nothing resumed, cache cold
            seconds = time.perf_counter() - t0
            batch = seconds if batch is None else min(batch, seconds)
            print(f"round {round_no + 1}: engine {len(sentences) / engine:.1f}, "
                  f"batch {summary.sentences_scored / batch:.1f} sentences/s", file=sys.stderr)
    engine_sps, batch_sps = len(sentences) / engine, summary.sentences_scored / batch
    print(json.dumps({"model": clf.model_info(), "articles": len(docs), "engine_sentences": len(sentences),
                      "batch_sentences": summary.sentences_scored, "engine_sent_per_s": round(engine_sps, 1),
                      "batch_sent_per_s": round(batch_sps, 1), "batch_vs_engine": round(batch_sps / engine_sps, 3),
                      "target": 0.8, "met": batch_sps / engine_sps >= 0.8, "repeats": args.repeats}, indent=2))


if __name__ == "__main__":
    main()
