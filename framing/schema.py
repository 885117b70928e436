"""JSON Schemas of the output formats, generated from the record types in `records`.

`python -m framing.schema docs/schema` writes them; a test checks that the files in the
repository equal what the code generates, so the published schemas can't drift from the code.
"""

from __future__ import annotations

import json
import sys
import types
import typing
from pathlib import Path

from . import records

_SCALARS = {str: "string", int: "integer", float: "number", bool: "boolean", type(None): "null"}


def _type_schema(tp, defs: dict) -> dict:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        return {"anyOf": [_type_schema(arg, defs) for arg in typing.get_args(tp)]}
    if origin is typing.Literal:
        return {"enum": list(typing.get_args(tp))}
    if origin is list:
        return {"type": "array", "items": _type_schema(typing.get_args(tp)[0], defs)}
    if origin is dict:
        return {"type": "object", "additionalProperties": _type_schema(typing.get_args(tp)[1], defs)}
    if typing.is_typeddict(tp):
        if tp.__name__ not in defs:
            defs[tp.__name__] = {}  # placeholder first: a record may refer to itself
            defs[tp.__name__] = _object_schema(tp, defs)
        return {"$ref": f"#/$defs/{tp.__name__}"}
    if tp is float:
        return {"type": "number"}  # JSON has no int/float distinction: 1 is a valid probability
    if tp in _SCALARS:
        return {"type": _SCALARS[tp]}
    raise TypeError(f"no JSON Schema for {tp!r}")


def _object_schema(td, defs: dict) -> dict:
    hints = typing.get_type_hints(td, include_extras=True)
    props, required = {}, []
    for name, tp in hints.items():
        if typing.get_origin(tp) is typing.NotRequired:
            tp = typing.get_args(tp)[0]
        else:
            required.append(name)
        props[name] = _type_schema(tp, defs)
    if "schema_version" in props:
        props["schema_version"] = {"const": records.SCHEMA_VERSION}
    out = {"type": "object", "properties": props, "required": required, "additionalProperties": False}
    if td.__doc__ and td.__doc__ != typing.TypedDict.__doc__:
        out["description"] = " ".join(td.__doc__.split())
    return out


def format_schema(name: str) -> dict:
    """The schema one line (jsonl) or one object (json) of the output format must satisfy."""
    defs: dict = {}
    one_of = [_type_schema(td, defs) for td in records.FORMATS[name]]
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"framing/{name}.schema.json", "title": f"framing {name} record",
            "description": f"One record of framing's {name} output (schema_version {records.SCHEMA_VERSION}).",
            "oneOf": one_of, "$defs": dict(sorted(defs.items()))}


def write_schemas(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name in records.FORMATS:
        path = folder / f"{name}.schema.json"
        path.write_text(json.dumps(format_schema(name), indent=2) + "\n", encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for path in write_schemas(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/schema")):
        print(path)
