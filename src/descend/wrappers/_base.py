"""What the three scikit-learn wrappers share: parameters, ``fit``, seeding, cloning, pickling.

The subclasses in :mod:`descend.wrappers.sklearn_wrapper` only say how targets are
validated and encoded for the model (``_validate_target``, ``_encode_target``,
``_target_for_model``) and how the model's output becomes their answer.

Importing this module imports scikit-learn.
"""

from __future__ import annotations

import contextlib
import copy
import numbers
import threading
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.base import clone as sklearn_clone
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from descend import random as descend_random
from descend.wrappers import _model_bytes

FLOAT_DTYPES = (np.float64, np.float32)
# held while a seeded fit has swapped the global generator's state: fits with a random_state
# in threads (joblib's threading backend) run one at a time instead of mixing their streams
_SEEDED_LOCK = threading.RLock()
# fit arguments the wrapper itself passes to model.fit
_RESERVED_FIT_ARGUMENTS = ("x", "y", "sample_weight")


def _seed_from(random_state: Any, owner: str) -> int:
    """An integer seed from scikit-learn's ``random_state`` conventions."""
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        if random_state < 0:
            raise ValueError(f"{owner}: random_state must be a non-negative int, received "
                             f"{random_state}.")
        return int(random_state)
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(np.iinfo(np.int32).max))
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(np.iinfo(np.int64).max))
    raise TypeError(f"{owner}: random_state must be None, a non-negative int, a "
                    f"numpy.random.RandomState or a numpy.random.Generator; received "
                    f"{random_state!r}.")


@contextlib.contextmanager
def seeded(random_state: Any, owner: str) -> Iterator[None]:
    """Run a block with descend's global generator seeded from ``random_state``.

    With ``random_state=None`` the block draws from the global generator as it is (so
    :func:`descend.utils.set_random_seed` makes it repeatable); otherwise the block
    draws from a generator seeded with ``random_state`` and the global generator is
    left exactly as it was. Weight initialisation, the shuffling done by ``fit`` and
    dropout all draw from that generator, so a fit with a fixed ``random_state`` is
    bit-identical from one run to the next. Seeded blocks in several threads run one at a
    time (worker processes, joblib's default, run in parallel).
    """
    if random_state is None:
        yield
        return
    seed = _seed_from(random_state, owner)
    with _SEEDED_LOCK:
        saved = descend_random.get_state()
        descend_random.set_state(np.random.default_rng(seed).bit_generator.state)
        try:
            yield
        finally:
            descend_random.set_state(saved)


def _check_model(model: Any, owner: str) -> None:
    from descend.models import Model

    if not isinstance(model, Model):
        raise TypeError(f"{owner}: `model` must be a descend Model or a callable returning "
                        f"one; the callable returned {type(model).__name__}.")
    if not getattr(model, "compiled", False) or getattr(model, "optimizer", None) is None:
        raise RuntimeError(
            f"{owner}: the model needs to be compiled, with a loss and an optimizer. Call "
            "model.compile(optimizer=..., loss=...) in the function that builds it (or "
            "before passing the model).")


def _check_mapping(value: Any, argument: str, owner: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise TypeError(f"{owner}: `{argument}` must be a dict or None, received "
                        f"{type(value).__name__}.")
    return dict(value)


class SKLBase(BaseEstimator):
    """Base class of the scikit-learn wrappers (see :class:`SKLearnRegressor` for the API)."""

    # how ``validate_data`` checks y; subclasses override
    _multi_output = True
    _y_numeric = True

    def __init__(self, model: Any, warm_start: bool = False,
                 model_kwargs: dict[str, Any] | None = None,
                 fit_kwargs: dict[str, Any] | None = None, random_state: Any = None) -> None:
        self.model = model
        self.warm_start = warm_start
        self.model_kwargs = model_kwargs
        self.fit_kwargs = fit_kwargs
        self.random_state = random_state

    # ------------------------------------------------------------------ hooks
    def _encode_target(self, y: np.ndarray, reset: bool,
                       sample_weight: np.ndarray | None = None) -> np.ndarray:
        """The target the model-building callable sees (``reset``: learn the encoding)."""
        if reset:
            self._target_1d = y.ndim == 1
            self.n_outputs_ = 1 if y.ndim == 1 else int(y.shape[1])
        return np.asarray(y, dtype=np.float64).reshape(len(y), -1)

    def _target_for_model(self, model: Any, encoded: np.ndarray) -> np.ndarray:
        """The target ``model.fit`` receives (the subclass may adapt it to the model)."""
        return encoded

    # ------------------------------------------------------------------ fit
    def _get_model(self, X: np.ndarray, y: np.ndarray) -> Any:
        from descend.models import Model, clone_model

        owner = type(self).__name__
        if self.warm_start and hasattr(self, "model_"):
            return self.model_
        if isinstance(self.model, Model):
            if self.warm_start:  # start from the given weights, on a copy: never mutate params
                return _model_bytes.model_from_bytes(_model_bytes.model_to_bytes(self.model))
            return clone_model(self.model)  # fresh weights, compiled like the original
        if callable(self.model):
            return self.model(X=X, y=y, **_check_mapping(self.model_kwargs, "model_kwargs",
                                                         owner))
        raise TypeError(f"{owner}: `model` must be a descend Model or a callable "
                        f"model(X=..., y=..., **model_kwargs) returning a compiled Model; "
                        f"received {type(self.model).__name__}.")

    def _fit_arguments(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        owner = type(self).__name__
        # a copy: fit must not change the estimator's parameters (callbacks get a model set)
        arguments = {"verbose": 0,
                     **copy.deepcopy(_check_mapping(self.fit_kwargs, "fit_kwargs", owner)),
                     **kwargs}
        clash = sorted(set(arguments) & set(_RESERVED_FIT_ARGUMENTS))
        if clash:
            raise TypeError(f"{owner}: {clash} cannot be passed in fit_kwargs or as fit "
                            "keyword arguments; pass X, y and sample_weight to fit itself.")
        return arguments

    def _validation_data(self, model: Any, data: Any) -> Any:
        """Encode the targets of ``validation_data=(X_val, y_val[, weights])`` as fit's."""
        if not isinstance(data, (tuple, list)) or len(data) not in (2, 3):
            return data
        X_val = validate_data(self, data[0], reset=False, dtype=FLOAT_DTYPES)
        y_val = self._target_for_model(model, self._encode_target(
            self._validate_target(np.asarray(data[1])), reset=False))
        return (X_val, y_val, *data[2:])

    def _validate_target(self, y: np.ndarray) -> np.ndarray:
        return y

    def fit(self, X: Any, y: Any, sample_weight: Any = None, **kwargs: Any) -> SKLBase:
        """Build (or reuse) the model and train it on ``X``, ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The training inputs (dense; sparse matrices are refused).
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The targets.
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative weights, not all zero. They are rescaled to average 1, so that
            the loss is the weighted mean: an integer weight k counts like k copies of
            its sample (exactly so when each epoch is one batch).
        **kwargs
            Passed to ``model.fit`` (``epochs``, ``batch_size``, ``callbacks``...);
            they take precedence over ``fit_kwargs``.

        Returns
        -------
        self
        """
        owner = type(self).__name__
        X, y = validate_data(self, X, y, dtype=FLOAT_DTYPES, multi_output=self._multi_output,
                             y_numeric=self._y_numeric)
        y = self._validate_target(y)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float64,
                                                 ensure_non_negative=True, copy=True)
            sample_weight *= len(sample_weight) / sample_weight.sum()
        previous = getattr(self, "model_", None) if self.warm_start else None
        encoded = self._encode_target(y, reset=previous is None, sample_weight=sample_weight)
        arguments = self._fit_arguments(kwargs)
        with seeded(self.random_state, owner):
            model = self._get_model(X, encoded)
            _check_model(model, owner)
            if "validation_data" in arguments:
                arguments["validation_data"] = self._validation_data(
                    model, arguments["validation_data"])
            history = model.fit(X, self._target_for_model(model, encoded),
                                sample_weight=sample_weight, **arguments)
        self.model_ = model
        self.history_ = {key: list(values) for key, values in history.history.items()}
        return self

    # ------------------------------------------------------------------ predict
    def _model_output(self, X: Any) -> np.ndarray:
        """The fitted model's output on validated ``X``, shape ``(n_samples, ...)``."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=FLOAT_DTYPES)
        return np.asarray(self.model_.predict(X, verbose=0))

    # ------------------------------------------------------------------ sklearn protocol
    def __sklearn_clone__(self) -> SKLBase:
        """An unfitted copy with the same parameters (a model parameter is copied whole)."""
        from descend.models import Model

        params = {}
        for name, value in self.get_params(deep=False).items():
            if isinstance(value, Model):
                params[name] = _model_bytes.model_from_bytes(_model_bytes.model_to_bytes(value))
            else:
                params[name] = sklearn_clone(value, safe=False)
        return type(self)(**params)

    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__()
        return {key: _model_bytes.pack(value) for key, value in state.items()}

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__({key: _model_bytes.unpack(value) for key, value in state.items()})

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        tags.non_deterministic = False  # deterministic given random_state
        return tags


__all__ = ["FLOAT_DTYPES", "SKLBase", "seeded"]
