"""Merge the SemEval-2025 annotation passes (kept outside the repo, they hold corpus text) into
the stand-off files under data/annotations/, replacing any semeval2025 rows already there.

  candidates   candidates25_test.tsv (every sentence of the 40 dev documents, split test) and
               candidates25_train.tsv (train + test-unlabelled documents, split train/dev by document),
               from `scripts/frame_candidates.py --round semeval2025`
  first pass   out/test_p1_{1,2,3}.tsv, out/train_{1..4}.tsv: guideline v3, disjoint batches
  second pass  out/test_p2.tsv: an independent annotator, guideline v3 only, 350 random test sentences
  adjudication out/adjudication25.tsv: final frames of every second-pass sentence with a disagreement
  re-judging   out/rejudge25*.tsv (optional): rows re-judged after a rule was clarified; they replace
               the first-pass labels (and the adjudicated ones) of their keys

Rows of other sources are kept as they are.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

from framing.annotations import FRAMES_FILE, SECOND_PASS_FILE

FRAMES = ("anti-hegemony", "discrediting-the-west", "praise-of-partnership")
SOURCE = "semeval2025"


def read(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as handle:
        lines = [line for line in handle if not line.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE, escapechar="\\"))


def labels(value: str) -> set[str]:
    value = (value or "").strip()
    found = set() if value in ("", "none") else {v.strip() for v in value.split(",")}
    unknown = found - set(FRAMES)
    if unknown:
        raise SystemExit(f"unknown frame label(s) {sorted(unknown)} in {value!r}")
    return found


def fmt(values: set[str]) -> str:
    return ",".join(x for x in FRAMES if x in values) or "none"


def judged(work: Path, names: list[str], keys: set[str]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for name in names:
        for r in read(work / "out" / f"{name}.tsv"):
            out[r["key"]] = labels(r["frames"])
    missing = keys - set(out)
    if missing:
        raise SystemExit(f"{len(missing)} candidates have no first-pass judgement, e.g. {sorted(missing)[:5]}")
    return out


def write_tsv(path: Path, comment: str, cols: list[str], rows: list[list[str]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write(comment + "\n")
        w = csv.writer(handle, delimiter="\t", lineterminator="\n")
        w.writerow(cols)
        w.writerows(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", default="/work/annot25", help="folder with candidates25_*.tsv and out/")
    ap.add_argument("--first-pass-only", action="store_true",
                    help="ignore the second pass (train and dev rows are the same either way; test rows are final "
                         "only after adjudication)")
    args = ap.parse_args()
    work = Path(args.work)
    cands = {r["key"]: r for name in ("candidates25_test.tsv", "candidates25_train.tsv") for r in read(work / name)}
    first = judged(work, [f"test_p1_{i}" for i in (1, 2, 3)] + [f"train_{i}" for i in (1, 2, 3, 4)], set(cands))
    second = {} if args.first_pass_only else {r["key"]: labels(r["frames"]) for r in read(work / "out" / "test_p2.tsv")}
    adjudication = work / "out" / "adjudication25.tsv"
    adjudicated = {r["key"]: labels(r["frames"]) for r in read(adjudication)} if adjudication.exists() else {}
    missing = [k for k in second if first[k] != second[k] and k not in adjudicated]
    if missing:
        raise SystemExit(f"{len(missing)} disagreements lack an adjudication, e.g. {missing[:5]}")
    final = {k: adjudicated.get(k, first[k]) for k in first}
    rejudged = {r["key"]: labels(r["frames"]) for p in sorted((work / "out").glob("rejudge25*.tsv")) for r in read(p)}
    final.update(rejudged)

    cols = ["source", "doc_id", "start", "end", "sha1", "split", "frames", "techniques", "pass"]
    kept = [[r[c] for c in cols] for r in read(FRAMES_FILE) if r["source"] != SOURCE]
    order = sorted(first, key=lambda k: (cands[k]["doc_id"], int(cands[k]["start"])))
    new = [[SOURCE, cands[k]["doc_id"], cands[k]["start"], cands[k]["end"], cands[k]["sha1"], cands[k]["split"],
            fmt(final[k]), "", "adjudicated" if k in second else "1"] for k in order]
    write_tsv(FRAMES_FILE, "# Stand-off frame annotations; guideline: GUIDELINE.md. Text is resolved from the corpora.",
              cols, kept + new)

    pcols = ["source", "doc_id", "start", "end", "sha1", "pass1_frames", "pass2_frames", "adjudicated_frames"]
    pkept = [[r[c] for c in pcols] for r in read(SECOND_PASS_FILE) if r["source"] != SOURCE]
    pnew = [[SOURCE, cands[k]["doc_id"], cands[k]["start"], cands[k]["end"], cands[k]["sha1"], fmt(first[k]),
             fmt(second[k]), fmt(final[k])] for k in order if k in second]
    write_tsv(SECOND_PASS_FILE, "# Independent second passes over random samples (guideline v2 for the earlier "
              "sources, v3 for semeval2025); pass1 = first annotator before adjudication.", pcols, pkept + pnew)
    print(f"{len(new)} semeval2025 annotations (+{len(kept)} kept) -> {FRAMES_FILE}; "
          f"{len(pnew)} second-pass rows -> {SECOND_PASS_FILE}; {len(rejudged)} re-judged")


if __name__ == "__main__":
    main()
