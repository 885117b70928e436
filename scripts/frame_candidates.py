"""Select the candidate sentences for frame annotation (the documented procedure).

Writes, to --out (outside the repository: it holds corpus text), candidates.tsv with one row per
sentence: key, source, doc_id, start, end, sha1, split, selection, title, text.

Procedure (fixed seed, reproducible):
  seeds                  every non-boilerplate sentence of the five seed articles (test split)
  euvsdisinfo            500 titles ranked by frame keywords and analyst tags + 250 drawn at random
  semeval2023-unlabelled 300 sentences ranked by keywords + 200 at random (54 unlabelled articles)
  ptc-{train,dev,test}   400 foreign-affairs sentences (keyword retrieval) + 300 at random
A keyword score only ranks candidates; every label comes from an annotator reading the sentence.

Round 2 (--round 2, after round 1 showed anti-hegemony and praise-of-partnership to be rare):
every not-yet-selected EUvsDisinfo title, SemEval-2023 unlabelled sentence and PTC sentence that
matches the narrower ENRICH patterns below (dominance/hegemony/vassal vocabulary; bilateral
praise vocabulary), capped at 300 per source, at random among matches. Written to candidates2.tsv.

Round semeval2025 (--round semeval2025, the cross-source frames): SemEval-2025 Task 10 English news.
  test   every sentence of the 40 dev documents (split test: never trained or tuned on), in
         candidates25_test.tsv, and a random sample of 350 of them for the independent second pass
         (pass2_sample25.tsv, keys only)
  train  from the 198 train and 98 test-unlabelled documents, 2,200 sentences: 1,000 drawn at random
         within documents (up to 4 per document, so that neutral sentences about the West are well
         represented) and 1,200 ranked by frame keywords (at most 8 per document), in
         candidates25_train.tsv; split by document, 80% train, 20% dev.

Splits are by document: seeds and PTC test articles -> test; PTC train/dev articles -> train/dev
(the split their techniques are in, so no text crosses splits); EUvsDisinfo and SemEval-2023
unlabelled documents by a hash of their id: 55% train, 20% dev, 25% test.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import random
import re
from pathlib import Path

from framing.annotations import text_hash
from framing.corpora import (
    read_euvsdisinfo,
    read_ptc_articles,
    read_seeds,
    read_semeval2023_unlabelled,
    read_semeval2025,
)
from framing.paths import REPO_ROOT, resolve_data_dir
from framing.segment import segment

KEYWORDS = re.compile(
    r"\b(hegemon\w*|unipolar\w*|multipolar\w*|dollar|brics|sco|world order|global order|west\w*|nato|"
    r"washington|united states|u\.s\.|us|america\w*|eu|europe\w*|brussels|sanction\w*|imperial\w*|empire|"
    r"colonial\w*|partner\w*|alliance|allies|ally|friendship|china|chinese|beijing|russia\w*|moscow|kremlin|"
    r"putin|xi|lavrov|pentagon|cia|sovereign\w*|puppet\w*|russophob\w*|cold war|encircl\w*|expansion)\b",
    re.IGNORECASE,
)
TAGS = {"West", "NATO", "US presence in Europe", "Encircling Russia", "Sovereignty", "Imperialism/colonialism",
        "Western values", "Puppets", "Anti-Russian", "Russophobia", "Warmongering", "EU/NATO enlargement",
        "Colour revolutions", "Secret elites / global elites", "Sanctions", "China"}


ENRICH = re.compile(
    r"hegemon|unipolar|multipolar|polycentric|world order|global order|dollar|brics|\bsco\b|domination|dominan|"
    r"exceptionalis|policeman|new world order|decline of the west|imperial|empire|colonial|vassal|puppet|sovereign|"
    r"dictat|diktat|anglo-saxon|atlanticis|globalis|world government|pax americana|subordinat|satellite|protectorate|"
    r"orders from washington|instructions from washington|"
    r"(russia\w*|moscow)\W+(and|-|–)\W*(china|chinese|beijing)|(china|beijing)\W+(and|-|–)\W*(russia|moscow)|"
    r"friendship|strategic partner|partnership|brotherly|fraternal|sino-russian|russo-chinese",
    re.IGNORECASE,
)


def keyword_score(text: str) -> int:
    return len(KEYWORDS.findall(text))


def hash_split(source: str, doc_id: str) -> str:
    h = int(hashlib.sha1(f"{source}/{doc_id}".encode()).hexdigest()[:8], 16) % 100
    return "train" if h < 55 else "dev" if h < 75 else "test"


def sentences_of(docs, split_of):
    for doc in docs:
        lines = doc.text.split("\n")
        title = lines[0].strip() if lines else ""
        for s in segment(doc.text):
            if s.skipped is None and (doc.source == "seeds" or len(s.text) >= 15):
                yield {"source": doc.source, "doc_id": doc.doc_id, "start": s.start, "end": s.end,
                       "sha1": text_hash(s.text), "split": split_of(doc), "title": title, "text": s.text}


def pick(pool, n_ranked, n_random, rng, score):
    rng.shuffle(pool)  # random tie-breaking among equal scores
    ranked = sorted(pool, key=score, reverse=True)[:n_ranked]
    chosen = {id(r) for r in ranked}
    rest = [r for r in pool if id(r) not in chosen]
    randoms = rng.sample(rest, min(n_random, len(rest)))
    return [dict(r, selection="ranked") for r in ranked] + [dict(r, selection="random") for r in randoms]


def write_rows(path: Path, rows: list[dict], first_key: int, prefix: str = "c") -> None:
    cols = ["key", "source", "doc_id", "start", "end", "sha1", "split", "selection", "title", "text"]
    with open(path, "w", encoding="utf-8", newline="") as handle:
        w = csv.writer(handle, delimiter="\t", quoting=csv.QUOTE_NONE, escapechar="\\", lineterminator="\n")
        w.writerow(cols)
        for i, r in enumerate(rows):
            r["key"] = f"{prefix}{first_key + i:05d}"
            w.writerow([str(r[c]).replace("\t", " ").replace("\n", " ") for c in cols])
    print(f"{len(rows)} candidates -> {path}")


def semeval2025_round(data_dir: Path, out: Path, rng: random.Random) -> None:
    test_docs = read_semeval2025(data_dir, "dev")
    test = [dict(r, selection="all") for r in sentences_of(test_docs, lambda d: "test") if r["text"].strip()]
    write_rows(out / "candidates25_test.tsv", test, 0, prefix="t")
    sample = sorted(rng.sample(range(len(test)), 350))
    (out / "pass2_sample25.tsv").write_text("key\n" + "".join(f"t{i:05d}\n" for i in sample), encoding="utf-8")

    def split_of(doc) -> str:
        h = int(hashlib.sha1(f"semeval2025/{doc.doc_id}".encode()).hexdigest()[:8], 16) % 100
        return "train" if h < 80 else "dev"

    docs = read_semeval2025(data_dir, "train") + read_semeval2025(data_dir, "test-unlabelled")
    by_doc: dict[str, list[dict]] = {}
    for r in sentences_of(docs, split_of):
        by_doc.setdefault(r["doc_id"], []).append(r)
    chosen: list[dict] = []
    for doc_id in sorted(by_doc):
        pool = by_doc[doc_id]
        chosen += [dict(r, selection="random") for r in rng.sample(pool, min(4, len(pool)))]
    rng.shuffle(chosen)
    chosen = chosen[:1000]
    taken = {(r["doc_id"], r["start"]) for r in chosen}
    ranked: list[dict] = []
    for doc_id in sorted(by_doc):
        fresh = [r for r in by_doc[doc_id] if (doc_id, r["start"]) not in taken and keyword_score(r["text"]) > 0]
        rng.shuffle(fresh)
        ranked += sorted(fresh, key=lambda r: keyword_score(r["text"]) + 3 * bool(ENRICH.search(r["text"])),
                         reverse=True)[:8]
    rng.shuffle(ranked)
    ranked = sorted(ranked, key=lambda r: keyword_score(r["text"]) + 3 * bool(ENRICH.search(r["text"])),
                    reverse=True)[:1200]
    rows = sorted(chosen + [dict(r, selection="ranked") for r in ranked], key=lambda r: (r["doc_id"], r["start"]))
    write_rows(out / "candidates25_train.tsv", rows, 0, prefix="s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--out", required=True, help="folder outside the repo for the candidate file")
    ap.add_argument("--round", default="1", choices=("1", "2", "semeval2025"))
    args = ap.parse_args()
    data_dir = resolve_data_dir(args.data_dir)
    if args.round == "semeval2025":
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        semeval2025_round(data_dir, out, random.Random(20261203))
        return
    rng = random.Random(20261201)
    rows = [dict(r, selection="all") for r in sentences_of(read_seeds(REPO_ROOT / "seeds"), lambda d: "test")]

    claims = read_euvsdisinfo(data_dir)
    pool = [{"source": d.source, "doc_id": d.doc_id, "start": 0, "end": len(d.text), "sha1": text_hash(d.text),
             "split": hash_split(d.source, d.doc_id), "title": "", "text": d.text,
             "_tags": len(TAGS & set(d.meta["keywords"].split("+")))} for d in claims if d.text.strip()]
    claims_pool = list(pool)
    rows += pick(pool, 500, 250, rng, lambda r: keyword_score(r["text"]) + 2 * r["_tags"])

    unl = read_semeval2023_unlabelled(data_dir)
    pool = list(sentences_of(unl, lambda d: hash_split(d.source, d.doc_id)))
    rows += pick(pool, 300, 200, rng, lambda r: keyword_score(r["text"]))

    pool = []
    for split in ("train", "dev", "test"):
        pool += list(sentences_of(read_ptc_articles(data_dir, split), lambda d, s=split: s))
    ptc_pool = list(pool)
    rows += pick(pool, 400, 300, rng, lambda r: keyword_score(r["text"]))

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    name, first_key = "candidates.tsv", 0
    if args.round == "2":
        taken = {(r["source"], r["doc_id"], r["start"]) for r in rows}
        pools = [claims_pool, list(sentences_of(unl, lambda d: hash_split(d.source, d.doc_id))), ptc_pool]
        rows = []
        for pool in pools:
            fresh = [r for r in pool if (r["source"], r["doc_id"], r["start"]) not in taken and ENRICH.search(r["text"])]
            rows += [dict(r, selection="enrich") for r in rng.sample(fresh, min(300, len(fresh)))]
        name, first_key = "candidates2.tsv", 10000
    write_rows(out / name, rows, first_key)


if __name__ == "__main__":
    main()

# Round 3 (done by hand after round 2, to find every praise-of-partnership positive): every
# sentence of all sources matching a broad bilateral-praise pattern (Russia/China pairs,
# friendship, partnership, brotherly, "best in history", bilateral ties) that was not yet
# annotated: 7 sentences, judged and appended to frames.tsv.
