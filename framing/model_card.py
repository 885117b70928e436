"""README.md model card written next to a saved model, from its manifest."""

from __future__ import annotations

import json
from pathlib import Path

from .manifest import MANIFEST_NAME


def write_model_card(model_dir: Path) -> None:
    model_dir = Path(model_dir)
    m = json.loads((model_dir / MANIFEST_NAME).read_text())
    lines = [
        "---",
        "library_name: transformers",
        "pipeline_tag: text-classification",
        "tags: [propaganda, persuasion-techniques, framing, multi-label]",
        "---",
        f"# framing {m['model_type']} model",
        "",
        "Multi-label sentence classifier for the 14 persuasion techniques of SemEval-2020 Task 11 and the",
        "project's geopolitical frames. Outputs are independent sigmoid probabilities; a label applies when",
        "its probability reaches the per-label threshold in `framing.json` (tuned on dev).",
        "",
        "## Data",
        "Trained on PTC (SemEval-2020 Task 11) train articles, spans projected onto sentences"
        + (" and the annotated span fragments themselves as extra rows" if m["settings"].get("with_fragments") else "")
        + "; SemEval-2021",
        "Task 6 meme texts (train); the project's own frame annotations (train split). Thresholds and the",
        "checkpoint were chosen on dev (PTC dev-gold, memes dev, frame annotations dev); test was never used",
        f"for any choice. Data fingerprint `{m['data_fingerprint']}`, taxonomy {m['taxonomy_version']}.",
        "",
        *_span_loss_lines(m),
        *([f"Weights: the uniform average (model soup) of {len(m['soup']['members'])} fine-tunes of the same base "
           f"(seeds {', '.join(str(x.get('seed')) for x in m['soup']['members'])}); the thresholds and the blend "
           "were then chosen on dev.", ""] if m.get("soup") else []),
        "## Metrics",
        "| split | set | micro-F1 | macro-F1 | any-technique F1 |",
        "|---|---|---|---|---|",
    ]
    for split, block in m.get("metrics", {}).items():
        for name, v in block["sets"].items():
            lines.append(f"| {split} | {name} | {v.get('micro_f1', 0):.3f} | {v.get('macro_f1', 0):.3f} | "
                         f"{v['any_technique_f1']:.3f} |" if "any_technique_f1" in v else
                         f"| {split} | {name} | {v.get('micro_f1', 0):.3f} | {v.get('macro_f1', 0):.3f} | - |")
    lines += [
        "",
        "dev = PTC dev (sentences); test = SemEval-2023 Task 3 paragraphs of the 90 PTC test articles",
        "(a paragraph's labels are the union of its sentences'), memes test, frame annotations test.",
        "",
        "## Intended use and limitations",
        "- For research, fact-checking and media analysis: flagging sentences that use persuasion techniques",
        "  or geopolitical framing, for a person to read. Not for automated moderation or judging authors.",
        "- English only. The technique data is US/UK partisan news of 2017-2019; rare techniques (slogans,",
        "  bandwagon, thought-terminating cliches) are detected poorly. Frame labels come from a small",
        "  in-house annotation and are less reliable outside pro-Kremlin / Russia-China coverage.",
        "- Inputs longer than the max length are truncated.",
        "",
        "## Use",
        "```python",
        "from framing import Classifier",
        "clf = Classifier.load('path/to/this/folder')",
        "clf.predict_proba(['The corrupt elites lied to us again.'])",
        "```",
        "Also loads with `transformers.pipeline('text-classification', model=DIR, top_k=None)`.",
    ]
    (model_dir / "README.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _span_loss_lines(m: dict) -> list[str]:
    """Say whether (and for which soup members) training had the token-level span loss."""
    members = m["soup"]["members"] if m.get("soup") else [{"span_weight": m["settings"].get("span_weight")}]
    weights = [x.get("span_weight") for x in members if x.get("span_weight")]
    if not weights:
        return []
    who = "Training" if not m.get("soup") else f"Training of {len(weights)} of the {len(members)} soup members"
    return [f"{who} also had a token-level span loss (weight {', '.join(str(w) for w in sorted(set(weights)))}): a "
            "training-only layer predicted which techniques cover each token, from PTC's character spans. It is "
            "not part of these weights.", ""]
