"""Multi-label metrics that respect label masks: a cell whose source did not annotate the label
is neither a true nor a false anything."""

from __future__ import annotations

import numpy as np

# The largest threshold a manifest holds (thresholds lie in (0, 1)): a label stored with it is switched off.
NEVER = 1 - 1e-6


def prf(tp, fp, fn):
    """Precision, recall and F1 from counts, 0 where a ratio is 0/0 (no prediction, no gold).

    The one place the project computes them: scalars give floats, arrays (one count per label
    or per candidate threshold) give arrays. F1 is 2tp / (2tp + fp + fn), the harmonic mean of
    precision and recall written so that it needs no special case when both are 0."""
    tp, fp, fn = (np.asarray(x, dtype=float) for x in (tp, fp, fn))
    precision = np.divide(tp, tp + fp, out=np.zeros_like(tp), where=tp + fp > 0)
    recall = np.divide(tp, tp + fn, out=np.zeros_like(tp), where=tp + fn > 0)
    f1 = np.divide(2 * tp, 2 * tp + fp + fn, out=np.zeros_like(tp), where=2 * tp + fp + fn > 0)
    if precision.ndim == 0:
        return float(precision), float(recall), float(f1)
    return precision, recall, f1


def binary_f1(pred: np.ndarray, y: np.ndarray) -> float:
    """F1 of 0/1 decisions against 0/1 gold."""
    pred, y = np.asarray(pred, dtype=bool), np.asarray(y, dtype=bool)
    return float(prf((pred & y).sum(), (pred & ~y).sum(), (~pred & y).sum())[2])


def harmonic(precision: float, recall: float) -> float:
    """F1 of a precision and a recall that are not ratios of shared counts (SemEval's SI measure
    sums partial overlaps with different denominators); 0 where both are 0. From counts use `prf`."""
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def report(y_true: np.ndarray, y_pred: np.ndarray, mask: np.ndarray, labels: list[str],
           technique_columns: list[int] | None = None, any_pred: np.ndarray | None = None) -> dict:
    """Per-label P/R/F1/support over annotated cells, micro and macro F1, and any_technique_f1.

    Macro F1 averages the labels that are annotated and have gold support in this set.
    any_technique_f1: a row is positive when it has at least one technique; the prediction is
    `any_pred` (the model's own decision) or else the union of its technique labels; only rows
    that annotate techniques count.
    """
    y_true, y_pred, mask = (np.asarray(a, dtype=bool) for a in (y_true, y_pred, mask))
    per_label, f1s = {}, []
    tp_all = fp_all = fn_all = 0
    for j, label in enumerate(labels):
        m = mask[:, j]
        if not m.any():
            continue
        t, p = y_true[m, j], y_pred[m, j]
        tp, fp, fn = int((t & p).sum()), int((~t & p).sum()), int((t & ~p).sum())
        precision, recall, f1 = prf(tp, fp, fn)
        per_label[label] = {"precision": precision, "recall": recall, "f1": f1, "support": int(t.sum())}
        tp_all, fp_all, fn_all = tp_all + tp, fp_all + fp, fn_all + fn
        if t.any():
            f1s.append(f1)
    out = {
        "rows": int(len(y_true)),
        "micro_f1": prf(tp_all, fp_all, fn_all)[2],
        "macro_f1": float(np.mean(f1s)) if f1s else 0.0,
        "per_label": per_label,
    }
    if technique_columns:
        cols = np.asarray(technique_columns)
        rows = mask[:, cols].all(axis=1)
        if rows.any():
            t = y_true[rows][:, cols].any(axis=1)
            p = y_pred[rows][:, cols].any(axis=1) if any_pred is None else np.asarray(any_pred, bool)[rows]
            out["any_technique_f1"] = prf(int((t & p).sum()), int((~t & p).sum()), int((t & ~p).sum()))[2]
    return out


SMALL_SUPPORT = 20  # fewer gold positives than this: an F1 is reported with its bootstrap interval


def f1_interval(y_true: np.ndarray, y_pred: np.ndarray, rounds: int = 2000, seed: int = 0) -> list[float]:
    """95% percentile-bootstrap interval of one label's F1, resampling its rows (fixed seed)."""
    y_true, y_pred = np.asarray(y_true, bool), np.asarray(y_pred, bool)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(y_true), size=(rounds, len(y_true)))
    t, p = y_true[idx], y_pred[idx]
    tp = (t & p).sum(axis=1)
    f1 = prf(tp, (p & ~t).sum(axis=1), (t & ~p).sum(axis=1))[2]
    return [round(float(np.percentile(f1, 2.5)), 3), round(float(np.percentile(f1, 97.5)), 3)]


def best_threshold(y_true: np.ndarray, scores: np.ndarray, default: float = 0.5) -> float:
    """Threshold that maximises F1 of one label (ties -> the higher threshold, fewer positives)."""
    y_true = np.asarray(y_true, dtype=bool)
    if not y_true.any():
        return default
    order = np.argsort(-scores, kind="stable")
    s, t = scores[order], y_true[order]
    tp = np.cumsum(t)
    fp = np.cumsum(~t)
    fn = t.sum() - tp
    f1 = prf(tp, fp, fn)[2]
    # Only cut between distinct scores; the threshold sits halfway to the next score down.
    distinct = np.r_[s[1:] != s[:-1], True]
    f1 = np.where(distinct, f1, -1)
    k = int(np.argmax(f1))
    nxt = s[k + 1] if k + 1 < len(s) else s[k] - 1e-6
    return float(np.clip((s[k] + nxt) / 2, 1e-6, NEVER))


def _counts(y: np.ndarray, scores: np.ndarray, t: float) -> np.ndarray:
    p = scores >= t
    return np.array([(y & p).sum(), (~y & p).sum(), (y & ~p).sum()])


def _joint_objective(counts: np.ndarray, has_support: np.ndarray, macro_weight: float = 1.0) -> float:
    micro = prf(*counts.sum(axis=0))[2]
    f1 = prf(counts[:, 0], counts[:, 1], counts[:, 2])[2]
    return micro + macro_weight * (f1[has_support].mean() if has_support.any() else 0.0)


def joint_thresholds(y: np.ndarray, scores: np.ndarray, mask: np.ndarray, start: np.ndarray, rounds: int = 3,
                     macro_weight: float = 1.0, keep_on: bool = False) -> np.ndarray:
    """Per-label thresholds by coordinate ascent on micro-F1 + macro_weight * macro-F1 (masked cells only).

    Per-label F1-optimal thresholds let a label the model barely knows fire on hundreds of
    sentences for a handful of hits (F1 0.02): good for nobody, fatal for micro-F1. This search
    starts from those thresholds and may raise any label's threshold (up to "never") when that
    helps the two aggregates together. Labels without a positive keep their start threshold.
    `keep_on` forbids switching a label off: its threshold may rise only while the label still
    fires on at least half as many rows as it has positives (a technique no one can find is a
    product failure, whatever it does to the aggregates)."""
    y, mask = np.asarray(y, bool), np.asarray(mask, bool)
    n_labels = y.shape[1]
    th = np.array(start, dtype=float)
    cols = [(y[mask[:, j], j], scores[mask[:, j], j]) for j in range(n_labels)]
    cands = [np.unique(np.r_[np.quantile(s, np.linspace(0.5, 0.999, 60)) if len(s) else [], th[j], 1.0 + 1e-6])
             for j, (_, s) in enumerate(cols)]
    if keep_on:
        cands = [c[[(s >= v).sum() >= max(1, t.sum() / 2) or v <= th[j] for v in c]]
                 for j, ((t, s), c) in enumerate(zip(cols, cands))]
    counts = np.array([_counts(t, s, th[j]) for j, (t, s) in enumerate(cols)])
    has_support = np.array([t.any() for t, _ in cols])
    for _ in range(rounds):
        changed = False
        for j, (t, s) in enumerate(cols):
            if not has_support[j]:
                # No positive on these rows: any firing is a false positive here, so the search
                # would always switch the label off. Keep the given threshold instead (a frame
                # with no dev positives must still be predictable on new text).
                continue
            best, best_t, best_c = _joint_objective(counts, has_support, macro_weight), th[j], counts[j].copy()
            for cand in cands[j]:
                counts[j] = _counts(t, s, cand)
                value = _joint_objective(counts, has_support, macro_weight)
                if value > best + 1e-9:
                    best, best_t, best_c, changed = value, cand, counts[j].copy(), True
            th[j], counts[j] = best_t, best_c
        if not changed:
            break
    # a threshold above 1 means "never": store it as the largest value a manifest accepts
    return np.clip(th, 1e-6, NEVER)
