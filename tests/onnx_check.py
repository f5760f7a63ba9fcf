"""Shared checks of the ONNX export tests: export, validate, run in onnxruntime, compare.

Imported by the ``tests/test_onnx_export_*.py`` files after they skip (with a visible
reason) when ``onnx`` or ``onnxruntime`` is missing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

import descend

BATCHES = (1, 37)
TOLERANCE = 1e-5


def randomize(model: Any, seed: int = 0, scale: float = 0.5) -> Any:
    """Give every weight random values (variances positive), so that no weight is a no-op."""
    rng = np.random.default_rng(seed)
    values = []
    for weight in model.weights:
        shape = tuple(weight.shape)
        name = str(getattr(weight, "path", "") or getattr(weight, "name", ""))
        if "variance" in name:
            values.append(rng.uniform(0.5, 1.5, shape).astype("float32"))
        else:
            values.append(rng.normal(0.0, scale, shape).astype("float32"))
    model.set_weights(values)
    return model


def normal_inputs(model: Any, seed: int = 1) -> Any:
    """A function ``batch -> list of float32 arrays`` fitting the model's inputs."""
    def make(batch: int) -> list[np.ndarray]:
        rng = np.random.default_rng(seed + batch)
        return [rng.normal(0.0, 1.0, (batch, *t.shape[1:])).astype("float32")
                for t in model.inputs]
    return make


def as_list(outputs: Any, model: Any) -> list[np.ndarray]:
    """``predict``'s result as a list in the order of the ONNX outputs."""
    if isinstance(outputs, dict):
        return [np.asarray(outputs[k]) for k in model.output_names]
    if isinstance(outputs, (list, tuple)):
        return [np.asarray(o) for o in outputs]
    return [np.asarray(outputs)]


def check_export(model: Any, tmp_path: Path, inputs: Any = None, opset: int | None = None,
                 tolerance: float = TOLERANCE, batches: tuple[int, ...] = BATCHES) -> Any:
    """Export ``model``, check the file, and compare onnxruntime with ``predict``.

    Returns the onnxruntime session. Asserts: ``onnx.checker`` passes; the input
    names are the Input layers' names; the batch axis is dynamic; at every batch
    size the outputs have ``predict``'s shapes and differ by at most ``tolerance``.
    """
    import onnx
    import onnxruntime as ort

    path = tmp_path / f"{model.name}.onnx"
    kwargs = {} if opset is None else {"opset": opset}
    model.export(path, format="onnx", **kwargs)
    proto = onnx.load(str(path))
    onnx.checker.check_model(proto, full_check=True)
    if opset is not None:
        assert proto.opset_import[0].version == opset
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    names = [i.name for i in session.get_inputs()]
    assert names == [t.layer.name for t in model.inputs]
    assert all(i.shape[0] == "batch" for i in session.get_inputs())
    make = inputs or normal_inputs(model)
    for batch in batches:
        xs = make(batch)
        expected = as_list(model.predict(xs if len(xs) > 1 else xs[0], verbose=0), model)
        got = session.run(None, dict(zip(names, xs, strict=True)))
        assert len(got) == len(expected)
        for e, o in zip(expected, got, strict=True):
            assert o.shape == e.shape, (o.shape, e.shape)
            difference = float(np.max(np.abs(o.astype(np.float64) - e))) if e.size else 0.0
            assert difference <= tolerance, f"batch {batch}: max abs diff {difference}"
    return session


def sequential(*layers: Any, shape: tuple, name: str | None = None, seed: int = 0) -> Any:
    """A Sequential model on ``Input(shape)`` with random weights."""
    model = descend.Sequential([descend.Input(shape, name="inputs"), *layers], name=name)
    return randomize(model, seed)
