"""The span metrics of SemEval-2020 Task 11, as the task defines them.

SI (span identification): the partial-overlap measure of Da San Martino et al. (EMNLP 2019).
With C(s, t, h) = |s ∩ t| / h over character sets,
  P = Σ_{s∈S, t∈T} C(s, t, |s|) / |S|,   R = Σ_{s∈S, t∈T} C(s, t, |t|) / |T|,
summed over articles (S predicted, T gold), F1 their harmonic mean. Labels are ignored and the
overlapping spans of an article are merged first (gold and predicted alike, so a prediction is
never counted twice). No prediction at all gives P = 0.

TC (technique classification): every gold span gets one predicted technique per gold line;
micro-F1 over the gold lines. A span annotated with k techniques has k gold lines: its k
predictions are matched to its gold techniques as multisets, in any order.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from .metrics import harmonic, prf

Interval = tuple[int, int]


def merge(spans: Iterable[Interval]) -> list[Interval]:
    """Overlapping or touching-by-overlap intervals joined; [start, end) character offsets."""
    out: list[list[int]] = []
    for start, end in sorted((int(a), int(b)) for a, b in spans if b > a):
        if out and start < out[-1][1]:
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([start, end])
    return [(a, b) for a, b in out]


def si_score(predicted: dict[str, list[Interval]], gold: dict[str, list[Interval]]) -> dict:
    """SI precision, recall and F1 over every article of `gold` (and any extra predicted one)."""
    p_sum = r_sum = 0.0
    n_pred = n_gold = 0
    for article in set(gold) | set(predicted):
        s_spans, t_spans = merge(predicted.get(article, [])), merge(gold.get(article, []))
        n_pred, n_gold = n_pred + len(s_spans), n_gold + len(t_spans)
        for s0, s1 in s_spans:
            for t0, t1 in t_spans:
                inter = min(s1, t1) - max(s0, t0)
                if inter > 0:
                    p_sum += inter / (s1 - s0)
                    r_sum += inter / (t1 - t0)
    precision = p_sum / n_pred if n_pred else 0.0
    recall = r_sum / n_gold if n_gold else 0.0
    return {"precision": precision, "recall": recall, "f1": harmonic(precision, recall),
            "predicted_spans": n_pred, "gold_spans": n_gold}


def tc_score(gold: list[tuple[str, str, int, int]], predicted: list[str]) -> dict:
    """TC micro-F1 (with per-technique P/R/F1): `gold` lines (article, technique, start, end),
    `predicted` one technique per gold line, in the same order."""
    if len(predicted) != len(gold):
        raise ValueError(f"{len(predicted)} predictions for {len(gold)} gold spans")
    by_span: dict[tuple, tuple[Counter, Counter]] = {}
    for (article, technique, start, end), guess in zip(gold, predicted):
        g, p = by_span.setdefault((article, start, end), (Counter(), Counter()))
        g[technique] += 1
        p[guess] += 1
    tp, fp, fn = Counter(), Counter(), Counter()
    for g, p in by_span.values():
        hit = g & p
        tp.update(hit)
        fp.update(p - hit)
        fn.update(g - hit)
    per = {}
    for technique in sorted(set(tp) | set(fp) | set(fn)):
        precision, recall, f1 = prf(tp[technique], fp[technique], fn[technique])
        per[technique] = {"precision": precision, "recall": recall, "f1": f1,
                          "support": tp[technique] + fn[technique]}
    micro = prf(sum(tp.values()), sum(fp.values()), sum(fn.values()))
    return {"micro_f1": micro[2], "precision": micro[0], "recall": micro[1], "gold_spans": len(gold),
            "per_technique": per}
