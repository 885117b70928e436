"""The sentence dataset: corpora -> labeled rows with per-source label masks -> DatasetDict.

Splits follow ../shared/data/INDEX.md:
  train: PTC train (spans projected onto sentences), SemEval-2021 memes train, frame annotations (train)
  dev:   PTC dev (dev-gold), memes dev, frame annotations (dev)          -> model choice, thresholds
  test:  SemEval-2023 st3 dev paragraphs (the 90 PTC test articles), memes test, frame annotations (test)

A row is a sentence (`unit="sentence"`) or a labeled region scored as a whole (`unit="region"`:
a SemEval-2023 paragraph or a meme; at evaluation its prediction is the union of its
sentences' labels). `mask[i] == 0` means the row's source says nothing about label i, so it is
neither a positive nor a negative for it (PTC does not annotate frames).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path

from .annotations import load_frame_rows
from .corpora import (
    EUVSDISINFO,
    MEMES,
    PTC,
    SEMEVAL2023,
    SEMEVAL2025,
    Document,
    read_memes,
    read_ptc,
    read_semeval2023,
)
from .dataset_cache import load_or_build
from .paths import ANNOTATIONS_DIR, cache_dir, resolve_data_dir
from .projection import project
from .rows import make_row
from .segment import segment
from .taxonomy import FAMILIES, TAXONOMY_PATH, load_taxonomy
from .version import __version__

# Bump when the row-building logic changes; part of the cache fingerprint.
DATASET_VERSION = "1"
SPLITS = ("train", "dev", "test")
_CODE_FILES = ("dataset.py", "rows.py", "segment.py", "projection.py", "corpora.py", "annotations.py", "boilerplate.py")


def sentence_rows(doc: Document) -> list[dict]:
    """PTC-style document: every sentence, labeled by projecting the technique spans."""
    sentences = segment(doc.text)
    bounds = [(s.start, s.end) for s in sentences]
    labels = project(bounds, [(sp.start, sp.end, sp.label) for sp in doc.spans])
    return [
        make_row(doc.source, doc.doc_id, "sentence", s.start, s.end, s.text, labs, {"technique"})
        for s, labs in zip(sentences, labels)
    ]


def region_rows(doc: Document) -> list[dict]:
    rows = []
    for region in doc.regions or []:
        text = doc.text[region.start : region.end]
        if text.strip():
            rows.append(
                make_row(doc.source, doc.doc_id, "region", region.start, region.end, text, set(region.labels), {"technique"})
            )
    return rows


def build_rows(data_dir: Path, *, with_memes: bool = True, with_frames: bool = True) -> dict[str, list[dict]]:
    splits: dict[str, list[dict]] = {split: [] for split in SPLITS}
    for split in ("train", "dev"):
        for doc in read_ptc(data_dir, split):
            splits[split].extend(sentence_rows(doc))
    for doc in read_semeval2023(data_dir):
        splits["test"].extend(region_rows(doc))
    if with_memes:
        for split in SPLITS:
            for doc in read_memes(data_dir, split):
                splits[split].extend(region_rows(doc))
    if with_frames:
        for split, row in load_frame_rows(data_dir):
            splits[split].append(row)
    return splits


def _inputs(data_dir: Path) -> list[Path]:
    roots = [data_dir / PTC, data_dir / SEMEVAL2023, data_dir / MEMES, data_dir / EUVSDISINFO, data_dir / SEMEVAL2025]
    wanted = [
        p
        for root in roots
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.name.endswith(".md") and "train-articles-subtask" not in str(p)
    ]
    wanted += sorted(p for p in ANNOTATIONS_DIR.glob("*.tsv"))
    return wanted + [TAXONOMY_PATH]


def fingerprint(data_dir: Path, **options) -> str:
    """Hash of every input file, the code that turns them into rows, and the options."""
    digest = hashlib.sha256()
    digest.update(f"{__version__}|{DATASET_VERSION}|{json.dumps(options, sort_keys=True)}".encode())
    here = Path(__file__).parent
    for name in _CODE_FILES:
        digest.update((here / name).read_bytes())
    for path in _inputs(data_dir):
        # Named relative to the corpora or the project, so that a clone elsewhere shares the cache key.
        base = next((b for b in (data_dir, ANNOTATIONS_DIR.parent.parent, TAXONOMY_PATH.parent)
                     if path.is_relative_to(b)), path.parent)
        digest.update(str(path.relative_to(base)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def load_dataset_dict(data_dir: str | Path | None = None, *, with_memes: bool = True, with_frames: bool = True,
                      rebuild: bool = False):
    """The DatasetDict (train/dev/test), built once and cached under its fingerprint."""
    import datasets

    root = resolve_data_dir(data_dir)
    options = {"with_memes": with_memes, "with_frames": with_frames}
    fp = fingerprint(root, **options)

    def build():
        rows = build_rows(root, **options)
        return datasets.DatasetDict({split: datasets.Dataset.from_list(rows[split]) for split in SPLITS})

    # replaced atomically on rebuild (dataset_cache): readers never see a half-written cache
    dd = load_or_build(cache_dir() / "datasets", fp, build, rebuild=rebuild)
    dd.fingerprint_ = fp  # type: ignore[attr-defined]
    return dd


def stats(dd) -> list[dict]:
    """Per split and source: rows, units, and positives per label (only where annotated)."""
    tax = load_taxonomy()
    columns = {family: tax.columns(tax.ids, family) for family in FAMILIES}
    out = []
    for split in SPLITS:
        ds = dd[split]
        groups: dict[str, dict] = {}
        for source, unit, labels, mask in zip(ds["source"], ds["unit"], ds["labels"], ds["mask"]):
            g = groups.setdefault(source, {"split": split, "source": source, "rows": 0, "units": Counter(),
                                            "positives": Counter(), "annotated": set()})
            g["rows"] += 1
            g["units"][unit] += 1
            g["annotated"].update(family for family, cols in columns.items() if any(mask[j] for j in cols))
            for label, y, m in zip(tax.ids, labels, mask):
                if m:
                    g["positives"][label] += y
        for g in groups.values():
            g["units"] = dict(g["units"])
            shown = sorted(j for family in g["annotated"] for j in columns[family])
            g["positives"] = {tax.ids[j]: g["positives"][tax.ids[j]] for j in shown}
            g["annotated"] = sorted(g["annotated"])
            out.append(g)
    return out
