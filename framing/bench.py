"""Throughput benchmark on real PTC dev sentences, all engines in one run:
(a) plain transformers pipeline with default settings, (b) our engine in fp32, (c) our fast path.
Reports sentences/s, speed-up over (a), label agreement with (a) and (b), and dev macro-F1."""

from __future__ import annotations

import time

import numpy as np

from .metrics import report


def _pipeline_outputs(model_dir, texts: list[str], clf) -> np.ndarray:
    """The plain pipeline with default settings; where the shipped model blends in the
    baseline, the same blend is applied to the pipeline's outputs (and timed with them)."""
    from transformers import pipeline

    pipe = pipeline("text-classification", model=str(model_dir), top_k=None, device="cpu")
    out = np.array([[{d["label"]: d["score"] for d in row}[name] for name in clf.outputs] for row in pipe(texts)],
                   np.float32)
    from .models.blend import BlendBackend

    if isinstance(clf.backend, BlendBackend):
        out = clf.backend.blend_with(out, texts)
    return out


def run_bench(model_dir, data_dir=None, limit: int = 0, engines=("pipeline", "fp32", "fast"), device: str = "cpu",
              log=print) -> dict:
    from .dataset import load_dataset_dict
    from .evaluate import aligned_targets
    from .inference import Classifier

    dd = load_dataset_dict(data_dir)
    dev = dd["dev"].filter(lambda r: r["source"] == "ptc")
    if limit:
        dev = dev.select(range(min(limit, len(dev))))
    rows = dev[:]
    texts = rows["text"]
    results, decisions = {}, {}
    for engine in engines:
        if engine == "pipeline":
            clf = Classifier.load(model_dir, device="cpu", precision="fp32")
            t0 = time.perf_counter()
            probs = _pipeline_outputs(model_dir, texts, clf)[:, : len(clf.labels)]
        else:
            # "fast-no-spans": the fast path with the span head left out, to measure what spans cost
            precision = "fp32" if engine == "fp32" else "auto"
            clf = Classifier.load(model_dir, device=device, precision=precision, spans=engine != "fast-no-spans")
            clf.predict_sentences(texts[:64])  # warm-up, as a long-running batch job would be
            t0 = time.perf_counter()
            outputs, spans = clf.predict_sentences(texts)  # sentence scores and decoded spans, as score/batch do
            probs = outputs[:, : len(clf.labels)]
        seconds = time.perf_counter() - t0
        pred = clf.decide(probs)
        y, m = aligned_targets(rows, clf.labels)
        metrics = report(y, pred, m, clf.labels)
        decisions[engine] = pred
        results[engine] = {
            "precision": clf.precision if engine != "pipeline" else "fp32 (pipeline)",
            "span_head": engine != "pipeline" and clf.has_spans,
            "sentences": len(texts), "seconds": round(seconds, 2), "sent_per_s": round(len(texts) / seconds, 1),
            "dev_macro_f1": round(metrics["macro_f1"], 4), "dev_micro_f1": round(metrics["micro_f1"], 4),
        }
        log(f"{engine}: {results[engine]}")
    base = results.get("pipeline", {}).get("sent_per_s")
    for engine, r in results.items():
        if base:
            r["speedup_vs_pipeline"] = round(r["sent_per_s"] / base, 2)
        for ref in ("pipeline", "fp32"):
            if ref in decisions and ref != engine:
                r[f"agreement_with_{ref}"] = round(float((decisions[engine] == decisions[ref]).all(axis=1).mean()), 4)
    return {"model": str(model_dir), "device": device, "engines": results}
