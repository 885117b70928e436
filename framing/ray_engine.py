"""`framing batch --engine ray`: the same records as the local engine, on Ray Data.

Pipeline (one Ray Dataset):
  read units (files, a folder's files)  -> flat_map: `readers.read_unit`, the local engine's readers
  -> map_batches (CPU tasks): `pipeline.prepare` (HTML extraction, segmentation, content hash)
  -> map_batches (actor pool): `ScoreActor` loads the Classifier once, scores with
     `BatchScorer`, and writes each batch as one JSONL shard under OUT, atomically
     (`.tmp` then rename), so a killed run leaves only complete shards.

Two passes over the inputs keep the output identical to the local engine's. First an id pass
(reading only, no extraction): ids in input order give repeated ids the same `id#2` names as the
local engine, and let `--resume` skip every id already in OUT's shards. Last, a finalize pass
over the shards' ids and content hashes marks every scored article whose text an earlier
article (in input order) already had as `duplicate`, as the local engine does while streaming.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import threading
import time
import uuid
from pathlib import Path

from .errors import InputError, OutputError
from .readers import STDIN, FeedItem, Unit, expand_inputs, read_unit
from .records import duplicate_record, error_record, head_of, item_head, to_jsonl

SHARD_GLOB = "part-*.jsonl"
_PLAN = {}  # per worker process: the id plan, fetched from the object store once


def require_ray():
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError:
        raise InputError("--engine ray needs Ray: pip install 'framing[ray]' (or use the default --engine local)") from None
    return ray


def parse_actors(spec: str) -> tuple[int, int]:
    """"2" -> (2, 2); "1-4" -> an autoscaling pool of 1 to 4 actors."""
    try:
        low, _, high = spec.partition("-")
        pool = (int(low), int(high or low))
    except ValueError:
        raise InputError(f"--actors {spec!r}: use a number (2) or a range (1-4)") from None
    if pool[0] < 1 or pool[1] < pool[0]:
        raise InputError(f"--actors {spec!r}: need 1 <= min <= max")
    return pool


# --- reading -----------------------------------------------------------------------------

def _unit_row(i: int, unit: Unit) -> dict:
    return {"unit": i, "path": unit.path, "name": unit.name, "error": unit.error}


def _unit(row: dict) -> Unit:
    return Unit(row["path"], row["name"], error=row["error"])


def _ids_of(row: dict) -> list[dict]:
    return [{"unit": row["unit"], "seq": k, "id": item.id} for k, item in enumerate(read_unit(_unit(row)))]


def _items_of(row: dict, plan_ref) -> list[dict]:
    """The unit's items under their final ids; items already in OUT (plan says None) are skipped."""
    import ray

    key = plan_ref.hex()  # the same plan for every task of a run: fetch it once per worker process
    if key not in _PLAN:
        _PLAN.clear()
        _PLAN[key] = ray.get(plan_ref)
    finals = _PLAN[key][row["unit"]]
    out = []
    for k, item in enumerate(read_unit(_unit(row))):
        order, final = finals[k]
        if final is None:
            continue
        # "" for missing fields: Arrow blocks turn all-None columns into nulls of odd types
        out.append({"order": order, "id": final, "source": item.source or "", "url": item.url or "",
                    "title": item.title or "", "text": item.text or "", "html": item.html or "", "error": item.error or ""})
    return out


def _prepare_batch(batch: dict) -> dict:
    from .pipeline import prepare

    out = {k: [] for k in ("order", "item", "text", "sentences", "content_hash", "error")}
    for i in range(len(batch["order"])):
        item = FeedItem(**{k: _py(batch[k][i]) for k in ("id", "source", "url", "title", "text", "html", "error")})
        p = prepare(item)
        out["order"].append(int(batch["order"][i]))
        out["item"].append(json.dumps({"id": item.id, "source": item.source, "url": item.url, "title": item.title}))
        out["text"].append(p.text or "")
        out["sentences"].append(json.dumps([[s.index, s.start, s.end, s.paragraph, s.skipped] for s in p.sentences]))
        out["content_hash"].append(p.content_hash or "")
        out["error"].append(p.error or "")
    return out


def _py(value) -> str | None:
    value = str(value)
    return value or None


# --- scoring and writing -------------------------------------------------------------------

class ScoreActor:
    """One per actor: loads the model once, scores each batch and writes it as one shard."""

    def __init__(self, model: str | None, out: str, device: str, precision: str, threads: int):
        import torch

        from .batch import BatchScorer
        from .inference import Classifier

        clf = Classifier.load(model, device=device, precision=precision)
        torch.set_num_threads(max(1, threads))
        self.scorer = BatchScorer(clf, workers=1)
        self.out = Path(out)

    def __call__(self, batch: dict) -> dict:
        from .pipeline import Prepared
        from .segment import Sentence

        prepared, orders = [], []
        for i in range(len(batch["order"])):
            item = FeedItem(**json.loads(str(batch["item"][i])))
            text, error = str(batch["text"][i]), str(batch["error"][i]) or None
            sentences = [Sentence(n, a, b, text[a:b], par, skip) for n, a, b, par, skip in json.loads(str(batch["sentences"][i]))]
            prepared.append(Prepared(item, text=text or None, sentences=sentences,
                                     content_hash=str(batch["content_hash"][i]) or None, error=error))
            orders.append(int(batch["order"][i]))
        known = self.scorer.score_chunk([p for p in prepared if p.error is None])
        records = [error_record(head_of(p.item), p.error) if p.error else self.scorer.article_record(p, known)
                   for p in prepared]
        payload = b"".join(to_jsonl(r) for r in records)
        name = f"part-{min(orders):010d}-{uuid.uuid4().hex[:8]}.jsonl"
        write_atomically(self.out / name, payload)
        return {"shard": [name], "records": [len(records)],
                "sentences": [sum(r.get("n_sentences", 0) for r in records)]}


def write_atomically(path: Path, payload: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    try:
        with open(tmp, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise OutputError(f"can't write shard {path}: {exc.strerror or exc}") from None


# --- OUT: shards, resume, finalize ---------------------------------------------------------

def shard_records(out: Path):
    for shard in sorted(out.glob(SHARD_GLOB)):
        with open(shard, encoding="utf-8") as handle:
            for line in handle:
                yield shard, json.loads(line)


def finalize(out: Path, order_of: dict[str, int]) -> dict[str, int]:
    """Mark as `duplicate` every scored record whose content hash an earlier record (in input
    order) has; rewrite only the shards that change. Returns counts by status."""
    first: dict[str, tuple[int, str]] = {}
    for _, rec in shard_records(out):
        if rec["status"] == "scored" and rec.get("content_hash"):
            key = (order_of.get(rec["id"], 1 << 62), rec["id"])
            if rec["content_hash"] not in first or key < first[rec["content_hash"]]:
                first[rec["content_hash"]] = key
    counts = {"scored": 0, "duplicate": 0, "error": 0}
    for shard in sorted(out.glob(SHARD_GLOB)):
        lines, changed = [], False
        with open(shard, encoding="utf-8") as handle:
            for line in handle:
                rec = json.loads(line)
                canonical = first.get(rec.get("content_hash") or "", (0, rec["id"]))[1]
                if rec["status"] == "scored" and canonical != rec["id"]:
                    head = item_head(rec["id"], rec["source"], rec["url"], rec["title"])
                    rec = duplicate_record(head, canonical, rec["content_hash"])
                    line, changed = json.dumps(rec, ensure_ascii=False) + "\n", True
                counts[rec["status"]] = counts.get(rec["status"], 0) + 1
                lines.append(line)
        if changed:
            write_atomically(shard, "".join(lines).encode("utf-8"))
    return counts


def _prepare_out(out: Path, resume: bool) -> set[str]:
    if out.exists() and not out.is_dir():
        raise InputError(f"{out} is a file; --engine ray writes a folder of shards, choose another --out")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"can't create {out}: {exc.strerror or exc}; choose another --out") from None
    for tmp in out.glob("*.tmp"):  # shards a killed run didn't finish
        tmp.unlink()
    shards = list(out.glob(SHARD_GLOB))
    if shards and not resume:
        raise InputError(f"{out} already holds {len(shards)} shards; pass --resume to continue or choose another --out")
    return {rec["id"] for _, rec in shard_records(out)}


def run_ray_batch(inputs: list[str], out: str | Path, model: str | None = None, *, resume: bool = False,
                  address: str | None = None, actors: tuple[int, int] = (1, 1), gpus_per_actor: float = 0.0,
                  cpus_per_actor: float = 1.0, batch_size: int = 64, device: str = "auto", precision: str = "auto",
                  progress: bool = True, parquet: bool = False, ray_timeout: float | None = None) -> dict:
    from .outfile import OutputLock
    from .paths import default_model_dir

    if any(str(raw) == STDIN for raw in inputs):
        raise InputError("--engine ray reads its inputs on the cluster's workers, which can't see this terminal's "
                         "standard input; save it to a file, or use --engine local")
    ray = require_ray()
    timeout = resolve_ray_timeout(ray_timeout)
    out = Path(out).absolute()
    model = str(Path(model).absolute()) if model else str(default_model_dir())
    started = time.perf_counter()
    with OutputLock(out):
        written = _prepare_out(out, resume)
        _init_ray(ray, address, actors, cpus_per_actor, timeout)
        _check_resources(ray.cluster_resources(), actors, cpus_per_actor, gpus_per_actor)
        if address:
            _check_nodes(ray, address, timeout)
            _wait_for_free(ray, {"CPU": actors[0] * cpus_per_actor, "GPU": actors[0] * gpus_per_actor}, address, timeout)
        ctx = ray.data.DataContext.get_current()
        ctx.enable_progress_bars = progress
        # Small blocks: one big input file would otherwise come out of its read task as one or
        # two blocks, and a block is the unit of parallelism for the prepare tasks.
        ctx.target_max_block_size = 1 << 20
        # With --address the scoring actors must start (and load the model) within the timeout: their
        # node may be lost, or another job may take their CPUs, after the checks above passed. Set on
        # every run, as the context outlives it: a local run keeps Ray's default (wait for them).
        from ray.data.context import DEFAULT_WAIT_FOR_MIN_ACTORS_S

        ctx.wait_for_min_actors_s = timeout if address else DEFAULT_WAIT_FOR_MIN_ACTORS_S
        units = expand_inputs(inputs)
        units_ds = ray.data.from_items([_unit_row(i, u) for i, u in enumerate(units)],
                                       override_num_blocks=max(1, len(units)))
        plan, order_of, skipped = _plan(units_ds.flat_map(_ids_of).take_all(), len(units), written)
        todo = sum(1 for finals in plan for _, final in finals if final is not None)
        shards = []
        if todo:
            plan_ref = ray.put(plan)
            threads = max(1, int(cpus_per_actor))
            ds = (units_ds.flat_map(_items_of, fn_kwargs={"plan_ref": plan_ref})
                  .map_batches(_prepare_batch, batch_size=16, num_cpus=0.5)
                  .map_batches(ScoreActor, batch_size=batch_size, compute=ray.data.ActorPoolStrategy(min_size=actors[0],
                                                                                                    max_size=actors[1]),
                               num_gpus=gpus_per_actor or None, num_cpus=cpus_per_actor,
                               fn_constructor_args=(model, str(out), device, precision, threads)))
            shards = _take_all(ray, ds, address, actors[0], timeout)
        counts = finalize(out, order_of)
        if parquet:
            from .parquet import jsonl_to_parquet

            for shard in sorted(out.glob(SHARD_GLOB)):
                jsonl_to_parquet(shard, shard.with_suffix(".parquet"))
    seconds = time.perf_counter() - started
    new = sum(s["records"] for s in shards)
    sentences = sum(s["sentences"] for s in shards)
    return {"engine": "ray", **counts, "written_this_run": new, "resumed_skip": skipped, "shards": len(shards),
            "sentences": sentences, "seconds": round(seconds, 2),
            "articles_per_s": round(new / seconds, 2) if seconds else 0.0,
            "sentences_per_s": round(sentences / seconds, 1) if seconds else 0.0}


def _plan(id_rows: list[dict], n_units: int, written: set[str]):
    """Final ids in input order (repeats renamed as the local engine does), None for ids OUT
    already has; and each final id's position in the input."""
    from .batch import IdAssigner

    assign = IdAssigner()
    plan: list[list] = [[] for _ in range(n_units)]
    order_of: dict[str, int] = {}
    skipped = 0
    for order, row in enumerate(sorted(id_rows, key=lambda r: (r["unit"], r["seq"]))):
        final = assign(row["id"])
        order_of[final] = order
        if final in written:
            skipped += 1
            final = None
        plan[row["unit"]].append((order, final))
    return plan, order_of, skipped


def _check_resources(have: dict, actors: tuple[int, int], cpus: float, gpus: float) -> None:
    """Ray waits forever for resources no node has; say so instead of hanging."""
    need = {"CPU": actors[0] * cpus, "GPU": actors[0] * gpus}
    for kind, amount in need.items():
        if amount and have.get(kind, 0) < amount:
            raise InputError(f"--actors {actors[0]} x --{kind.lower()}s-per-actor {amount / actors[0]:g} needs {amount:g} "
                             f"{kind}s, but the Ray cluster has {have.get(kind, 0):g}; lower them or add nodes")


def _init_ray(ray, address: str | None, actors: tuple[int, int], cpus_per_actor: float, timeout: float) -> None:
    import logging

    # Progress bars (unless --quiet) and our summary say enough; Ray's INFO/WARNING lines on the
    # terminal are noise (they still go to Ray's log files).
    for name in ("ray", "ray.data"):
        logging.getLogger(name).setLevel(logging.ERROR)
    if ray.is_initialized():
        return
    kwargs = {"include_dashboard": False, "logging_level": logging.ERROR, "log_to_driver": False,
              "ignore_reinit_error": True}
    if address:
        _connect(ray, _bootstrap_address(address, timeout), address, timeout, kwargs)
    else:
        # A local instance of our own: "local", because without an address Ray attaches to whatever
        # cluster $RAY_ADDRESS or the ray_current_cluster file of an earlier `ray start` names (and
        # refuses num_cpus for it). Logical CPUs for every actor plus the read/prepare tasks, so
        # actors can't starve the tasks that feed them (torch threads are set per actor).
        ray.init(address="local", num_cpus=max(os.cpu_count() or 1, int(actors[1] * cpus_per_actor) + 1), **kwargs)


# --- reaching a cluster ------------------------------------------------------------------------
# Left to itself, ray.init retries an address where nothing answers for minutes without a word,
# and a job whose tasks can't reach some node waits forever. Each step below gets `timeout`
# seconds and ends in one line naming the address and what to check.

DEFAULT_RAY_TIMEOUT = 60.0
_CHECK_HINT = "check --address (`ray status` on the head node; the GCS port is 6379 by default)"
_NOT_RAY = "something answers there, but not Ray (the dashboard's port 8265 is not the cluster address)"
# An HTTP/2 client preface and an empty SETTINGS frame: a gRPC server (Ray's GCS, or its client
# server behind ray://) must answer with a SETTINGS frame of its own.
_H2_HELLO = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + bytes([0, 0, 0, 4, 0, 0, 0, 0, 0])
# Above Ray's limit for results sent inline: the probe's reply travels through the object stores,
# as the pipeline's blocks do.
_PROBE_BYTES = 256 << 10


def resolve_ray_timeout(seconds: float | None = None) -> float:
    """Seconds each cluster step may take: --ray-timeout, else $FRAMING_RAY_TIMEOUT, else 60."""
    source, raw = ("--ray-timeout", seconds) if seconds is not None else \
        ("$FRAMING_RAY_TIMEOUT", os.environ.get("FRAMING_RAY_TIMEOUT", DEFAULT_RAY_TIMEOUT))
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not 0 < value < float("inf"):
        raise InputError(f"{source} {raw!r}: use a number of seconds above 0")
    return value


def _host_port(address: str) -> tuple[str, int] | None:
    host, sep, port = address.rpartition(":")
    if not sep or not host or not port.isdigit():
        return None
    return host.strip("[]"), int(port)


def _probe(host: str, port: int, timeout: float) -> str | None:
    """None if a gRPC server answers at host:port, else why not (in a few words)."""
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except socket.gaierror:
        return f"can't resolve {host}"
    except TimeoutError:
        return f"no answer within {timeout:g} s"
    except OSError as exc:
        return (exc.strerror or str(exc)).lower()
    with sock:
        if os.environ.get("RAY_USE_TLS", "").lower() in ("1", "true"):
            return None  # a TLS handshake would come first: that the port accepts is all we check
        head = b""
        try:
            sock.sendall(_H2_HELLO)
            while len(head) < 9 and (chunk := sock.recv(9 - len(head))):
                head += chunk
        except TimeoutError:
            return f"the port accepts connections but nothing answered within {timeout:g} s"
        except OSError as exc:
            return f"the port accepts connections, then {(exc.strerror or str(exc)).lower()}"
    if len(head) < 9 or head[3] != 4:
        return _NOT_RAY
    return None


def _unreachable(address: str, why: str) -> InputError:
    port_hint = "" if why == _NOT_RAY else " and that this machine can reach that port"
    return InputError(f"can't reach the Ray cluster at {address}: {why}; {_CHECK_HINT}{port_hint}")


def _recorded_address() -> tuple[str, str] | None:
    """What Ray connects `--address auto` to, and where it found it: $RAY_ADDRESS, else the
    address the last `ray start` on this machine recorded (which outlives a killed cluster)."""
    if os.environ.get("RAY_ADDRESS"):
        return os.environ["RAY_ADDRESS"], "$RAY_ADDRESS"
    # Ray's own lookup of its temp folder
    tmp = os.environ.get("RAY_TMPDIR") or (sys.platform.startswith("linux") and os.environ.get("TMPDIR")) or "/tmp"
    path = Path(tmp) / "ray" / "ray_current_cluster"
    try:
        return path.read_text().strip(), str(path)
    except OSError:
        return None


def _bootstrap_address(address: str, timeout: float) -> str:
    """The address to give ray.init, once a Ray server is seen answering there."""
    shown = address
    if address == "auto":
        found = _recorded_address()
        if found is None:
            return address  # Ray looks for a cluster on this machine itself, and says so at once if none
        address, where = found
        shown = f"{address} (--address auto, from {where})"
    scheme, _, rest = address.rpartition("://")
    parsed = _host_port(rest)
    if parsed is None:
        return address  # not host:port; ray.init says what is wrong with it
    host, port = parsed
    if not scheme and host in ("127.0.0.1", "localhost"):
        return _loopback_address(address, shown, port, timeout)
    why = _probe(host, port, timeout)
    if why:
        raise _unreachable(shown, why)
    return address


def _loopback_address(address: str, shown: str, port: int, timeout: float) -> str:
    """Ray replaces a loopback host with this machine's own address before connecting: right for a
    cluster listening there (the default), but one started with --node-ip-address 127.0.0.1 listens
    on loopback only, and the driver would wait forever. The IPv4-mapped IPv6 spelling of 127.0.0.1
    reaches such a cluster and Ray leaves it as it is."""
    import ray.util

    own = ray.util.get_node_ip_address()
    if own != "127.0.0.1" and _probe(own, port, timeout) is None:
        return address
    why = _probe("127.0.0.1", port, timeout)
    if why:
        raise _unreachable(shown, why)
    return f"[::ffff:127.0.0.1]:{port}"


def _connect(ray, address: str, shown: str, timeout: float, kwargs: dict) -> None:
    """ray.init under a deadline: in a thread, since a stuck ray.init can't be interrupted."""
    done, failed = threading.Event(), []

    def connect():
        try:
            ray.init(address=address, **kwargs)
        except Exception as exc:  # noqa: BLE001 - any failure is reported below, as one line
            failed.append(exc)
        finally:
            done.set()

    threading.Thread(target=connect, name="ray-connect", daemon=True).start()
    if not done.wait(timeout):
        raise InputError(f"a server answers at {shown}, but connecting to a Ray cluster there didn't finish within "
                         f"{timeout:g} s; {_CHECK_HINT}, that this machine runs a node of it (`ray start --address ...`) or use "
                         "ray://HEAD:10001, or raise --ray-timeout")
    if failed:
        first = (str(failed[0]).strip().splitlines() or [type(failed[0]).__name__])[0][:300]
        raise InputError(f"can't connect to the Ray cluster at {shown}: {first}; {_CHECK_HINT}")


def _probe_reply(size: int) -> bytes:
    return bytes(size)


def _check_nodes(ray, address: str, timeout: float) -> None:
    """A tiny task on every live node, its reply fetched back here: a node this driver or the
    other nodes can't reach (wrong --node-ip-address, a firewall on Ray's ports) fails here, in
    `timeout` seconds, instead of stalling the job."""
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    nodes = [node for node in ray.nodes() if node.get("Alive")]
    probe = ray.remote(num_cpus=0, max_retries=0)(_probe_reply)
    refs = {probe.options(scheduling_strategy=NodeAffinitySchedulingStrategy(node["NodeID"], soft=False))
            .remote(_PROBE_BYTES): node for node in nodes}
    ready, _ = ray.wait(list(refs), num_returns=len(refs), timeout=timeout, fetch_local=True)
    failed = [node for ref, node in refs.items() if ref not in ready or not _replied(ray, ref)]
    if failed:
        for ref in refs:
            ray.cancel(ref, force=True)
        names = ", ".join(f"{node['NodeManagerAddress']} ({node['NodeID'][:8]})" for node in failed)
        raise InputError(f"node(s) {names} of the Ray cluster at {address} didn't run a test task within {timeout:g} s; "
                         "check that every node can reach this machine and the other nodes on Ray's ports "
                         "(`ray status` on the head node), or raise --ray-timeout")


def _replied(ray, ref) -> bool:
    try:
        return len(ray.get(ref, timeout=0)) == _PROBE_BYTES
    except Exception:  # noqa: BLE001 - the node's worker failed: the node counts as unreachable
        return False


def _take_all(ray, ds, address: str | None, n_actors: int, timeout: float) -> list[dict]:
    """Run the pipeline; with --address, scoring actors that never start end the run in one line."""
    try:
        return ds.take_all()
    except ray.exceptions.GetTimeoutError:
        if not address:
            raise
        raise InputError(f"the Ray cluster at {address} didn't start the {n_actors} scoring actor(s) within {timeout:g} s "
                         "(loading the model counts); check `ray status` on the head node (other jobs may hold the "
                         "resources, or a node is gone) and the workers' logs, or raise --ray-timeout") from None


def _wait_for_free(ray, need: dict, address: str, timeout: float) -> None:
    """A shared cluster busy with other jobs would leave this one waiting without a word: wait up
    to `timeout` for the CPUs/GPUs of the first actors to be free, then say what is missing."""
    deadline = time.monotonic() + timeout
    while True:
        free = ray.available_resources()
        short = {kind: amount for kind, amount in need.items() if amount and free.get(kind, 0) < amount}
        if not short:
            return
        if time.monotonic() >= deadline:
            missing = ", ".join(f"{amount:g} {kind}s (free: {free.get(kind, 0):g})" for kind, amount in short.items())
            raise InputError(f"the Ray cluster at {address} had not freed {missing} for this run within {timeout:g} s; "
                             "other jobs hold them (`ray status` on the head node): wait, lower --actors, or raise "
                             "--ray-timeout")
        time.sleep(0.5)
