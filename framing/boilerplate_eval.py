"""Measures the boilerplate detector on the seeds against hand-judged lines
(data/annotations/seed_boilerplate.tsv): a line counts as flagged when the segmenter marks its
sentences skipped."""

from __future__ import annotations

from .corpora import read_seeds
from .metrics import prf
from .paths import ANNOTATIONS_DIR, REPO_ROOT
from .segment import segment

GOLD = ANNOTATIONS_DIR / "seed_boilerplate.tsv"


def evaluate_seed_boilerplate() -> dict:
    gold = {}
    for line in GOLD.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        doc, start, end, flag = line.split("\t")
        gold[(doc, int(start), int(end))] = flag == "1"
    tp = fp = fn = tn = 0
    misses = []
    for doc in read_seeds(REPO_ROOT / "seeds"):
        sentences = segment(doc.text)
        for (gdoc, start, end), is_bp in gold.items():
            if gdoc != doc.doc_id:
                continue
            inside = [s for s in sentences if start <= s.start < end]
            flagged = bool(inside) and all(s.skipped for s in inside)
            tp += is_bp and flagged
            fp += flagged and not is_bp
            fn += is_bp and not flagged
            tn += not is_bp and not flagged
            if flagged != is_bp:
                misses.append({"doc": doc.doc_id, "start": start, "text": doc.text[start:end][:80],
                               "gold": is_bp, "flagged": flagged})
    precision, recall, _ = prf(tp, fp, fn)
    return {
        "lines": tp + fp + fn + tn,
        "boilerplate_lines": tp + fn,
        "precision": precision,
        "recall": recall,
        "errors": misses,
    }
