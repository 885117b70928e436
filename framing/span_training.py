"""Training a span head on a saved transformer's frozen encoder (`framing spans train`).

The encoder and the sentence classifier stay exactly as shipped, so every sentence-level
figure is unchanged; only the head that reads each token's last hidden state is learnt. Its
targets are PTC train's character spans, projected onto the tokens of the sentences that
`segment` cuts (the same sentences the model scores at inference). Features are computed in the
precision the model runs in, once, then the head is fitted on them in minibatches.
"""

from __future__ import annotations

import numpy as np

from .corpora import Document
from .segment import segment
from .taxonomy import ANY_TECHNIQUE, load_taxonomy
from .token_spans import token_targets


def span_outputs(labels: list[str]) -> list[str]:
    """What a span head predicts: every technique of the model, then "any-technique"."""
    tax = load_taxonomy()
    return [labels[j] for j in tax.columns(labels, "technique")] + [ANY_TECHNIQUE]


def article_units(doc: Document) -> list[tuple[int, int, str]]:
    """(start, end, text) of the sentences the model scores in `doc`."""
    return [(s.start, s.end, s.text) for s in segment(doc.text) if s.skipped is None]


def sentence_targets(doc: Document, units, outputs: list[str]) -> list[list[tuple[int, int, int]]]:
    """Each sentence's spans, clipped to it, in its own characters, as (start, end, column)."""
    column = {label: j for j, label in enumerate(outputs)}
    return [[(max(sp.start, a) - a, min(sp.end, b) - a, column[sp.label]) for sp in doc.spans
             if sp.start < b and sp.end > a and sp.label in column] for a, b, _ in units]


def token_dataset(backend, docs: list[Document], outputs: list[str], log=print, context: int = 0,
                  layers: tuple[int, ...] = (-1,)):
    """Features (tokens x hidden, float16), targets (tokens x outputs) and, per sentence, its
    article index, its character start and its tokens' offsets (to decode predictions)."""
    any_col = outputs.index(ANY_TECHNIQUE)
    columns = np.ones(len(outputs), dtype=bool)
    feats, targets, index = [], [], []
    for n, doc in enumerate(docs):
        units = article_units(doc)
        if not units:
            continue
        spans = sentence_targets(doc, units, outputs)
        features = backend.token_features([u[2] for u in units], context, layers)
        for (start, _, _), tokens, sent_spans in zip(units, features, spans):
            y, _ = token_targets([tuple(o) for o in tokens.offsets], sent_spans, columns, any_col)
            feats.append(tokens.probs)
            targets.append(y.astype(np.uint8))
            index.append((n, start, tokens.offsets))  # the sentence's article, start and token offsets
        if log and (n + 1) % 50 == 0:
            log(f"features: {n + 1}/{len(docs)} articles")
    return np.concatenate(feats), np.concatenate(targets), index


def pos_weights(y: np.ndarray, cap: float = 10.0) -> np.ndarray:
    pos = y.sum(axis=0).astype(np.float64)
    return np.clip((len(y) - pos) / np.maximum(pos, 1), 1.0, cap).astype(np.float32)


def fit_head(x: np.ndarray, y: np.ndarray, layers: list[int], epochs: int = 4, lr: float = 1e-3, batch: int = 2048,
             seed: int = 0, cap: float = 10.0, dropout: float = 0.0, noise: float = 0.0, weight_decay: float = 0.01,
             log=print):
    """A head with `layers` trained with masked-free BCE (every token of a PTC sentence is
    annotated) and positive weights capped at `cap`; returns the module in eval mode.

    `dropout` drops input features and `noise` adds Gaussian noise of that many times each
    feature's standard deviation, in training only (the module has neither, so the saved head is
    the same either way). The encoder was fine-tuned on PTC train, so train token states are
    in-sample and a head fits them more closely than it can fit dev's: both raised the
    cross-validated dev SI F1 (scripts/si_heads.py)."""
    import torch

    from .span_head import build_head

    torch.manual_seed(seed)
    head = build_head(layers)
    opt = torch.optim.AdamW(head.parameters(), lr=lr, weight_decay=weight_decay)
    pw = torch.from_numpy(pos_weights(y, cap))
    std = torch.from_numpy(x[:: max(1, len(x) // 50000)].astype(np.float32).std(axis=0)) if noise else None
    rng = np.random.default_rng(seed)
    for epoch in range(epochs):
        order = rng.permutation(len(x))
        total = 0.0
        for k in range(0, len(order), batch):
            rows = order[k: k + batch]
            xb = torch.from_numpy(x[rows].astype(np.float32))
            if dropout:
                xb = torch.nn.functional.dropout(xb, dropout, training=True)
            if noise:
                xb = xb + noise * std * torch.randn_like(xb)
            yb = torch.from_numpy(y[rows].astype(np.float32))
            loss = torch.nn.functional.binary_cross_entropy_with_logits(head(xb), yb, pos_weight=pw)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(rows)
        if log:
            log(f"span head epoch {epoch + 1}/{epochs}: loss {total / len(x):.4f}")
    return head.eval()


def head_probs(head, x: np.ndarray, batch: int = 65536) -> np.ndarray:
    import torch

    out = []
    with torch.inference_mode():
        for k in range(0, len(x), batch):
            out.append(torch.sigmoid(head(torch.from_numpy(x[k: k + batch].astype(np.float32)))).numpy())
    return np.concatenate(out) if out else np.zeros((0, 0), np.float32)


# --- tuning on PTC dev ----------------------------------------------------------------------

THRESHOLDS = (0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.93, 0.96)
GAPS = (2, 4, 8, 16)
# SI spans only in sentences whose any-technique score reaches the gate (0 = every sentence):
# the sentence model sees the whole sentence, the token head one token's state.
SI_GATES = (0.0, 0.2, 0.3, 0.4, 0.5, 0.6)


def _decoded(docs, index, probs, column: int, threshold: float, gap: int,
             keep: np.ndarray | None = None) -> dict[str, list[tuple[int, int]]]:
    """Document-offset spans of one output column over the dev sentences (those where `keep`)."""
    from .span_decode import decode

    found: dict[str, list[tuple[int, int]]] = {doc.doc_id: [] for doc in docs}
    k = 0
    for s, (n, start, offsets) in enumerate(index):
        rows = probs[k: k + len(offsets), [column]]
        k += len(offsets)
        if keep is not None and not keep[s]:
            continue
        doc = docs[n]
        for a, b, _, _ in decode(doc.text[start:], offsets, rows, ["x"], np.array([threshold]), {"max_gap": gap}):
            found[doc.doc_id].append((start + a, start + b))
    return found


def tune_decoding(docs, index, probs, outputs: list[str], log=print,
                  sentence_any: np.ndarray | None = None) -> tuple[dict, np.ndarray, dict]:
    """Decoding settings and per-output thresholds chosen on dev: for each gap, each
    technique's threshold maximises its own span F1 (the SI measure restricted to it); the SI
    spans come from the any-technique output or from the union of the technique spans,
    whichever scores higher; the gap with the best SI F1 wins. With `sentence_any` (each dev
    sentence's any-technique score), the SI spans of the any-technique output may then be gated
    by it: gate and threshold chosen together, gate 0 (no gating) among the candidates."""
    from .span_metrics import si_score

    gold = {label: {doc.doc_id: [(s.start, s.end) for s in doc.spans if s.label == label] for doc in docs}
            for label in outputs}
    gold_any = {doc.doc_id: [(s.start, s.end) for s in doc.spans] for doc in docs}
    any_col = outputs.index(ANY_TECHNIQUE)
    best = None
    for gap in GAPS:
        th, per_label, union = np.full(len(outputs), 0.9, np.float32), {}, {doc.doc_id: [] for doc in docs}
        for j, label in enumerate(outputs):
            if j == any_col:
                continue
            scored = [(si_score(_decoded(docs, index, probs, j, t, gap), gold[label])["f1"], t) for t in THRESHOLDS]
            f1, th[j] = max(scored)
            per_label[label] = round(f1, 4)
            for doc_id, spans in _decoded(docs, index, probs, j, float(th[j]), gap).items():
                union[doc_id].extend(spans)
        by_any = max((si_score(_decoded(docs, index, probs, any_col, t, gap), gold_any)["f1"], t) for t in THRESHOLDS)
        by_union = si_score(union, gold_any)["f1"]
        th[any_col] = by_any[1]
        si = max(by_any[0], by_union)
        log(f"gap {gap}: SI F1 {si:.4f} (any-technique output {by_any[0]:.4f} at {by_any[1]}, technique union "
            f"{by_union:.4f}); technique span F1 mean {np.mean(list(per_label.values())):.4f}")
        if best is None or si > best[0]:
            source = ANY_TECHNIQUE if by_any[0] >= by_union else "techniques"
            best = (si, {"max_gap": gap, "whole_words": True, "min_chars": 2, "si_source": source,
                         "si_threshold": float(by_any[1])}, th.copy(), per_label)
    si, decoding, th, per_label = best
    if sentence_any is not None and decoding["si_source"] == ANY_TECHNIQUE:
        gap = decoding["max_gap"]
        gated = max((si_score(_decoded(docs, index, probs, any_col, t, gap, sentence_any >= g), gold_any)["f1"], -g, t)
                    for g in SI_GATES for t in THRESHOLDS)
        log(f"SI gated by the sentence's any-technique score: F1 {gated[0]:.4f} at gate {-gated[1]}, "
            f"threshold {gated[2]} (ungated {si:.4f})")
        if gated[0] > si and gated[1] < 0:
            si, decoding = gated[0], {**decoding, "si_threshold": float(gated[2]), "si_gate": float(-gated[1])}
            th[any_col] = gated[2]
    return decoding, th, {"si_f1": round(si, 4), "technique_span_f1": per_label}


def span_training_rows(clf, docs) -> tuple[np.ndarray, np.ndarray, list]:
    """Span-classifier features of every gold span of `docs`, their technique indices, and
    each document's tokens (kept for reuse)."""
    from .span_classify import span_features

    techniques = [o for o in clf.backend.span_head.outputs if o != ANY_TECHNIQUE]
    x, y = [], []
    for doc in docs:
        tokens = clf.document_tokens(doc.text)
        for span in doc.spans:
            if span.label in techniques:
                x.append(span_features(tokens, span.start, span.end))
                y.append(techniques.index(span.label))
    return np.asarray(x, np.float32), np.asarray(y), techniques


def _fit_span_classifier(clf, train_docs, dev_docs, log) -> tuple:
    """(dev TC micro-F1, C, classifier) of the best of a small C grid, fitted on PTC train spans."""
    from .span_classify import fit_span_classifier
    from .span_metrics import tc_score

    x_tc, y_tc, techniques = span_training_rows(clf, train_docs)
    x_tc_dev, _, _ = span_training_rows(clf, dev_docs)
    gold = [(doc.doc_id, span.label, span.start, span.end) for doc in dev_docs for span in doc.spans
            if span.label in techniques]
    best = None
    for c in (0.02, 0.05, 0.2):
        classifier = fit_span_classifier(x_tc, y_tc, techniques, c)
        ranked = classifier.rank(x_tc_dev)
        micro = tc_score(gold, [techniques[row[0]] for row in ranked])["micro_f1"]
        log(f"span classifier C={c}: dev TC micro-F1 {micro:.4f}")
        if best is None or micro > best[0]:
            best = (micro, c, classifier)
    return best


def train_span_head(model_dir, data_dir=None, hidden: int = 256, epochs: int = 6, seed: int = 0, context: int = 0,
                    dropout: float = 0.0, noise: float = 0.0, keep_classifier: bool = False, log=print) -> dict:
    """Adds (or replaces) the span head of a transformer model folder, tuned on PTC dev.

    `keep_classifier` keeps the folder's span classifier (TC) instead of refitting it: it reads
    the encoder's hidden states and the sentence scores, never the head, so a head retrained for
    SI leaves it valid, and a refit would only move TC by the noise of recomputed features."""
    import json
    import os
    from pathlib import Path

    from .corpora import read_ptc
    from .errors import ModelLoadError
    from .inference import Classifier
    from .manifest import MANIFEST_NAME
    from .paths import resolve_data_dir
    from .span_head import SpanHead

    model_dir, root = Path(model_dir), resolve_data_dir(data_dir)
    clf = Classifier.load(model_dir, device="cpu", precision="auto")
    if clf.model_type != "transformer":
        raise ModelLoadError(f"{model_dir} is a {clf.model_type} model; a span head needs a transformer's tokens")
    backend = clf.backend.primary if clf.manifest.get("blend") else clf.backend
    previous = backend.span_head
    if keep_classifier and (previous is None or previous.classifier is None):
        raise ModelLoadError(f"{model_dir} has no span classifier to keep; train without --keep-classifier")
    backend.span_head = None  # features come from the frozen encoder alone
    outputs = span_outputs(clf.labels)
    train_docs, dev_docs = read_ptc(root, "train"), read_ptc(root, "dev")
    x, y, _ = token_dataset(backend, train_docs, outputs, log, context)
    layers = [x.shape[1], hidden, len(outputs)] if hidden else [x.shape[1], len(outputs)]
    module = fit_head(x, y, layers, epochs=epochs, seed=seed, dropout=dropout, noise=noise, log=log)
    del x, y
    x_dev, _, index = token_dataset(backend, dev_docs, outputs, log, context)
    # each dev sentence's any-technique score, as the model (blend included) gives it at inference
    dev_texts = [text for doc in dev_docs for _, _, text in article_units(doc)]
    sentence_any = clf.predict_outputs(dev_texts)[:, clf.outputs.index(ANY_TECHNIQUE)] \
        if ANY_TECHNIQUE in clf.outputs else None
    decoding, thresholds, si = tune_decoding(dev_docs, index, head_probs(module, x_dev), outputs, log, sentence_any)
    head = SpanHead(module, outputs, thresholds, decoding, context=context)
    backend.span_head = head
    manifest = json.loads((model_dir / MANIFEST_NAME).read_text(encoding="utf-8"))
    if keep_classifier:  # its figures too come from the previous head's entry
        before = manifest.get("span_head") or {}
        tc_f1 = (before.get("metrics") or {}).get("dev", {}).get("tc_micro_f1")
        tc_c, head.classifier = (before.get("training") or {}).get("tc_c"), previous.classifier
        log("span classifier kept from the folder's previous span head")
    else:
        tc_f1, tc_c, head.classifier = _fit_span_classifier(clf, train_docs, dev_docs, log)
    manifest["span_head"] = head.save(model_dir, layers, extra={
        "training": {"data": "PTC train spans, on the frozen encoder", "epochs": epochs, "seed": seed, "tc_c": tc_c,
                     "hidden": hidden, "input_dropout": dropout, "input_noise": noise,
                     **({"tc_classifier": "kept from the previous span head"} if keep_classifier else {})},
        "metrics": {"dev": {**si, "tc_micro_f1": None if tc_f1 is None else round(tc_f1, 4)}}})
    tmp = model_dir / (MANIFEST_NAME + ".tmp")  # replaced in one step: a reader never sees half a manifest
    tmp.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, model_dir / MANIFEST_NAME)
    if (model_dir / "README.md").is_file():  # the model card describes the span head too
        from .model_card import write_model_card

        write_model_card(model_dir)
    return manifest["span_head"]
