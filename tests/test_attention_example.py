"""The Transformer text-classification example learns its synthetic task (no downloads)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "transformer_text_classifier.py"


def test_transformer_example_learns_negation():
    spec = importlib.util.spec_from_file_location("transformer_example", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    result = module.main(["--quick"])
    assert result["accuracy"] >= 0.9, result
