"""Throughput benchmark on real PTC dev sentences, all engines in one run:
(a) plain transformers pipeline with default settings, (b) our engine in fp32, (c) our fast path
(bf16 on a CPU with native bf16, fp16 on CUDA), (d) the int8 export (where the model has one),
(b)-(d) also without the span head. Reports sentences/s, speed-up over (a), label agreement
with (a) and (b), and dev macro-F1."""

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


ENGINES = ("pipeline", "fp32", "fp32-no-spans", "fast", "fast-no-spans", "int8", "int8-no-spans")


def _engine(model_dir, engine: str, device: str):
    """The classifier an engine runs: "fp32", "fast" (auto precision without int8: bf16 or
    fp16) or "int8", each with its span head or, for "-no-spans", without it (to measure what
    the spans cost)."""
    from .inference import Classifier
    from .models.transformer_backend import resolve_device, resolve_precision

    if engine == "pipeline":
        return Classifier.load(model_dir, device="cpu", precision="fp32")
    if engine.startswith("fp32"):
        precision = "fp32"
    elif engine.startswith("int8"):
        precision = "int8"
    else:
        precision = resolve_precision("auto", resolve_device(device))
    return Classifier.load(model_dir, device=device, precision=precision, spans=not engine.endswith("-no-spans"))


def available_engines(model_dir, engines=ENGINES, device: str = "cpu") -> tuple[tuple[str, ...], list[str]]:
    """The engines this model and device can run, and a reason for each one left out (int8
    needs an exported int8 file, ONNX Runtime and the CPU)."""
    from .manifest import read_manifest
    from .models.transformer_backend import int8_exported, int8_runtime_available

    manifest = read_manifest(model_dir)
    why = None
    if not int8_exported(manifest):
        why = f"int8: {model_dir} has no int8 export (`framing export --precision int8 {model_dir}`)"
    elif not int8_runtime_available():
        why = "int8: ONNX Runtime is not installed (pip install 'framing[int8]')"
    elif device != "cpu":
        why = f"int8: CPU only, not --device {device}"
    if why is None:
        return tuple(engines), []
    left = [e for e in engines if e.startswith("int8")]
    return tuple(e for e in engines if not e.startswith("int8")), [why] if left else []


def run_bench(model_dir, data_dir=None, limit: int = 0, engines=ENGINES, device: str = "cpu", repeats: int = 3,
              log=print) -> dict:
    """Every engine timed `repeats` times, the engines taking turns in each round so that a
    noisy neighbour slows all of them alike; an engine's figure is its fastest round."""
    from .dataset import load_dataset_dict
    from .evaluate import aligned_targets

    dd = load_dataset_dict(data_dir)
    dev = dd["dev"].filter(lambda r: r["source"] == "ptc")
    if limit:
        dev = dev.select(range(min(limit, len(dev))))
    rows = dev[:]
    texts = rows["text"]
    engines, left_out = available_engines(model_dir, engines, device)
    for line in left_out:
        log(f"left out {line}")
    clfs = {engine: _engine(model_dir, engine, device) for engine in engines}
    for engine, clf in clfs.items():
        if engine != "pipeline":
            clf.predict_sentences(texts[:64])  # warm-up, as a long-running batch job would be
    best: dict[str, float] = {}
    probs_of: dict[str, np.ndarray] = {}
    for round_no in range(max(1, repeats)):
        for engine, clf in clfs.items():
            t0 = time.perf_counter()
            if engine == "pipeline":
                probs = _pipeline_outputs(model_dir, texts, clf)[:, : len(clf.labels)]
            else:
                outputs, _spans = clf.predict_sentences(texts)  # scores and decoded spans, as score/batch do
                probs = outputs[:, : len(clf.labels)]
            seconds = time.perf_counter() - t0
            best[engine] = min(best.get(engine, seconds), seconds)
            probs_of[engine] = probs
            log(f"round {round_no + 1}/{repeats} {engine}: {len(texts) / seconds:.1f} sentences/s")
    results, decisions = {}, {}
    for engine, clf in clfs.items():
        pred = clf.decide(probs_of[engine])
        y, m = aligned_targets(rows, clf.labels)
        metrics = report(y, pred, m, clf.labels)
        decisions[engine] = pred
        results[engine] = {
            "precision": clf.precision if engine != "pipeline" else "fp32 (pipeline)",
            "span_head": engine != "pipeline" and clf.has_spans,
            "sentences": len(texts), "seconds": round(best[engine], 2), "sent_per_s": round(len(texts) / best[engine], 1),
            "dev_macro_f1": round(metrics["macro_f1"], 4), "dev_micro_f1": round(metrics["micro_f1"], 4),
        }
    base = results.get("pipeline", {}).get("sent_per_s")
    for engine, r in results.items():
        if base:
            r["speedup_vs_pipeline"] = round(r["sent_per_s"] / base, 2)
        for ref in ("pipeline", "fp32"):
            if ref in decisions and ref != engine:
                r[f"agreement_with_{ref}"] = round(float((decisions[engine] == decisions[ref]).all(axis=1).mean()), 4)
        plain = results.get(f"{engine}-no-spans")
        if plain:  # what the span head costs this engine, in one run
            r["span_cost"] = round(1 - r["sent_per_s"] / plain["sent_per_s"], 3)
    out = {"model": str(model_dir), "device": device, "repeats": repeats, "engines": results, "left_out": left_out}
    first = next((e for e in clfs if e != "pipeline"), None)
    if first and clfs[first].has_document_stages:
        out["document_stages"] = _document_stages_cost(clfs[first], rows, texts, probs_of[first], best[first], repeats)
    return out


def _document_stages_cost(clf, rows, texts, probs, engine_seconds: float, repeats: int) -> dict:
    """What the article stages (context, frames) add to scoring the same sentences, article by
    article (their fastest of `repeats` rounds against the engine's fastest round)."""
    docs: dict[str, list[int]] = {}
    for i, doc_id in enumerate(rows["doc_id"]):
        docs.setdefault(doc_id, []).append(i)
    best = None
    for _ in range(max(1, repeats)):
        t0 = time.perf_counter()
        for idx in docs.values():
            clf.document_outputs([texts[i] for i in idx], probs[idx])
        seconds = time.perf_counter() - t0
        best = seconds if best is None else min(best, seconds)
    labels = (clf.context.labels if clf.context else []) + (clf.frame_stage.labels if clf.frame_stage else [])
    return {"labels": labels, "articles": len(docs), "seconds": round(best, 3),
            "cost_vs_engine": round(best / engine_seconds, 3)}
