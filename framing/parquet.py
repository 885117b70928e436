"""Parquet output for batch runs: flat columns for querying plus the full record as JSON."""

from __future__ import annotations

import json
from pathlib import Path

COLUMNS = ("id", "url", "title", "source", "status", "error", "language", "content_hash", "n_sentences", "n_scored",
           "propaganda_index")


def jsonl_to_parquet(src: str | Path, dst: str | Path, rows_per_group: int = 5000) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([(c, pa.float64() if c == "propaganda_index" else pa.int64() if c.startswith("n_") else pa.string())
                        for c in COLUMNS] + [("record", pa.string())])
    tmp = Path(str(dst) + ".tmp")
    with pq.ParquetWriter(tmp, schema) as writer, open(src, encoding="utf-8") as handle:
        batch = []
        for line in handle:
            rec = json.loads(line)
            batch.append({**{c: rec.get(c) for c in COLUMNS}, "record": line.rstrip("\n")})
            if len(batch) >= rows_per_group:
                writer.write_table(pa.Table.from_pylist(batch, schema))
                batch = []
        if batch:
            writer.write_table(pa.Table.from_pylist(batch, schema))
    tmp.replace(dst)
