"""Self-contained offline HTML reports: inline SVG charts (matplotlib), no scripts, no CDN.

Every piece of article text is HTML-escaped: crawled pages are hostile input.
"""

from __future__ import annotations

import io
import json
from html import escape
from pathlib import Path

import numpy as np

from .metrics import prf

PALETTE = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6", "#bfef45", "#fabed4",
           "#469990", "#dcbeff", "#9a6324", "#800000", "#aaffc3", "#808000", "#000075", "#ffd8b1"]
CSS = """
body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}
table{border-collapse:collapse;margin:1em 0;font-size:14px}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}
th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}
.legend span{display:inline-block;margin:2px 6px;padding:1px 6px;border-radius:3px;font-size:13px}
.article{border:1px solid #ddd;border-radius:6px;padding:1em;margin:1.5em 0}
.sent{border-radius:3px;padding:1px 2px}.skipped{color:#aaa;font-style:italic}
.scores{font-size:11px;color:#555}.meta{color:#666;font-size:13px}
figure{margin:0}svg{max-width:100%;height:auto}
"""


def _svg(fig) -> str:
    import matplotlib.pyplot as plt

    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    plt.close(fig)
    text = buf.getvalue()
    return text[text.index("<svg"):]


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams["svg.fonttype"] = "none"  # real text in the SVG, not paths
    return plt


def _page(title: str, body: str) -> str:
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{escape(title)}</title>"
            f"<style>{CSS}</style></head><body><h1>{escape(title)}</h1>{body}</body></html>\n")


def colors(labels: list[str]) -> dict[str, str]:
    return {label: PALETTE[i % len(PALETTE)] for i, label in enumerate(labels)}


# -- model report ------------------------------------------------------------------------------

def _f1_chart(results: dict[str, dict], split: str, set_name: str) -> str:
    plt = _plt()
    names = list(results)
    labels = sorted({lab for r in results.values() for lab in r["sets"].get(set_name, {}).get("per_label", {})},
                    key=lambda x: list(next(iter(results.values()))["sets"][set_name]["per_label"]).index(x)
                    if x in next(iter(results.values()))["sets"][set_name]["per_label"] else 99)
    fig, ax = plt.subplots(figsize=(10, 0.32 * len(labels) + 1.2))
    height = 0.8 / max(1, len(names))
    for k, name in enumerate(names):
        per = results[name]["sets"].get(set_name, {}).get("per_label", {})
        ax.barh(np.arange(len(labels)) + k * height, [per.get(lab, {}).get("f1", 0) for lab in labels], height,
                label=name)
    ax.set_yticks(np.arange(len(labels)) + height * (len(names) - 1) / 2, labels)
    ax.invert_yaxis()
    ax.set_xlabel("F1")
    ax.set_xlim(0, 1)
    ax.set_title(f"per-label F1, {split} / {set_name}")
    ax.legend(loc="lower right")
    return _svg(fig)


def _pr_chart(name: str, y: np.ndarray, m: np.ndarray, probs: np.ndarray, labels: list[str], thresholds) -> str:
    plt = _plt()
    from sklearn.metrics import precision_recall_curve

    cols = [j for j in range(len(labels)) if y[m[:, j], j].any()]
    n = len(cols)
    ncols = 4
    rows = (n + ncols - 1) // ncols
    fig, axes = plt.subplots(rows, ncols, figsize=(12, 2.6 * rows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, j in zip(axes.flat, cols):
        ax.axis("on")
        t, s = y[m[:, j], j], probs[m[:, j], j]
        precision, recall, _ = precision_recall_curve(t, s)
        ax.plot(recall, precision, lw=1.2)
        pred = s >= thresholds[j]
        p_at, r_at, _ = prf((pred & t).sum(), (pred & ~t).sum(), (~pred & t).sum())
        ax.plot([r_at], [p_at], "o", color="crimson")
        ax.set_title(f"{labels[j]} (t={thresholds[j]:.2f})", fontsize=8)
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1.02)
        ax.tick_params(labelsize=7)
    fig.suptitle(f"{name}: precision-recall on dev, red dot = chosen threshold", fontsize=10)
    fig.tight_layout()
    return _svg(fig)


def _metrics_table(results: dict[str, dict], set_name: str) -> str:
    names = list(results)
    first = results[names[0]]["sets"].get(set_name, {}).get("per_label", {})
    head = "".join(f"<th colspan=3>{escape(n)}</th>" for n in names)
    sub = "".join("<th>P</th><th>R</th><th>F1</th>" for _ in names)
    rows = []
    for label in first:
        cells = []
        for n in names:
            v = results[n]["sets"].get(set_name, {}).get("per_label", {}).get(label)
            cells.append("".join(f"<td>{v[k]:.3f}</td>" for k in ("precision", "recall", "f1")) if v else "<td colspan=3>-</td>")
        support = first[label]["support"]
        rows.append(f"<tr><td>{escape(label)} ({support})</td>{''.join(cells)}</tr>")
    agg = []
    for key in ("micro_f1", "macro_f1", "any_technique_f1"):
        vals = [results[n]["sets"].get(set_name, {}).get(key) for n in names]
        if any(v is not None for v in vals):
            agg.append(f"<tr><th>{key}</th>" + "".join(f"<td colspan=3>{v:.3f}</td>" if v is not None else
                                                       "<td colspan=3>-</td>" for v in vals) + "</tr>")
    return (f"<table><tr><th>label (support)</th>{head}</tr><tr><th></th>{sub}</tr>{''.join(rows)}{''.join(agg)}</table>")


def model_report(model_dirs: list[str | Path], data_dir=None) -> str:
    from .dataset import load_dataset_dict
    from .evaluate import aligned_targets, evaluate_rows, unit_probabilities
    from .inference import Classifier

    dd = load_dataset_dict(data_dir)
    body = []
    results = {"dev": {}, "test": {}}
    pr = []
    for d in model_dirs:
        clf = Classifier.load(d, device="cpu", precision="fp32")
        name = f"{Path(d).name} ({clf.model_type})"
        for split in ("dev", "test"):
            rows = dd[split][:]
            probs = unit_probabilities(clf, rows)
            results[split][name] = evaluate_rows(clf, rows, split, probs)
            if split == "dev":
                y, m = aligned_targets(rows, clf.labels)
                pr.append(_pr_chart(name, y, m, probs[:, : len(clf.labels)], clf.labels, clf.thresholds))
    for split in ("dev", "test"):
        first = next(iter(results[split].values()))
        sets = sorted(first["sets"], key=lambda name: name != first["source"])  # the headline set first
        for set_name in sets:
            body.append(f"<h2>{split} / {escape(set_name)}</h2>")
            body.append(_metrics_table(results[split], set_name))
            body.append(f"<figure>{_f1_chart(results[split], split, set_name)}</figure>")
    body.append("<h2>Precision-recall curves (dev)</h2>" + "".join(f"<figure>{svg}</figure>" for svg in pr))
    intro = ("<p class=meta>dev = PTC dev sentences (thresholds and model choice were made here); test = SemEval-2023 "
             "paragraphs of the 90 PTC test articles (union of sentence labels), memes test, frame annotations test.</p>")
    return _page("framing model report", intro + "".join(body))


# -- article / batch report ----------------------------------------------------------------------

def load_articles(path: str | Path) -> list[dict]:
    """Records of `framing batch` (JSONL), `framing score --format json` (one object per line) or
    `framing score --format jsonl` (sentence records, grouped here by document)."""
    articles, by_doc = [], {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        rec = json.loads(line)
        if "sentences" in rec or rec.get("status") or "error" in rec:
            articles.append({"id": rec.get("id") or rec.get("doc"), **rec})
        else:  # a sentence record
            doc = by_doc.setdefault(rec["doc"], {"id": rec["doc"], "status": "scored", "sentences": []})
            if not doc["sentences"]:
                articles.append(doc)
            doc["sentences"].append(rec)
    return articles


def _article_html(rec: dict, palette: dict[str, str]) -> str:
    title = escape(str(rec.get("title") or rec.get("id")))
    meta = [f"id {escape(str(rec.get('id')))}"]
    if rec.get("url"):
        meta.append(escape(str(rec["url"])))
    if rec.get("propaganda_index") is not None:
        meta.append(f"propaganda index {rec['propaganda_index']}")
    if rec.get("status") in ("error", "duplicate"):
        reason = rec.get("error") or f"duplicate of {rec.get('duplicate_of')}"
        return f"<div class=article><h3>{title}</h3><p class=meta>{' · '.join(meta)} · {escape(str(reason))}</p></div>"
    parts = []
    for s in rec.get("sentences", []):
        text = escape(s["text"])
        if s.get("skipped"):
            parts.append(f"<span class='sent skipped' title='skipped: {escape(s['skipped'])}'>{text}</span>")
            continue
        labels = s.get("labels") or []
        scores = s.get("scores") or {}
        tip = escape(", ".join(f"{k} {v:.2f}" for k, v in sorted(scores.items(), key=lambda kv: -kv[1])[:5]))
        spans = s.get("spans") or []
        if spans:
            text = _marked(s, spans, palette)
        if labels:
            top = max(labels, key=lambda x: scores.get(x, 0))
            chips = " ".join(f"<span style='background:{palette.get(x, '#ccc')}'>&nbsp;</span>" for x in labels)
            # a label without a span marked: the sentence is shaded lightly instead
            shade = f" style='background:{palette.get(top, '#ddd')}22'" if not spans else ""
            parts.append(f"<span class=sent{shade} title='{tip}'>{text}</span>"
                         f"<sup class=scores>{escape(', '.join(labels))} {chips}</sup>")
        else:
            parts.append(f"<span class=sent title='{tip}'>{text}</span>")
    return f"<div class=article><h3>{title}</h3><p class=meta>{' · '.join(meta)}</p><p>{' '.join(parts)}</p></div>"


def _marked(sentence: dict, spans: list[dict], palette: dict[str, str]) -> str:
    """The sentence's HTML with every span marked: a coloured underline per technique (one line
    per overlapping span, stacked, so overlaps stay readable) and technique + score on hover."""
    base = sentence["start"]
    cuts = sorted({0, len(sentence["text"])} | {x - base for sp in spans for x in (sp["start"], sp["end"])})
    out = []
    for a, b in zip(cuts[:-1], cuts[1:]):
        piece = escape(sentence["text"][a:b])
        covering = [sp for sp in spans if sp["start"] - base <= a and sp["end"] - base >= b]
        if not covering:
            out.append(piece)
            continue
        tip = escape("; ".join(f"{sp['label']} {sp['score']:.2f}: {sp['text']}" for sp in covering))
        shadows = ", ".join(f"0 {2 + 3 * k}px 0 0 {palette.get(sp['label'], '#888')}" for k, sp in enumerate(covering))
        out.append(f"<mark class=span title='{tip}' style='box-shadow: {shadows}; "
                   f"background:{palette.get(covering[0]['label'], '#ddd')}33'>{piece}</mark>")
    return "".join(out)


def _distribution_chart(articles: list[dict], labels: list[str]) -> str:
    plt = _plt()
    scored = [a for a in articles if a.get("status", "scored") == "scored"]
    share = [np.mean([any(label in s.get("labels", []) for s in a.get("sentences", [])) for a in scored]) if scored else 0
             for label in labels]
    fig, ax = plt.subplots(figsize=(9, 0.3 * len(labels) + 1))
    ax.barh(labels, share, color=[colors(labels)[x] for x in labels])
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of scored articles with at least one sentence labeled")
    return _svg(fig)


def articles_report(path: str | Path, max_articles: int = 200, top: int = 5) -> str:
    from .taxonomy import load_taxonomy

    articles = load_articles(path)
    seen = [x for a in articles for s in a.get("sentences", []) for x in (s.get("scores") or {})]
    labels = [x for x in load_taxonomy().ids if x in set(seen)]
    palette = colors(labels)
    legend = "".join(f"<span style='background:{palette[x]}55'>{escape(x)}</span>" for x in labels)
    body = [f"<p class=meta>{len(articles)} records from {escape(str(path))}; hover a sentence for its top scores; "
            "grey italics = boilerplate lines, never scored.</p>", f"<div class=legend>{legend}</div>"]
    counts = {}
    for a in articles:
        counts[a.get("status", "scored")] = counts.get(a.get("status", "scored"), 0) + 1
    body.append("<p>" + ", ".join(f"{escape(k)}: {v}" for k, v in sorted(counts.items())) + "</p>")
    if len(articles) > 1 and labels:
        body.append("<h2>Label distribution over articles</h2><figure>" + _distribution_chart(articles, labels) + "</figure>")
        body.append("<h2>Top articles per label</h2><table><tr><th>label</th><th>articles (share of sentences)</th></tr>")
        for label in labels:
            ranked = sorted((a for a in articles if a.get("aggregates")),
                            key=lambda a: -a["aggregates"].get(label, {}).get("share", 0))[:top]
            cells = ", ".join(f"{escape(str(a['id']))} ({a['aggregates'][label]['share']:.2f})" for a in ranked
                              if a["aggregates"].get(label, {}).get("share", 0) > 0)
            body.append(f"<tr><td>{escape(label)}</td><td style='text-align:left'>{cells or '-'}</td></tr>")
        body.append("</table>")
    body.append("<h2>Articles</h2>")
    body += [_article_html(a, palette) for a in articles[:max_articles]]
    if len(articles) > max_articles:
        body.append(f"<p class=meta>{len(articles) - max_articles} more records not shown (--max-articles).</p>")
    return _page("framing article report", "".join(body))
