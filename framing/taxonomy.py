"""The label taxonomy, read from framing/taxonomy.json (the data is the source of truth). It is package
data: an installed framing needs it to validate any model it loads."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

TAXONOMY_PATH = Path(__file__).resolve().parent / "taxonomy.json"
FAMILIES = ("technique", "frame")
# The model's extra output after the labels: "uses at least one technique" (a technique-family output).
ANY_TECHNIQUE = "any-technique"
CORPORA = ("semeval2020", "nlp4if2019", "semeval2021", "semeval2023")


@dataclass(frozen=True)
class Label:
    id: str
    family: str
    name: str
    definition: str
    mappings: dict[str, tuple[str, ...]]


@dataclass(frozen=True)
class Taxonomy:
    version: str
    labels: tuple[Label, ...]
    unmapped: dict[str, dict[str, str]]

    @property
    def ids(self) -> list[str]:
        return [label.id for label in self.labels]

    def family_ids(self, family: str) -> list[str]:
        return [label.id for label in self.labels if label.family == family]

    def family_of(self, label_id: str) -> str:
        return next(label.family for label in self.labels if label.id == label_id)

    def is_family(self, name: str, family: str) -> bool:
        """Whether a label or model output belongs to `family`. The one answer to "is this column a
        technique or a frame" for every module: the any-technique head counts as a technique
        output; names outside the taxonomy belong to no family."""
        if name == ANY_TECHNIQUE:
            return family == "technique"
        return any(label.id == name and label.family == family for label in self.labels)

    def columns(self, names: list[str], family: str, *, with_any: bool = False) -> list[int]:
        """Indices of `names` (model labels or outputs) in `family`; the any-technique head is
        included only with `with_any` (it is a decision about techniques, not a technique)."""
        return [j for j, name in enumerate(names)
                if self.is_family(name, family) and (with_any or name != ANY_TECHNIQUE)]

    def mapper(self, corpus: str) -> dict[str, str | None]:
        """Corpus label name -> label id, or None for names mapped to nothing on purpose."""
        table: dict[str, str | None] = {name: None for name in self.unmapped.get(corpus, {})}
        for label in self.labels:
            for name in label.mappings.get(corpus, ()):
                table[name] = label.id
        return table

    def map_name(self, corpus: str, name: str) -> str | None:
        table = self.mapper(corpus)
        if name not in table:
            raise KeyError(f"{corpus} label {name!r} is not in the taxonomy's mappings")
        return table[name]


@lru_cache(maxsize=4)
def load_taxonomy(path: Path = TAXONOMY_PATH) -> Taxonomy:
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    labels = tuple(
        Label(
            id=item["id"],
            family=item["family"],
            name=item["name"],
            definition=item["definition"],
            mappings={k: tuple(v) for k, v in item.get("mappings", {}).items()},
        )
        for item in raw["labels"]
    )
    return Taxonomy(version=raw["version"], labels=labels, unmapped=raw.get("unmapped", {}))
