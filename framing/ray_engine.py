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
                  progress: bool = True, parquet: bool = False) -> dict:
    from .outfile import OutputLock
    from .paths import default_model_dir

    if any(str(raw) == STDIN for raw in inputs):
        raise InputError("--engine ray reads its inputs on the cluster's workers, which can't see this terminal's "
                         "standard input; save it to a file, or use --engine local")
    ray = require_ray()
    out = Path(out).absolute()
    model = str(Path(model).absolute()) if model else str(default_model_dir())
    started = time.perf_counter()
    with OutputLock(out):
        written = _prepare_out(out, resume)
        _init_ray(ray, address, actors, cpus_per_actor)
        _check_resources(ray.cluster_resources(), actors, cpus_per_actor, gpus_per_actor)
        ctx = ray.data.DataContext.get_current()
        ctx.enable_progress_bars = progress
        # Small blocks: one big input file would otherwise come out of its read task as one or
        # two blocks, and a block is the unit of parallelism for the prepare tasks.
        ctx.target_max_block_size = 1 << 20
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
            shards = ds.take_all()
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


def _init_ray(ray, address: str | None, actors: tuple[int, int], cpus_per_actor: float) -> None:
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
        ray.init(address=address, **kwargs)
    else:
        # A local instance: logical CPUs for every actor plus the read/prepare tasks, so actors
        # can't starve the tasks that feed them (torch threads are set per actor).
        ray.init(num_cpus=max(os.cpu_count() or 1, int(actors[1] * cpus_per_actor) + 1), **kwargs)
