"""The ``Loss`` protocol: per-sample losses, Keras's rank fix-up, sample weights, reductions.

A loss object is called as ``loss(y_true, y_pred, sample_weight=None)`` and
returns a scalar :class:`~descend.autograd.Tensor` (or per-sample values with
``reduction="none"``). Subclasses implement ``call(y_true, y_pred)`` returning
the per-sample losses; :class:`LossFunctionWrapper` turns a plain function of
``(y_true, y_pred)`` into a loss object.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from descend.autograd import Tensor, ops
from descend.losses.fusion import FUSED

REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)

# Filled by the loss families: built-in function -> its label validator.
VALIDATORS: dict[Callable[..., Any], Callable[..., None]] = {}


def standardize_reduction(reduction: str | None) -> str | None:
    """Return ``reduction`` if Keras allows it, else raise ``ValueError`` listing the options.

    Examples
    --------
    >>> standardize_reduction("sum")
    'sum'
    """
    if reduction not in REDUCTIONS:
        raise ValueError(
            f"Invalid value for argument `reduction`: expected one of {REDUCTIONS}, "
            f"received reduction={reduction!r}."
        )
    return reduction


def _expand_last(x: Any) -> Any:
    return ops.expand_dims(x, -1) if isinstance(x, Tensor) else np.expand_dims(x, -1)


def _squeeze_last(x: Any) -> Any:
    return ops.squeeze(x, -1) if isinstance(x, Tensor) else np.squeeze(x, -1)


def squeeze_or_expand_to_same_rank(x1: Any, x2: Any, expand_rank_1: bool = True) -> tuple:
    """Keras's rank fix-up: make two arrays of ranks differing by one match.

    When the ranks differ by exactly one and the longer array ends in a length-1
    axis, that axis is squeezed, except that a rank-1 partner is expanded
    instead (when ``expand_rank_1``). Otherwise both are returned unchanged.
    Works on tensors (recorded in the graph) and NumPy arrays.

    Parameters
    ----------
    x1, x2 : Tensor or ndarray
    expand_rank_1 : bool, default True

    Returns
    -------
    tuple
        ``(x1, x2)`` after the fix-up.

    Examples
    --------
    >>> import numpy as np
    >>> a, b = squeeze_or_expand_to_same_rank(np.zeros(4), np.zeros((4, 1)))
    >>> a.shape, b.shape
    ((4, 1), (4, 1))
    """
    r1, r2 = np.ndim(x1.data if isinstance(x1, Tensor) else x1), np.ndim(
        x2.data if isinstance(x2, Tensor) else x2
    )
    if r1 == r2:
        return x1, x2
    if r1 == r2 + 1 and np.shape(x1.data if isinstance(x1, Tensor) else x1)[-1] == 1:
        if r2 == 1 and expand_rank_1:
            return x1, _expand_last(x2)
        return _squeeze_last(x1), x2
    if r2 == r1 + 1 and np.shape(x2.data if isinstance(x2, Tensor) else x2)[-1] == 1:
        if r1 == 1 and expand_rank_1:
            return _expand_last(x1), x2
        return x1, _squeeze_last(x2)
    return x1, x2


def is_binary_or_sparse_categorical(
    y_true_shape: tuple, y_pred_shape: tuple
) -> tuple[bool, bool]:
    """Keras's shape rule behind ``"accuracy"`` and ``"crossentropy"``.

    ``is_binary``: the output has one unit. ``is_sparse``: the labels have lower
    rank than the output, or end in a length-1 axis while the output has more
    than one unit. Only shapes matter, never the loss.

    Parameters
    ----------
    y_true_shape, y_pred_shape : tuple
        Shapes of the labels and of the model output (``None`` entries allowed).

    Returns
    -------
    tuple of bool
        ``(is_binary, is_sparse_categorical)``.

    Examples
    --------
    >>> is_binary_or_sparse_categorical((32,), (None, 10))
    (False, True)
    """
    y_true_shape, y_pred_shape = tuple(y_true_shape), tuple(y_pred_shape)
    t_last = y_true_shape[-1] if y_true_shape else None
    p_last = y_pred_shape[-1] if y_pred_shape else None
    is_binary = p_last == 1
    wide = p_last is not None and p_last > 1
    is_sparse = len(y_true_shape) < len(y_pred_shape) or (t_last == 1 and wide)
    return is_binary, is_sparse


def _weights_array(sample_weight: Any, dtype: np.dtype) -> np.ndarray:
    data = sample_weight.data if isinstance(sample_weight, Tensor) else sample_weight
    arr = np.asarray(data)
    if arr.dtype.kind not in "biuf":
        raise TypeError(
            f"sample_weight must be numeric, received an array of dtype {arr.dtype}."
        )
    return arr.astype(dtype, copy=False)


def apply_mask(sample_weight: np.ndarray | None, mask: np.ndarray, reduction: str | None):
    """Merge a validity mask into the sample weights (Keras's rule).

    With ``"sum_over_batch_size"``/``"mean"`` the valid entries are reweighted by
    ``total / valid`` (0 when no entry is valid) so that masked-out entries leave
    the denominator: the reduced loss is ``sum(loss * sample_weight * mask) /
    valid``. A ``sample_weight`` of lower rank than the mask (one weight per
    sequence, shape ``(batch,)``, for a mask ``(batch, steps)``) weights every
    step of its sample; Keras 3.15 fails with a broadcasting error there.

    Parameters
    ----------
    sample_weight : ndarray or None
    mask : ndarray of bool
        E.g. shape (batch, steps): the mask that travels with the model's output.
    reduction : str or None

    Returns
    -------
    ndarray
        The merged weights (float64).

    Examples
    --------
    >>> apply_mask(None, np.array([True, False]), "sum").tolist()
    [1.0, 0.0]
    >>> apply_mask(None, np.array([True, False, True, True]), "mean").tolist()
    [1.3333333333333333, 0.0, 1.3333333333333333, 1.3333333333333333]
    """
    mask = np.asarray(mask).astype(bool, copy=False)
    if reduction in ("mean", "sum_over_batch_size"):
        valid = int(np.count_nonzero(mask))
        float_mask = np.where(mask, mask.size / valid if valid else 0.0, 0.0)
    else:
        float_mask = mask.astype(np.float64)
    if sample_weight is None:
        return float_mask
    sample_weight = np.asarray(sample_weight, dtype=np.float64)
    float_mask, sample_weight = squeeze_or_expand_to_same_rank(float_mask, sample_weight)
    if sample_weight.ndim < float_mask.ndim:  # one weight per sample: every step
        sample_weight = sample_weight.reshape(
            sample_weight.shape + (1,) * (float_mask.ndim - sample_weight.ndim))
    return sample_weight * float_mask


def reduce_values(values: Tensor, sample_weight: np.ndarray | None, reduction: str | None):
    """Reduce (already weighted) per-sample ``values`` as Keras's ``reduce_values`` does.

    ``"sum"`` sums; ``"sum_over_batch_size"`` and ``"mean"`` divide the sum by the
    number of elements of ``values`` (zero-weight samples still count);
    ``"mean_with_sample_weight"`` divides by ``sum(sample_weight)``; ``"none"``/None
    and scalar or empty ``values`` are returned unchanged.

    Examples
    --------
    >>> from descend.autograd import Tensor
    >>> reduce_values(Tensor([1.0, 3.0]), None, "sum").item()
    4.0
    """
    if reduction in (None, "none") or values.ndim == 0 or values.shape == (0,):
        return values
    if reduction == "sum":
        return ops.sum(values)
    if reduction == "mean_with_sample_weight" and sample_weight is not None:
        divisor = float(np.sum(sample_weight))
        total = ops.sum(values)
        return total * (1.0 / divisor) if divisor != 0 else total * 0.0
    if values.size == 0:
        return ops.sum(values) * 0.0
    return ops.mean(values)


def reduce_weighted_values(
    values: Tensor,
    sample_weight: Any = None,
    reduction: str | None = "sum_over_batch_size",
    mask: np.ndarray | None = None,
) -> Tensor:
    """Weight per-sample ``values`` by ``sample_weight`` (and ``mask``), then reduce.

    Parameters
    ----------
    values : Tensor
        Per-sample losses, e.g. shape (N,) or (N, T).
    sample_weight : array_like, optional
        Shape (N,), (N, 1) or broadcastable to ``values`` (extra trailing axes are
        added to a lower-rank weight).
    reduction : str or None, default "sum_over_batch_size"
    mask : ndarray of bool, optional
        Entries to leave out (``False``), as for ``ignore_class``.

    Returns
    -------
    Tensor
        A scalar, or the weighted values when ``reduction`` is ``"none"``.

    Examples
    --------
    >>> from descend.autograd import Tensor
    >>> reduce_weighted_values(Tensor([1.0, 3.0]), [1.0, 0.0]).item()
    0.5
    """
    weights = None if sample_weight is None else _weights_array(sample_weight, values.dtype)
    if mask is not None:
        weights = apply_mask(weights, np.asarray(mask), reduction)
        weights = weights.astype(values.dtype, copy=False)
    if weights is not None:
        values, weights = squeeze_or_expand_to_same_rank(values, weights)
        if weights.ndim < values.ndim:
            weights = weights.reshape(weights.shape + (1,) * (values.ndim - weights.ndim))
        try:
            np.broadcast_shapes(weights.shape, values.shape)
        except ValueError:
            raise ValueError(
                f"sample_weight of shape {np.shape(sample_weight)} does not match the "
                f"per-sample losses of shape {values.shape}. Pass one weight per sample, "
                f"shape ({values.shape[0] if values.ndim else 1},)."
            ) from None
        values = values * weights
    return reduce_values(values, weights, reduction)


def _get_mask(tensor: Any) -> np.ndarray | None:
    """The mask that travels with ``tensor`` (see :mod:`descend.layers._masks`), or None."""
    if not isinstance(tensor, Tensor):
        return None
    from descend.layers._masks import get_mask  # the layers package imports losses

    mask = get_mask(tensor)
    return None if isinstance(mask, list) else mask


def _combine_masks(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a & b`` after Keras's rank fix-up (an output mask and an ``ignore_class`` mask)."""
    a, b = squeeze_or_expand_to_same_rank(np.asarray(a, bool), np.asarray(b, bool))
    return np.logical_and(a, b)


def _snake_case(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()


def check_labels_numeric(who: str, y: np.ndarray) -> None:
    """Raise if labels are not numeric or contain NaN/inf (checked once, before training).

    Examples
    --------
    >>> check_labels_numeric("Loss 'mse'", np.array([1.0, 2.0]))"""
    if y.dtype.kind not in "biuf":
        raise TypeError(
            f"{who}: labels must be numeric, received an array of dtype {y.dtype}. Encode "
            "class names as integers (e.g. with numpy.unique(y, return_inverse=True)) or "
            "convert with numpy.asarray(y, dtype='float32')."
        )
    if y.dtype.kind == "f" and not np.isfinite(y).all():
        bad = int(np.size(y) - np.isfinite(y).sum())
        raise ValueError(
            f"{who}: labels contain {bad} NaN or inf value(s). Remove or impute them "
            "before training."
        )


class Loss:
    """Base class of losses.

    Parameters
    ----------
    name : str, optional
        Defaults to the class name in snake case.
    reduction : {"sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None}
        How per-sample losses become the returned value; default
        ``"sum_over_batch_size"`` (weighted sum divided by the number of values).
    dtype : str, optional
        Cast predictions to this float dtype first (default: keep their dtype).

    Examples
    --------
    >>> from descend.autograd import Tensor, ops
    >>> class MeanFourth(Loss):
    ...     def call(self, y_true, y_pred):
    ...         return ops.mean((y_pred - y_true) ** 4, axis=-1)
    >>> loss = MeanFourth()
    >>> loss.name, loss(np.array([[1.0], [0.0]]), Tensor([[2.0], [0.0]])).item()
    ('mean_fourth', 0.5)
    """

    def __init__(
        self, name: str | None = None, reduction: str | None = "sum_over_batch_size",
        dtype: Any = None,
    ) -> None:
        self.name = name or _snake_case(type(self).__name__)
        self.reduction = standardize_reduction(reduction)
        self.dtype = None if dtype is None else np.dtype(dtype).name

    # raw labels: built-in losses take y_true as given (ids stay integers)
    _raw_labels = False

    def call(self, y_true: Any, y_pred: Tensor) -> Tensor:
        """Return the per-sample losses (subclasses implement this)."""
        raise NotImplementedError(f"{type(self).__name__} must implement call(y_true, y_pred).")

    def _label_mask(self, y_true: np.ndarray, y_pred: Tensor) -> np.ndarray | None:
        """Entries to leave out of the reduction (``ignore_class``); None keeps all."""
        return None

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Tensor:
        """Compute the reduced loss.

        As in Keras, when ``y_pred`` carries a mask (the output of a model or layer
        fed by ``Embedding(mask_zero=True)`` or ``Masking``, e.g. shape
        ``(batch, steps)``), masked entries get weight 0 and leave the mean
        (:func:`apply_mask`).

        Parameters
        ----------
        y_true : array_like or Tensor
            Labels (no gradient is computed for them).
        y_pred : Tensor
            Predictions, e.g. shape (N, K).
        sample_weight : array_like, optional
            Per-sample weights, shape (N,).

        Returns
        -------
        Tensor
            A scalar (or per-sample values when ``reduction`` is ``"none"``).
        """
        in_mask = _get_mask(y_pred)
        y_pred = ops.as_tensor(y_pred)
        if self.dtype is not None and y_pred.dtype != self.dtype:
            y_pred = ops.cast(y_pred, self.dtype)
        labels = np.asarray(y_true.data if isinstance(y_true, Tensor) else y_true)
        if self._raw_labels:
            values = self.call(labels, y_pred)
        else:
            values = self.call(Tensor._make(labels.astype(y_pred.dtype), False, None), y_pred)
        values = ops.as_tensor(values)
        mask = self._label_mask(labels, y_pred)
        if in_mask is not None:
            mask = in_mask if mask is None else _combine_masks(in_mask, mask)
        return reduce_weighted_values(values, sample_weight, self.reduction, mask)

    def fusion_spec(self) -> Any:
        """What the execution plan may compute with one engine primitive, or None.

        None here: only built-in function losses describe themselves
        (:meth:`LossFunctionWrapper.fusion_spec`, :mod:`descend.losses.fusion`).
        """
        return None

    def validate(self, y_true: np.ndarray, output_shape: tuple) -> None:
        """Check the labels before training (called once by ``fit``).

        The base class checks that the labels are numeric and finite; built-in
        losses also check the label layout against the output shape.

        Parameters
        ----------
        y_true : ndarray
            All training labels.
        output_shape : tuple
            The model output's shape (the batch entry may be None).

        Raises
        ------
        ValueError, TypeError
            Naming the loss, the expected layout, what was received and the fix.
        """
        check_labels_numeric(f"Loss '{self.name}'", np.asarray(y_true))

    def get_config(self) -> dict[str, Any]:
        """Return the constructor arguments as a JSON-serialisable dict."""
        out: dict[str, Any] = {"name": self.name, "reduction": self.reduction}
        if self.dtype is not None:
            out["dtype"] = self.dtype
        return out

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Loss:
        """Create a loss from :meth:`get_config` output."""
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r} reduction={self.reduction!r}>"


class LossFunctionWrapper(Loss):
    """A loss object around a function ``fn(y_true, y_pred, **kwargs) -> per-sample Tensor``.

    Before calling ``fn`` the labels and predictions go through
    :func:`squeeze_or_expand_to_same_rank`, so labels ``(N,)`` work with an
    output ``(N, 1)``.

    Parameters
    ----------
    fn : callable
        Built from engine operations so that it is differentiable.
    reduction : str or None, default "sum_over_batch_size"
    name : str, optional
        Defaults to ``fn.__name__``.
    dtype : str, optional
    **kwargs
        Passed to ``fn`` on every call (e.g. ``from_logits=True``).

    Examples
    --------
    >>> from descend.autograd import Tensor, ops
    >>> def squared(y_true, y_pred):
    ...     return ops.mean((y_pred - y_true) ** 2, axis=-1)
    >>> loss = LossFunctionWrapper(squared)
    >>> loss.name, loss(np.array([1.0, 2.0]), Tensor([[1.0], [4.0]])).item()
    ('squared', 2.0)
    """

    def __init__(
        self,
        fn: Callable[..., Any],
        reduction: str | None = "sum_over_batch_size",
        name: str | None = None,
        dtype: Any = None,
        **kwargs: Any,
    ) -> None:
        if not callable(fn):
            raise TypeError(
                f"LossFunctionWrapper: fn must be a function of (y_true, y_pred), received "
                f"{fn!r}."
            )
        super().__init__(name=name or getattr(fn, "__name__", None), reduction=reduction,
                         dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs
        self._raw_labels = fn in VALIDATORS

    def call(self, y_true: Any, y_pred: Tensor) -> Tensor:
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def fusion_spec(self) -> Any:
        """A :class:`~descend.losses.fusion.LossSpec` when the execution plan may compute
        this loss with one engine primitive, else None (see :mod:`descend.losses.fusion`)."""
        if self.reduction not in ("sum_over_batch_size", "mean") or self.dtype is not None \
                or not type(self).__module__.startswith("descend."):
            return None
        describe = FUSED.get(self.fn)
        return None if describe is None else describe(**self._fn_kwargs)

    def validate(self, y_true: np.ndarray, output_shape: tuple) -> None:
        y_true = np.asarray(y_true)
        super().validate(y_true, output_shape)
        validator = VALIDATORS.get(self.fn)
        if validator is not None:
            validator(self.name, y_true, tuple(output_shape), **self._fn_kwargs)

    def get_config(self) -> dict[str, Any]:
        out = super().get_config()
        if type(self) is LossFunctionWrapper:
            from descend import losses

            # a name, or {"class_name": "function", ...} for a registered custom function
            out["fn"] = losses.serialize(self.fn)
        out.update(self._fn_kwargs)
        return out

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Loss:
        config = dict(config)
        if cls is LossFunctionWrapper:
            from descend import losses

            spec = config.pop("fn", None)
            if not isinstance(spec, (str, Mapping)):
                raise ValueError(
                    "LossFunctionWrapper.from_config: expected 'fn' to be a loss function name "
                    "or a function config {'class_name': 'function', ...}, received "
                    f"fn={spec!r}."
                )
            # names go through the custom-object lookup and descend's loss table only
            return cls(losses.get(spec), **config)
        return cls(**config)
