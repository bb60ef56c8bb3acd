"""The layering, read from the source: every import of every module, including those inside functions.

index/ turns files into searchable chunks, rag/ turns a question into an Answer, ui/ shows it,
evals/ measures it, and cli/ (the composition root) wires them. Data flows one way.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("index", "rag", "ui", "evals", "cli")
# What each layer may import besides itself.
ALLOWED = {
    "index": set(),
    "rag": {"index"},
    "evals": {"rag", "index"},
    "ui": {"rag", "index"},
    "cli": {"index", "rag", "ui", "evals"},
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def _modules() -> dict[str, Path]:
    return {_module_name(p): p for package in PACKAGES for p in sorted((ROOT / package).rglob("*.py"))}


def _resolve(module: str, node: ast.ImportFrom) -> str:
    """The absolute module an `ImportFrom` names (relative imports resolved against `module`)."""
    if not node.level:
        return node.module or ""
    is_package = _modules()[module].name == "__init__.py"
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _type_checking_only(tree: ast.Module) -> set[ast.AST]:
    """Import nodes under `if TYPE_CHECKING:`: read by type checkers, never run."""
    nodes: set[ast.AST] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING"):
            nodes.update(n for stmt in node.body for n in ast.walk(stmt))
    return nodes


@cache
def _imports(module: str, *, runtime_only: bool = False) -> frozenset[str]:
    """Project modules `module` imports anywhere in its body, functions included; `from pkg import mod`
    counts as `pkg.mod`. `runtime_only` leaves out the imports only type checkers read."""
    tree = ast.parse(_modules()[module].read_text(encoding="utf-8"))
    skipped = _type_checking_only(tree) if runtime_only else set()
    found: set[str] = set()
    for node in ast.walk(tree):
        if node in skipped:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(module, node)
            named = {f"{target}.{alias.name}" for alias in node.names} & _modules().keys()
            found.update(named or {target})
    return frozenset(m for m in found if m.split(".")[0] in PACKAGES and m != module)


def _string_imports(module: str) -> list[str]:
    """Calls of importlib.import_module or __import__ with a project module's name."""
    tree = ast.parse(_modules()[module].read_text(encoding="utf-8"))
    hits = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name not in ("import_module", "__import__"):
            continue
        arg = node.args[0] if node.args else None
        literal = arg.value if isinstance(arg, ast.Constant) and isinstance(arg.value, str) else None
        # A computed name could be anything: only literals naming something outside the project pass.
        if literal is None or literal.split(".")[0] in PACKAGES:
            hits.append(ast.unparse(node))
    return hits


def test_the_packages_hold_modules():
    assert all(any(m.split(".")[0] == p for m in _modules()) for p in PACKAGES)


@pytest.mark.parametrize("package", PACKAGES)
def test_each_layer_imports_only_the_layers_below_it(package):
    upward = {
        module: sorted(m for m in _imports(module) if m.split(".")[0] not in ALLOWED[package] | {package})
        for module in _modules()
        if module.split(".")[0] == package
    }
    assert {m: found for m, found in upward.items() if found} == {}


def test_no_module_imports_a_project_module_by_its_name_as_a_string():
    found = {module: hits for module in _modules() if (hits := _string_imports(module))}
    assert found == {}


def _cycles() -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan's algorithm) among the imports that run.

    A type-only import (the back ends name `Config` in their signatures, `Config` validates their
    names against the registry) never executes, so it cannot close a cycle; it still counts for
    the layering above.
    """
    graph = {m: sorted(d for d in _imports(m, runtime_only=True) if d in _modules()) for m in _modules()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for dep in graph[node]:
            if dep not in index:
                visit(dep)
                low[node] = min(low[node], low[dep])
            elif dep in on_stack:
                low[node] = min(low[node], index[dep])
        if low[node] == index[node]:
            group = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                group.append(top)
                if top == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for module in graph:
        if module not in index:
            visit(module)
    return groups


def test_no_import_cycles_between_modules():
    assert _cycles() == []


def test_the_checker_sees_imports_inside_functions_and_type_only_ones():
    # rag/commands.py once imported ui.app inside a function: such imports must count.
    assert "ui.app" in _imports("cli.commands")
    assert "rag.config" in _imports("rag.backends.ollama")
    assert "rag.config" not in _imports("rag.backends.ollama", runtime_only=True)


CHROMA_OPERATORS = {"$and", "$or", "$in", "$nin", "$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$contains"}


def test_nothing_above_index_writes_the_stores_filter_syntax_or_touches_a_collection():
    found = {}
    for module, path in _modules().items():
        if module.startswith("index"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        hits = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and n.value in CHROMA_OPERATORS]
        hits += [ast.unparse(n) for n in ast.walk(tree) if isinstance(n, ast.Attribute) and n.attr in ("chunks", "docs")
                 and isinstance(n.value, ast.Attribute) and n.value.attr == "store"]
        if hits:
            found[module] = hits
    assert found == {}
