"""The article-context stage and the threshold rules (framing.context, models.context_stage, threshold_cv)."""

from __future__ import annotations

import json
import shutil
from types import SimpleNamespace

import numpy as np
import pytest

from framing.context import TEXT_FEATURES, text_features
from framing.errors import ModelLoadError
from framing.models.context_stage import FOLDER, SPEC, WEIGHTS, ContextStage, repeated_words

ARTICLE = [
    "Open borders are a disaster for this country.",
    "The council met on Monday to discuss the new budget.",
    "Rainfall was slightly above the average this year.",
    "Open borders are a disaster, and everyone knows it.",
]


def col(name: str) -> int:
    return TEXT_FEATURES.index(name)


def test_text_features_see_what_a_sentence_repeats_from_its_article():
    f = text_features(ARTICLE)
    assert f.shape == (4, len(TEXT_FEATURES))
    # the last sentence restates the first: it repeats its words and bigrams, the middle ones do not
    assert f[3, col("bigram_earlier")] > 0 and f[3, col("trigram_repeat")] > 0
    assert f[1, col("bigram_repeat")] == 0 and f[2, col("word_repeat_frac")] == 0
    assert f[0, col("bigram_earlier")] == 0  # nothing comes before the first sentence
    assert f[0, col("bigram_repeat")] > 0  # but it is repeated later
    alone = text_features([ARTICLE[3]])
    assert alone[0, col("word_repeat_max")] == 0 and alone[0, col("trigram_repeat")] == 0
    assert text_features([]).shape == (0, len(TEXT_FEATURES))


def test_repeated_words_keep_only_words_found_in_another_sentence():
    pseudo = repeated_words(ARTICLE)
    assert "council" not in pseudo[1].split() and "rainfall" not in pseudo[2].split()
    assert "borders" in pseudo[3].split() and "disaster" in pseudo[0].split()
    assert set(pseudo[2].split()) <= {"the", "this"}  # shared with other sentences; the model weighs them


def _toy_documents(n: int = 40, seed: int = 0):
    """Articles where the label marks exactly the sentences that restate an earlier slogan."""
    rng = np.random.default_rng(seed)
    fillers = ["The council met on Monday.", "Rain fell over the hills.", "Prices rose slightly in May.",
               "A new bridge opened downtown.", "The team won its third game.", "Schools reopen next week."]
    slogans = ["Drain the swamp now", "Stop the steal today", "Build back better together", "Take back control"]
    docs, targets = [], []
    for _ in range(n):
        slogan = slogans[rng.integers(len(slogans))]
        sents, y = [f"{slogan}, they said."], [0]
        for _ in range(5):
            if rng.random() < 0.3:
                sents.append(f"Again: {slogan.lower()}!")
                y.append(1)
            else:
                sents.append(fillers[rng.integers(len(fillers))])
                y.append(0)
        docs.append(sents)
        targets.append(np.array(y)[:, None])
    return docs, targets


def test_stage_learns_repetition_from_context_and_round_trips(tmp_path):
    docs, targets = _toy_documents()
    stage = ContextStage(["repetition"]).fit(docs, targets, C=1.0)
    test_doc = ["Take back control, they said.", "Prices rose slightly in May.", "Again: take back control!"]
    p = stage.context_proba(test_doc)[:, 0]
    assert p[2] > 0.5 > p[1]
    # the same sentence with no article around it loses the evidence
    assert stage.context_proba(["Again: take back control!"])[0, 0] < p[2]
    stage.combiner_[0] = [0.5, 1.5, -0.2]
    stage.save(tmp_path / FOLDER)
    again = ContextStage.load(tmp_path / FOLDER)
    np.testing.assert_allclose(again.context_proba(test_doc), stage.context_proba(test_doc), rtol=1e-6)
    outputs = np.full((3, 2), 0.2, dtype=np.float32)
    np.testing.assert_allclose(again.apply(test_doc, outputs, [1]), stage.apply(test_doc, outputs, [1]), rtol=1e-6)
    assert (again.apply(test_doc, outputs, [1])[:, 0] == 0.2).all()  # other columns untouched


def test_a_damaged_stage_is_refused_with_the_fix(tmp_path):
    docs, targets = _toy_documents(10)
    ContextStage(["repetition"]).fit(docs, targets).save(tmp_path / FOLDER)
    spec = json.loads((tmp_path / FOLDER / SPEC).read_text())
    spec["text_features"] = spec["text_features"][:-1]
    (tmp_path / FOLDER / SPEC).write_text(json.dumps(spec))
    with pytest.raises(ModelLoadError, match="text features"):
        ContextStage.load(tmp_path / FOLDER)
    (tmp_path / FOLDER / WEIGHTS).unlink()
    with pytest.raises(ModelLoadError, match="incomplete"):
        ContextStage.load(tmp_path / FOLDER)


@pytest.fixture()
def staged_model(toy_baseline_dir, tmp_path):
    """The toy baseline with a context stage that re-scores `doubt` from the article."""
    out = tmp_path / "staged"
    shutil.copytree(toy_baseline_dir, out)
    docs, targets = _toy_documents()
    stage = ContextStage(["doubt"]).fit(docs, targets, C=1.0)
    stage.combiner_[0] = [0.0, 1.0, 0.0]  # the context model alone decides, to make its effect visible
    stage.save(out / FOLDER)
    manifest = json.loads((out / "framing.json").read_text())
    manifest["context"] = {"path": FOLDER, "labels": ["doubt"]}
    (out / "framing.json").write_text(json.dumps(manifest))
    return out


def test_score_applies_the_stage_per_article(staged_model, toy_baseline_dir):
    from framing.inference import Classifier

    clf, plain = Classifier.load(staged_model), Classifier.load(toy_baseline_dir)
    assert clf.context is not None and plain.context is None
    article = "Take back control, they said. Prices rose slightly in May. Again: take back control!"
    alone = "Again: take back control!"
    (with_ctx, single), (no_stage,) = clf.score_documents([("a", article), ("b", alone)]), plain.score_documents([("a", article)])
    doubt = [s["scores"]["doubt"] for s in with_ctx["sentences"]]
    assert doubt[2] > 0.5 > doubt[1]
    assert single["sentences"][0]["scores"]["doubt"] < doubt[2]  # same sentence, no article: no evidence
    # labels the stage does not re-score are the sentence model's
    assert [s["scores"]["name-calling"] for s in with_ctx["sentences"]] == \
           [s["scores"]["name-calling"] for s in no_stage["sentences"]]


def test_a_stage_for_a_label_the_model_lacks_is_refused(staged_model):
    from framing.inference import Classifier

    shutil.rmtree(staged_model / FOLDER)
    docs, targets = _toy_documents(10)
    ContextStage(["repetition"]).fit(docs, targets).save(staged_model / FOLDER)
    with pytest.raises(ModelLoadError, match="repetition"):
        Classifier.load(staged_model)


def test_evaluation_groups_sentences_into_their_articles(staged_model):
    """evaluate's path (rows of a split) gives the same scores as `framing score` on the article."""
    from framing.evaluate import unit_probabilities
    from framing.inference import Classifier
    from framing.segment import segment

    clf = Classifier.load(staged_model)
    article = "Take back control, they said. Prices rose slightly in May. Again: take back control!"
    sents = segment(article)
    # rows out of article order, and a second document between them
    order = [2, 0, 1]
    rows = {"source": ["ptc"] * 4, "doc_id": ["d1", "d1", "d2", "d1"], "unit": ["sentence"] * 4,
            "start": [sents[2].start, sents[0].start, 0, sents[1].start],
            "text": [sents[2].text, sents[0].text, "Rain fell over the hills.", sents[1].text]}
    probs = unit_probabilities(clf, rows)
    scored = clf.score_documents([("d1", article)])[0]["sentences"]
    j = clf.labels.index("doubt")
    for row, k in zip([0, 1, 3], order):
        assert probs[row, j] == pytest.approx(scored[k]["scores"]["doubt"], abs=1e-4)


def _rule_rows(n_docs: int = 30, seed: int = 1):
    from framing.rows import make_row
    from framing.taxonomy import load_taxonomy

    rng = np.random.default_rng(seed)
    ids = load_taxonomy().ids
    rows, probs = [], []
    for d in range(n_docs):
        for s in range(10):
            common, rare = rng.random() < 0.3, rng.random() < 0.03
            labels = {"loaded-language"} if common else set()
            if rare:
                labels.add("slogans")
            rows.append(make_row("ptc", f"d{d}", "sentence", s, s + 1, "x", labels, {"technique"}))
            p = np.full(len(ids), 0.05)
            p[ids.index("loaded-language")] = np.clip(0.4 * common + rng.random() * 0.6, 0, 1)
            p[ids.index("slogans")] = np.clip(0.3 * rare + rng.random() * 0.5, 0, 1)
            probs.append(p)
    table = {k: [r[k] for r in rows] for k in rows[0]}
    clf = SimpleNamespace(labels=list(ids), outputs=list(ids))
    return clf, table, np.array(probs, dtype=np.float32)


def test_threshold_rules_give_plain_thresholds_with_the_same_decisions():
    from framing.taxonomy import load_taxonomy
    from framing.threshold_cv import RULES, Rule, raw_thresholds

    clf, rows, probs = _rule_rows()
    cols = load_taxonomy().columns(clf.labels, "technique")
    for name in RULES:
        rule = Rule(name, clf, rows, probs, cols)
        decided = rule.decide(probs)
        assert decided.shape == (len(probs), len(cols))
        np.testing.assert_array_equal(decided, probs[:, cols] >= raw_thresholds(rule)[None, :] - 1e-6)


def test_shrunk_thresholds_sit_between_the_labels_own_and_the_shared_one():
    from framing.metrics import best_threshold
    from framing.taxonomy import load_taxonomy
    from framing.threshold_cv import Rule

    clf, rows, probs = _rule_rows()
    cols = load_taxonomy().columns(clf.labels, "technique")
    j = cols.index(clf.labels.index("slogans"))
    y = np.asarray(rows["labels"], bool)[:, cols]
    own = best_threshold(y[:, j], probs[:, cols][:, j])
    shared = best_threshold(y.ravel(), probs[:, cols].ravel())
    t = Rule("shrunk", clf, rows, probs, cols).thresholds[j]
    assert min(own, shared) - 1e-9 <= t <= max(own, shared) + 1e-9
    assert t != pytest.approx(own)  # few positives: pulled towards the shared threshold


def test_compare_rules_scores_every_rule_on_held_out_articles():
    from framing.threshold_cv import RULES, compare_rules

    clf, rows, probs = _rule_rows()
    test_rows = {**rows, "source": ["semeval2023"] * len(rows["source"])}
    result = compare_rules(clf, rows, probs, test_rows, probs, folds=3)
    assert set(result["rules"]) == set(RULES) and result["chosen"] in RULES
    for r in result["rules"].values():
        assert 0 <= r["cv_dev"]["micro_f1"] <= 1 and 0 <= r["test"]["macro_f1"] <= 1


def test_train_context_on_the_corpora(data_dir, toy_baseline_dir, tmp_path):
    from framing.context_training import train_context
    from framing.inference import Classifier

    result = train_context(toy_baseline_dir, tmp_path / "ctx", ["doubt"], data_dir, log=lambda _: None)
    estimate = result["cv_f1_dev"]["doubt"]
    assert estimate["dev_positives"] > 50 and 0 <= estimate["with_context"] <= 1
    clf = Classifier.load(tmp_path / "ctx")
    assert clf.context is not None and clf.context.labels == ["doubt"]
    manifest = json.loads((tmp_path / "ctx" / "framing.json").read_text())
    assert manifest["context"]["trained_on"] == "PTC train (gold)" and "dev" in manifest["metrics"]
    with pytest.raises(ValueError, match="already has a context stage"):
        train_context(tmp_path / "ctx", tmp_path / "ctx2", ["doubt"], data_dir, log=lambda _: None)
