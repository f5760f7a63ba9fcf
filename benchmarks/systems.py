"""The systems the suite compares, the worker module of each, and whether it is installed."""

from __future__ import annotations

import dataclasses
import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclasses.dataclass(frozen=True)
class System:
    """A system under test.

    Attributes
    ----------
    name : str
        Name on the command line (``--systems``).
    module : str
        Worker module run as ``python -m <module>``.
    requires : tuple of str
        Top-level packages that must be importable; the system is skipped otherwise.
    variants : tuple of str
        Training variants, each measured in its own process (``""`` is the default one).
        Inference and memory workloads use only the first variant.
    label : str
        Name in the report.
    """

    name: str
    module: str
    requires: tuple[str, ...]
    variants: tuple[str, ...] = ("",)
    label: str = ""

    def column(self, variant: str) -> str:
        """Column key of one variant (``"torch"``, ``"torch-fused"``)."""
        return f"{self.name}-{variant}" if variant else self.name


SYSTEMS = {
    "descend": System("descend", "benchmarks.workers.descend_worker", ("descend",),
                      label="descend"),
    "torch": System("torch", "benchmarks.workers.torch_worker", ("torch",), ("", "fused"),
                    label="PyTorch"),
    "keras": System("keras", "benchmarks.workers.keras_worker", ("keras", "torch"),
                    label="Keras"),
    "sklearn": System("sklearn", "benchmarks.workers.sklearn_worker", ("sklearn",),
                      label="scikit-learn"),
    "numpy": System("numpy", "benchmarks.workers.numpy_worker", ("numpy",),
                    label="NumPy (hand-written loop)"),
}
MACHINE = System("machine", "benchmarks.workers.machine_worker", (), label="NumPy")

#: Column labels of the report, in display order (``torch-best`` is derived, not measured).
COLUMN_LABELS = {
    "descend": "descend",
    "keras": "Keras (torch backend)",
    "torch": "PyTorch (default Adam)",
    "torch-fused": "PyTorch (fused Adam)",
    "torch-best": "PyTorch (faster of the two)",
    "sklearn": "scikit-learn",
    "numpy": "NumPy (hand-written loop)",
}


def missing_requirement(system: System) -> str | None:
    """The first package ``system`` needs that cannot be imported, or ``None``.

    descend counts as present when this checkout has ``src/descend`` (the worker imports it from
    there), so the suite runs from a fresh clone without installing anything.
    """
    for package in system.requires:
        if package == "descend" and (ROOT / "src" / "descend" / "__init__.py").is_file():
            continue
        if importlib.util.find_spec(package) is None:
            return package
    return None
