"""Merge the annotation passes (kept outside the repo, they hold corpus text) into the
stand-off files committed under data/annotations/.

  first pass   out/batch1..7.tsv, out/seeds.tsv (frames; seeds also techniques), guideline v1
  re-judging   out/rejudge1..5.tsv: anti-hegemony re-judged on every sentence under guideline v2
  second pass  out/pass2v2.tsv: an independent annotator, guideline v2 only, 510 sentences
  adjudication out/adjudication.tsv: final frames for every second-pass sentence with a disagreement

Writes data/annotations/frames.tsv and data/annotations/frames_pass2.tsv.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

from framing.annotations import FRAMES_FILE, SECOND_PASS_FILE

FRAMES = ("anti-hegemony", "discrediting-the-west", "praise-of-partnership")


def read(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE, escapechar="\\"))


def labels(value: str) -> set[str]:
    value = (value or "").strip()
    return set() if value in ("", "none") else {v.strip() for v in value.split(",")}


def fmt(values: set[str], order=FRAMES) -> str:
    return ",".join(x for x in order if x in values) or "none"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", default="/work/annot", help="folder with candidates*.tsv and out/")
    args = ap.parse_args()
    work = Path(args.work)
    cands = {r["key"]: r for name in ("candidates.tsv", "candidates2.tsv") for r in read(work / name)}
    first, techniques = {}, {}
    for name in [f"batch{i}" for i in range(1, 8)] + ["seeds"]:
        for r in read(work / "out" / f"{name}.tsv"):
            first[r["key"]] = labels(r["frames"])
            if name == "seeds":
                techniques[r["key"]] = labels(r["techniques"])
    for i in range(1, 6):
        for r in read(work / "out" / f"rejudge{i}.tsv"):
            first[r["key"]].discard("anti-hegemony")
            if r["anti_hegemony"].strip() == "yes":
                first[r["key"]].add("anti-hegemony")
    second = {r["key"]: labels(r["frames"]) for r in read(work / "out" / "pass2v2.tsv")}
    adjudicated = {r["key"]: labels(r["frames"]) for r in read(work / "out" / "adjudication.tsv")}
    missing = [k for k in second if first[k] != second[k] and k not in adjudicated]
    if missing:
        raise SystemExit(f"{len(missing)} disagreements lack an adjudication, e.g. {missing[:5]}")
    final = {k: adjudicated.get(k, first[k]) for k in first}

    from framing.taxonomy import load_taxonomy

    tech_order = load_taxonomy().family_ids("technique")
    cols = ["source", "doc_id", "start", "end", "sha1", "split", "frames", "techniques", "pass"]
    order = sorted(first, key=lambda k: (cands[k]["source"], cands[k]["doc_id"], int(cands[k]["start"])))
    with open(FRAMES_FILE, "w", encoding="utf-8", newline="") as handle:
        handle.write("# Stand-off frame annotations; guideline: GUIDELINE.md. Text is resolved from the corpora.\n")
        w = csv.writer(handle, delimiter="\t", lineterminator="\n")
        w.writerow(cols)
        for k in order:
            c = cands[k]
            tech = fmt(techniques[k], tech_order) if k in techniques else ""
            w.writerow([c["source"], c["doc_id"], c["start"], c["end"], c["sha1"], c["split"], fmt(final[k]), tech,
                        "adjudicated" if k in second else "1"])
    with open(SECOND_PASS_FILE, "w", encoding="utf-8", newline="") as handle:
        handle.write("# Independent second pass (guideline v2) over a random sample; pass1 = first annotator after "
                     "the v2 re-judging, before adjudication.\n")
        w = csv.writer(handle, delimiter="\t", lineterminator="\n")
        w.writerow(["source", "doc_id", "start", "end", "sha1", "pass1_frames", "pass2_frames", "adjudicated_frames"])
        for k in sorted(second, key=order.index):
            c = cands[k]
            w.writerow([c["source"], c["doc_id"], c["start"], c["end"], c["sha1"], fmt(first[k]), fmt(second[k]),
                        fmt(final[k])])
    print(f"{len(order)} annotations -> {FRAMES_FILE}; {len(second)} second-pass rows -> {SECOND_PASS_FILE}")


if __name__ == "__main__":
    main()
