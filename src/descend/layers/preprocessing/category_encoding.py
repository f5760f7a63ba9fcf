"""``CategoryEncoding``: integer category indices to one-hot, multi-hot or count vectors.

Inputs are integers in ``[0, num_tokens)``; a value outside raises a ``ValueError``. Output
modes (see :mod:`descend.layers.preprocessing._encoding` for the shape rules):
``"one_hot"`` ``(B,)`` or ``(B, 1)`` -> ``(B, num_tokens)``; ``"multi_hot"`` (default) and
``"count"`` ``(B, T)`` -> ``(B, num_tokens)``. ``count_weights`` (same shape as the inputs,
``count`` mode only) weights each occurrence. The output carries no gradient (indices are
not differentiable).

Examples
--------
>>> import numpy as np
>>> from descend.layers import CategoryEncoding
>>> CategoryEncoding(4, output_mode="multi_hot")(np.array([[0, 1], [3, 3]])).data
array([[1., 1., 0., 0.],
       [0., 0., 0., 1.]], dtype=float32)
>>> CategoryEncoding(4, output_mode="count")(np.array([[0, 1, 1]])).data
array([[1., 2., 0., 0.]], dtype=float32)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend.autograd import Tensor
from descend.layers.layer import Layer
from descend.layers.preprocessing._base import bad_value, check_choice, check_positive_int
from descend.layers.preprocessing._encoding import OUTPUT_MODES, encode, encoded_shape


def integer_indices(layer: Layer, inputs: Any, depth: int | None = None) -> np.ndarray:
    """``inputs`` as an int64 array, checked to be whole numbers in ``[0, depth)``."""
    array = inputs.data if isinstance(inputs, Tensor) else np.asarray(inputs)
    if array.dtype.kind == "f":
        if not np.all(np.isfinite(array)) or np.any(array != np.round(array)):
            raise ValueError(f"Layer '{layer.name}' ({type(layer).__name__}) expects integer "
                             "category indices; received non-integer values.")
    elif array.dtype.kind not in "iub":
        raise TypeError(f"Layer '{layer.name}' ({type(layer).__name__}) expects integer "
                        f"inputs, received dtype {array.dtype}.")
    array = array.astype(np.int64)
    if depth is not None and array.size and (array.min() < 0 or array.max() >= depth):
        raise ValueError(
            f"Layer '{layer.name}' ({type(layer).__name__}): input values must be in "
            f"[0, num_tokens={depth}); received values from {array.min()} to {array.max()}. "
            "Increase `num_tokens` or remap the categories.")
    return array


class CategoryEncoding(Layer):
    """Encode integer categories as dense vectors.

    Parameters
    ----------
    num_tokens : int
        Number of categories; inputs must lie in ``[0, num_tokens)``.
    output_mode : {"multi_hot", "one_hot", "count"}, default "multi_hot"
    sparse : bool, default False
        Must be False (descend has no sparse tensors).
    **kwargs
        Base-layer arguments.
    """

    def __init__(self, num_tokens: int | None = None, output_mode: str = "multi_hot",
                 sparse: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if num_tokens is None:
            raise bad_value(self, "num_tokens", "a positive integer (the number of "
                            "categories)", num_tokens)
        self.num_tokens = check_positive_int(self, "num_tokens", num_tokens)
        self.output_mode = check_choice(self, "output_mode", output_mode,
                                        tuple(m for m in OUTPUT_MODES if m != "int"))
        if sparse:
            raise bad_value(self, "sparse", "False (descend has no sparse tensors)", sparse)
        self.sparse = False

    def _convert_inputs(self, inputs: Any) -> Any:
        return inputs if isinstance(inputs, Tensor) else Tensor(np.asarray(inputs))

    def call(self, inputs: Tensor, count_weights: Any = None) -> Tensor:
        """Encode ``inputs`` (integers) as ``output_mode`` says."""
        if count_weights is not None and self.output_mode != "count":
            raise bad_value(self, "count_weights", "None unless output_mode='count'",
                            "<array>")
        indices = integer_indices(self, inputs, self.num_tokens)
        weights = None
        if count_weights is not None:
            weights = count_weights.data if isinstance(count_weights, Tensor) \
                else np.asarray(count_weights)
            if weights.shape != indices.shape:
                raise bad_value(self, "count_weights", f"an array of the inputs' shape "
                                f"{indices.shape}", weights.shape)
        out = encode(indices, self.output_mode, self.num_tokens, self.dtype, weights)
        return Tensor(out, dtype=out.dtype)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        """See the module docstring."""
        return encoded_shape(input_shape, self.output_mode, self.num_tokens)

    def get_config(self) -> dict[str, Any]:
        """Base keys plus ``num_tokens`` and ``output_mode``."""
        config = super().get_config()
        config.update(num_tokens=self.num_tokens, output_mode=self.output_mode)
        return config
