"""descend: how a neural network learns, from first principles.

A NumPy-only deep-learning library with its own reverse-mode automatic
differentiation behind the Keras API: ``Sequential``, ``Dense``, ``compile``,
``fit``, ``evaluate``, ``predict``, callbacks.

Submodules (``descend.layers``, ``descend.optimizers``, ...) are imported on first
use, so ``import descend`` stays cheap.

Examples
--------
>>> import descend
>>> from descend.layers import Dense
>>> model = descend.Sequential([Dense(4, input_shape=(2,), activation="relu"), Dense(1)])
>>> model.count_params()
17
"""

from __future__ import annotations

import importlib
from typing import Any

from descend import config as config
from descend.autograd import Tensor as Tensor
from descend.autograd import Variable as Variable
from descend.autograd import gradcheck as gradcheck
from descend.autograd import no_grad as no_grad

__version__ = "0.1.0"

_SUBMODULES = {
    "activations", "callbacks", "constraints", "datasets", "explain", "initializers", "layers",
    "losses", "metrics", "models", "ops", "optimizers", "regularizers", "saving", "tune", "utils",
}
_MODEL_NAMES = {"Model", "Sequential", "load_model", "model_from_json"}

__all__ = sorted(
    {"Tensor", "Variable", "config", "gradcheck", "no_grad"} | _SUBMODULES | _MODEL_NAMES
)


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        module = importlib.import_module(f"descend.{name}")
        globals()[name] = module
        return module
    if name in _MODEL_NAMES:
        value = getattr(importlib.import_module("descend.models"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'descend' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
