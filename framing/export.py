"""`framing export --precision int8`: the model's encoder and classifier head as an int8 ONNX
file beside its fp32 weights, described by framing.json's "int8" entry.

The graph is exported from the fp32 weights (eager attention, so the exporter traces plain ops),
its attention, GELU and layer norms fused by ONNX Runtime's BERT optimizer, then quantised:

- "weight-only" (the default): int8 weights per output channel dequantised inside the kernel,
  fp32 activations; the only variant measured that keeps >= 99% of the fp32 decisions, but it
  computes in fp32 and is slower than the bf16 fast path on a CPU with native bf16.
- "dynamic": int8 weights per output channel, activations quantised per call
  (DynamicQuantizeMatMul / QAttention): the fastest int8 variant measured here, but it keeps
  only about 96% of the decisions.
- "static": activations quantised with scales calibrated on PTC train sentences (QDQ, on the
  unfused graph, which the static quantiser needs).

`exclude` keeps nodes whose name contains any of the given parts in fp32 (e.g.
"EmbedLayerNormalization" for the embeddings, which dynamic quantisation otherwise stores in
int8, "output/dense" for the FFN output projections, "layer.5" for the last layer); the pooler
and classifier head are never quantised. The entry records the sha256 of the file and of the fp32
weights it came from: loading refuses an int8 file whose source hash no longer matches.
See docs/INT8.md for what each variant measured.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import numpy as np

from .errors import ModelLoadError
from .manifest import MANIFEST_NAME, read_manifest
from .model_files import WEIGHTS, check_transformer_dir
from .span_head import file_sha256

INT8_FILE = "model.int8.onnx"
METHODS = ("weight-only", "dynamic", "static")
INSTALL_HINT = "install the int8 extra: pip install 'framing[int8]' (onnx, onnxruntime)"


def require_onnxruntime():
    try:
        import onnxruntime
    except ImportError:
        raise ModelLoadError(f"int8 needs ONNX Runtime, which is not installed; {INSTALL_HINT}.") from None
    return onnxruntime


def export_fp32_onnx(model_dir: Path, out: Path) -> dict:
    """The fp32 graph: inputs input_ids, attention_mask; outputs logits and the last hidden
    states (what the span head reads). Returns the encoder's config."""
    import torch
    from transformers import AutoModelForSequenceClassification

    model = AutoModelForSequenceClassification.from_pretrained(
        str(model_dir), local_files_only=True, dtype=torch.float32, use_safetensors=True, trust_remote_code=False,
        attn_implementation="eager")

    class Graph(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask):
            out = self.inner(input_ids=input_ids, attention_mask=attention_mask, output_hidden_states=True)
            return out.logits, out.hidden_states[-1]

    # eval() on the wrapper: the exporter restores the wrapper's mode recursively afterwards,
    # and a wrapper left in training mode would switch dropout back on in the inner model.
    graph = Graph(model).eval()
    ids = torch.ones((2, 16), dtype=torch.long)
    dims = {"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"},
            "logits": {0: "batch"}, "hidden": {0: "batch", 1: "tokens"}}
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer warnings about Python branches on shapes: fixed per graph
        torch.onnx.export(graph, (ids, torch.ones_like(ids)), str(out), input_names=["input_ids", "attention_mask"],
                          output_names=["logits", "hidden"], dynamic_axes=dims, opset_version=17, dynamo=False)
    config = model.config
    return {"num_heads": config.num_attention_heads, "hidden_size": config.hidden_size}


def fuse_bert(src: Path, out: Path, config: dict) -> None:
    from onnxruntime.transformers.optimizer import optimize_model

    optimize_model(str(src), model_type="bert", num_heads=config["num_heads"], hidden_size=config["hidden_size"],
                   opt_level=0).save_model_to_file(str(out))


def _excluded(model, parts: tuple[str, ...]) -> list[str]:
    """MatMul/Gemm/Attention nodes kept in fp32: those named by `parts`, and always the pooler
    and classifier head (the last few numbers before the sigmoid)."""
    names = [n.name for n in model.graph.node if n.op_type in ("MatMul", "Gemm", "Attention", "EmbedLayerNormalization")]
    return [n for n in names if "pooler" in n or "classifier" in n or any(p in n for p in parts)]


def quantize_weights_only(src: Path, out: Path, exclude: tuple[str, ...]) -> list[str]:
    """Every constant MatMul weight as int8 per output channel (symmetric) behind a
    DequantizeLinear; ONNX Runtime runs DequantizeLinear + MatMul as one int8-weight kernel."""
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load(str(src))
    keep = set(_excluded(model, exclude))
    inits = {i.name: i for i in model.graph.initializer}
    done, nodes = [], []
    for node in model.graph.node:
        weight = inits.get(node.input[1]) if node.op_type == "MatMul" and len(node.input) > 1 else None
        if weight is None or node.name in keep:
            nodes.append(node)
            continue
        w = numpy_helper.to_array(weight).astype(np.float32)
        scale = np.maximum(np.abs(w).max(axis=0), 1e-8) / 127.0
        q = np.clip(np.round(w / scale), -127, 127).astype(np.int8)
        base = weight.name
        model.graph.initializer.extend([numpy_helper.from_array(q, base + "_q"),
                                        numpy_helper.from_array(scale.astype(np.float32), base + "_scale"),
                                        numpy_helper.from_array(np.zeros_like(q[0]), base + "_zero")])
        nodes.append(helper.make_node("DequantizeLinear", [base + "_q", base + "_scale", base + "_zero"],
                                      [base + "_dq"], name=node.name + "_dq", axis=1))
        node.input[1] = base + "_dq"
        nodes.append(node)
        done.append(node.name)
    used = {x for n in nodes for x in n.input}
    kept_inits = [i for i in model.graph.initializer if i.name in used]
    del model.graph.initializer[:]
    model.graph.initializer.extend(kept_inits)
    del model.graph.node[:]
    model.graph.node.extend(nodes)
    onnx.save(model, str(out))
    return sorted(keep)


def quantize(src_fused: Path, src_plain: Path, out: Path, method: str, exclude: tuple[str, ...] = (),
             per_channel: bool = True, calibration: list[list[int]] | None = None, pad_id: int = 0) -> list[str]:
    """Quantise the fused (dynamic, weight-only) or plain (static) fp32 graph into `out`;
    returns the names of the nodes kept in fp32."""
    import onnx
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_dynamic, quantize_static

    if method == "weight-only":
        return quantize_weights_only(src_fused, out, exclude)
    if method == "dynamic":
        keep = _excluded(onnx.load(str(src_fused)), exclude)
        # The fused ops (Attention, SkipLayerNormalization) are outside ONNX's type inference;
        # every tensor in this graph is float, so say so.
        quantize_dynamic(str(src_fused), str(out), weight_type=QuantType.QInt8, per_channel=per_channel,
                         nodes_to_exclude=keep, extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
        return keep
    if method != "static":
        raise ModelLoadError(f"Unknown int8 method {method!r}; use one of {', '.join(METHODS)}.")
    if not calibration:
        raise ModelLoadError("static int8 needs calibration sentences (PTC train); pass --data-dir with the corpora.")
    plain = onnx.load(str(src_plain))
    weights = {i.name for i in plain.graph.initializer}
    # The attention score products (Q.K and softmax.V) multiply two activations: kept in fp32.
    scores = [n.name for n in plain.graph.node if n.op_type == "MatMul" and not any(x in weights for x in n.input)]
    keep = sorted(set(_excluded(plain, exclude)) | set(scores))

    class Batches(CalibrationDataReader):
        def __init__(self):
            self.items = iter([_padded(calibration[k:k + 32], pad_id) for k in range(0, len(calibration), 32)])

        def get_next(self):
            item = next(self.items, None)
            return None if item is None else {"input_ids": item[0], "attention_mask": item[1]}

    quantize_static(str(src_plain), str(out), Batches(), quant_format=QuantFormat.QDQ, per_channel=per_channel,
                    activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8, op_types_to_quantize=["MatMul"],
                    nodes_to_exclude=keep)
    return keep


def _padded(ids: list[list[int]], pad_id: int) -> tuple[np.ndarray, np.ndarray]:
    width = max(len(x) for x in ids)
    input_ids = np.full((len(ids), width), pad_id, dtype=np.int64)
    mask = np.zeros_like(input_ids)
    for row, seq in enumerate(ids):
        input_ids[row, : len(seq)] = seq
        mask[row, : len(seq)] = 1
    return input_ids, mask


def calibration_ids(model_dir: Path, data_dir=None, n: int = 256, seed: int = 0) -> list[list[int]]:
    """Token ids of `n` PTC train sentences drawn with a fixed seed (never dev: dev judges the result)."""
    from transformers import AutoTokenizer

    from .dataset import load_dataset_dict

    train = load_dataset_dict(data_dir)["train"].filter(lambda r: r["source"] == "ptc")
    rng = np.random.default_rng(seed)
    texts = [train[int(i)]["text"] for i in rng.choice(len(train), min(n, len(train)), replace=False)]
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)
    max_length = int(read_manifest(model_dir).get("max_length", 128))
    return [x[:max_length] for x in tokenizer(texts, truncation=True, max_length=max_length)["input_ids"]]


def export_int8(model_dir: str | Path, method: str = "weight-only", exclude: tuple[str, ...] = (), per_channel: bool = True,
                data_dir=None, out_file: str = INT8_FILE, write_entry: bool = True) -> dict:
    """Write `out_file` into the model folder and (with `write_entry`) its framing.json "int8"
    entry; returns the entry."""
    model_dir = Path(model_dir)
    manifest = read_manifest(model_dir)
    if manifest["model_type"] != "transformer":
        raise ModelLoadError(f"{model_dir} is a {manifest['model_type']} model; only transformer models export to int8.")
    check_transformer_dir(model_dir, manifest.get("outputs", manifest["labels"]))
    if method not in METHODS:
        raise ModelLoadError(f"Unknown int8 method {method!r}; use one of {', '.join(METHODS)}.")
    ort = require_onnxruntime()
    import onnx
    from transformers import AutoTokenizer

    calibration = None
    if method == "static":
        calibration = calibration_ids(model_dir, data_dir)
    pad_id = AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True).pad_token_id or 0
    with tempfile.TemporaryDirectory(prefix="framing-export-") as tmp:
        plain, fused, quant = Path(tmp) / "fp32.onnx", Path(tmp) / "fused.onnx", Path(tmp) / "int8.onnx"
        config = export_fp32_onnx(model_dir, plain)
        fuse_bert(plain, fused, config)
        kept = quantize(fused, plain, quant, method, tuple(exclude), per_channel, calibration, pad_id)
        target = model_dir / out_file
        tmp_target = target.with_name(f".{target.name}.{os.getpid()}")
        tmp_target.write_bytes(quant.read_bytes())
        os.replace(tmp_target, target)  # a crash leaves the old file or the new one, never half
    entry = {"file": out_file, "sha256": file_sha256(target), "runtime": "onnxruntime", "method": method,
             "per_channel": per_channel, "exclude": list(exclude), "fp32_nodes": kept,
             "source": {"file": WEIGHTS, "sha256": file_sha256(model_dir / WEIGHTS)},
             "versions": {"onnxruntime": ort.__version__, "onnx": onnx.__version__}}
    if method == "static":
        entry["calibration"] = {"sentences": len(calibration), "source": "ptc train", "seed": 0}
    if write_entry:
        manifest = read_manifest(model_dir)  # re-read: only the "int8" entry changes
        manifest["int8"] = entry
        path = model_dir / MANIFEST_NAME
        tmp_manifest = path.with_name(f".{MANIFEST_NAME}.{os.getpid()}")
        tmp_manifest.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp_manifest, path)
    return entry
