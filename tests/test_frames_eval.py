"""Frames across sources: per-source evaluation sets, the leave-one-source-out selection and the
article frame scores against SemEval-2025's document narratives."""

from __future__ import annotations

import numpy as np

from framing.evaluate import set_names
from framing.frames_eval import DW_NARRATIVE, article_frame_scores, narrative_report, only_source, without_source


def test_each_frame_source_is_its_own_set_and_the_cross_source_test_stays_out_of_frames():
    sets = set_names(["ptc", "frames:ptc-dev", "frames:ptc-test", "frames:euvsdisinfo", "frames:seeds",
                      "frames:semeval2023-unlabelled", "frames:semeval2025"])
    assert sets["frames:ptc"] == ["frames:ptc-dev", "frames:ptc-test"]
    assert sets["frames:semeval2023"] == ["frames:semeval2023-unlabelled"]
    assert sets["frames:semeval2025"] == ["frames:semeval2025"]
    assert "frames:semeval2025" not in sets["frames"]  # "frames" keeps meaning the original sources
    assert set(sets["frames"]) == {"frames:ptc-dev", "frames:ptc-test", "frames:euvsdisinfo", "frames:seeds",
                                   "frames:semeval2023-unlabelled"}
    assert sets["ptc"] == ["ptc"] and sets["seeds"] == ["frames:seeds"]


def test_leaving_a_source_out_drops_its_frame_rows_only():
    rows = {"source": ["ptc", "frames:ptc-train", "frames:euvsdisinfo", "frames:ptc-dev", "memes"],
            "text": ["a", "b", "c", "d", "e"]}
    assert without_source(rows, "ptc") == {"source": ["ptc", "frames:euvsdisinfo", "memes"], "text": ["a", "c", "e"]}
    assert only_source(rows, "ptc") == {"source": ["frames:ptc-train", "frames:ptc-dev"], "text": ["b", "d"]}
    assert without_source(rows, "seeds") == rows


def _frame_baseline(tmp_path):
    from framing.inference import Classifier
    from framing.manifest import make_manifest, write_manifest
    from framing.models.baseline import BaselineModel, BaselineSettings

    labels = ["anti-hegemony", "discrediting-the-west"]
    data = [("The hypocritical West lies about everything and provokes wars.", [0, 1]),
            ("Washington's warmongers betrayed every promise to Moscow.", [0, 1]),
            ("The era of US hegemony and the dollar's dictate is over.", [1, 0]),
            ("The multipolar world rejects Washington's diktat.", [1, 1]),
            ("The minister opened a new school on Monday.", [0, 0]),
            ("Rainfall was slightly above average this year.", [0, 0])] * 3
    y = np.array([d[1] for d in data], bool)
    model = BaselineModel(labels, BaselineSettings(min_df=1, max_word_features=300, max_char_features=300))
    model.fit([d[0] for d in data], y, np.ones_like(y))
    model.save(tmp_path)
    write_manifest(tmp_path, make_manifest("baseline", labels, dict.fromkeys(labels, 0.5), data_fingerprint="toy",
                                           settings={}))
    return Classifier.load(tmp_path)


def test_article_score_is_the_best_sentence_and_the_flag_any_labelled_sentence(tmp_path):
    from framing.corpora import Document

    clf = _frame_baseline(tmp_path)
    docs = [Document("x", "a", "Title\n\nThe minister opened a school. The hypocritical West lies and provokes wars."),
            Document("x", "b", "Title\n\nRainfall was above average this year.")]
    scores, flags, frames = article_frame_scores(clf, docs)
    assert frames == ["anti-hegemony", "discrediting-the-west"]
    sentences = [["Title", "The minister opened a school.", "The hypocritical West lies and provokes wars."],
                 ["Title", "Rainfall was above average this year."]]
    for i, texts in enumerate(sentences):
        probs = clf.predict_proba(texts)
        assert np.allclose(scores[i], probs.max(axis=0), atol=1e-6)
        assert list(flags[i]) == list((probs >= clf.thresholds).any(axis=0))
    assert scores[0, 1] > scores[1, 1]  # the discrediting sentence lifts its article


def test_narrative_report_on_the_cross_source_documents(tmp_path, data_dir):
    clf = _frame_baseline(tmp_path)
    result = narrative_report(clf, data_dir, "dev")
    assert result["documents"] == 40
    row = result["narratives"][DW_NARRATIVE]
    assert row["documents"] == 9
    primary = result["primary"]["discrediting-the-west"]
    assert primary["narrative"] == DW_NARRATIVE and 0.0 <= primary["roc_auc"] <= 1.0
    p, r, f1 = primary["precision"], primary["recall"], primary["f1"]
    assert f1 == 0.0 or abs(f1 - 2 * p * r / (p + r)) < 1e-3
