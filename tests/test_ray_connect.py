"""`--engine ray` and the clusters it meets: a stale cluster file doesn't stop the local engine; an
address it can't reach, or reaches only part of, ends in one line within the timeout; a two-node
cluster bound to loopback writes the local engine's records."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from framing.errors import InputError
from tests.hostile.test_interrupts import write_feed

ray = pytest.importorskip("ray", reason="Ray is not installed (pip install 'framing[ray]')")

from framing.ray_engine import run_ray_batch  # noqa: E402
from tests.test_ray_engine import canonical, local_records, mixed_feed, ray_records  # noqa: E402

pytestmark = pytest.mark.ray


@pytest.fixture(scope="module", autouse=True)
def ray_tmpdir():
    """Ray's temp folder of this module's own, where the cluster files it writes (and the stale
    one a test plants) reach no other test. Short: Ray's socket paths must fit in 107 bytes."""
    if ray.is_initialized():
        ray.shutdown()
    path, before = tempfile.mkdtemp(prefix="rt", dir="/tmp"), os.environ.get("RAY_TMPDIR")
    os.environ["RAY_TMPDIR"] = path
    yield Path(path)
    if before is None:
        os.environ.pop("RAY_TMPDIR")
    else:
        os.environ["RAY_TMPDIR"] = before
    shutil.rmtree(path, ignore_errors=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def batch(model: Path, feed: Path, out: Path, *args: str, **env) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "framing", "batch", str(feed), "--out", str(out), "--engine", "ray", "--model", str(model),
           "--quiet", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180, env={**os.environ, **env})


def one_line_error(done: subprocess.CompletedProcess) -> str:
    assert done.returncode == 2, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("framing: [E004] ")
    return last


def test_a_stale_cluster_file_does_not_stop_the_local_engine(ray_tmpdir, toy_baseline_dir, tmp_path):
    # what a cluster killed without `ray stop` leaves: the address of a GCS that is gone
    (ray_tmpdir / "ray").mkdir(exist_ok=True)
    (ray_tmpdir / "ray" / "ray_current_cluster").write_text(f"127.0.0.1:{free_port()}")
    inputs, _ = write_feed(tmp_path / "feed")
    try:
        run_ray_batch(inputs, tmp_path / "ray", str(toy_baseline_dir), progress=False)
    finally:
        ray.shutdown()
    assert canonical(ray_records(tmp_path / "ray")) == canonical(local_records(toy_baseline_dir, inputs,
                                                                               tmp_path / "local.jsonl"))


def test_an_address_where_nothing_listens_is_a_one_line_error(toy_baseline_dir, tmp_path):
    inputs, _ = write_feed(tmp_path / "feed")
    address = f"127.0.0.1:{free_port()}"
    message = one_line_error(batch(toy_baseline_dir, Path(inputs[0]), tmp_path / "out", "--address", address,
                                   "--ray-timeout", "20"))
    assert f"can't reach the Ray cluster at {address}: connection refused; check --address" in message
    assert not list((tmp_path / "out").glob("part-*"))


def test_a_port_that_accepts_but_never_answers_ends_within_the_timeout(toy_baseline_dir, tmp_path):
    inputs, _ = write_feed(tmp_path / "feed")
    with socket.socket() as server:  # the kernel accepts connections into the backlog; nobody answers
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        address = f"127.0.0.1:{server.getsockname()[1]}"
        done = batch(toy_baseline_dir, Path(inputs[0]), tmp_path / "out", "--address", address, FRAMING_RAY_TIMEOUT="3")
    message = one_line_error(done)
    assert f"can't reach the Ray cluster at {address}: the port accepts connections but nothing answered within 3 s" in message


def test_a_server_that_never_lets_ray_connect_ends_within_the_timeout(toy_baseline_dir, tmp_path):
    """It speaks HTTP/2 as a GCS does, then answers no request: ray.init would retry for minutes."""
    inputs, _ = write_feed(tmp_path / "feed")
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    held = []

    def answer_settings_only():
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return  # closed at the end of the test
            held.append(conn)
            conn.sendall(bytes([0, 0, 0, 4, 0, 0, 0, 0, 0]))  # an empty SETTINGS frame

    threading.Thread(target=answer_settings_only, daemon=True).start()
    address = f"127.0.0.1:{server.getsockname()[1]}"
    try:
        done = batch(toy_baseline_dir, Path(inputs[0]), tmp_path / "out", "--address", address, "--ray-timeout", "4")
    finally:
        server.close()
        for conn in held:
            conn.close()
    message = one_line_error(done)
    assert f"a server answers at {address}, but connecting to a Ray cluster there didn't finish within 4 s" in message


# --- a two-node cluster on one machine, bound to loopback ----------------------------------------

@pytest.fixture(scope="module")
def loopback_cluster(ray_tmpdir):
    """A head without CPUs and a worker node with 3, both on 127.0.0.1 only: every task runs on the
    second node and every block crosses between the nodes."""
    from ray.cluster_utils import Cluster

    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 0, "node_ip_address": "127.0.0.1",
                                                            "include_dashboard": False, "object_store_memory": 80 << 20})
    try:
        worker = cluster.add_node(num_cpus=3, node_ip_address="127.0.0.1", object_store_memory=80 << 20)
        yield cluster, worker
    finally:
        ray.shutdown()
        cluster.shutdown()


def test_a_two_node_loopback_cluster_writes_the_local_engines_records(loopback_cluster, toy_baseline_dir, tmp_path):
    cluster, _ = loopback_cluster
    inputs = mixed_feed(tmp_path / "feed")
    summary = run_ray_batch(inputs, tmp_path / "ray", str(toy_baseline_dir), address=cluster.address, actors=(1, 1),
                            progress=False, ray_timeout=60)
    assert len(ray.nodes()) == 2
    assert summary["written_this_run"] > 0
    local = local_records(toy_baseline_dir, inputs, tmp_path / "local.jsonl")
    assert canonical(ray_records(tmp_path / "ray")) == canonical(local)


def test_a_cluster_whose_cpus_stay_busy_is_an_error_not_a_wait(loopback_cluster, toy_baseline_dir, tmp_path):
    cluster, _ = loopback_cluster

    class Hog:  # defined here, so Ray ships it by value: the workers can't import this test module
        def ready(self) -> bool:
            return True

    hog = ray.remote(num_cpus=3)(Hog).remote()  # another job's actor holding every CPU
    ray.get(hog.ready.remote(), timeout=120)
    inputs, _ = write_feed(tmp_path / "feed")
    try:
        with pytest.raises(InputError, match=rf"Ray cluster at {cluster.address} had not freed 1 CPUs \(free: 0\).* within 3 s"):
            run_ray_batch(inputs, tmp_path / "ray", str(toy_baseline_dir), address=cluster.address, progress=False,
                          ray_timeout=3)
    finally:
        ray.kill(hog)


def test_scoring_actors_that_never_start_end_the_run_within_the_timeout(loopback_cluster, toy_baseline_dir, tmp_path,
                                                                         monkeypatch):
    """The cluster passed the checks, then another job took every CPU before the actors started."""
    import framing.ray_engine as engine

    cluster, _ = loopback_cluster

    class Hog:
        def ready(self) -> bool:
            return True

    hogs, plan = [], engine._plan
    # the other job ends after 90 s: a run that waits for it instead of giving up fails below
    release = threading.Timer(90, lambda: [ray.kill(hog) for hog in hogs])

    def plan_then_take_the_cpus(*args):
        hogs.append(ray.remote(num_cpus=3)(Hog).remote())
        ray.get(hogs[0].ready.remote(), timeout=120)
        release.start()
        return plan(*args)

    monkeypatch.setattr(engine, "_plan", plan_then_take_the_cpus)  # runs after the id pass, before scoring
    inputs, _ = write_feed(tmp_path / "feed")
    started = time.monotonic()
    try:
        # 10 s, not less: the same timeout bounds the node checks before, which a loaded machine can
        # take seconds to answer; the CPUs stay taken for 90 s, so only the actor wait can time out
        with pytest.raises(InputError, match=rf"Ray cluster at {cluster.address} didn't start the 1 scoring actor\(s\) "
                                             r"within 10 s .*raise --ray-timeout"):
            run_ray_batch(inputs, tmp_path / "ray", str(toy_baseline_dir), address=cluster.address, progress=False,
                          ray_timeout=10)
    finally:
        release.cancel()
        for hog in hogs:
            ray.kill(hog)
    assert hogs, "the pipeline never reached the scoring stage"
    assert time.monotonic() - started < 120  # a hang guard


def test_a_node_that_stops_answering_is_named_within_the_timeout(loopback_cluster, toy_baseline_dir, tmp_path):
    """Half a cluster: the head answers, the worker node's raylet is frozen (as if cut off)."""
    cluster, worker = loopback_cluster
    raylet = worker.all_processes["raylet"][0].process
    inputs, _ = write_feed(tmp_path / "feed")
    os.kill(raylet.pid, signal.SIGSTOP)
    started = time.monotonic()
    try:
        with pytest.raises(InputError, match=rf"node\(s\) .*127\.0\.0\.1 \({worker.node_id[:8]}\).* of the Ray cluster at "
                                             rf"{cluster.address} didn't run a test task within 8 s"):
            run_ray_batch(inputs, tmp_path / "ray", str(toy_baseline_dir), address=cluster.address, progress=False,
                          ray_timeout=8)
    finally:
        os.kill(raylet.pid, signal.SIGCONT)
    assert time.monotonic() - started < 60  # a hang guard
