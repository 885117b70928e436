"""Inter-annotator agreement on the frame annotations (Cohen's kappa per frame), computed from
data/annotations/frames_pass2.tsv: the first annotator's labels before adjudication, the
independent second annotator's labels, and the adjudicated result."""

from __future__ import annotations

from .annotations import SECOND_PASS_FILE, parse_labels, read_tsv
from .taxonomy import load_taxonomy


def cohen_kappa(a: list[bool], b: list[bool]) -> float:
    """Cohen's kappa of two annotators' yes/no judgements of one frame (sklearn's).

    Where both annotators give every sentence the same single label (e.g. the frame never
    occurs in either pass), kappa is 0/0: sklearn calls it undefined (and warns). We return 1.0,
    perfect agreement, since the passes never disagree; a frame judged on no sentence at all is
    NaN."""
    from sklearn.metrics import cohen_kappa_score

    if len(a) == 0:
        return float("nan")
    if len(set(a) | set(b)) == 1:
        return 1.0
    return float(cohen_kappa_score(a, b, labels=[False, True]))


# The second passes, by the guideline version they were made under: kappa is reported per group,
# since long-form news from many outlets (semeval2025) is a harder test of the definitions.
GROUPS = {"semeval2025": "semeval2025 (guideline v3)"}
EARLIER = "earlier sources (guideline v2)"


def agreement_by_group(path=SECOND_PASS_FILE) -> dict:
    rows = read_tsv(path)
    groups: dict[str, list[dict]] = {}
    for row in rows:
        groups.setdefault(GROUPS.get(row["source"], EARLIER), []).append(row)
    return {name: agreement(path, members) for name, members in sorted(groups.items())}


def agreement(path=SECOND_PASS_FILE, rows: list[dict] | None = None) -> dict:
    rows = read_tsv(path) if rows is None else rows
    first = [parse_labels(r["pass1_frames"], "frame") for r in rows]
    second = [parse_labels(r["pass2_frames"], "frame") for r in rows]
    final = [parse_labels(r["adjudicated_frames"], "frame") for r in rows]
    out = {"sentences": len(rows), "frames": {}}
    tax = load_taxonomy()
    for frame in (tax.ids[j] for j in tax.columns(tax.ids, "frame")):
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
