"""Fail when an import points the wrong way between the layers (see ARCHITECTURE.md).

Every import counts, lazy ones and those under TYPE_CHECKING too: an arrow is an arrow.
Also fails on an import cycle between two modules of the package.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

PACKAGE = "immich_gphotos"
ROOT = Path(__file__).resolve().parent.parent / "src" / PACKAGE

# Highest first. A module may import from its own room and from any room below it, except
# that the rooms of the client layer (Immich, Google, state, secrets) never import each other.
LAYERS: list[tuple[str, set[str]]] = [
    ("command line", {"cli"}),
    ("rendering", {"ui"}),
    ("command cores", {"commands"}),
    ("sync engine", {"sync"}),
    ("clients and state", {"immich", "gphotos", "state", "credentials"}),
]
FOUNDATION = "foundations"  # every top-level module: errors, config, transport, clock...
ENTRY_POINTS = {f"{PACKAGE}.__main__", f"{PACKAGE}.entry"}  # the two ways in: they call cli


def room_of(module: str) -> str:
    parts = module.split(".")
    if len(parts) > 2 or (len(parts) == 2 and (ROOT / parts[1]).is_dir()):
        return parts[1]
    return FOUNDATION


def rank(room: str) -> int:
    for i, (_, rooms) in enumerate(LAYERS):
        if room in rooms:
            return i
    return len(LAYERS)


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, module: str) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith(PACKAGE))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            if not base.startswith(PACKAGE):
                continue
            for alias in node.names:  # `from pkg import module` names a module
                candidate = f"{base}.{alias.name}"
                is_module = (ROOT.parent / Path(*candidate.split("."))).with_suffix(".py").exists()
                is_package = (ROOT.parent / Path(*candidate.split("."))).is_dir()
                found.add(candidate if is_module or is_package else base)
    found.discard(module)
    return found


def main() -> int:
    graph: dict[str, set[str]] = {}
    for path in sorted(ROOT.rglob("*.py")):
        module = module_name(path)
        graph[module] = imports_of(path, module)
    problems = []
    for module, targets in graph.items():
        if module in ENTRY_POINTS:
            continue
        here = room_of(module)
        for target in sorted(targets):
            there = room_of(target)
            if there == here or target == PACKAGE:
                continue
            if rank(there) < rank(here):
                problems.append(f"{module} imports {target}: {here} may not import {there}")
            elif rank(there) == rank(here) and here != FOUNDATION:
                problems.append(f"{module} imports {target}: {here} and {there} stay apart")
    seen = set()
    for module, targets in graph.items():
        for target in targets:
            if module in graph.get(target, set()) and (target, module) not in seen:
                seen.add((module, target))
                problems.append(f"{module} and {target} import each other")
    for line in problems:
        print(f"wrong-way import: {line}", file=sys.stderr)
    if not problems:
        print(f"imports: {len(graph)} modules, every arrow points down")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
