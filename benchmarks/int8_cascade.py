"""Would an int8 engine that re-scores its unsure sentences in fp32 (or bf16) keep the decisions?

Usage: .venv/bin/python benchmarks/int8_cascade.py MODEL   (a folder with an int8 export)

Times fp32, bf16 and int8 on the 3,266 PTC dev sentences (two rounds, the engines taking turns,
each its fastest), then for margins m: the share of sentences with some label's int8 score within
m of its threshold (those a cascade would re-score), the decisions equal to fp32 after re-scoring
them with fp32 or bf16, and the throughput that implies (1 / (1/int8 + share/verifier)).
"""
import sys
import time

import numpy as np

from framing.dataset import load_dataset_dict
from framing.inference import Classifier

dd = load_dataset_dict()
texts = dd["dev"].filter(lambda r: r["source"] == "ptc")[:]["text"]
clfs = {"fp32": Classifier.load(sys.argv[1], device="cpu", precision="fp32"),
        "bf16": Classifier.load(sys.argv[1], device="cpu", precision="bf16"),
        "int8": Classifier.load(sys.argv[1], device="cpu", precision="int8")}
for c in clfs.values():
    c.predict_sentences(texts[:64])
out, best = {}, {}
for r in range(2):
    for name, c in clfs.items():
        t0 = time.perf_counter()
        o, _ = c.predict_sentences(texts)
        s = time.perf_counter() - t0
        best[name] = min(best.get(name, 1e9), s)
        out[name] = o[:, :len(c.labels)]
        print(r, name, round(len(texts) / s, 1), flush=True)
th = clfs["fp32"].thresholds
dec = {k: v >= th for k, v in out.items()}


def agree(a, b):
    return float((a == b).all(axis=1).mean())



print("agreement int8/fp32", agree(dec["int8"], dec["fp32"]), "bf16/fp32", agree(dec["bf16"], dec["fp32"]))
err = np.abs(out["int8"] - out["fp32"])
print("int8 abs error quantiles", np.quantile(err, [0.5, 0.9, 0.99, 0.999]).round(4))
speed = {k: len(texts) / v for k, v in best.items()}
for m in (0.01, 0.02, 0.03, 0.05, 0.08):
    unsure = (np.abs(out["int8"] - th) < m).any(axis=1)
    for verifier in ("fp32", "bf16"):
        d = np.where(unsure[:, None], dec[verifier], dec["int8"])
        frac = unsure.mean()
        est = 1 / (1 / speed["int8"] + frac / speed[verifier])
        print(f"margin {m}: re-score {frac:.3f} with {verifier}: agreement {agree(d, dec['fp32']):.4f}, est {est:.0f} sent/s")
print({k: round(v, 1) for k, v in speed.items()})
