"""The project's own stand-off frame annotations (data/annotations/frames.tsv).

No corpus text is stored: a row names its source, document and character offsets, plus a short
hash of the sentence text. The builder resolves the text from the corpora and fails loudly when
an offset no longer points at the sentence that was judged.

Columns: source, doc_id, start, end, sha1, split, frames, techniques, pass
  frames      comma-separated frame ids, or "none"
  techniques  comma-separated technique ids, "none", or empty when techniques were not judged
  pass        "1" (single annotator) or "adjudicated" (second pass done, disagreements resolved)
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from .corpora import (
    SEMEVAL2025_SPLITS,
    Document,
    read_euvsdisinfo,
    read_ptc_articles,
    read_seeds,
    read_semeval2023_unlabelled,
    read_semeval2025,
)
from .errors import AnnotationError
from .paths import ANNOTATIONS_DIR, REPO_ROOT
from .rows import make_row
from .taxonomy import load_taxonomy

FRAMES_FILE = ANNOTATIONS_DIR / "frames.tsv"
SECOND_PASS_FILE = ANNOTATIONS_DIR / "frames_pass2.tsv"
SYNTHETIC_FILE = ANNOTATIONS_DIR / "synthetic.tsv"
COLUMNS = ("source", "doc_id", "start", "end", "sha1", "split", "frames", "techniques", "pass")


def text_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:10]


def _synthetic(_data_dir: Path) -> list[Document]:
    rows = read_tsv(SYNTHETIC_FILE) if SYNTHETIC_FILE.exists() else []
    return [Document("synthetic", row["id"], row["text"]) for row in rows]


RESOLVERS: dict[str, Callable[[Path], list[Document]]] = {
    "seeds": lambda _d: read_seeds(REPO_ROOT / "seeds"),
    "euvsdisinfo": read_euvsdisinfo,
    "semeval2023-unlabelled": read_semeval2023_unlabelled,
    "ptc-train": lambda d: read_ptc_articles(d, "train"),
    "ptc-dev": lambda d: read_ptc_articles(d, "dev"),
    "ptc-test": lambda d: read_ptc_articles(d, "test"),
    "synthetic": _synthetic,
    # Document ids are file names, unique across the three folders (checked by a test).
    "semeval2025": lambda d: [doc for split in SEMEVAL2025_SPLITS for doc in read_semeval2025(d, split)],
}


def read_tsv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as handle:
        lines = [line for line in handle if not line.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE))


@lru_cache(maxsize=16)
def _documents(source: str, data_dir: Path) -> dict[str, Document]:
    if source not in RESOLVERS:
        raise AnnotationError(f"Unknown annotation source {source!r}; expected one of {sorted(RESOLVERS)}")
    return {doc.doc_id: doc for doc in RESOLVERS[source](data_dir)}


def resolve(source: str, doc_id: str, start: int, end: int, sha1: str, data_dir: Path) -> str:
    docs = _documents(source, Path(data_dir))
    if doc_id not in docs:
        raise AnnotationError(f"Annotation points at {source}/{doc_id}, which the corpus does not hold")
    text = docs[doc_id].text[start:end]
    if text_hash(text) != sha1:
        raise AnnotationError(
            f"Annotation {source}/{doc_id}:{start}-{end} no longer matches its text "
            f"(hash {text_hash(text)} != {sha1}); the corpus or the segmenter changed"
        )
    return text


def parse_labels(value: str, family: str) -> set[str] | None:
    """Label set of a column; None when the column is empty (family not judged)."""
    value = (value or "").strip()
    if not value:
        return None
    if value == "none":
        return set()
    labels = {v.strip() for v in value.split(",") if v.strip()}
    tax = load_taxonomy()
    # Taxonomy labels only: the any-technique head is a model output, never an annotation.
    bad = [label for label in labels if label not in tax.ids or not tax.is_family(label, family)]
    if bad:
        raise AnnotationError(f"Unknown {family} label(s) {bad} in {FRAMES_FILE.name}")
    return labels


def load_frame_rows(data_dir: Path, path: Path = FRAMES_FILE) -> list[tuple[str, dict]]:
    """(split, dataset row) for every annotation; frames-only mask unless techniques were judged."""
    if not Path(path).exists():
        return []
    out = []
    for rec in read_tsv(path):
        start, end = int(rec["start"]), int(rec["end"])
        text = resolve(rec["source"], rec["doc_id"], start, end, rec["sha1"], data_dir)
        frames = parse_labels(rec["frames"], "frame")
        if frames is None:
            raise AnnotationError(f"{rec['source']}/{rec['doc_id']}:{start} has no frame judgement")
        techniques = parse_labels(rec.get("techniques", ""), "technique")
        families = {"frame"} | ({"technique"} if techniques is not None else set())
        labels = frames | (techniques or set())
        row = make_row(f"frames:{rec['source']}", rec["doc_id"], "sentence", start, end, text, labels, families)
        out.append((rec["split"], row))
    return out
