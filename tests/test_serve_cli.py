"""`framing serve` as a user runs it: option checks before the model loads, and the real
command started on a loopback port, answering, and stopping on Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from typer.testing import CliRunner

from framing.cli import app
from framing.serve.server import is_loopback
from tests.conftest import REPO
from tests.serve_support import loopback_socket

httpx = pytest.importorskip("httpx")
runner = CliRunner()


@pytest.mark.parametrize("args,message", [
    (["--host", "0.0.0.0"], "--token-file"),
    (["--host", "192.168.1.10"], "--token-file"),
    (["--host", "example.org"], "--token-file"),
    (["--allow-private-fetch"], "--allow-fetch"),
])
def test_unsafe_options_are_refused_before_loading(toy_baseline_dir, args, message):
    result = runner.invoke(app, ["serve", "--model", str(toy_baseline_dir), *args])
    assert result.exit_code == 2 and message in result.output


def test_a_weak_token_file_is_refused(toy_baseline_dir, tmp_path):
    (tmp_path / "token").write_text("short\n")
    result = runner.invoke(app, ["serve", "--model", str(toy_baseline_dir), "--host", "0.0.0.0",
                                 "--token-file", str(tmp_path / "token")])
    assert result.exit_code == 2 and "at least 16 characters" in result.output


@pytest.mark.parametrize("host,expected", [("127.0.0.1", True), ("127.1.2.3", True), ("::1", True),
                                           ("[::1]", True), ("localhost", True), ("0.0.0.0", False),
                                           ("::", False), ("10.0.0.1", False), ("myhost", False)])
def test_is_loopback(host, expected):
    assert is_loopback(host) is expected


def test_the_command_serves_and_stops_on_ctrl_c(tiny_span_dir):
    sock = loopback_socket()
    port = sock.getsockname()[1]
    sock.close()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-m", "framing", "serve", "--model", str(tiny_span_dir), "--port", str(port),
                             "--device", "cpu"], cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(1200):  # the model loads first (bounded wait, not a speed check)
            if proc.poll() is not None:
                pytest.fail(f"framing serve exited: {proc.stderr.read()}")
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        resp = httpx.post(f"{url}/v1/score", json={"text": "The minister will travel to Paris next week."}, timeout=60)
        assert resp.status_code == 200 and resp.json()["documents"][0]["status"] == "scored"
        page = httpx.get(url)
        assert page.status_code == 200 and "<textarea" in page.text
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    err = proc.stderr.read()
    assert proc.returncode == 0, err
    assert f"listening on http://127.0.0.1:{port}" in err and "Traceback" not in err
