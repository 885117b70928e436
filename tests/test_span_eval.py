"""SemEval-2020 Task 11 evaluation: SI and TC scored as the official scorers do, on made-up
articles worked out by hand; submission files that parse and round-trip; the real dev gold."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from framing.cli import app
from framing.corpora import PTC, read_ptc_articles
from framing.errors import CorpusError, InputError, ModelLoadError
from framing.ptc_files import (
    LabelLine,
    by_article,
    check_no_overlap,
    check_tc_spans,
    format_lines,
    parse_si,
    parse_tc,
    read_gold,
    read_label_file,
    read_technique_names,
)
from framing.span_eval import GOLD, evaluate_si, evaluate_tc
from framing.span_metrics import merge
from framing.taxonomy import load_taxonomy

runner = CliRunner()
NAMES = sorted(load_taxonomy().mapper("semeval2020"))  # the 14 TC names, as the taxonomy maps them

# Made-up articles. Article 1 has Windows line ends: PTC offsets count "\r\n" as two characters.
ARTICLES = {
    "1": "Head\r\n\r\naaaa bbbb cccc dddd\r\neeee ffff\r\n",
    "2": "Other\n\ngggg hhhh iiii\n",
    "3": "Calm\n\nnothing here\n",  # no gold span
    "4": "Plain\n\njjjj kkkk\n",
}
# (article, phrase, technique) of the gold lines, in file order (not sorted: the order must be kept).
GOLD_TC = [("1", "bbbb cccc", "Name_Calling,Labeling"), ("1", "aaaa bbbb", "Loaded_Language"),
           ("1", "eeee ffff", "Doubt"), ("1", "eeee ffff", "Slogans"),  # one span, two techniques
           ("2", "gggg", "Loaded_Language"), ("2", "iiii", "Flag-Waving"), ("4", "jjjj", "Doubt")]


def at(article: str, phrase: str) -> tuple[int, int]:
    start = ARTICLES[article].index(phrase)
    return start, start + len(phrase)


def make_ptc(root: Path, tc=GOLD_TC) -> Path:
    """A PTC folder holding the made-up dev split; SI gold lists the TC spans unmerged, overlaps included."""
    ptc = root / PTC
    (ptc / "dev-articles").mkdir(parents=True)
    (ptc / "dev-gold").mkdir()
    for doc_id, text in ARTICLES.items():
        (ptc / "dev-articles" / f"article{doc_id}.txt").write_bytes(text.encode("utf-8"))
    lines = [LabelLine(a, *at(a, phrase), name) for a, phrase, name in tc]
    (ptc / "dev-gold" / "dev-task-TC.labels").write_text(format_lines(lines), encoding="utf-8", newline="")
    si = list(dict.fromkeys(LabelLine(line.article_id, line.start, line.end) for line in lines))
    (ptc / "dev-gold" / "dev-task-SI.labels").write_text(format_lines(si), encoding="utf-8", newline="")
    (ptc / "propaganda-techniques-names-semeval2020task11.txt").write_text("\n".join(NAMES) + "\n")
    return root


class FakeSpanModel:
    """Finds its phrases in the text it is given (so offsets are those of the text as read) and
    names each span's techniques from a table keyed by the span's words."""

    has_spans = True
    path = "fake-model"

    def __init__(self, phrases=(), techniques=None):
        self.phrases = list(phrases)
        self.techniques = techniques or {}
        self.asked: list[list[tuple[int, int]]] = []

    def document_spans(self, text: str, for_si: bool = False) -> list[dict]:
        out = []
        for phrase in self.phrases:
            if phrase in text:
                start = text.index(phrase)
                out.append({"start": start, "end": start + len(phrase), "label": "loaded-language", "score": 0.9,
                            "text": phrase})
        return out

    def classify_spans(self, text: str, spans: list[tuple[int, int]]):
        self.asked.append(list(spans))
        return [self.techniques[text[a:b]] for a, b in spans]


def test_si_scores_every_article_as_the_official_scorer(tmp_path):
    data = make_ptc(tmp_path)
    # article 1: gold [8,17)+[13,22) overlap -> one gold span [8,22) (14 chars), and [29,38) (9 chars);
    #   predicted "bbbb cccc dddd" [13,27) and "cccc" [18,22) overlap -> one span [13,27) (14 chars); "ffff" [34,38)
    #   P: 9/14 + 4/4   R: 9/14 + 4/9
    # article 2: one prediction "gggg hhhh iiii" [7,21) covers both gold spans [7,11) and [17,21)
    #   P: (4 + 4)/14   R: 4/4 + 4/4
    # article 3: no gold; the prediction "nothing" costs precision only.  article 4: nothing predicted.
    # |S| = 4 predicted spans, |T| = 5 gold spans
    model = FakeSpanModel(["bbbb cccc dddd", "cccc", "ffff", "gggg hhhh iiii", "nothing"])
    result = evaluate_si(model, data, write_submission=tmp_path / "si.txt")
    precision = (9 / 14 + 1 + 8 / 14) / 4
    recall = (9 / 14 + 4 / 9 + 2) / 5
    assert result["precision"] == pytest.approx(precision) and result["recall"] == pytest.approx(recall)
    assert result["f1"] == pytest.approx(2 * precision * recall / (precision + recall))
    assert (result["articles"], result["gold_spans"], result["predicted_spans"]) == (4, 5, 4)
    assert result["task"] == "si" and result["split"] == "dev"


def test_si_submission_is_merged_and_parses_back(tmp_path):
    data = make_ptc(tmp_path)
    model = FakeSpanModel(["bbbb cccc dddd", "cccc", "ffff", "gggg hhhh iiii", "nothing"])
    evaluate_si(model, data, write_submission=tmp_path / "si.txt")
    text = (tmp_path / "si.txt").read_text(encoding="utf-8")
    lines = parse_si(text)
    check_no_overlap(lines, "si.txt")  # the official scorer refuses overlapping spans without -m
    assert [(x.article_id, x.start, x.end) for x in lines] == [
        ("1", 13, 27), ("1", 34, 38), ("2", 7, 21), ("3", *at("3", "nothing"))]
    assert format_lines(lines) == text


def test_si_without_any_prediction_has_precision_zero(tmp_path):
    # as the scorer: no predicted span gives P = 0 (not undefined), and so F1 = 0
    result = evaluate_si(FakeSpanModel(), make_ptc(tmp_path), write_submission=tmp_path / "si.txt")
    assert (result["precision"], result["recall"], result["f1"]) == (0.0, 0.0, 0.0)
    assert result["predicted_spans"] == 0 and result["gold_spans"] == 5
    assert (tmp_path / "si.txt").read_text() == ""


def test_si_exact_gold_is_perfect_even_when_predictions_overlap(tmp_path):
    # predicting the overlapping TC spans themselves: merged, they are exactly the merged gold
    phrases = ["aaaa bbbb", "bbbb cccc", "eeee ffff", "gggg", "iiii", "jjjj"]
    result = evaluate_si(FakeSpanModel(phrases), make_ptc(tmp_path))
    assert (result["precision"], result["recall"], result["f1"]) == (1.0, 1.0, 1.0)


RANKED = {"bbbb cccc": ["name-calling", "doubt"], "aaaa bbbb": ["name-calling", "loaded-language"],
          "eeee ffff": ["slogans", "doubt", "loaded-language"], "gggg": ["loaded-language"],
          "iiii": ["anti-hegemony", "flag-waving"],  # a frame, which TC lacks, is passed over
          "jjjj": "doubt"}  # one technique id instead of a ranking


def test_tc_micro_and_per_technique_f1(tmp_path):
    model = FakeSpanModel(techniques=RANKED)
    result = evaluate_tc(model, make_ptc(tmp_path), write_submission=tmp_path / "tc.txt")
    # wrong only on "aaaa bbbb" (Name_Calling for Loaded_Language); the two-technique span gets
    # Slogans then Doubt, which match its gold pair in the other order
    assert result["micro_f1"] == pytest.approx(6 / 7) and result["f1"] == result["micro_f1"]
    assert result["precision"] == pytest.approx(6 / 7) and result["recall"] == pytest.approx(6 / 7)
    per = result["per_technique"]
    assert per["Name_Calling,Labeling"] == {"precision": 0.5, "recall": 1.0, "f1": pytest.approx(2 / 3), "support": 1}
    assert per["Loaded_Language"] == {"precision": 1.0, "recall": 0.5, "f1": pytest.approx(2 / 3), "support": 2}
    assert per["Doubt"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 2}
    assert (result["articles"], result["gold_spans"], result["predicted_spans"]) == (3, 7, 7)
    # the model is asked once per article, each distinct span once
    assert [len(spans) for spans in model.asked] == [3, 2, 1]


def test_tc_one_technique_for_a_two_technique_span_gets_one_of_them(tmp_path):
    model = FakeSpanModel(techniques={**RANKED, "eeee ffff": "doubt"})
    assert evaluate_tc(model, make_ptc(tmp_path))["micro_f1"] == pytest.approx(5 / 7)


def test_tc_submission_keeps_every_gold_line_in_order_and_round_trips(tmp_path):
    data = make_ptc(tmp_path)
    evaluate_tc(FakeSpanModel(techniques=RANKED), data, write_submission=tmp_path / "tc.txt")
    text = (tmp_path / "tc.txt").read_text(encoding="utf-8")
    lines = parse_tc(text, read_technique_names(data))
    gold = read_gold(data, GOLD["dev"]["tc"], NAMES)
    assert [(x.article_id, x.start, x.end) for x in lines] == [(x.article_id, x.start, x.end) for x in gold]
    assert [x.technique for x in lines] == ["Name_Calling,Labeling", "Name_Calling,Labeling", "Slogans", "Doubt",
                                            "Loaded_Language", "Flag-Waving", "Doubt"]
    check_tc_spans(lines, gold, "tc.txt")
    assert format_lines(lines) == text


def test_a_model_without_span_head_is_refused(tmp_path):
    model = FakeSpanModel()
    model.has_spans = False
    for evaluate in (evaluate_si, evaluate_tc):
        with pytest.raises(ModelLoadError, match="no span head"):
            evaluate(model, make_ptc(tmp_path / evaluate.__name__))


@pytest.mark.parametrize("split", ["train", "test"])
def test_only_dev_has_gold_to_score(tmp_path, split):
    with pytest.raises(CorpusError, match="only the 'dev' split"):
        evaluate_si(FakeSpanModel(), make_ptc(tmp_path), split=split)


@pytest.mark.parametrize("line, problem", [
    ("1\tDoubt\t5", "4 tab-separated columns"),
    ("1 Doubt 5 9", "4 tab-separated columns"),
    ("1\tDoubt\t5\tnine", "not a non-negative integer"),
    ("1\tDoubt\t-1\t9", "not a non-negative integer"),
    ("1\tDoubt\t9\t9", "start 9 >= end 9"),
    ("1\tDoubt\t9\t5", "start 9 >= end 5"),
    ("1\tLoaded Language\t5\t9", "unknown technique"),
    ("article1\tDoubt\t5\t9", "not a number"),
    ("1\tDoubt\t5\t9\n\n1\tDoubt\t5\t9", "line 2"),
])
def test_tc_parser_names_the_bad_line(line, problem):
    with pytest.raises(InputError, match=problem):
        parse_tc(line + "\n", NAMES, "sub.txt")


def test_parsers_accept_official_names_with_commas_and_crlf():
    lines = parse_tc("7\tName_Calling,Labeling\t0\t4\r\n7\tWhataboutism,Straw_Men,Red_Herring\t2\t9", NAMES)
    assert lines == [LabelLine("7", 0, 4, "Name_Calling,Labeling"), LabelLine("7", 2, 9, "Whataboutism,Straw_Men,Red_Herring")]
    assert parse_si("7\t0\t4\n7\t2\t9\n") == [LabelLine("7", 0, 4), LabelLine("7", 2, 9)]
    with pytest.raises(InputError, match="3 tab-separated columns"):
        parse_si("7\tDoubt\t0\t4\n")


def test_submission_checks_catch_what_the_scorers_refuse(tmp_path):
    with pytest.raises(InputError, match="overlap"):
        check_no_overlap(parse_si("1\t0\t5\n1\t4\t9\n"), "si.txt")
    check_no_overlap(parse_si("1\t0\t5\n1\t5\t9\n2\t0\t5\n"), "si.txt")  # touching spans share no character
    gold = parse_tc("1\tDoubt\t0\t5\n1\tSlogans\t0\t5\n2\tDoubt\t3\t4\n", NAMES)
    with pytest.raises(InputError, match="spans of article 1"):  # the repeated span listed once, as in the template
        check_tc_spans(parse_tc("1\tDoubt\t0\t5\n2\tDoubt\t3\t4\n", NAMES), gold, "tc.txt")
    with pytest.raises(InputError, match="articles differ"):
        check_tc_spans(gold[:2], gold, "tc.txt")
    with pytest.raises(InputError, match="No label file"):
        read_label_file(tmp_path / "missing.txt")



def test_a_broken_gold_file_is_a_corpus_error_naming_the_line(tmp_path):
    data = make_ptc(tmp_path)
    gold = data / PTC / GOLD["dev"]["tc"]
    gold.write_text(gold.read_text() + "2\tDoubt\t9\t5\n", encoding="utf-8")
    # the corpus code only (not the input code too), the file and line, and what is wrong
    problem = r"^\[E002\] \S*dev-task-TC.labels line 8: the span is empty or reversed \(start 9 >= end 5\)$"
    with pytest.raises(CorpusError, match=problem):
        evaluate_tc(FakeSpanModel(techniques=RANKED), data)
    gold.write_text(format_lines([LabelLine("2", 0, 999, "Doubt")]), encoding="utf-8")
    with pytest.raises(CorpusError, match="end 999 lies past article 2"):
        evaluate_tc(FakeSpanModel(techniques=RANKED), data)


# --- the command line -------------------------------------------------------------------------

def test_cli_refuses_a_model_without_span_head(toy_baseline_dir, tmp_path):
    result = runner.invoke(app, ["evaluate", str(toy_baseline_dir), "--task", "si", "--data-dir", str(make_ptc(tmp_path))])
    assert result.exit_code == 2
    assert "no span head" in result.stderr.strip().splitlines()[-1]


def test_cli_refuses_other_splits_and_submissions_of_sentences(toy_baseline_dir, tmp_path):
    result = runner.invoke(app, ["evaluate", str(toy_baseline_dir), "--task", "tc", "--split", "test"])
    assert result.exit_code == 2 and "only the 'dev' split" in result.stderr
    result = runner.invoke(app, ["evaluate", str(toy_baseline_dir), "--write-submission", str(tmp_path / "x")])
    assert result.exit_code == 2 and "--task si or --task tc" in result.stderr


def test_cli_scores_a_span_model_and_writes_valid_submissions(tiny_span_dir, tmp_path):
    data = make_ptc(tmp_path)
    out = tmp_path / "tc.txt"
    result = runner.invoke(app, ["evaluate", str(tiny_span_dir), "--task", "tc", "--data-dir", str(data), "--json",
                                 "--write-submission", str(out)])
    assert result.exit_code == 0, result.output
    obj = json.loads(result.stdout)
    assert obj["task"] == "tc" and obj["gold_spans"] == 7 and 0.0 <= obj["micro_f1"] <= 1.0
    check_tc_spans(read_label_file(out, NAMES), read_gold(data, GOLD["dev"]["tc"], NAMES), str(out))
    result = runner.invoke(app, ["evaluate", str(tiny_span_dir), "--task", "si", "--data-dir", str(data),
                                 "--write-submission", str(tmp_path / "si.txt")])
    assert result.exit_code == 0, result.output
    assert "precision" in result.stdout and "recall" in result.stdout and "f1" in result.stdout
    check_no_overlap(read_label_file(tmp_path / "si.txt"), "si.txt")


# --- the real PTC dev gold (skips without the corpora) ----------------------------------------

class GoldOracle:
    """Predicts PTC dev's gold: the TC spans of each article (overlapping, one technique each)
    and, for each span, its gold techniques in gold order."""

    has_spans = True
    path = "gold"

    def __init__(self, data_dir: Path):
        texts = {doc.doc_id: doc.text for doc in read_ptc_articles(data_dir, "dev")}
        self.article = {text: doc_id for doc_id, text in texts.items()}
        assert len(self.article) == len(texts)
        to_id = load_taxonomy().mapper("semeval2020")
        self.lines = {a: [(x.start, x.end, to_id[x.technique]) for x in lines]
                      for a, lines in by_article(read_gold(data_dir, GOLD["dev"]["tc"], NAMES)).items()}

    def document_spans(self, text: str, for_si: bool = False) -> list[dict]:
        return [{"start": a, "end": b, "label": label, "score": 1.0, "text": text[a:b]}
                for a, b, label in self.lines.get(self.article[text], [])]

    def classify_spans(self, text: str, spans: list[tuple[int, int]]) -> list[list[str]]:
        lines = self.lines[self.article[text]]
        return [[label for a, b, label in lines if (a, b) == span] for span in spans]


def test_dev_gold_counts(data_dir):
    si = read_gold(data_dir, GOLD["dev"]["si"])
    tc = read_gold(data_dir, GOLD["dev"]["tc"], read_technique_names(data_dir))
    assert read_technique_names(data_dir) == NAMES
    assert (len(si), len(by_article(si))) == (939, 74)
    assert (len(tc), len(by_article(tc))) == (1075, 74)
    assert len(read_ptc_articles(data_dir, "dev")) == 75  # one dev article has no span
    assert sum(n == 2 for n in Counter((x.article_id, x.start, x.end) for x in tc).values()) == 34
    # the SI gold is the TC gold spans merged where they overlap
    merged = {a: merge([(x.start, x.end) for x in lines]) for a, lines in by_article(tc).items()}
    assert merged == {a: sorted((x.start, x.end) for x in lines) for a, lines in by_article(si).items()}


def test_dev_gold_scored_against_itself_is_perfect(data_dir, tmp_path):
    oracle = GoldOracle(data_dir)
    si = evaluate_si(oracle, data_dir, write_submission=tmp_path / "si.txt")
    assert (si["precision"], si["recall"], si["f1"]) == (pytest.approx(1.0),) * 3
    assert (si["articles"], si["gold_spans"], si["predicted_spans"]) == (75, 939, 939)
    tc = evaluate_tc(oracle, data_dir, write_submission=tmp_path / "tc.txt")
    assert tc["micro_f1"] == pytest.approx(1.0) and tc["gold_spans"] == tc["predicted_spans"] == 1075
    assert all(m["f1"] == pytest.approx(1.0) for m in tc["per_technique"].values()) and len(tc["per_technique"]) == 14
    # the submissions are the gold files themselves: TC line for line (not the template's 1063 lines)
    gold_tc = (data_dir / PTC / GOLD["dev"]["tc"]).read_text(encoding="utf-8")
    assert (tmp_path / "tc.txt").read_text(encoding="utf-8") == gold_tc
    gold_si = (data_dir / PTC / GOLD["dev"]["si"]).read_text(encoding="utf-8")
    assert sorted((tmp_path / "si.txt").read_text(encoding="utf-8").splitlines()) == sorted(gold_si.splitlines())
