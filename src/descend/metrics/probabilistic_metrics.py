"""Metrics that average a probabilistic or hinge loss over an epoch.

Cross-entropies, KL divergence, Poisson and the hinge losses, each the epoch
mean of the loss function of :mod:`descend.losses` with the same name
(evaluated without a graph). All have ``_direction = "down"``.
"""

from __future__ import annotations

from typing import Any

from descend import losses
from descend.metrics.metric import MeanMetricWrapper


class _LossMetric(MeanMetricWrapper):
    _direction = "down"


class BinaryCrossentropy(_LossMetric):
    """Mean binary cross-entropy; see :func:`descend.losses.binary_crossentropy`.

    Parameters
    ----------
    name : str, default "binary_crossentropy"
    dtype : str, optional
    from_logits : bool, default False
    label_smoothing : float, default 0

    Examples
    --------
    >>> m = BinaryCrossentropy()
    >>> m.update_state([[1.0]], [[0.5]]); round(m.result(), 4)
    0.6931
    """

    def __init__(self, name: str = "binary_crossentropy", dtype: Any = None,
                 from_logits: bool = False, label_smoothing: float = 0) -> None:
        super().__init__(losses.binary_crossentropy, name=name, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing)


class CategoricalCrossentropy(_LossMetric):
    """Mean categorical cross-entropy; see :func:`descend.losses.categorical_crossentropy`.

    Parameters
    ----------
    name : str, default "categorical_crossentropy"
    dtype : str, optional
    from_logits : bool, default False
    label_smoothing : float, default 0
    axis : int, default -1

    Examples
    --------
    >>> m = CategoricalCrossentropy()
    >>> m.update_state([[0.0, 1.0]], [[0.5, 0.5]]); round(m.result(), 4)
    0.6931
    """

    def __init__(self, name: str = "categorical_crossentropy", dtype: Any = None,
                 from_logits: bool = False, label_smoothing: float = 0, axis: int = -1) -> None:
        super().__init__(losses.categorical_crossentropy, name=name, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)


class SparseCategoricalCrossentropy(_LossMetric):
    """Mean sparse categorical cross-entropy.

    See :func:`descend.losses.sparse_categorical_crossentropy`.

    Parameters
    ----------
    name : str, default "sparse_categorical_crossentropy"
    dtype : str, optional
    from_logits : bool, default False
    axis : int, default -1

    Examples
    --------
    >>> m = SparseCategoricalCrossentropy()
    >>> m.update_state([1], [[0.5, 0.5]]); round(m.result(), 4)
    0.6931
    """

    def __init__(self, name: str = "sparse_categorical_crossentropy", dtype: Any = None,
                 from_logits: bool = False, axis: int = -1) -> None:
        super().__init__(losses.sparse_categorical_crossentropy, name=name, dtype=dtype,
                         from_logits=from_logits, axis=axis)


class KLDivergence(_LossMetric):
    """Mean Kullback-Leibler divergence; see :func:`descend.losses.kl_divergence`.

    Parameters
    ----------
    name : str, default "kl_divergence"
    dtype : str, optional

    Examples
    --------
    >>> m = KLDivergence()
    >>> m.update_state([[0.5, 0.5]], [[0.5, 0.5]]); m.result()
    0.0
    """

    def __init__(self, name: str = "kl_divergence", dtype: Any = None) -> None:
        super().__init__(losses.kl_divergence, name=name, dtype=dtype)


class Poisson(_LossMetric):
    """Mean Poisson loss; see :func:`descend.losses.poisson`.

    Parameters
    ----------
    name : str, default "poisson"
    dtype : str, optional

    Examples
    --------
    >>> m = Poisson()
    >>> m.update_state([[0.0]], [[2.0]]); round(m.result(), 4)
    2.0
    """

    def __init__(self, name: str = "poisson", dtype: Any = None) -> None:
        super().__init__(losses.poisson, name=name, dtype=dtype)


class Hinge(_LossMetric):
    """Mean hinge loss; see :func:`descend.losses.hinge`.

    Parameters
    ----------
    name : str, default "hinge"
    dtype : str, optional

    Examples
    --------
    >>> m = Hinge()
    >>> m.update_state([[1.0], [0.0]], [[0.5], [0.5]]); m.result()
    1.0
    """

    def __init__(self, name: str = "hinge", dtype: Any = None) -> None:
        super().__init__(losses.hinge, name=name, dtype=dtype)


class SquaredHinge(_LossMetric):
    """Mean squared hinge loss; see :func:`descend.losses.squared_hinge`.

    Parameters
    ----------
    name : str, default "squared_hinge"
    dtype : str, optional

    Examples
    --------
    >>> m = SquaredHinge()
    >>> m.update_state([[1.0], [0.0]], [[0.5], [0.5]]); m.result()
    1.25
    """

    def __init__(self, name: str = "squared_hinge", dtype: Any = None) -> None:
        super().__init__(losses.squared_hinge, name=name, dtype=dtype)


class CategoricalHinge(_LossMetric):
    """Mean categorical hinge loss; see :func:`descend.losses.categorical_hinge`.

    Parameters
    ----------
    name : str, default "categorical_hinge"
    dtype : str, optional

    Examples
    --------
    >>> m = CategoricalHinge()
    >>> m.update_state([[1.0, 0.0]], [[2.0, 0.0]]); m.result()
    0.0
    """

    def __init__(self, name: str = "categorical_hinge", dtype: Any = None) -> None:
        super().__init__(losses.categorical_hinge, name=name, dtype=dtype)
