"""Screenshot of the `framing serve` page scoring a seed article, as a person sees it.

Starts the real `framing serve` on a free loopback port, opens `/#text=<article>` in headless
Chromium (the page fills the form from the fragment and scores it, as a paste and a click
would), saves the PNG and stops the server.

    .venv/bin/python scripts/serve_screenshot.py [--model DIR] [--seed seeds/001_....txt] [--out docs/serve-page.png]
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_ready(url: str, proc: subprocess.Popen, limit_s: float = 180) -> None:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"framing serve exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    sys.exit("framing serve did not answer /healthz")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="model folder (default: the shipped model)")
    parser.add_argument("--seed", default=str(REPO / "seeds" / "000_e76cb07274a6b9b9.txt"))
    parser.add_argument("--out", default=str(REPO / "docs" / "serve-page.png"))
    parser.add_argument("--size", default="1200,1700", help="window width,height")
    args = parser.parse_args()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "framing", "serve", "--port", str(port)] + (["--model", args.model] if args.model else [])
    proc = subprocess.Popen(command, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)})
    try:
        wait_ready(url, proc)
        text = Path(args.seed).read_text(encoding="utf-8")
        out = Path(args.out).resolve()
        with tempfile.TemporaryDirectory() as profile:
            subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                            "--disable-background-networking", "--disable-component-update", "--disable-sync",
                            f"--user-data-dir={profile}", "--hide-scrollbars", f"--window-size={args.size}",
                            "--virtual-time-budget=30000", f"--screenshot={out}",
                            f"{url}/#text={urllib.parse.quote(text)}"],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=180)
        print(f"wrote {out}")
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)


if __name__ == "__main__":
    main()
