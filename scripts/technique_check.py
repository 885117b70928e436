"""The blind check of the silver-label procedure against PTC dev gold (techniques).

Before any silver technique label is used, the procedure (an annotator reading
data/annotations/TECHNIQUES_GUIDELINE.md and one sentence with its title and previous sentence)
labels PTC dev sentences whose gold it never sees; its per-technique precision and recall
against the gold decide which techniques silver data may be used for.

  sample  writes to --work (outside the repository: it holds corpus text) units.tsv, the units an
          annotator sees (key, doc_id, title, previous, text), and gold.tsv (key -> gold labels),
          never shown to annotators. 300 sentences drawn at random from all PTC dev sentences
          (stratum R) plus up to 15 per rare technique drawn from its gold positives (stratum E),
          shuffled together so that the annotator cannot tell them apart.
  score   reads the passes WORK/out/<pass>.tsv (key, techniques) and prints, per technique and
          pass: precision on stratum R (an unbiased estimate on random text), recall on R and E
          (every gold positive the sample holds), and Cohen's kappa between passes.
  standoff  writes the passes as stand-off rows (key, doc_id, start, end, stratum, one column per
          pass; no text, no gold) to data/annotations/silver_check/technique_check.tsv
  rescore reads that stand-off file, takes the gold from PTC dev again, and prints the score report
          (what the README's table comes from)

Reliable (declared before scoring): precision >= 0.5 and recall >= 0.3 in every pass.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
from pathlib import Path

from framing.agreement import cohen_kappa
from framing.corpora import read_ptc
from framing.dataset import sentence_rows
from framing.paths import resolve_data_dir
from framing.taxonomy import load_taxonomy

RARE = ("thought-terminating-cliches", "bandwagon-reductio-ad-hitlerum", "whataboutism-strawman-red-herring",
        "black-and-white-fallacy", "appeal-to-authority", "slogans", "causal-oversimplification", "doubt",
        "repetition", "flag-waving")
MIN_PRECISION, MIN_RECALL = 0.5, 0.3


def techniques() -> list[str]:
    tax = load_taxonomy()
    return [t for t in tax.ids if tax.is_family(t, "technique")]


def parse(value: str) -> set[str]:
    value = (value or "").strip()
    found = set() if value in ("", "none") else {v.strip() for v in value.split(",") if v.strip()}
    unknown = found - set(techniques())
    if unknown:
        raise SystemExit(f"unknown technique(s) {sorted(unknown)} in {value!r}")
    return found


def read_tsv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader((line for line in handle if not line.startswith("#")), delimiter="\t",
                                   quoting=csv.QUOTE_NONE))


def clean(text: str) -> str:
    return " ".join(text.split())


def sample(data_dir: Path, work: Path, seed: int) -> None:
    ids = load_taxonomy().ids
    units = []
    for doc in read_ptc(data_dir, "dev"):
        title = clean(doc.text.split("\n", 1)[0])
        rows = [r for r in sentence_rows(doc) if len(r["text"].split()) >= 3]
        for i, row in enumerate(rows):
            gold = {label for label, on in zip(ids, row["labels"]) if on}
            units.append({"doc_id": doc.doc_id, "start": row["start"], "end": row["end"], "title": title,
                          "previous": clean(rows[i - 1]["text"]) if i else "",
                          "text": clean(row["text"]), "gold": gold})
    rng = random.Random(seed)
    order = list(range(len(units)))
    rng.shuffle(order)
    chosen = order[:300]
    stratum = {i: "R" for i in chosen}
    for technique in RARE:
        pool = [i for i in order[300:] if technique in units[i]["gold"] and i not in stratum]
        for i in pool[:15]:
            stratum[i] = "E"
    keys = list(stratum)
    rng.shuffle(keys)
    work.mkdir(parents=True, exist_ok=True)
    with open(work / "units.tsv", "w", encoding="utf-8") as out, open(work / "gold.tsv", "w", encoding="utf-8") as gold:
        out.write("key\tdoc_id\ttitle\tprevious\ttext\n")
        gold.write("key\tdoc_id\tstart\tend\tstratum\tgold\n")
        for n, i in enumerate(keys):
            u = units[i]
            key = f"k{n:04d}"
            out.write("\t".join([key, u["doc_id"], u["title"], u["previous"], u["text"]]).replace("\r", " ") + "\n")
            gold.write(f"{key}\t{u['doc_id']}\t{u['start']}\t{u['end']}\t{stratum[i]}\t{','.join(sorted(u['gold'])) or 'none'}\n")
    print(f"{len(keys)} units ({sum(s == 'R' for s in stratum.values())} random, "
          f"{sum(s == 'E' for s in stratum.values())} enriched) in {work}")


def prf(pred: dict[str, set[str]], gold: dict[str, set[str]], keys, technique: str) -> tuple[float, float, int, int]:
    tp = sum(technique in pred[k] and technique in gold[k] for k in keys)
    n_pred = sum(technique in pred[k] for k in keys)
    n_gold = sum(technique in gold[k] for k in keys)
    return (tp / n_pred if n_pred else 0.0), (tp / n_gold if n_gold else 0.0), n_pred, n_gold


def read_passes(work: Path, passes: list[str], keys) -> dict[str, dict[str, set[str]]]:
    judged = {}
    for name in passes:
        rows = {}
        for path in sorted((work / "out").glob(f"{name}*.tsv")):
            rows.update({r["key"]: parse(r["techniques"]) for r in read_tsv(path)})
        missing = set(keys) - set(rows)
        if missing:
            raise SystemExit(f"pass {name}: {len(missing)} units unjudged, e.g. {sorted(missing)[:3]}")
        judged[name] = rows
    return judged


def score(work: Path, passes: list[str]) -> dict:
    gold_rows = read_tsv(work / "gold.tsv")
    gold = {r["key"]: parse(r["gold"]) for r in gold_rows}
    strata = {r["key"]: r["stratum"] for r in gold_rows}
    return report_of(gold, strata, read_passes(work, passes, gold), passes)


# in a subfolder: the dataset fingerprint hashes data/annotations/*.tsv, and this file trains nothing
STANDOFF = Path(__file__).resolve().parent.parent / "data" / "annotations" / "silver_check" / "technique_check.tsv"


def standoff(work: Path, passes: list[str]) -> None:
    gold_rows = read_tsv(work / "gold.tsv")
    judged = read_passes(work, passes, [r["key"] for r in gold_rows])
    with open(STANDOFF, "w", encoding="utf-8") as out:
        out.write("# Blind check of the silver-label procedure (scripts/technique_check.py): PTC dev sentences\n"
                  "# (source ptc-dev, character offsets into the article), each pass an independent annotator\n"
                  "# working from data/annotations/TECHNIQUES_GUIDELINE.md. Gold is read from PTC, not stored here.\n")
        out.write("\t".join(["key", "doc_id", "start", "end", "stratum", *passes]) + "\n")
        for r in gold_rows:
            labels = [",".join(sorted(judged[p][r["key"]])) or "none" for p in passes]
            out.write("\t".join([r["key"], r["doc_id"], r["start"], r["end"], r["stratum"], *labels]) + "\n")
    print(f"{len(gold_rows)} rows -> {STANDOFF}")


def rescore(data_dir: Path) -> dict:
    ids = load_taxonomy().ids
    gold_of = {}
    for doc in read_ptc(data_dir, "dev"):
        for row in sentence_rows(doc):
            gold_of[(doc.doc_id, row["start"], row["end"])] = {label for label, on in zip(ids, row["labels"]) if on}
    rows = read_tsv(STANDOFF)
    passes = [c for c in rows[0] if c not in ("key", "doc_id", "start", "end", "stratum")]
    gold = {r["key"]: gold_of[(r["doc_id"], int(r["start"]), int(r["end"]))] for r in rows}
    judged = {p: {r["key"]: parse(r[p]) for r in rows} for p in passes}
    return report_of(gold, {r["key"]: r["stratum"] for r in rows}, judged, passes)


def report_of(gold: dict, strata: dict, judged: dict, passes: list[str]) -> dict:
    random_keys = [k for k in gold if strata[k] == "R"]
    report = {"units": len(gold), "random": len(random_keys), "passes": passes, "techniques": {}}
    for t in techniques():
        entry = {"gold_random": sum(t in gold[k] for k in random_keys), "gold_all": sum(t in gold[k] for k in gold)}
        for name in passes:
            p, _, n_pred, _ = prf(judged[name], gold, random_keys, t)
            _, r, _, _ = prf(judged[name], gold, list(gold), t)
            entry[name] = {"precision_random": round(p, 3), "predicted_random": n_pred, "recall_all": round(r, 3)}
        if len(passes) == 2:
            a, b = passes
            entry["kappa"] = round(cohen_kappa([t in judged[a][k] for k in gold], [t in judged[b][k] for k in gold]), 3)
        entry["reliable"] = all(entry[n]["precision_random"] >= MIN_PRECISION and entry[n]["recall_all"] >= MIN_RECALL
                                for n in passes)
        report["techniques"][t] = entry
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("sample")
    s.add_argument("--data-dir")
    s.add_argument("--work", type=Path, required=True)
    s.add_argument("--seed", type=int, default=2026)
    for name in ("score", "standoff"):
        c = sub.add_parser(name)
        c.add_argument("--work", type=Path, required=True)
        c.add_argument("passes", nargs="+")
    r = sub.add_parser("rescore")
    r.add_argument("--data-dir")
    args = parser.parse_args()
    if args.cmd == "sample":
        sample(resolve_data_dir(args.data_dir), args.work, args.seed)
    elif args.cmd == "standoff":
        standoff(args.work, args.passes)
    elif args.cmd == "rescore":
        print(json.dumps(rescore(resolve_data_dir(args.data_dir)), indent=1))
    else:
        print(json.dumps(score(args.work, args.passes), indent=1))


if __name__ == "__main__":
    main()
