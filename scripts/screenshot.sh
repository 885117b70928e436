#!/usr/bin/env bash
# Render an HTML report to PNG with headless Chromium (apt-get install chromium) so a person can look at it.
#   scripts/screenshot.sh report.html docs/report.png [width] [height]
set -euo pipefail
in="$(realpath "$1")"; out="$2"; w="${3:-1200}"; h="${4:-1800}"
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
  --disable-component-update --disable-sync --user-data-dir="$(mktemp -d)" --hide-scrollbars \
  --window-size="$w,$h" --screenshot="$(realpath -m "$out")" "file://$in" 2>/dev/null
echo "wrote $out"
