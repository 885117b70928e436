import numpy as np
import pytest

from framing.metrics import best_threshold, harmonic, prf, report


def test_masked_cells_are_neither_positive_nor_negative():
    y = np.array([[1, 0], [0, 1], [0, 0]])
    p = np.array([[1, 1], [0, 1], [0, 1]])
    m = np.array([[1, 0], [1, 1], [1, 0]])  # column 1 annotated only in row 1
    r = report(y, p, m, ["a", "b"])
    assert r["per_label"]["b"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 1}
    assert r["per_label"]["a"]["f1"] == 1.0
    assert r["micro_f1"] == 1.0


def test_any_technique_uses_the_models_own_decision_when_given():
    y = np.array([[1, 0], [0, 0], [0, 1]])
    p = np.array([[0, 0], [0, 0], [0, 1]])
    m = np.ones_like(y)
    union = report(y, p, m, ["a", "b"], [0, 1])["any_technique_f1"]
    assert union == pytest.approx(2 / 3)
    gate = report(y, p, m, ["a", "b"], [0, 1], any_pred=np.array([1, 0, 1]))["any_technique_f1"]
    assert gate == 1.0


def test_macro_averages_only_labels_with_support():
    y = np.array([[1, 0], [0, 0]])
    p = np.array([[1, 1], [0, 0]])
    r = report(y, p, np.ones_like(y), ["a", "b"])
    assert r["macro_f1"] == 1.0 and r["per_label"]["b"]["support"] == 0


def test_best_threshold_separates_classes():
    scores = np.array([0.9, 0.8, 0.3, 0.2])
    t = best_threshold(np.array([1, 1, 0, 0]), scores)
    assert 0.3 < t < 0.8
    assert best_threshold(np.array([0, 0]), np.array([0.1, 0.2])) == 0.5


def test_joint_thresholds_switch_off_a_label_that_only_adds_noise():
    from framing.metrics import joint_thresholds, report

    rng = np.random.default_rng(0)
    n = 400
    good = rng.random(n) < 0.3
    # label b: the model ranks its 10 positives lowest, so its F1-optimal threshold is "everything"
    noisy = np.zeros(n, bool)
    noisy[:10] = True
    b_scores = np.where(noisy, 0.05, rng.uniform(0.1, 0.9, n))
    scores = np.c_[np.where(good, 0.8, 0.2) + rng.normal(0, 0.05, n), b_scores]
    y = np.c_[good, noisy]
    m = np.ones_like(y)
    start = np.array([best_threshold(y[:, j], scores[:, j]) for j in range(2)])
    tuned = joint_thresholds(y, scores, m, start)
    before = report(y, scores >= start, m, ["a", "b"])
    after = report(y, scores >= tuned, m, ["a", "b"])
    assert after["micro_f1"] + after["macro_f1"] >= before["micro_f1"] + before["macro_f1"]
    assert after["micro_f1"] > before["micro_f1"]
    assert 0 < tuned.max() < 1


def test_joint_thresholds_keep_a_label_without_positives():
    """praise-of-partnership has no dev positive: the search must not switch it off for good."""
    from framing.metrics import joint_thresholds

    rng = np.random.default_rng(1)
    n = 300
    a = rng.random(n) < 0.3
    scores = np.c_[np.where(a, 0.8, 0.2) + rng.normal(0, 0.05, n), rng.uniform(0.4, 0.9, n)]
    y = np.c_[a, np.zeros(n, bool)]
    tuned = joint_thresholds(y, scores, np.ones_like(y), np.array([0.5, 0.5]))
    assert tuned[1] == 0.5  # raising it to "never" would have removed every false positive
    assert (scores[:, 1] >= tuned[1]).any()


def test_prf_from_counts_scalars_and_arrays():
    assert prf(3, 1, 2) == pytest.approx((0.75, 0.6, 2 * 0.75 * 0.6 / 1.35))
    # nothing predicted, nothing gold: 0 everywhere rather than a ZeroDivisionError or NaN
    assert prf(0, 0, 0) == (0.0, 0.0, 0.0)
    assert prf(0, 2, 0) == (0.0, 0.0, 0.0)
    precision, recall, f1 = prf(np.array([3, 0, 0]), np.array([1, 0, 4]), np.array([2, 0, 1]))
    assert precision == pytest.approx([0.75, 0.0, 0.0])
    assert recall == pytest.approx([0.6, 0.0, 0.0])
    assert f1 == pytest.approx([prf(3, 1, 2)[2], 0.0, 0.0])
    assert harmonic(0.8, 1.0) == pytest.approx(2 * 0.8 / 1.8) and harmonic(0.0, 0.0) == 0.0


def test_f1_interval_brackets_the_f1_and_narrows_with_more_rows():
    from framing.metrics import f1_interval

    y = np.array([1, 1, 1, 0, 0, 0, 0, 0, 1, 0] * 2, bool)
    p = np.array([1, 1, 0, 0, 1, 0, 0, 0, 1, 0] * 2, bool)
    f1 = prf((y & p).sum(), (p & ~y).sum(), (y & ~p).sum())[2]
    low, high = f1_interval(y, p)
    assert low <= f1 <= high and high - low > 0.1
    low10, high10 = f1_interval(np.tile(y, 10), np.tile(p, 10))
    assert high10 - low10 < high - low
    assert f1_interval(y, y) == [1.0, 1.0]
    assert f1_interval(y, p) == [low, high]  # fixed seed: the same figures on every run
