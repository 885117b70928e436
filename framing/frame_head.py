"""Refitting the frame rows of a transformer's classifier on its frozen encoder (`framing frames head`).

The frame annotations grew after the shipped weights were trained (SemEval-2025 news from many
outlets). Re-running the whole fine-tune moves the technique outputs; this refits only the three
frame rows of the sequence classifier, a logistic regression per frame over the pooled output the
classifier reads, on every frame-annotated train sentence. The technique rows, the encoder, the
blend, the span head and the context stage are untouched, so every technique output is the same
to the bit, and the folder stays a plain `BertForSequenceClassification`.

Candidates (the current rows, and refits over a grid of C) get per-frame thresholds tuned on dev
(F1 per frame on the news rows, as the label-f1 rule does) and are ranked by one dev figure, fixed
here before any test figure: the mean of the frames dev macro-F1 of the original sources and of
the SemEval-2025 news. Test is only reported.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np

from .errors import ModelLoadError
from .taxonomy import load_taxonomy

C_GRID = (0.01, 0.03, 0.1, 0.3, 1.0)
DEV_SETS = ("frames", "frames:semeval2025")


def frame_columns(labels: list[str]) -> list[int]:
    return load_taxonomy().columns(labels, "frame")


def pooled_features(backend, texts: list[str]) -> np.ndarray:
    """The pooled output (what the classifier layer reads) of every text, fp32, in order."""
    import torch

    from .models.transformer_backend import padded

    ids, _, _ = backend.encode(texts)
    base = backend.model.base_model
    out = np.zeros((len(texts), backend.model.config.hidden_size), np.float32)
    pad = backend.tokenizer.pad_token_id or 0
    with torch.inference_mode():
        for batch in backend.batches([len(x) for x in ids]):
            input_ids, attention = padded(ids, batch, pad)
            result = base(input_ids=torch.from_numpy(input_ids).to(backend.device),
                          attention_mask=torch.from_numpy(attention).to(backend.device))
            out[batch] = result.pooler_output.float().cpu().numpy()
    return out


def classifier_layer(model):
    layer = getattr(model, "classifier", None)
    if layer is None or not hasattr(layer, "weight") or getattr(model.base_model, "pooler", None) is None:
        raise ModelLoadError("the frame head refit needs a BERT-style classifier reading the pooled output")
    return layer


def fit_frame_rows(x: np.ndarray, y: np.ndarray, mask: np.ndarray, c: float,
                   sample_weight: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per column of `y`, logistic regression weights over raw `x` (standardisation folded in),
    fitted on the rows where `mask` (weighted by `sample_weight` if given); returns (columns x
    features) weights and biases."""
    from sklearn.linear_model import LogisticRegression

    weights, biases = np.zeros((y.shape[1], x.shape[1]), np.float32), np.zeros(y.shape[1], np.float32)
    for j in range(y.shape[1]):
        rows = mask[:, j]
        xj, yj = x[rows], y[rows, j]
        if yj.all() or not yj.any():
            raise ValueError(f"frame column {j}: the annotated train rows need positives and negatives")
        mean, scale = xj.mean(axis=0), xj.std(axis=0)
        scale[scale < 1e-6] = 1.0
        model = LogisticRegression(C=c, max_iter=5000).fit(
            (xj - mean) / scale, yj, sample_weight=None if sample_weight is None else sample_weight[rows])
        w = model.coef_[0] / scale
        weights[j], biases[j] = w, model.intercept_[0] - float(w @ mean)
    return weights, biases


def annotated_train_sentences(dd, frames: list[str]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The train sentences with a frame annotation, their frame targets and masks (columns as `frames`)."""
    from .evaluate import aligned_targets
    from .training import training_rows

    train = training_rows(dd)[:]
    y, m = aligned_targets(train, frames)
    keep = np.asarray([u == "sentence" for u in train["unit"]]) & m.any(axis=1)
    return [t for t, k in zip(train["text"], keep) if k], y[keep], m[keep]


def _split_inputs(clf, rows):
    """Per split: sentence texts, their owners, the model's per-sentence outputs in article
    context, the baseline's outputs (the blend's second member) and the pooled features."""
    from .evaluate import in_context, unit_sentences

    texts, owners = unit_sentences(rows)
    outputs = in_context(clf, rows, texts, owners, clf.predict_outputs(texts))
    backend = clf.backend.primary if clf.manifest.get("blend") else clf.backend
    secondary = clf.backend.secondary.predict_outputs(texts).scores if clf.manifest.get("blend") else None
    return {"texts": texts, "owners": owners, "outputs": outputs, "secondary": secondary,
            "pooled": pooled_features(backend, texts)}


def frame_outputs(clf, split: dict, weights: np.ndarray, biases: np.ndarray) -> np.ndarray:
    """The model's per-sentence outputs with the frame columns from these classifier rows,
    blended with the baseline as the saved blend does."""
    from .models.blend import BlendBackend

    cols = frame_columns(clf.outputs)
    out = split["outputs"].copy()
    fresh = 1 / (1 + np.exp(-(split["pooled"] @ weights.T + biases)))
    if split["secondary"] is not None:
        blend = clf.backend
        pairs = dict(BlendBackend.columns_for(clf.outputs, blend.secondary.outputs))
        for k, j in enumerate(cols):
            if j in pairs:
                fresh[:, k] = (1 - blend.weight) * fresh[:, k] + blend.weight * split["secondary"][:, pairs[j]]
    out[:, cols] = fresh
    return out


def _evaluate(clf, rows, split: dict, weights, biases, thresholds: dict | None, split_name: str):
    """(evaluate_rows result, frame thresholds): thresholds tuned on these rows when None."""
    from .evaluate import aligned_targets, evaluate_rows, pool
    from .inference import Classifier
    from .metrics import best_threshold

    probs = pool(frame_outputs(clf, split, weights, biases), split["owners"], len(rows["unit"]))
    if thresholds is None:
        y, m = aligned_targets(rows, clf.labels)
        news = np.asarray([source != "memes" for source in rows["source"]])
        thresholds = {clf.labels[j]: best_threshold(y[news & m[:, j], j], probs[news & m[:, j], j])
                      for j in frame_columns(clf.labels)}
    stub = {**clf.manifest, "thresholds": {**clf.manifest["thresholds"], **thresholds}}
    return evaluate_rows(Classifier(clf.backend, stub, clf.path), rows, split_name, probs), thresholds


def dev_score(result: dict) -> float:
    return float(np.mean([result["sets"][name]["macro_f1"] for name in DEV_SETS if name in result["sets"]]))


def refit_frame_head(model_dir, out, data_dir=None, grid=C_GRID, log=print) -> dict:
    """Writes `out`: `model_dir` with the frame rows of its classifier refitted (or kept, if the
    current rows win on dev) and its frame thresholds tuned on dev. Returns the comparison."""
    from .dataset import load_dataset_dict
    from .inference import Classifier
    from .training import metrics_summary

    model_dir, out = Path(model_dir), Path(out)
    clf = Classifier.load(model_dir, device="cpu", precision="fp32")
    if clf.model_type != "transformer":
        raise ModelLoadError(f"{model_dir} is a {clf.model_type} model; the frame head is a transformer's")
    backend = clf.backend.primary if clf.manifest.get("blend") else clf.backend
    layer = classifier_layer(backend.model)
    cols = frame_columns(clf.outputs)
    frames = [clf.outputs[j] for j in cols]
    dd = load_dataset_dict(data_dir)
    texts, y, m = annotated_train_sentences(dd, frames)
    log(f"frame head: {len(texts)} frame-annotated train sentences; pooled features ...")
    x_train = pooled_features(backend, texts)
    rows = {split: dd[split][:] for split in ("dev", "test")}
    inputs = {split: _split_inputs(clf, r) for split, r in rows.items()}
    current = (layer.weight.detach().float().numpy()[cols].copy(), layer.bias.detach().float().numpy()[cols].copy())
    # the recomputed frame columns of the current rows must be the model's own
    check = frame_outputs(clf, inputs["dev"], *current)[:, cols]
    if not np.allclose(check, inputs["dev"]["outputs"][:, cols], atol=1e-4):
        raise ModelLoadError(f"{model_dir}: recomputed frame outputs differ from the model's; not a plain pooled head")
    stored = _stored_dtype(model_dir)
    # candidates are scored with their rows as the saved file will hold them (fp16 in the shipped folder)
    candidates = [("current rows", None, current)] + [
        (f"refit C={c}", c, tuple(a.astype(stored).astype(np.float32) for a in fit_frame_rows(x_train, y, m, c)))
        for c in grid]
    table, best = [], None
    for name, c, (w, b) in candidates:
        dev, thresholds = _evaluate(clf, rows["dev"], inputs["dev"], w, b, None, "dev")
        score = dev_score(dev)
        line = {"candidate": name, "dev_score": round(score, 4),
                **{f"dev {s}": round(dev["sets"][s]["macro_f1"], 4) for s in DEV_SETS if s in dev["sets"]}}
        table.append(line)
        log(json.dumps(line))
        if best is None or score > best[0]:
            best = (score, name, c, w, b, thresholds, dev)
    score, name, c, w, b, thresholds, dev = best
    test, _ = _evaluate(clf, rows["test"], inputs["test"], w, b, thresholds, "test")
    _write(model_dir, out, cols, w, b, thresholds, {
        "chosen": name, "c": c, "candidates": len(candidates), "train_sentences": len(texts),
        "data": "every frame-annotated train sentence (all sources, synthetic included), frozen encoder",
        "criterion": "mean of the frames dev macro-F1 of the original sources and of the SemEval-2025 news",
        "dev_score": round(score, 4)},
        {"dev": metrics_summary(dev), "test": metrics_summary(test)})
    return {"candidates": table, "chosen": name, "dev": metrics_summary(dev), "test": metrics_summary(test)}


def _stored_dtype(model_dir: Path):
    """The numpy dtype the folder's classifier weights are saved in."""
    from safetensors import safe_open

    with safe_open(str(Path(model_dir) / "model.safetensors"), "np") as handle:
        return handle.get_tensor("classifier.weight").dtype


def _write(model_dir: Path, out: Path, cols: list[int], weights, biases, thresholds: dict, info: dict,
           metrics: dict) -> None:
    from safetensors.torch import load_file, save_file

    from .atomic import atomic_dir
    from .inference import Classifier
    from .manifest import MANIFEST_NAME, with_version
    from .model_card import write_model_card

    with atomic_dir(out) as tmp:
        shutil.copytree(model_dir, tmp, dirs_exist_ok=True)
        for leftover in ("model.int8.onnx",):  # an export of the old weights would be refused on load anyway
            (tmp / leftover).unlink(missing_ok=True)
        state = load_file(str(tmp / "model.safetensors"))
        wkey, bkey = "classifier.weight", "classifier.bias"
        if wkey not in state or bkey not in state:
            raise ModelLoadError(f"{model_dir}/model.safetensors has no {wkey} / {bkey}")
        import torch

        state[wkey], state[bkey] = state[wkey].clone(), state[bkey].clone()
        state[wkey][cols] = torch.from_numpy(weights).to(state[wkey].dtype)
        state[bkey][cols] = torch.from_numpy(biases).to(state[bkey].dtype)
        save_file(state, str(tmp / "model.safetensors"), metadata={"format": "pt"})
        manifest = with_version(json.loads((tmp / MANIFEST_NAME).read_text(encoding="utf-8")))
        manifest.pop("int8", None)
        manifest["thresholds"] = {**manifest["thresholds"], **{k: float(v) for k, v in thresholds.items()}}
        manifest["frame_head"] = info
        manifest["metrics"] = metrics
        (tmp / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        write_model_card(tmp)
        Classifier.load(tmp)  # the folder must validate before it replaces anything
