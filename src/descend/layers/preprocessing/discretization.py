"""``Discretization``: bucket continuous values by bin boundaries.

With boundaries ``[b0, b1, ..., bk-1]`` a value ``x`` goes to bucket ``i`` where
``b[i-1] <= x < b[i]`` (bucket 0 below ``b0``, bucket ``k`` at or above the last boundary),
i.e. ``numpy.digitize(x, boundaries)``. The bucket indices (int32) are then returned as they
are (``output_mode="int"``) or encoded (``one_hot``, ``multi_hot``, ``count``, with
``len(boundaries) + 1`` slots).

Boundaries are given (``bin_boundaries=``) or learned by :meth:`Discretization.adapt` with
``num_bins=``: adapt builds an approximate quantile summary with Keras's algorithm (sort the
values, keep about ``1 / epsilon`` evenly spaced ones with their counts, merge summaries of
successive batches, then interpolate the ``num_bins - 1`` inner quantiles). The learned
boundaries are part of the layer's config (``bin_boundaries``), so they are saved with the
model.

Examples
--------
>>> import numpy as np
>>> from descend.layers import Discretization
>>> Discretization(bin_boundaries=[0.0, 1.0, 2.0])(np.array([[-1.5, 1.0, 0.4, 5.0]])).data
array([[0, 2, 1, 3]], dtype=int32)
>>> layer = Discretization(num_bins=4)
>>> layer.adapt(np.arange(100.0))
>>> layer.bin_boundaries
[24.0, 49.0, 74.0]
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from descend.autograd import Tensor
from descend.layers.layer import Layer
from descend.layers.preprocessing._base import bad_value, check_choice
from descend.layers.preprocessing._encoding import OUTPUT_MODES, encode, encoded_shape


def summarize(values: np.ndarray, epsilon: float) -> np.ndarray:
    """A ``(2, n)`` summary (values, weights) keeping about ``1 / epsilon`` sorted values."""
    values = np.sort(np.reshape(values, -1))
    step = max(values.size * epsilon, 1.0)
    kept = values[int(step - 1)::int(step)]
    return np.stack([kept, np.full(kept.shape, step)])


def compress_summary(summary: np.ndarray, epsilon: float) -> np.ndarray:
    """Resample a summary at cumulative-weight fractions ``epsilon, 2 epsilon, ..., 1``."""
    if summary.shape[1] * epsilon < 1:
        return summary
    fractions = epsilon + np.arange(0.0, 1.0, epsilon)
    cumulative = summary[1].cumsum()
    share = cumulative / cumulative[-1]
    values = np.interp(fractions, share, summary[0])
    new_cumulative = np.interp(fractions, share, cumulative)
    weights = np.diff(np.concatenate([[0.0], new_cumulative]))
    return np.stack([values, weights]).astype(np.float32)


def merge_summaries(first: np.ndarray, second: np.ndarray, epsilon: float) -> np.ndarray:
    """Merge two summaries (sorted by value) and compress the result."""
    merged = np.concatenate([first, second], axis=1)
    merged = merged[:, np.argsort(merged[0], kind="stable")]
    return compress_summary(merged, epsilon)


def _batches(data: Any) -> Iterable[Any]:
    if isinstance(data, (np.ndarray, Tensor)):
        return [data]
    if isinstance(data, (list, tuple)) and data and all(
            isinstance(b, (np.ndarray, Tensor)) for b in data):
        return data
    if isinstance(data, (list, tuple)):
        return [np.asarray(data)]
    return data


class Discretization(Layer):
    """Map continuous values to bucket indices (or their encodings).

    Parameters
    ----------
    bin_boundaries : list of float, optional
        Sorted boundaries; give these or ``num_bins``.
    num_bins : int, optional
        Number of buckets to learn with :meth:`adapt`.
    epsilon : float, default 0.01
        Precision of adapt's quantile summary.
    output_mode : {"int", "one_hot", "multi_hot", "count"}, default "int"
    sparse : bool, default False
        Must be False (no sparse tensors).
    **kwargs
        ``name``, ``dtype`` (output dtype of the encoded modes).
    """

    def __init__(self, bin_boundaries: Any = None, num_bins: int | None = None,
                 epsilon: float = 0.01, output_mode: str = "int", sparse: bool = False,
                 **kwargs: Any) -> None:
        kwargs.pop("trainable", None)
        super().__init__(**kwargs)
        self.output_mode = check_choice(self, "output_mode", output_mode, OUTPUT_MODES)
        if sparse:
            raise bad_value(self, "sparse", "False (descend has no sparse tensors)", sparse)
        if num_bins is not None and (isinstance(num_bins, bool) or not isinstance(
                num_bins, (int, np.integer)) or num_bins < 0):
            raise bad_value(self, "num_bins", "an integer >= 0", num_bins)
        if num_bins is not None and bin_boundaries is not None:
            raise bad_value(self, "bin_boundaries", "either `bin_boundaries` or `num_bins`, "
                            "not both", bin_boundaries)
        if num_bins is None and bin_boundaries is None:
            raise bad_value(self, "bin_boundaries", "a list of boundaries (or pass "
                            "`num_bins` and call adapt())", None)
        if bin_boundaries is not None:
            bounds = np.asarray(bin_boundaries, dtype=np.float64)
            if bounds.ndim != 1 or np.any(np.diff(bounds) < 0):
                raise bad_value(self, "bin_boundaries", "a sorted 1-D list of numbers",
                                bin_boundaries)
            bin_boundaries = bounds.tolist()
        if not isinstance(epsilon, (int, float)) or not 0 < epsilon < 1:
            raise bad_value(self, "epsilon", "a float in (0, 1)", epsilon)
        self.bin_boundaries = bin_boundaries
        self.num_bins = None if num_bins is None else int(num_bins)
        self.epsilon = float(epsilon)
        self.sparse = False
        self.summary = None if bin_boundaries else np.zeros((2, 0), np.float32)

    def adapt(self, data: Any, steps: int | None = None) -> None:
        """Learn ``num_bins - 1`` quantile boundaries from ``data`` (array or batches)."""
        if self.num_bins is None:
            raise ValueError(f"Layer '{self.name}' (Discretization) was created with "
                             "`bin_boundaries`; adapt() needs a layer created with `num_bins`.")
        self.summary = np.zeros((2, 0), np.float32)
        for i, batch in enumerate(_batches(data)):
            if steps is not None and i >= steps:
                break
            if isinstance(batch, tuple):
                batch = batch[0]
            values = np.asarray(batch.data if isinstance(batch, Tensor) else batch,
                                dtype=np.float32)
            self.summary = merge_summaries(summarize(values, self.epsilon), self.summary,
                                           self.epsilon)
        if self.summary.shape[1] == 0:
            raise ValueError(f"Layer '{self.name}' (Discretization): adapt() received no data.")
        bounds = compress_summary(self.summary, 1.0 / self.num_bins)[0, :-1]
        self.bin_boundaries = [float(b) for b in bounds]

    def _convert_inputs(self, inputs: Any) -> Any:
        return inputs if isinstance(inputs, Tensor) else Tensor(np.asarray(inputs, np.float32))

    def call(self, inputs: Tensor) -> Tensor:
        """Bucket indices of ``inputs``, encoded as ``output_mode`` says."""
        if self.bin_boundaries is None:
            raise ValueError(f"Layer '{self.name}' (Discretization) has no boundaries yet: "
                             "pass `bin_boundaries` or call adapt() before using it.")
        values = inputs.data if isinstance(inputs, Tensor) else np.asarray(inputs)
        indices = np.digitize(values, np.asarray(self.bin_boundaries)).astype(np.int32)
        dtype = self.dtype
        out = encode(indices, self.output_mode, len(self.bin_boundaries) + 1, dtype)
        return Tensor(out, dtype=out.dtype)

    @property
    def output_dtype(self) -> str:
        """``"int32"`` bucket ids in ``"int"`` mode, else the layer's float dtype."""
        return "int32" if self.output_mode == "int" else self.dtype

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        """Same as the input for "int", else see the encoding rules."""
        depth = (len(self.bin_boundaries) + 1) if self.bin_boundaries is not None \
            else self.num_bins
        return encoded_shape(input_shape, self.output_mode, depth)

    def get_config(self) -> dict[str, Any]:
        """Keras's keys: boundaries (learned ones included), num_bins, epsilon, output_mode..."""
        return {"bin_boundaries": self.bin_boundaries, "num_bins": self.num_bins,
                "epsilon": self.epsilon, "output_mode": self.output_mode,
                "sparse": self.sparse, "name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Discretization:
        """Rebuild, keeping learned boundaries of an adapted layer."""
        config = dict(config)
        if config.get("bin_boundaries") is not None and config.get("num_bins") is not None:
            bounds = config.pop("bin_boundaries")
            layer = cls(**config)
            layer.bin_boundaries = [float(b) for b in bounds]
            return layer
        return cls(**config)
