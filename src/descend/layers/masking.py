"""``Masking``: mark time steps whose features all equal ``mask_value`` as padding.

Examples
--------
>>> import numpy as np
>>> from descend.layers import Masking
>>> x = np.array([[[1.0, 2.0], [0.0, 0.0], [3.0, 0.0]]], dtype="float32")
>>> Masking(mask_value=0.0).compute_mask(x)
array([[ True, False,  True]])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend.autograd import Tensor
from descend.autograd.ops import elementwise as _ew
from descend.layers.layer import Layer

__all__ = ["Masking"]


class Masking(Layer):
    """Skip time steps whose features all equal ``mask_value``.

    A step ``t`` of sample ``b`` is masked when ``all(inputs[b, t, ...] ==
    mask_value)``; the output is the input with those steps set to 0, and it
    carries the mask ``any(inputs != mask_value, axis=-1)``, which recurrent
    layers and ``GlobalAveragePooling1D`` read (Keras's formula).

    Parameters
    ----------
    mask_value : float, default 0.0
    **kwargs
        Base-layer arguments.

    Notes
    -----
    Input ``(batch, steps, ...)``; output the same shape.
    """

    supports_masking = True

    def __init__(self, mask_value: float = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.mask_value = mask_value

    def _keep(self, inputs: Any) -> np.ndarray:
        data = np.asarray(getattr(inputs, "data", inputs))
        if data.ndim < 2:
            raise ValueError(
                f"Layer '{self.name}' (Masking) expects inputs of shape (batch, steps, ...), "
                f"received shape {data.shape}."
            )
        return np.any(data != self.mask_value, axis=-1)

    def call(self, inputs: Tensor) -> Tensor:
        """``inputs * mask`` (masked steps become 0)."""
        keep = self._keep(inputs)[..., None].astype(inputs.dtype)
        return _ew.Mul.apply(inputs, Tensor._make(keep, False, None))

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> np.ndarray:
        """``any(inputs != mask_value, axis=-1)``, shape (batch, steps)."""
        return self._keep(inputs)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        """The input shape, unchanged."""
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        """Keras's keys."""
        config = super().get_config()
        config["mask_value"] = self.mask_value
        return config
