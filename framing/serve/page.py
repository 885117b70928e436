"""The page at `/` and the offline API description at `/docs`.

The page is static HTML with the report's stylesheet (`framing.report.CSS`) and one script served
by this server (`/page.js`): no CDN, works offline. The script builds every element with
`textContent`, never `innerHTML`, so article text (hostile input: crawled pages) is never markup;
the content security policy allows scripts from this server only, so even a missed escape can't
run. `/docs` renders the OpenAPI document on the server (Swagger UI would load from a CDN).
"""

from __future__ import annotations

import json
from html import escape

from ..report import CSS, colors
from ..taxonomy import load_taxonomy

CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; "
       "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")

PAGE_CSS = CSS + """
textarea{width:100%;height:12em;font:14px/1.4 system-ui,sans-serif;box-sizing:border-box}
input[type=text],input[type=password]{width:60%;font-size:14px}
.controls{margin:.5em 0}.controls button{font-size:15px;padding:3px 14px}
#status{color:#666;font-size:13px;margin-left:1em}.error{color:#b00020}
mark.span{color:inherit;padding:0 1px}
"""


def _json_for_script(value) -> str:
    """JSON inside a <script> element: `<`, `>` and `&` escaped so no text can end the element."""
    return json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def page_html(clf, allow_fetch: bool, token_required: bool) -> str:
    labels = [x for x in load_taxonomy().ids if x in set(clf.labels)] + [x for x in clf.labels
                                                                         if x not in load_taxonomy().ids]
    palette = colors(labels)  # the colours `framing report articles` gives the same labels
    config = {"labels": labels, "palette": palette, "allow_fetch": allow_fetch, "token_required": token_required,
              "model_version": clf.manifest.get("version")}
    legend = "".join(f"<span style='background:{palette[x]}55'>{escape(x)}</span>" for x in labels)
    url_note = "" if allow_fetch else " <span class=meta>(this server was started without --allow-fetch)</span>"
    token = ("<div class=controls><label>Bearer token <input type=password id=token autocomplete=off></label></div>"
             if token_required else "")
    version = escape(str(clf.manifest.get("version") or "unversioned"))
    return f"""<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>framing</title>
<meta name=viewport content='width=device-width, initial-scale=1'><style>{PAGE_CSS}</style></head><body>
<h1>framing</h1>
<p class=meta>Persuasion techniques and geopolitical frames per sentence; model {version}
({escape(clf.model_type)}). Paste an article, or give a URL; hover a sentence for its scores, a marked
phrase for its technique; grey italics = boilerplate lines, never scored.
API: <a href='/docs'>/docs</a>.</p>
<div class=legend>{legend}</div>
<textarea id=text placeholder='Paste article text here'></textarea>
<div class=controls><label>or URL <input type=text id=url placeholder='https://...'{'' if allow_fetch else ' disabled'}>
</label>{url_note}</div>{token}
<div class=controls><button id=score type=button>Score</button><span id=status></span></div>
<div id=results></div>
<script type='application/json' id=config>{_json_for_script(config)}</script>
<script src='/page.js'></script></body></html>
"""


PAGE_JS = r"""'use strict';
const config = JSON.parse(document.getElementById('config').textContent);
const $ = (id) => document.getElementById(id);

function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;
  return node;
}

function colour(label, fallback) { return config.palette[label] || fallback; }

function fmt(x) { return Number(x).toFixed(2); }

// The sentence with every span marked: one coloured underline per covering span (stacked), as
// the article report draws them; technique, score and words on hover.
function marked(sentence, spans) {
  const base = sentence.start, text = sentence.text;
  const cuts = new Set([0, text.length]);
  for (const sp of spans) { cuts.add(sp.start - base); cuts.add(sp.end - base); }
  const sorted = [...cuts].sort((a, b) => a - b);
  const out = [];
  for (let k = 0; k + 1 < sorted.length; k++) {
    const a = sorted[k], b = sorted[k + 1];
    const piece = text.slice(a, b);
    const covering = spans.filter((sp) => sp.start - base <= a && sp.end - base >= b);
    if (!covering.length) { out.push(document.createTextNode(piece)); continue; }
    const mark = el('mark', 'span', piece);
    mark.title = covering.map((sp) => `${sp.label} ${fmt(sp.score)}: ${sp.text}`).join('; ');
    mark.style.boxShadow = covering.map((sp, j) => `0 ${2 + 3 * j}px 0 0 ${colour(sp.label, '#888')}`).join(', ');
    mark.style.background = colour(covering[0].label, '#dddddd') + '33';
    out.push(mark);
  }
  return out;
}

function sentenceNodes(s) {
  if (s.skipped) {
    const node = el('span', 'sent skipped', s.text);
    node.title = 'skipped: ' + s.skipped;
    return [node];
  }
  const scores = Object.entries(s.scores || {}).sort((x, y) => y[1] - x[1]);
  const node = el('span', 'sent');
  node.title = scores.map(([k, v]) => `${k} ${fmt(v)}`).join('\n');
  const spans = s.spans || [];
  if (spans.length) node.append(...marked(s, spans)); else node.textContent = s.text;
  const nodes = [node];
  const labels = s.labels || [];
  if (labels.length) {
    const top = labels.reduce((a, b) => ((s.scores[b] || 0) > (s.scores[a] || 0) ? b : a));
    // a label without a span marked: the sentence is shaded lightly instead
    if (!spans.length) node.style.background = colour(top, '#dddddd') + '22';
    const sup = el('sup', 'scores', labels.join(', ') + ' ');
    for (const label of labels) {
      const chip = el('span', null, '\u00a0');
      chip.style.background = colour(label, '#cccccc');
      sup.append(chip, ' ');
    }
    nodes.push(sup);
  }
  return nodes;
}

function documentNode(doc) {
  const box = el('div', 'article');
  box.append(el('h3', null, String(doc.title || doc.id)));
  const meta = [`id ${doc.id}`];
  if (doc.url) meta.push(doc.url);
  if (doc.status === 'error') {
    meta.push(doc.error);
    box.append(el('p', 'meta error', meta.join(' \u00b7 ')));
    return box;
  }
  const scored = doc.sentences.filter((s) => !s.skipped);
  const flagged = scored.filter((s) => (s.labels || []).length);
  meta.push(`${doc.sentences.length} sentences, ${scored.length} scored, ${flagged.length} with a label`);
  box.append(el('p', 'meta', meta.join(' \u00b7 ')));
  const para = el('p');
  for (const s of doc.sentences) { para.append(...sentenceNodes(s), ' '); }
  box.append(para);
  return box;
}

async function score() {
  const text = $('text').value, url = $('url').value.trim();
  const body = url && config.allow_fetch ? { url } : { text };
  const headers = { 'Content-Type': 'application/json' };
  const token = $('token') ? $('token').value.trim() : '';
  if (token) headers.Authorization = 'Bearer ' + token;
  $('status').textContent = 'scoring\u2026';
  $('status').className = '';
  const started = performance.now();
  try {
    const resp = await fetch('/v1/score', { method: 'POST', headers, body: JSON.stringify(body) });
    const data = await resp.json();
    $('results').replaceChildren();
    if (!resp.ok) {
      const e = data.error || {};
      $('status').textContent = `${resp.status}: ${e.message || 'error'}`;
      $('status').className = 'error';
      return;
    }
    for (const doc of data.documents) $('results').append(documentNode(doc));
    $('status').textContent = `scored in ${Math.round(performance.now() - started)} ms`;
    document.body.dataset.scored = 'yes';  // for the screenshot script and tests
  } catch (err) {
    $('status').textContent = 'request failed: ' + err;
    $('status').className = 'error';
  }
}

$('score').addEventListener('click', score);
// #text=... or #url=... fills the form and scores at once (the screenshot script uses it).
const hash = new URLSearchParams(location.hash.slice(1));
if (hash.has('text') || hash.has('url')) {
  if (hash.has('text')) $('text').value = hash.get('text');
  if (hash.has('url')) $('url').value = hash.get('url');
  score();
}
"""


def docs_html(openapi: dict) -> str:
    """The OpenAPI document as one offline page: every operation, its body and its answers."""
    body = [f"<p class=meta>{escape(str(openapi.get('info', {}).get('description', '')))} "
            "Machine-readable: <a href='/openapi.json'>/openapi.json</a>.</p>"]
    for path, ops in openapi.get("paths", {}).items():
        for method, op in ops.items():
            body.append(f"<h2>{escape(method.upper())} {escape(path)}</h2><p>{escape(op.get('summary', ''))}</p>")
            if op.get("description"):
                body.append(f"<p class=meta>{escape(op['description'])}</p>")
            rows = "".join(f"<tr><td>{escape(code)}</td><td style='text-align:left'>{escape(r.get('description', ''))}"
                           "</td></tr>" for code, r in op.get("responses", {}).items())
            body.append(f"<table><tr><th>status</th><th>meaning</th></tr>{rows}</table>")
    schemas = openapi.get("components", {}).get("schemas", {})
    for name, schema in schemas.items():
        body.append(f"<h3>{escape(name)}</h3><pre>{escape(json.dumps(schema, indent=2))}</pre>")
    title = escape(f"{openapi.get('info', {}).get('title', 'API')} {openapi.get('info', {}).get('version', '')}")
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{title}</title>"
            f"<style>{CSS}pre{{font-size:12px;background:#f7f7f7;padding:.5em}}</style></head>"
            f"<body><h1>{title}</h1>{''.join(body)}</body></html>\n")
