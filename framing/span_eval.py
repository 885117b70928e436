"""A span model on SemEval-2020 Task 11 (PTC dev), scored as the official scorers score it.

The model is anything with `has_spans`, `document_spans(text)` (spans of a whole article, dicts
with "start" and "end" into `text`) and `classify_spans(text, spans)` (per span a technique id,
or the technique ids best first); `framing.inference.Classifier` is one. Articles are read with
`corpora.read_text` (no newline translation), so offsets are PTC's own.

What the official scorers (task-SI_scorer.py and task-TC_scorer.py of the task's tools) do, and
what follows here:
- SI: labels ignored; overlapping gold spans of an article merged; P sums |s ∩ t| / |s| over
  predicted-gold pairs and divides by the number of predicted spans, R sums |s ∩ t| / |t| and
  divides by the number of gold spans, both over all articles. The scorer refuses a submission
  whose spans overlap unless run with -m (merge): predicted spans are merged here before scoring
  and before writing, so the figures are the -m figures and the file passes without -m.
- No predicted span: P = 0; no gold span: R = 0; F1 = 0 unless P and R are both positive (the
  scorer says F1 = 1 when there are neither, which no real split has).
- An article without gold spans (dev has one): the scorer's per-article gold folder gives it an
  empty list, so spans predicted there cost precision; the single-file gold here lacks such an
  article, and the scorer would stop on a submission naming it, so it is scored the folder's way.
- TC: the submission must hold exactly the gold spans, as often as gold has them (a span with two
  techniques is two lines). Lines are matched per span, the repeated span's predictions to its
  gold techniques in any order, then micro P/R/F1 over the gold lines (all equal, since every
  gold line has one prediction) and per-technique P/R/F1.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from .corpora import read_ptc_articles
from .errors import CorpusError, InputError, ModelLoadError
from .paths import resolve_data_dir
from .ptc_files import (
    LabelLine,
    as_corpus_error,
    by_article,
    check_inside,
    read_gold,
    read_technique_names,
    write_lines,
)
from .span_metrics import merge, si_score, tc_score
from .taxonomy import load_taxonomy

# Only dev has gold to score against: train is what span models learn from, test labels were never released.
GOLD = {"dev": {"si": "dev-gold/dev-task-SI.labels", "tc": "dev-gold/dev-task-TC.labels"}}


def check_split(split: str) -> None:
    if split not in GOLD:
        raise CorpusError(f"SemEval-2020 SI/TC scoring needs gold spans, which only the 'dev' split has here "
                          f"(not {split!r}); use --split dev.")


def _require_span_head(clf) -> None:
    if not clf.has_spans:
        where = clf.path
        raise ModelLoadError(f"{where} has no span head, so it predicts no spans to score on SemEval-2020 SI/TC; "
                             f"a transformer gets one with `framing spans train {where}`.")


def _articles(root: Path, split: str, gold: list[LabelLine]) -> dict[str, str]:
    """Article id -> text; every gold line must lie inside its article."""
    texts = {doc.doc_id: doc.text for doc in read_ptc_articles(root, split)}
    try:
        check_inside(gold, {doc_id: len(text) for doc_id, text in texts.items()}, f"{split} gold")
    except InputError as exc:
        raise as_corpus_error(exc) from None
    return texts


def predicted_spans(clf, text: str) -> list[tuple[int, int]]:
    """The model's spans of one article as (start, end), merged where they overlap."""
    spans = clf.document_spans(text, for_si=True)  # the technique-free spans SI scores, as the head's decoding says
    out = [(int(span["start"]), int(span["end"])) for span in spans]
    bad = [span for span in out if not 0 <= span[0] < span[1] <= len(text)]
    if bad:
        raise ValueError(f"the model returned spans outside the article or empty: {bad[:3]}")
    return merge(out)


def evaluate_si(clf, data_dir=None, split: str = "dev", write_submission: Path | str | None = None) -> dict:
    """SI precision, recall and F1 of `clf`'s spans on every article of the split; optionally
    writes the SI submission (article_id, start, end), one line per merged predicted span."""
    check_split(split)
    _require_span_head(clf)
    root = resolve_data_dir(data_dir)
    gold_lines = read_gold(root, GOLD[split]["si"])
    texts = _articles(root, split, gold_lines)
    predicted = {doc_id: predicted_spans(clf, text) for doc_id, text in texts.items()}
    gold = {doc_id: [(line.start, line.end) for line in lines] for doc_id, lines in by_article(gold_lines).items()}
    score = si_score(predicted, gold)
    lines = [LabelLine(doc_id, start, end) for doc_id, spans in predicted.items() for start, end in spans]
    written = write_lines(Path(write_submission), lines) if write_submission else None
    return {"task": "si", "split": split, "model": str(clf.path),
            "precision": score["precision"], "recall": score["recall"], "f1": score["f1"],
            "articles": len(texts), "gold_spans": score["gold_spans"], "predicted_spans": score["predicted_spans"],
            "submission": str(written) if written else None}


def ptc_names_of(names: list[str]) -> dict[str, str]:
    """Project technique id -> its TC name, for the official names only."""
    official = set(names)
    table: dict[str, str] = {}
    for name, label in load_taxonomy().mapper("semeval2020").items():
        if label and name in official:
            table.setdefault(label, name)
    return table


def _ranking(ranked, to_ptc: dict[str, str]) -> list[str]:
    """One span's techniques, best first, as TC names (techniques TC lacks left out)."""
    labels = [ranked] if isinstance(ranked, str) else list(ranked)
    names = list(dict.fromkeys(to_ptc[label] for label in labels if label in to_ptc))
    if not names:
        raise ModelLoadError(f"the model named {labels[:3]} for a span, none of them a SemEval-2020 TC technique")
    return names


def classify_article(clf, text: str, lines: list[LabelLine], to_ptc: dict[str, str]) -> list[str]:
    """A TC name for every gold line of one article, in line order."""
    spans = list(dict.fromkeys((line.start, line.end) for line in lines))
    ranked = clf.classify_spans(text, spans)
    if len(ranked) != len(spans):
        raise ValueError(f"the model classified {len(ranked)} of {len(spans)} spans")
    rankings = {span: _ranking(r, to_ptc) for span, r in zip(spans, ranked)}
    # A span with two gold techniques is two gold lines, matched in any order: its k-th line gets
    # the model's k-th best technique (one technique twice could match only one of them).
    seen: Counter = Counter()
    out = []
    for line in lines:
        span = (line.start, line.end)
        names = rankings[span]
        out.append(names[min(seen[span], len(names) - 1)])
        seen[span] += 1
    return out


def evaluate_tc(clf, data_dir=None, split: str = "dev", write_submission: Path | str | None = None) -> dict:
    """TC micro-F1 (and per-technique P/R/F1) of `clf` naming the technique of every gold span
    of the split; optionally writes the TC submission: every gold line, in the gold file's order,
    with the predicted technique."""
    check_split(split)
    _require_span_head(clf)
    root = resolve_data_dir(data_dir)
    names = read_technique_names(root)
    gold_lines = read_gold(root, GOLD[split]["tc"], names)
    texts = _articles(root, split, gold_lines)
    to_ptc = ptc_names_of(names)
    rows: dict[str, list[int]] = {}  # article id -> its gold lines' positions in the file
    for i, line in enumerate(gold_lines):
        rows.setdefault(line.article_id, []).append(i)
    predicted = [""] * len(gold_lines)
    for doc_id, index in rows.items():
        for i, name in zip(index, classify_article(clf, texts[doc_id], [gold_lines[i] for i in index], to_ptc)):
            predicted[i] = name
    score = tc_score([(line.article_id, line.technique, line.start, line.end) for line in gold_lines], predicted)
    written = None
    if write_submission:
        written = write_lines(Path(write_submission), [LabelLine(line.article_id, line.start, line.end, name)
                                                       for line, name in zip(gold_lines, predicted)])
    return {"task": "tc", "split": split, "model": str(clf.path),
            "precision": score["precision"], "recall": score["recall"], "f1": score["micro_f1"],
            "micro_f1": score["micro_f1"], "per_technique": score["per_technique"],
            "articles": len(rows), "gold_spans": len(gold_lines), "predicted_spans": len(predicted),
            "submission": str(written) if written else None}
