"""The package's shape: no import circles, layers that import downward, an engine free of web and database code.

Read from the source with :mod:`ast`, function-level and ``TYPE_CHECKING`` imports included, so a circle
hidden inside a function still fails here.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PLUGIN = Path(__file__).resolve().parent.parent / "plugin"

#: What each layer may import inside ``plugin``, besides itself. The public face (``plugin.*`` modules
#: that are not packages) sits on top; ``plugin.errors`` is a leaf any layer above the engine may use.
ALLOWED = {
    "plugin.engine": set(),
    "plugin.storage": {"plugin.engine", "plugin.errors"},
    "plugin.storefront": {"plugin.engine", "plugin.storage", "plugin.errors"},
    "plugin.insights": {"plugin.engine", "plugin.storage", "plugin.errors"},
    "plugin.admin": {"plugin.engine", "plugin.storage", "plugin.storefront", "plugin.insights", "plugin.errors"},
}
FORBIDDEN_IN_ENGINE = ("flask", "werkzeug", "sqlalchemy", "flask_sqlalchemy", "flask_wtf", "markupsafe", "jinja2")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PLUGIN.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in PLUGIN.rglob("*.py") if "migrations" not in p.parts}


def _imports(name: str, path: Path) -> set[str]:
    """Every module ``name`` imports (absolute names), at any depth of the file."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                stem = ".".join(base + ([node.module] if node.module else []))
            else:
                stem = node.module or ""
            found.add(stem)
            found.update(f"{stem}.{alias.name}" for alias in node.names)
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    graph = {}
    for name, path in modules.items():
        edges = set()
        for target in _imports(name, path):
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name and not name.startswith(target + ".") and target != "plugin":
                edges.add(target)
        graph[name] = edges
    return graph


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def _layer(name: str) -> str:
    for layer in ALLOWED:
        if name == layer or name.startswith(layer + "."):
            return layer
    return name  # a module of the public face, or plugin.errors


def test_no_import_circle_inside_plugin():
    assert _circles(_graph()) == []


def test_the_circle_finder_finds_a_circle():
    assert _circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_layers_import_downward_only():
    wrong = []
    for name, targets in _graph().items():
        layer = _layer(name)
        if layer not in ALLOWED:
            continue  # the public face may import any layer
        for target in targets:
            target_layer = _layer(target)
            if target_layer != layer and target_layer not in ALLOWED[layer]:
                wrong.append(f"{name} imports {target}")
    assert wrong == []


@pytest.mark.parametrize(
    "path", sorted([*(PLUGIN / "engine").rglob("*.py"), PLUGIN / "bundles.py"]), ids=lambda p: p.name
)
def test_the_engine_imports_no_web_or_database_code(path):
    name = _module_name(path)
    offending = sorted(
        target for target in _imports(name, path) if target.split(".")[0] in FORBIDDEN_IN_ENGINE
    )
    assert offending == [], f"{name} imports {offending}"


def test_public_imports_still_work():
    from plugin import Cart, CartLine, Product, ShopAdapter, Tsuide, models  # noqa: F401
    from plugin.bundles import Quote, quote_cart  # noqa: F401

    assert models.PostPurchaseOffer.__tablename__ == "tsuide_pp_offers"
    assert models.Bundle.__tablename__ == "tsuide_rules"
    assert models.Event.__tablename__ == "tsuide_events"
