"""Package layering: the product under src/lift never depends on the test scaffolding in lift.testing."""

from __future__ import annotations

import ast
from pathlib import Path

import lift

LIFT_ROOT = Path(lift.__file__).parent


def imported_modules(tree: ast.AST, package: str) -> set[str]:
    """Every module a file imports, relative imports resolved against the package the file is in."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = parts[: len(parts) - node.level + 1]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            names.add(prefix)
            names.update(f"{prefix}.{alias.name}" for alias in node.names)
    return names


def module_and_package(path: Path) -> tuple[str, str]:
    parts = ("lift", *path.relative_to(LIFT_ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        return ".".join(parts[:-1]), ".".join(parts[:-1])
    return ".".join(parts), ".".join(parts[:-1])


def test_imported_modules_resolves_absolute_and_relative_imports():
    tree = ast.parse("import lift.testing\nfrom ..testing import fault_server\nfrom . import x\n")
    names = imported_modules(tree, "lift.serve")
    assert {"lift.testing", "lift.testing.fault_server", "lift.serve.x"} <= names


def test_no_product_module_imports_lift_testing():
    offenders = []
    for path in sorted(LIFT_ROOT.rglob("*.py")):
        module, package = module_and_package(path)
        if module == "lift.testing" or module.startswith("lift.testing."):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for name in imported_modules(tree, package):
            if name == "lift.testing" or name.startswith("lift.testing."):
                offenders.append(f"{path.relative_to(LIFT_ROOT.parent)} imports {name}")
    assert not offenders, offenders
