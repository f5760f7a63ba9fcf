"""scikit-learn estimators around descend models (Keras 3's ``keras.wrappers``).

- :class:`SKLearnClassifier`: ``fit(X, y)`` with labels of any kind (strings, integers),
  ``predict``, ``predict_proba``, ``decision_function``, ``classes_``;
- :class:`SKLearnRegressor`: one or several numeric targets;
- :class:`SKLearnTransformer`: ``transform(X)`` returns the model's output (an
  embedding, say), so that a trained network can be one step of a ``Pipeline``.

They need scikit-learn (``pip install 'descend[sklearn]'``), which is imported only when
one of them is first used: ``import descend`` and ``import descend.wrappers`` never
import it. Estimators pickle (``joblib``, ``GridSearchCV(n_jobs=2)``) through descend's
own ``.descend`` format: the fitted model travels as the bytes of its file, never as
pickled descend objects (module ``_model_bytes``).

Examples
--------
>>> import descend.wrappers
>>> sorted(descend.wrappers.__all__)
['SKLearnClassifier', 'SKLearnRegressor', 'SKLearnTransformer']
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["SKLearnClassifier", "SKLearnRegressor", "SKLearnTransformer"]

_MISSING = ("descend.wrappers.{name} needs scikit-learn, which is not installed. Install it "
            "with the `sklearn` extra: pip install 'descend[sklearn]' (or pip install "
            "'scikit-learn>=1.4').")


def _sklearn_module(name: str) -> Any:
    """Import ``descend.wrappers.sklearn_wrapper`` (and scikit-learn), or say what to install."""
    try:
        importlib.import_module("sklearn")
    except ImportError:
        raise ImportError(_MISSING.format(name=name)) from None
    return importlib.import_module("descend.wrappers.sklearn_wrapper")


def __getattr__(name: str) -> Any:
    if name in __all__:
        value = getattr(_sklearn_module(name), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'descend.wrappers' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(__all__) | set(globals()))
