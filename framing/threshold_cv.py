"""Which threshold rule generalises: compared by cross-validation over the dev articles.

Several techniques have fewer than 25 dev positives, so a threshold tuned on dev fits those few
sentences. Each rule is fitted on four folds of the dev articles and scored on the fifth; the
held-out decisions of the five folds are pooled into PTC micro- and macro-F1. The sentence
model's train scores are in-sample (it was fitted on them), so train cannot take part in the
folds. Test is reported for each rule fitted on the whole of dev, never used to choose.

Rules:
  label-f1, joint, joint-macro2   as `framing blend` tunes them (training.tune_thresholds)
  joint-on      joint, but no label may be switched off (metrics.joint_thresholds keep_on)
  shrunk        each label's F1-optimal threshold pulled towards the one shared threshold that is
                best for micro-F1, by n / (n + 20) where n is the label's positives in the folds
  calibrated    per-label Platt scaling (temperature and bias on the logit), then one shared
                threshold on the calibrated probabilities
"""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

from .context import logit
from .metrics import best_threshold, prf

RULES = ("label-f1", "joint", "joint-macro2", "joint-on", "shrunk", "calibrated")
SHRINK_PRIOR = 20  # positives at which a label's own threshold and the shared one weigh alike


def _subset(rows: dict, idx: np.ndarray) -> dict:
    return {k: [v[i] for i in idx] for k, v in rows.items()}


def _shared_threshold(y: np.ndarray, scores: np.ndarray, mask: np.ndarray) -> float:
    """One threshold for every annotated cell of every label (best micro-F1)."""
    return best_threshold(y[mask], scores[mask])


class Rule:
    """A fitted threshold rule: `decide(probs)` gives the decisions for the label columns."""

    def __init__(self, name: str, clf, rows: dict, probs: np.ndarray, cols: list[int]):
        from .evaluate import aligned_targets
        from .training import tune_thresholds

        self.name, self.cols = name, cols
        y, m = aligned_targets(rows, clf.labels)
        news = np.asarray([s != "memes" for s in rows["source"]])
        y, m, p = y[news][:, cols], m[news][:, cols], probs[news][:, cols]
        self.scale = None
        if name in ("label-f1", "joint", "joint-macro2", "joint-on"):
            thresholds, _ = tune_thresholds(clf, rows, probs, name)
            self.thresholds = np.array([thresholds[clf.labels[j]] for j in cols])
        elif name == "shrunk":
            shared = _shared_threshold(y, p, m)
            own = np.array([best_threshold(y[m[:, j], j], p[m[:, j], j], shared) for j in range(len(cols))])
            n = np.array([y[m[:, j], j].sum() for j in range(len(cols))])
            lam = n / (n + SHRINK_PRIOR)
            self.thresholds = lam * own + (1 - lam) * shared
        elif name == "calibrated":
            self.scale = np.zeros((len(cols), 2))
            for j in range(len(cols)):
                t, s = y[m[:, j], j], p[m[:, j], j]
                if t.min() != t.max():
                    fit = LogisticRegression(max_iter=1000).fit(logit(s)[:, None], t)
                    self.scale[j] = fit.coef_[0][0], fit.intercept_[0]
                else:
                    self.scale[j] = 1.0, -10.0
            self.thresholds = np.full(len(cols), _shared_threshold(y, self._calibrate(p), m))
        else:
            raise ValueError(f"unknown threshold rule {name!r}; expected one of {RULES}")

    def _calibrate(self, p: np.ndarray) -> np.ndarray:
        return 1 / (1 + np.exp(-(self.scale[:, 0] * logit(p) + self.scale[:, 1])))

    def decide(self, probs: np.ndarray) -> np.ndarray:
        p = probs[:, self.cols]
        return (self._calibrate(p) if self.scale is not None else p) >= self.thresholds


def _ptc_scores(y: np.ndarray, m: np.ndarray, pred: np.ndarray) -> dict:
    tp, fp, fn = ((pred & y & m).sum(0), (pred & ~y & m).sum(0), (~pred & y & m).sum(0))
    f1 = prf(tp, fp, fn)[2]
    return {"micro_f1": round(float(prf(tp.sum(), fp.sum(), fn.sum())[2]), 4),
            "macro_f1": round(float(np.mean(f1[(tp + fn) > 0])), 4),
            "per_label": [round(float(v), 4) for v in f1]}


def compare_rules(clf, dev_rows: dict, dev_probs: np.ndarray, test_rows: dict, test_probs: np.ndarray,
                  folds: int = 5, rules=RULES) -> dict:
    """Per rule: PTC dev micro / macro F1 pooled over held-out folds, and PTC-style test figures
    (SemEval-2023 paragraphs) with the rule fitted on all of dev."""
    from .evaluate import PRIMARY, aligned_targets
    from .taxonomy import load_taxonomy

    cols = load_taxonomy().columns(clf.labels, "technique")
    groups = np.array([f"{s}\x00{d}" for s, d in zip(dev_rows["source"], dev_rows["doc_id"])])
    y, m = aligned_targets(dev_rows, clf.labels)
    ptc = np.asarray(dev_rows["source"]) == PRIMARY["dev"]
    ty, tm = aligned_targets(test_rows, clf.labels)
    tsel = np.asarray(test_rows["source"]) == PRIMARY["test"]
    out = {"folds": folds, "labels": [clf.labels[j] for j in cols], "rules": {}}
    for name in rules:
        pred = np.zeros((len(groups), len(cols)), dtype=bool)
        for tr, te in GroupKFold(folds).split(dev_probs, groups=groups):
            rule = Rule(name, clf, _subset(dev_rows, tr), dev_probs[tr], cols)
            pred[te] = rule.decide(dev_probs[te])
        full = Rule(name, clf, dev_rows, dev_probs, cols)
        out["rules"][name] = {
            "cv_dev": _ptc_scores(y[ptc][:, cols], m[ptc][:, cols], pred[ptc]),
            "test": _ptc_scores(ty[tsel][:, cols], tm[tsel][:, cols], full.decide(test_probs)[tsel]),
        }
    # declared before comparing: among the rules that leave no technique at F1 0 on the held-out
    # folds (all rules, if none does), the best cross-validated micro + macro (what `joint` aims at)
    def cv(r):
        return out["rules"][r]["cv_dev"]
    alive = [r for r in out["rules"] if min(cv(r)["per_label"]) > 0] or list(out["rules"])
    out["chosen"] = max(alive, key=lambda r: cv(r)["micro_f1"] + cv(r)["macro_f1"])
    return out


def threshold_report(clf, data_dir=None, folds: int = 5) -> dict:
    """`compare_rules` on the model's own dev and test scores (its context stage included)."""
    from .dataset import load_dataset_dict
    from .evaluate import unit_probabilities

    dd = load_dataset_dict(data_dir)
    dev, test = dd["dev"][:], dd["test"][:]
    return compare_rules(clf, dev, unit_probabilities(clf, dev), test, unit_probabilities(clf, test), folds)


def raw_thresholds(rule: Rule) -> np.ndarray:
    """The rule as plain thresholds on the model's probabilities (calibration is monotone)."""
    if rule.scale is None:
        return rule.thresholds
    a, b = rule.scale[:, 0], rule.scale[:, 1]
    z = (logit(rule.thresholds) - b) / np.where(a > 0, a, np.inf)
    return np.where(a > 0, 1 / (1 + np.exp(-z)), 1.0 + 1e-6)


def apply_rule(model_dir, out, rule: str, data_dir=None) -> dict:
    """Copy MODEL to OUT with its technique thresholds set by `rule` fitted on all of dev."""
    import json
    import shutil
    from pathlib import Path

    from .atomic import atomic_dir
    from .dataset import load_dataset_dict
    from .evaluate import evaluate_rows, unit_probabilities
    from .inference import Classifier
    from .manifest import MANIFEST_NAME, with_version
    from .model_card import write_model_card
    from .taxonomy import load_taxonomy
    from .training import metrics_summary

    model_dir, out = Path(model_dir), Path(out)
    clf = Classifier.load(model_dir, device="cpu", precision="fp32")
    dd = load_dataset_dict(data_dir)
    rows = {split: dd[split][:] for split in ("dev", "test")}
    probs = {split: unit_probabilities(clf, r) for split, r in rows.items()}
    cols = load_taxonomy().columns(clf.labels, "technique")
    fitted = Rule(rule, clf, rows["dev"], probs["dev"], cols)
    manifest = with_version(dict(clf.manifest))
    manifest["thresholds"] = {**clf.manifest["thresholds"],
                              **{clf.labels[j]: float(t) for j, t in zip(cols, raw_thresholds(fitted))}}
    manifest["selection"] = {**clf.manifest.get("selection", {}), "threshold_rule": rule,
                             "threshold_rule_chosen_by": "5-fold cross-validation over the dev articles "
                                                         "(`framing evaluate --task thresholds`)"}
    stub = Classifier(clf.backend, manifest, out)
    stub.set_context(clf.context)
    stub.set_frame_stage(clf.frame_stage)
    manifest["metrics"] = {split: metrics_summary(evaluate_rows(stub, rows[split], split, probs[split])) for split in rows}
    with atomic_dir(out) as tmp:
        shutil.copytree(model_dir, tmp, dirs_exist_ok=True)
        (tmp / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2) + "\n")
        write_model_card(tmp)
        Classifier.load(tmp)
    return manifest["metrics"]
