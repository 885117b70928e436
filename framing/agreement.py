"""Inter-annotator agreement on the frame annotations (Cohen's kappa per frame), computed from
data/annotations/frames_pass2.tsv: the first annotator's labels before adjudication, the
independent second annotator's labels, and the adjudicated result."""

from __future__ import annotations

from .annotations import SECOND_PASS_FILE, parse_labels, read_tsv
from .taxonomy import load_taxonomy


def cohen_kappa(a: list[bool], b: list[bool]) -> float:
    n = len(a)
    if n == 0:
        return float("nan")
    observed = sum(x == y for x, y in zip(a, b)) / n
    pa, pb = sum(a) / n, sum(b) / n
    expected = pa * pb + (1 - pa) * (1 - pb)
    return 1.0 if expected == 1 else (observed - expected) / (1 - expected)


def agreement(path=SECOND_PASS_FILE) -> dict:
    rows = read_tsv(path)
    first = [parse_labels(r["pass1_frames"], "frame") for r in rows]
    second = [parse_labels(r["pass2_frames"], "frame") for r in rows]
    final = [parse_labels(r["adjudicated_frames"], "frame") for r in rows]
    out = {"sentences": len(rows), "frames": {}}
    for frame in load_taxonomy().family_ids("frame"):
        a = [frame in x for x in first]
        b = [frame in x for x in second]
        out["frames"][frame] = {
            "kappa": round(cohen_kappa(a, b), 3),
            "first_pass_positives": sum(a),
            "second_pass_positives": sum(b),
            "disagreements": sum(x != y for x, y in zip(a, b)),
            "adjudicated_positives": sum(frame in x for x in final),
        }
    return out
