"""``SKLearnClassifier``, ``SKLearnRegressor``, ``SKLearnTransformer``: Keras 3's wrappers.

Each wraps a compiled descend model, or a function that builds one from the data, as a
scikit-learn estimator: it validates its inputs as scikit-learn does, works in
``Pipeline``, ``GridSearchCV`` (also with ``n_jobs``), ``cross_val_score`` and
``clone``, pickles through the ``.descend`` format, and passes
``sklearn.utils.estimator_checks.check_estimator``.

Importing this module imports scikit-learn; ``descend.wrappers`` imports it on first use.

Examples
--------
>>> import numpy as np
>>> import descend
>>> from descend.layers import Dense, Input
>>> def build(X, y):
...     model = descend.Sequential([Input((X.shape[1],)), Dense(y.shape[1])])
...     model.compile(optimizer="adam", loss="mse")
...     return model
>>> X = np.random.default_rng(0).normal(size=(20, 3))
>>> reg = SKLearnRegressor(build, random_state=0).fit(X, X.sum(axis=1))
>>> reg.predict(X).shape, reg.n_features_in_
((20,), 3)
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import (
    ClassifierMixin,
    ClassNamePrefixFeaturesOutMixin,
    RegressorMixin,
    TransformerMixin,
)
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import validate_data

from descend.wrappers._base import FLOAT_DTYPES, SKLBase

_COMMON_PARAMETERS = """
    Parameters
    ----------
    model : Model or callable
        A compiled descend ``Model``, or a callable ``model(X=X, y=y, **model_kwargs)``
        that builds and compiles one, given the validated inputs ``X`` of shape
        ``(n_samples, n_features)`` and the encoded targets ``y`` of shape
        ``(n_samples, n_outputs)`` (for a classifier: one-hot, ``n_outputs =
        n_classes``). A model instance is cloned with fresh weights before each fit
        (``descend.models.clone_model``), unless ``warm_start=True``; it is never
        changed.
    warm_start : bool, default False
        Keep training the fitted model (``model_``) on the next ``fit`` instead of
        starting again; a first fit with a model instance starts from its weights (a
        copy of it).
    model_kwargs : dict, optional
        Keyword arguments for ``model`` when it is a callable.
    fit_kwargs : dict, optional
        Keyword arguments for ``model.fit`` (``epochs``, ``batch_size``, ``callbacks``,
        ``validation_data``...). Keyword arguments given to ``fit`` take precedence.
        ``verbose`` defaults to 0 (Keras: ``"auto"``).
    random_state : int, numpy.random.RandomState or Generator, optional
        Seeds building and training (weight initialisation, shuffling, dropout): with an
        int, two fits on the same data give identical models. Default None: draw from
        descend's global generator (``descend.utils.set_random_seed``). Not a Keras
        argument; scikit-learn's convention.
"""

_COMMON_ATTRIBUTES = """
    model_ : Model
        The fitted model.
    history_ : dict of str to list of float
        The history of the last fit (``History.history``: ``{"loss": [...], ...}``).
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names, when ``X`` was a data frame with string column names.
"""


class SKLearnClassifier(ClassifierMixin, SKLBase):
    __doc__ = """scikit-learn classifier around a descend model (Keras's ``SKLearnClassifier``).

    Labels of any kind (strings, integers, booleans) are one-hot encoded in the order of
    ``classes_`` as Keras's wrapper does, so the model ends in ``n_classes`` softmax units
    with ``categorical_crossentropy``. For two classes, a model with one sigmoid unit and
    ``binary_crossentropy`` is also accepted (it is trained on 0/1 targets). The outputs are
    read as probabilities unless the compiled loss says ``from_logits=True``.
    """ + _COMMON_PARAMETERS + """
    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels, sorted.
    """ + _COMMON_ATTRIBUTES + """
    Examples
    --------
    >>> import numpy as np
    >>> import descend
    >>> from descend.layers import Dense, Input
    >>> def build(X, y):
    ...     model = descend.Sequential([Input((X.shape[1],)),
    ...                                 Dense(y.shape[1], activation="softmax")])
    ...     model.compile(optimizer=descend.optimizers.Adam(0.1),
    ...                   loss="categorical_crossentropy")
    ...     return model
    >>> X = np.array([[0.0], [0.1], [0.9], [1.0]])
    >>> y = np.array(["cat", "cat", "dog", "dog"])
    >>> clf = SKLearnClassifier(build, fit_kwargs={"epochs": 50}, random_state=0).fit(X, y)
    >>> clf.classes_.tolist(), clf.predict(X).tolist()
    (['cat', 'dog'], ['cat', 'cat', 'dog', 'dog'])
    >>> clf.predict_proba(X).shape
    (4, 2)
    """

    _multi_output = False
    _y_numeric = False

    def _validate_target(self, y: np.ndarray) -> np.ndarray:
        check_classification_targets(y)
        kind = type_of_target(y, input_name="y")
        if kind not in ("binary", "multiclass"):
            raise ValueError(f"{type(self).__name__}: only binary and multiclass targets are "
                             f"supported; y is {kind!r}.")
        return y

    def _encode_target(self, y: np.ndarray, reset: bool,
                       sample_weight: np.ndarray | None = None) -> np.ndarray:
        owner = type(self).__name__
        if reset:
            classes, indices = np.unique(y, return_inverse=True)
            if len(classes) < 2:
                raise ValueError("Classifier can't train when only one class is present.")
            if sample_weight is not None:
                weighted = np.unique(indices[sample_weight > 0])
                if len(weighted) < 2:
                    raise ValueError(
                        f"{owner}: only one class ({classes[weighted[0]]!r}) has samples with "
                        "a positive sample_weight; a classifier needs at least two classes "
                        "to train.")
            self.classes_ = classes
        else:
            unknown = np.setdiff1d(np.unique(y), self.classes_)
            if len(unknown):
                raise ValueError(f"{owner}: y has labels the classifier was not fitted on: "
                                 f"{unknown.tolist()}; it knows {self.classes_.tolist()}.")
            indices = np.searchsorted(self.classes_, y)
        return np.eye(len(self.classes_))[np.asarray(indices).reshape(-1)]

    def _target_for_model(self, model: Any, encoded: np.ndarray) -> np.ndarray:
        columns = _output_columns(model, self.n_features_in_)
        if columns == 1 and encoded.shape[1] == 2:  # one sigmoid unit: 0/1 targets
            return encoded[:, 1:]
        if columns is not None and columns != encoded.shape[1]:
            raise ValueError(
                f"{type(self).__name__}: the model outputs {columns} columns but y has "
                f"{encoded.shape[1]} classes. Build the model with y.shape[1] output units "
                "(the callable receives the one-hot y), or one sigmoid unit for two classes.")
        return encoded

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes), float64
            Rows sum to 1; columns follow ``classes_``.
        """
        output = self._model_output(X).astype(np.float64)
        output = output.reshape(len(output), -1)
        n_classes = len(self.classes_)
        logits = _from_logits(self.model_)
        if output.shape[1] == 1 and n_classes == 2:
            positive = 1.0 / (1.0 + np.exp(-output[:, 0])) if logits else \
                np.clip(output[:, 0], 0.0, 1.0)
            return np.stack([1.0 - positive, positive], axis=1)
        if output.shape[1] != n_classes:
            raise ValueError(f"{type(self).__name__}: the model outputs {output.shape[1]} "
                             f"columns for {n_classes} classes.")
        if logits:
            output = np.exp(output - output.max(axis=1, keepdims=True))
        output = np.clip(output, 0.0, None)
        total = output.sum(axis=1, keepdims=True)
        return np.divide(output, total, out=np.full_like(output, 1.0 / n_classes),
                         where=total > 0)

    def decision_function(self, X: Any) -> np.ndarray:
        """Scores whose sign (two classes) or argmax (more) is the prediction.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,) for two classes, else (n_samples, n_classes)
            For two classes, the log-odds ``log p1 - log p0`` of ``classes_[1]``; for
            more, the log-probabilities (Keras returns the raw model output instead).
        """
        tiny = np.finfo(np.float64).tiny
        log_proba = np.log(np.clip(self.predict_proba(X), tiny, 1.0))
        if len(self.classes_) == 2:
            return log_proba[:, 1] - log_proba[:, 0]
        return log_proba

    def predict(self, X: Any) -> np.ndarray:
        """Predicted class labels.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
            Labels from ``classes_`` (the most probable class).
        """
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]


class SKLearnRegressor(RegressorMixin, SKLBase):
    __doc__ = """scikit-learn regressor around a descend model (Keras's ``SKLearnRegressor``).

    One target (``y`` of shape ``(n_samples,)``, predictions the same shape) or several
    (``(n_samples, n_outputs)``); the callable receives ``y`` as a 2-D array either way.
    Predictions are float64, as scikit-learn expects.
    """ + _COMMON_PARAMETERS + """
    Attributes
    ----------
    n_outputs_ : int
        Number of targets.
    """ + _COMMON_ATTRIBUTES + """
    Examples
    --------
    >>> import numpy as np
    >>> import descend
    >>> from descend.layers import Dense, Input
    >>> def build(X, y):
    ...     model = descend.Sequential([Input((X.shape[1],)), Dense(y.shape[1])])
    ...     model.compile(optimizer=descend.optimizers.Adam(0.1), loss="mse")
    ...     return model
    >>> X = np.random.default_rng(0).normal(size=(40, 2))
    >>> Y = np.stack([X[:, 0] + X[:, 1], X[:, 0] - X[:, 1]], axis=1)
    >>> reg = SKLearnRegressor(build, fit_kwargs={"epochs": 100}, random_state=0).fit(X, Y)
    >>> reg.predict(X).shape, bool(reg.score(X, Y) > 0.9)
    ((40, 2), True)
    """

    def predict(self, X: Any) -> np.ndarray:
        """Predicted targets.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_outputs), float64
            1-D when ``fit`` was given a 1-D ``y``.
        """
        output = self._model_output(X).astype(np.float64)
        output = output.reshape(len(output), -1)
        if self._target_1d and output.shape[1] == 1:
            return output[:, 0]
        return output

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags


class SKLearnTransformer(ClassNamePrefixFeaturesOutMixin, TransformerMixin, SKLBase):
    __doc__ = """scikit-learn transformer around a descend model (Keras's ``SKLearnTransformer``).

    ``fit(X, y)`` trains the model to map ``X`` to ``y``; ``transform(X)`` returns the
    model's output for ``X`` (in the model's dtype). A transformer in scikit-learn's sense
    (a pipeline step), not the attention architecture. Its output columns are named
    ``sklearntransformer0``, ``sklearntransformer1``... (``get_feature_names_out``).
    """ + _COMMON_PARAMETERS + """
    Attributes
    ----------
    n_outputs_ : int
        Number of target columns.
    """ + _COMMON_ATTRIBUTES + """
    Examples
    --------
    >>> import numpy as np
    >>> import descend
    >>> from descend.layers import Dense, Input
    >>> def build(X, y):
    ...     model = descend.Sequential([Input((X.shape[1],)), Dense(y.shape[1])])
    ...     model.compile(optimizer="adam", loss="mse")
    ...     return model
    >>> X = np.random.default_rng(0).normal(size=(10, 4))
    >>> SKLearnTransformer(build, random_state=0).fit_transform(X, X[:, :2]).shape
    (10, 2)
    """

    def transform(self, X: Any) -> np.ndarray:
        """The model's output.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, ...)
            What ``model_.predict(X)`` returns.
        """
        return self._model_output(X)

    def fit(self, X: Any, y: Any, sample_weight: Any = None, **kwargs: Any
            ) -> SKLearnTransformer:
        """Build (or reuse) the model and train it to map ``X`` to ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,), optional
        **kwargs
            Passed to ``model.fit``.

        Returns
        -------
        self
        """
        super().fit(X, y, sample_weight=sample_weight, **kwargs)
        # the number of output columns, for get_feature_names_out
        first = validate_data(self, X, reset=False, dtype=FLOAT_DTYPES)[:1]
        self._n_features_out = int(np.prod(self.model_.predict(first, verbose=0).shape[1:]))
        return self

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        tags.target_tags.multi_output = True
        tags.transformer_tags.preserves_dtype = []  # the output has the model's dtype
        return tags


def _output_columns(model: Any, n_features: int) -> int | None:
    """The model's number of output columns for ``n_features`` inputs, when it can tell."""
    try:
        shape = model.compute_output_shape((None, n_features))
    except Exception:  # noqa: BLE001 - a model that cannot say; model.fit will check
        return None
    if isinstance(shape, tuple) and len(shape) == 2 and isinstance(shape[1], int):
        return shape[1]
    return None


def _from_logits(model: Any) -> bool:
    """Whether the compiled loss reads the outputs as logits (``from_logits=True``)."""
    compiled = getattr(model, "compiled_loss", None)
    spec = getattr(compiled, "spec", None)
    return bool(getattr(spec, "from_logits", False))


__all__ = ["SKLearnClassifier", "SKLearnRegressor", "SKLearnTransformer"]
