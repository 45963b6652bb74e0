"""The stages import one way: a module imports only its own stage and the ones below it (lazy imports
inside functions count too), and the product never imports its test scaffolding (lift.testing). The order is
the data flow, with two pieces of shared machinery placed low: adapters/ (wrapping a model) and infer/
(generating with it, which synth/'s local generator and replay use)."""

import ast
from pathlib import Path

import lift

STAGES = [
    {"errors", "home", "versions", "config", "progress", "prompting", "models"},
    {"text", "samples"},
    {"adapters"},
    {"infer"},
    {"synth"},
    {"data"},
    {"train"},
    {"store"},
    {"pipeline", "update", "recipe"},  # wiring: synth -> data -> train -> store
    {"corpus"},  # many documents on Ray
    {"eval"},
    {"pretrain", "bench"},
    {"demo"},
    {"serve"},
    {"cli", "testing"},
]
LEVEL = {name: level for level, names in enumerate(STAGES) for name in names}
ROOT = Path(lift.__file__).parent


def _stage(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path.name}: a relative import (the stages are checked on absolute ones)"
            found.add(node.module or "")
    return {name for name in found if name.startswith("lift.")}


# Parts that the wiring above them connects, and that must not know each other.
APART = [("train", "synth"), ("synth", "train"), ("synth", "data")]


def _modules(stage: str) -> list[Path]:
    return sorted((ROOT / stage).rglob("*.py")) if (ROOT / stage).is_dir() else [ROOT / f"{stage}.py"]


def test_every_stage_is_placed():
    stages = {path.name.removesuffix(".py") for path in ROOT.iterdir() if path.suffix == ".py" or path.is_dir()}
    stages -= {"__init__", "__pycache__"}
    assert stages - set(LEVEL) == set()


def test_parts_that_the_pipeline_wires_do_not_import_each_other():
    for importer, imported in APART:
        for path in _modules(importer):
            assert not {m for m in _imports(path) if _stage(m) == imported}, f"{path.name} imports {imported}"


def test_no_import_runs_back_up_the_stages():
    upward = []
    for stage in LEVEL:
        for path in _modules(stage):
            for module in _imports(path):
                if LEVEL[_stage(module)] > LEVEL[stage]:
                    upward.append(f"{path.relative_to(ROOT)} imports {module}")
    assert upward == []


def test_the_product_never_imports_the_test_scaffolding():
    for stage in set(LEVEL) - {"testing"}:
        for path in _modules(stage):
            assert not {m for m in _imports(path) if _stage(m) == "testing"}, f"{path.name} imports lift.testing"
