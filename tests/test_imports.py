"""Import hygiene of the package, read from the source with `ast` (nothing is imported):
framing's modules import each other without a circle, and no module imports another's
private (underscore) name. A circle works only as long as one side imports inside a function;
a private name used elsewhere is an API that nobody knows they must keep."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "framing"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _base(module: str, path: Path, node: ast.ImportFrom) -> str:
    """The absolute module an ImportFrom names (`from ..x import y` in framing.cli.train -> framing.x)."""
    if node.level == 0:
        return node.module or ""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for _ in range(node.level - 1):
        package = package.rpartition(".")[0]
    return f"{package}.{node.module}" if node.module else package


def _runtime_imports(tree: ast.Module):
    """Every import statement, at any depth (function-level ones too), except those under
    `if TYPE_CHECKING:`, which never run."""
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            stack.extend(node.orelse)
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def imports(mods: dict[str, Path]) -> dict[str, list[tuple[ast.AST, str, str | None]]]:
    """Per module: (statement, imported framing module, imported name or None) for each framing
    import. `from .x import y` names module x, or module x.y when y is a submodule."""
    out = {}
    for module, path in mods.items():
        found = []
        for node in _runtime_imports(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                found += [(node, a.name, None) for a in node.names if a.name in mods]
                continue
            base = _base(module, path, node)
            for alias in node.names:
                if f"{base}.{alias.name}" in mods:
                    found.append((node, f"{base}.{alias.name}", None))
                elif base in mods:
                    found.append((node, base, alias.name))
        out[module] = found
    return out


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One circle of the directed graph as [a, b, ..., a], or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_checks_see_what_they_check():
    """The scan reads relative, absolute and function-level imports, and finds a planted circle
    (guards the two tests below against passing because they saw nothing)."""
    graph = {m: {dep for _, dep, _ in found} for m, found in imports(modules()).items()}
    assert "framing.taxonomy" in graph["framing.rows"]  # `from .taxonomy import ...`
    assert "framing.errors" in graph["framing.cli"]  # `from ..errors import ...` in a package __init__
    assert "framing.inference" in graph["framing.bench"]  # imported inside run_bench
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None
    assert is_private("_aligned") and not is_private("__version__") and not is_private("aligned_targets")


def test_framing_modules_import_each_other_without_a_circle():
    graph = {m: {dep for _, dep, _ in found if dep != m} for m, found in imports(modules()).items()}
    cycle = find_cycle(graph)
    assert cycle is None, "import circle: " + " -> ".join(cycle)


def is_private(name: str) -> bool:
    # Dunders (`__version__`) are public by convention; one leading underscore marks a module's own name.
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def test_no_module_imports_another_modules_private_name():
    mods = modules()
    bad = [f"{mods[m].relative_to(PACKAGE.parent)}:{node.lineno} imports {name} from {dep}"
           for m, found in imports(mods).items() for node, dep, name in found
           if name and is_private(name) and dep != m]
    assert not bad, "\n".join(bad)
