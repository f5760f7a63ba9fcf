"""The floors of ``docs/architecture.md`` hold: no module imports a floor above its own.

The floors are read from the table in ``docs/architecture.md`` (section "Floors"), so the
document and this test cannot disagree. Every module under ``src/descend`` is parsed with
``ast``; an import counts wherever it is written (top level, inside a function, under
``TYPE_CHECKING``), and so do ``importlib.import_module("descend...")`` calls and the module
names of lazy-import tables (a string constant that is exactly a descend module's name).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
ARCHITECTURE = ROOT / "docs" / "architecture.md"
ORDER = ("engine", "building", "training", "interfaces")
MODULE_PATH = re.compile(r"descend(\.\w+)+")

#: Upward imports that remain, each with why. An entry that is no longer needed fails the test,
#: so that it is deleted as soon as the import goes.
ALLOWED: dict[tuple[str, str], str] = {
    # Model.check_gradients is a convenience method on the model for learners; the check itself
    # belongs with the other tools that look inside a model (probes, formatting) in explain.
    ("descend.models.model", "descend.explain.gradients"):
        "Model.check_gradients delegates to explain's gradient check",
    # Keras's Model.export(format="onnx") is a method of the model, while the ONNX exporter is
    # an optional extra on the interfaces floor, imported when export runs.
    ("descend.models.model", "descend.export"):
        "Model.export delegates to the ONNX exporter",
}


def declared_floors(text: str) -> dict[str, str]:
    """``{module prefix: floor}`` from the "Floors" table of ``docs/architecture.md``."""
    section = text.split("## Floors", 1)[1].split("\n## ", 1)[0]
    floors: dict[str, str] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 2 and cells[0] in ORDER:
            for name in re.findall(r"`(descend[\w.]*)`", cells[1]):
                floors[name] = cells[0]
    return floors


def floor_of(module: str, floors: dict[str, str]) -> str | None:
    """The floor of ``module``: its longest declared prefix (the package root only for itself)."""
    best = None
    for prefix in floors:
        covers = module == prefix or (prefix != "descend" and module.startswith(prefix + "."))
        if covers and (best is None or len(prefix) > len(best)):
            best = prefix
    return floors[best] if best else None


def module_name(path: Path, src: Path = SRC) -> str:
    parts = list(path.relative_to(src).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_module(name: str, src: Path = SRC) -> bool:
    path = src / name.replace(".", "/")
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def imported_modules(path: Path, src: Path = SRC) -> list[tuple[str, int]]:
    """``(module, line)`` of every descend module ``path`` imports, lazily or not."""
    module = module_name(path, src)
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    tree = ast.parse(path.read_text(), str(path))
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef,
                                       ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package[:len(package) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            for alias in node.names:
                full = f"{base}.{alias.name}"
                found.append((full if is_module(full, src) else base, node.lineno))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and id(node) not in docstrings and MODULE_PATH.fullmatch(node.value) \
                and is_module(node.value, src):
            found.append((node.value, node.lineno))  # importlib.import_module / lazy tables
    return [(name, line) for name, line in found if name.split(".")[0] == "descend"]


def upward_imports(src: Path, floors: dict[str, str]) -> tuple[list[str], set, list[str]]:
    """Violations (as text), the (importer, imported) pairs seen, and unmapped modules."""
    violations, pairs, unmapped = [], set(), []
    for path in sorted((src / "descend").rglob("*.py")):
        importer = module_name(path, src)
        own = floor_of(importer, floors)
        if own is None:
            unmapped.append(importer)
            continue
        for imported, line in imported_modules(path, src):
            target = floor_of(imported, floors)
            if target is None:
                unmapped.append(imported)
            elif ORDER.index(target) > ORDER.index(own):
                pairs.add((importer, imported))
                violations.append(f"{path.relative_to(src)}:{line}: {importer} ({own}) imports "
                                  f"{imported} ({target})")
    return violations, pairs, sorted(set(unmapped))


FLOORS = declared_floors(ARCHITECTURE.read_text())


def test_the_architecture_page_declares_the_four_floors() -> None:
    assert set(FLOORS.values()) == set(ORDER)
    assert FLOORS["descend.autograd"] == "engine" and FLOORS["descend.layers"] == "building"
    assert FLOORS["descend.registry"] == "building" and FLOORS["descend.saving"] == "training"
    assert FLOORS["descend.explain"] == "interfaces"


def test_every_module_has_a_floor() -> None:
    _, _, unmapped = upward_imports(SRC, FLOORS)
    assert not unmapped, f"add these to the Floors table of docs/architecture.md: {unmapped}"


def test_no_module_imports_a_floor_above_its_own() -> None:
    violations, pairs, _ = upward_imports(SRC, FLOORS)
    unexplained = [v for v in violations
                   if not any(f" {a} (" in v and f"imports {b} (" in v for a, b in ALLOWED)]
    assert not unexplained, "upward imports:\n" + "\n".join(unexplained)
    stale = sorted(set(ALLOWED) - pairs)
    assert not stale, f"these allowed upward imports are gone; delete them from ALLOWED: {stale}"


def test_the_checker_sees_lazy_relative_and_string_imports(tmp_path) -> None:
    package = tmp_path / "descend"
    (package / "low").mkdir(parents=True)
    (package / "high").mkdir()
    for init in (package, package / "low", package / "high"):
        (init / "__init__.py").write_text("")
    (package / "high" / "top.py").write_text("X = 1\n")
    (package / "low" / "a.py").write_text(
        '"""descend.high.top in a docstring is not an import."""\n'
        "def f():\n    from ..high import top\n"
        "def g():\n    import importlib\n    return importlib.import_module('descend.high.top')\n"
        "from descend.low import b\n")
    (package / "low" / "b.py").write_text("")
    floors = {"descend": "interfaces", "descend.low": "engine", "descend.high": "training"}
    violations, pairs, unmapped = upward_imports(tmp_path, floors)
    assert pairs == {("descend.low.a", "descend.high.top")} and not unmapped
    assert [v.split(":")[1] for v in violations] == ["3", "6"]


@pytest.mark.parametrize("module", ["descend", "descend.layers.core", "descend.registry.family"])
def test_floor_lookup_uses_the_longest_prefix(module: str) -> None:
    expected = {"descend": "interfaces", "descend.layers.core": "building",
                "descend.registry.family": "building"}
    assert floor_of(module, FLOORS) == expected[module]
