"""SemEval-2020 Task 11 label files: reading gold, checking and writing submissions.

Both tasks use tab-separated lines with [start, end) character offsets into the article file:
  SI (span identification):       article_id TAB start TAB end
  TC (technique classification):  article_id TAB technique TAB start TAB end
Technique names are spelled as in propaganda-techniques-names-semeval2020task11.txt; they
contain commas, so lines are split on tabs only. The checks are the official scorers': the
column count, non-negative integer offsets, start < end, a known technique name; an SI
submission may not overlap itself (the scorer refuses one unless run with -m), and a TC
submission must carry exactly the gold spans.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from .corpora import PTC, read_text
from .errors import CorpusError, InputError, OutputError

TECHNIQUE_NAMES = "propaganda-techniques-names-semeval2020task11.txt"
# The official scorers take the article id from the file name pattern article([0-9]+).
_ARTICLE_ID = re.compile(r"[0-9]+")
_OFFSET = re.compile(r"[0-9]+")


@dataclass(frozen=True)
class LabelLine:
    """One line of an SI (technique None) or TC label file."""

    article_id: str
    start: int
    end: int
    technique: str | None = None


def read_technique_names(data_dir: Path) -> list[str]:
    """The 14 technique names of the TC task, in the file's order."""
    path = Path(data_dir) / PTC / TECHNIQUE_NAMES
    if not path.is_file():
        raise CorpusError(f"Expected corpus file {path} is missing; check --data-dir.")
    return [line.strip() for line in read_text(path).splitlines() if line.strip()]


def _lines(text: str) -> list[str]:
    # A final newline ends the last line; "\r\n" is accepted as the scorers strip line ends too.
    return [line.rstrip("\r") for line in text.split("\n")][: -1 if text.endswith("\n") else None]


def _offset(field: str, what: str, where: str) -> int:
    if not _OFFSET.fullmatch(field):
        raise InputError(f"{where}: the {what} offset {field!r} is not a non-negative integer")
    return int(field)


def _parse_line(line: str, columns: int, names: set[str] | None, where: str) -> LabelLine:
    fields = line.split("\t")
    if len(fields) != columns:
        raise InputError(f"{where}: expected {columns} tab-separated columns, found {len(fields)}")
    article_id, technique = fields[0], (fields[1] if columns == 4 else None)
    if not _ARTICLE_ID.fullmatch(article_id):
        raise InputError(f"{where}: the article id {article_id!r} is not a number")
    if technique is not None and names is not None and technique not in names:
        raise InputError(f"{where}: unknown technique {technique!r}; use the names of {TECHNIQUE_NAMES}")
    start, end = _offset(fields[-2], "start", where), _offset(fields[-1], "end", where)
    if start >= end:
        raise InputError(f"{where}: the span is empty or reversed (start {start} >= end {end})")
    return LabelLine(article_id, start, end, technique)


def parse_si(text: str, source: str = "<si>") -> list[LabelLine]:
    """SI lines, in file order; raises InputError naming the first bad line."""
    return [_parse_line(line, 3, None, f"{source} line {n}") for n, line in enumerate(_lines(text), 1)]


def parse_tc(text: str, names: list[str] | set[str] | None, source: str = "<tc>") -> list[LabelLine]:
    """TC lines, in file order; `names` the allowed technique names (None: any)."""
    allowed = set(names) if names is not None else None
    return [_parse_line(line, 4, allowed, f"{source} line {n}") for n, line in enumerate(_lines(text), 1)]


def by_article(lines: list[LabelLine]) -> dict[str, list[LabelLine]]:
    """Lines grouped per article, each group in file order."""
    groups: dict[str, list[LabelLine]] = {}
    for line in lines:
        groups.setdefault(line.article_id, []).append(line)
    return groups


def check_inside(lines: list[LabelLine], lengths: dict[str, int], source: str) -> None:
    """Every line names a known article and ends inside it (`lengths`: article id -> characters)."""
    for n, line in enumerate(lines, 1):
        if line.article_id not in lengths:
            raise InputError(f"{source} line {n}: no article {line.article_id} in this split")
        if line.end > lengths[line.article_id]:
            raise InputError(f"{source} line {n}: end {line.end} lies past article {line.article_id} "
                             f"({lengths[line.article_id]} characters)")


def check_no_overlap(lines: list[LabelLine], source: str) -> None:
    """The SI scorer refuses a submission whose spans of one article share a character."""
    for article_id, group in by_article(lines).items():
        spans = sorted((line.start, line.end) for line in group)
        for (a0, a1), (b0, b1) in zip(spans, spans[1:]):
            if b0 < a1:
                raise InputError(f"{source}: spans [{a0}, {a1}) and [{b0}, {b1}) of article {article_id} overlap; "
                                 "merge them (the official SI scorer refuses overlapping spans)")


def check_tc_spans(submission: list[LabelLine], gold: list[LabelLine], source: str) -> None:
    """The TC scorer needs the gold spans exactly: the same articles, and per article the same
    spans as often as gold has them (a span with two gold techniques appears twice)."""
    sub, ref = by_article(submission), by_article(gold)
    if set(sub) != set(ref):
        missing, extra = sorted(set(ref) - set(sub)), sorted(set(sub) - set(ref))
        raise InputError(f"{source}: the articles differ from the gold file (missing {missing[:5]}, extra {extra[:5]})")
    for article_id, lines in ref.items():
        want = Counter((line.start, line.end) for line in lines)
        got = Counter((line.start, line.end) for line in sub[article_id])
        if want != got:
            raise InputError(f"{source}: the spans of article {article_id} differ from the gold spans "
                             f"({sum((want - got).values())} missing, {sum((got - want).values())} extra)")


def format_lines(lines: list[LabelLine]) -> str:
    """SI or TC file text (TC when the lines carry techniques), one line each, newline-terminated."""
    def one(line: LabelLine) -> str:
        head = [line.article_id] + ([line.technique] if line.technique is not None else [])
        return "\t".join(head + [str(line.start), str(line.end)])

    return "".join(one(line) + "\n" for line in lines)


def write_lines(path: Path, lines: list[LabelLine]) -> Path:
    path = Path(path)
    try:
        # newline="" writes "\n" on every platform: the scorers split lines on "\n".
        with open(path, "w", encoding="utf-8", newline="") as handle:
            handle.write(format_lines(lines))
    except OSError as exc:
        raise OutputError(f"Can't write the submission {path}: {exc.strerror or exc}") from None
    return path


def read_label_file(path: Path, names: list[str] | None = None) -> list[LabelLine]:
    """An SI file (names None) or a TC file (names given), checked line by line."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"No label file at {path}")
    text = read_text(path)
    return parse_si(text, str(path)) if names is None else parse_tc(text, names, str(path))


def as_corpus_error(exc: InputError) -> CorpusError:
    """The same message under the corpus code: a bad gold file is the corpus's fault, not the user's input."""
    return CorpusError(str(exc).removeprefix(f"[{InputError.code}] "))


def read_gold(data_dir: Path, relative: str, names: list[str] | None = None) -> list[LabelLine]:
    """A gold label file of the PTC folder, checked as a submission is."""
    path = Path(data_dir) / PTC / relative
    if not path.is_file():
        raise CorpusError(f"Expected corpus file {path} is missing; check --data-dir.")
    try:
        return read_label_file(path, names)
    except InputError as exc:
        raise as_corpus_error(exc) from None
