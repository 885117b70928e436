"""Readers for the labeled corpora and for plain text.

Every reader returns `Document`s that keep their raw text; every offset is a character
offset into `Document.text`. Corpus label names are mapped onto taxonomy ids here, once.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path

from .errors import CorpusError
from .taxonomy import load_taxonomy

PTC = "ptc-semeval2020-task11"
SEMEVAL2023 = "semeval2023-task3-en"
MEMES = "semeval2021-task6-memes"
EUVSDISINFO = "euvsdisinfo-cases-2021"
SEMEVAL2025 = "semeval2025-task10-en"
SEMEVAL2025_SPLITS = ("train", "dev", "test-unlabelled")


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    label: str


@dataclass(frozen=True)
class Region:
    """A labeled stretch of a document scored as a whole (a SemEval-2023 paragraph, a meme)."""

    start: int
    end: int
    labels: tuple[str, ...]


@dataclass
class Document:
    source: str
    doc_id: str
    text: str
    spans: list[Span] = field(default_factory=list)
    regions: list[Region] | None = None
    meta: dict = field(default_factory=dict)


def read_text(path: Path) -> str:
    # newline="" keeps "\r\n" as two characters so published offsets stay valid.
    with open(path, encoding="utf-8", newline="") as handle:
        return handle.read()


def _require(path: Path) -> Path:
    if not path.exists():
        raise CorpusError(f"Expected corpus file {path} is missing; check --data-dir.")
    return path


def _tsv_rows(path: Path) -> list[list[str]]:
    # Label names contain commas (Name_Calling,Labeling): split on tabs only.
    return [line.rstrip("\n").split("\t") for line in read_text(_require(path)).splitlines() if line]


def read_ptc(data_dir: Path, split: str) -> list[Document]:
    """PTC articles with technique spans: split 'train' or 'dev' (gold from dev-gold/)."""
    root = Path(data_dir) / PTC
    labels_file = {"train": root / "train-task2-TC.labels", "dev": root / "dev-gold" / "dev-task-TC.labels"}
    if split not in labels_file:
        raise CorpusError(f"PTC split {split!r} has no technique labels; use 'train' or 'dev'.")
    mapper = load_taxonomy().mapper("semeval2020")
    spans: dict[str, list[Span]] = {}
    for row in _tsv_rows(labels_file[split]):
        doc_id, name, start, end = row[0], row[1], int(row[2]), int(row[3])
        label = mapper.get(name)
        if name not in mapper:
            raise CorpusError(f"Unknown PTC technique {name!r} in {labels_file[split]}")
        if label:
            spans.setdefault(doc_id, []).append(Span(start, end, label))
    docs = []
    for path in sorted(_require(root / f"{split}-articles").glob("article*.txt")):
        doc_id = path.stem.removeprefix("article")
        text = read_text(path)
        doc_spans = sorted(spans.get(doc_id, []), key=lambda s: (s.start, s.end, s.label))
        for span in doc_spans:
            if not 0 <= span.start < span.end <= len(text):
                raise CorpusError(f"PTC span {span} lies outside article {doc_id} ({len(text)} chars)")
        docs.append(Document("ptc", doc_id, text, doc_spans))
    return docs


def _line_regions(text: str) -> list[tuple[int, int]]:
    """(start, end) of every line of text, 0-based list index = line number - 1."""
    regions, pos = [], 0
    for line in text.split("\n"):
        regions.append((pos, pos + len(line)))
        pos += len(line) + 1
    return regions


def read_semeval2023(data_dir: Path) -> list[Document]:
    """SemEval-2023 subtask 3 dev: paragraph labels of the 90 PTC test articles (our test set)."""
    root = Path(data_dir) / SEMEVAL2023
    mapper = load_taxonomy().mapper("semeval2023")
    by_doc: dict[str, dict[int, tuple[str, ...]]] = {}
    for row in _tsv_rows(root / "dev-labels-subtask-3.txt"):
        names = [n for n in (row[2].split(",") if len(row) > 2 else []) if n]
        unknown = [n for n in names if n not in mapper]
        if unknown:
            raise CorpusError(f"Unknown SemEval-2023 technique(s) {unknown} for article {row[0]}")
        labels = tuple(sorted({mapper[n] for n in names if mapper[n]}))
        by_doc.setdefault(row[0], {})[int(row[1])] = labels
    docs = []
    for doc_id, lines in sorted(by_doc.items()):
        text = read_text(_require(root / "dev-articles-subtask-3" / f"article{doc_id}.txt"))
        offsets = _line_regions(text)
        regions = []
        for line_no, labels in sorted(lines.items()):
            if line_no > len(offsets):
                raise CorpusError(f"SemEval-2023 article {doc_id} has no line {line_no}")
            start, end = offsets[line_no - 1]
            regions.append(Region(start, end, labels))
        docs.append(Document("semeval2023", doc_id, text, regions=regions))
    return docs


def read_semeval2023_unlabelled(data_dir: Path) -> list[Document]:
    """The 54 unlabelled SemEval-2023 test articles, rebuilt from the template's paragraphs.

    The text is the paragraphs placed at their line numbers and joined by newlines, so the
    offsets are reproducible from the template alone.
    """
    rows = _tsv_rows(Path(data_dir) / SEMEVAL2023 / "test-labels-subtask-3.template")
    by_doc: dict[str, dict[int, str]] = {}
    for row in rows:
        by_doc.setdefault(row[0], {})[int(row[1])] = row[2] if len(row) > 2 else ""
    docs = []
    for doc_id, lines in sorted(by_doc.items()):
        slots = [""] * max(lines)
        for line_no, para in lines.items():
            slots[line_no - 1] = para
        docs.append(Document("semeval2023-unlabelled", doc_id, "\n".join(slots)))
    return docs


def read_memes(data_dir: Path, split: str) -> list[Document]:
    """SemEval-2021 Task 6 subtask 1 meme texts; each meme is one labeled region."""
    files = {"train": "training_set_task1.txt", "dev": "dev_set_task1.txt", "test": "test_set_task1.txt"}
    if split not in files:
        raise CorpusError(f"SemEval-2021 split {split!r} is unknown; use train, dev or test.")
    mapper = load_taxonomy().mapper("semeval2021")
    items = json.loads(read_text(_require(Path(data_dir) / MEMES / files[split])))
    docs = []
    for item in items:
        unknown = [n for n in item["labels"] if n not in mapper]
        if unknown:
            raise CorpusError(f"Unknown SemEval-2021 technique(s) {unknown} for meme {item['id']}")
        labels = tuple(sorted({mapper[n] for n in item["labels"] if mapper[n]}))
        text = item["text"]
        docs.append(Document("memes", str(item["id"]), text, regions=[Region(0, len(text), labels)]))
    return docs


def read_euvsdisinfo(data_dir: Path) -> list[Document]:
    """EUvsDisinfo claim titles: one document per case, id = the case's URL slug."""
    path = _require(Path(data_dir) / EUVSDISINFO / "posts.csv")
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    docs = []
    for row in rows:
        slug = row["id"].rstrip("/").rsplit("/", 1)[-1]
        docs.append(Document("euvsdisinfo", slug, row["title"], meta={"keywords": row["keywords"]}))
    return docs


def read_semeval2025(data_dir: Path, split: str) -> list[Document]:
    """SemEval-2025 Task 10 English news articles of one split (title on the first line), with the
    document-level narratives in meta["narratives"] where the split has them (train, dev)."""
    if split not in SEMEVAL2025_SPLITS:
        raise CorpusError(f"SemEval-2025 split {split!r}; expected one of {', '.join(SEMEVAL2025_SPLITS)}")
    folder = _require(Path(data_dir) / SEMEVAL2025 / split / "raw-documents")
    narratives: dict[str, list[str]] = {}
    labels = Path(data_dir) / SEMEVAL2025 / split / "subtask-2-annotations.txt"
    if labels.exists():
        for row in _tsv_rows(labels):
            # A narrative may be listed once per subnarrative: keep each once, in order.
            narratives[row[0]] = list(dict.fromkeys(n.strip() for n in row[1].split(";") if n.strip()))
    return [
        Document("semeval2025", path.stem, read_text(path),
                 meta={"split": split, "narratives": narratives.get(path.name)})
        for path in sorted(folder.glob("*.txt"))
    ]


def read_plain(path: Path, source: str = "text") -> Document:
    return Document(source, Path(path).stem, read_text(path))


def read_ptc_articles(data_dir: Path, split: str) -> list[Document]:
    """PTC article texts without labels (any split, including the 90 test articles)."""
    folder = _require(Path(data_dir) / PTC / f"{split}-articles")
    return [
        Document(f"ptc-{split}", path.stem.removeprefix("article"), read_text(path))
        for path in sorted(folder.glob("article*.txt"))
    ]


def read_seeds(seeds_dir: Path) -> list[Document]:
    return [read_plain(path, "seeds") for path in sorted(Path(seeds_dir).glob("*.txt"))]
