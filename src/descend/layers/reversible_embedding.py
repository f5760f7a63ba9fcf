"""``ReversibleEmbedding``: an embedding that also projects vectors back to vocabulary logits.

Called on integer ids it is an :class:`~descend.layers.Embedding`: ``output[...] =
embeddings[ids[...]]``, shape ``ids.shape + (output_dim,)``. Called with
``reverse=True`` on vectors ``h`` of shape ``(..., output_dim)`` it returns logits
of shape ``(..., input_dim)``:

- ``logits = h @ embeddings.T`` with ``tie_weights=True`` (the default: the
  input and output embeddings share one matrix, as in Press and Wolf, 2016);
- ``logits = h @ reverse_embeddings`` with ``tie_weights=False``, where
  ``reverse_embeddings`` ``(output_dim, input_dim)`` is a second weight created
  by the same initializer;
- with ``logit_soft_cap = c``, the logits become ``c * tanh(logits / c)``.

Examples
--------
>>> import numpy as np
>>> from descend.layers import ReversibleEmbedding
>>> layer = ReversibleEmbedding(input_dim=10, output_dim=4)
>>> hidden = layer(np.array([[1, 2, 3]]))
>>> hidden.shape, layer(hidden, reverse=True).shape
((1, 3, 4), (1, 3, 10))
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from descend.autograd import Tensor
from descend.autograd import ops as E
from descend.layers._masks import set_mask
from descend.layers.embedding import Embedding

__all__ = ["ReversibleEmbedding"]


class ReversibleEmbedding(Embedding):
    """Embedding with a reverse projection to logits (Keras's ``ReversibleEmbedding``).

    Parameters
    ----------
    input_dim : int
        Vocabulary size (ids in ``[0, input_dim)``).
    output_dim : int
        Size of each embedding vector.
    tie_weights : bool, default True
        Reverse projection by ``embeddings.T`` (True) or by its own
        ``reverse_embeddings`` weight ``(output_dim, input_dim)`` (False).
    embeddings_initializer : str or Initializer, default "uniform"
        Initializer of ``embeddings`` (and of ``reverse_embeddings``).
    embeddings_regularizer, embeddings_constraint : optional
        As in :class:`~descend.layers.Embedding` (they apply to ``embeddings``).
    mask_zero : bool, default False
        Forward calls mask the positions whose id is 0; reverse calls never mask.
    reverse_dtype : str, optional
        Float dtype in which the reverse product is computed (None: the layer's).
    logit_soft_cap : float, optional
        If set to ``c > 0``, reverse logits are ``c * tanh(logits / c)``.
    **kwargs
        Base-layer arguments (``name``, ``dtype``, ``trainable``, ...).

    Notes
    -----
    ``call(inputs, reverse=False)``: ids ``(...)`` to ``(..., output_dim)``;
    ``reverse=True``: ``(..., output_dim)`` to ``(..., input_dim)``.
    """

    def __init__(self, input_dim: int, output_dim: int, tie_weights: bool = True,
                 embeddings_initializer: Any = "uniform", embeddings_regularizer: Any = None,
                 embeddings_constraint: Any = None, mask_zero: bool = False,
                 reverse_dtype: str | None = None, logit_soft_cap: float | None = None,
                 **kwargs: Any) -> None:
        super().__init__(input_dim, output_dim, embeddings_initializer=embeddings_initializer,
                         embeddings_regularizer=embeddings_regularizer,
                         embeddings_constraint=embeddings_constraint, mask_zero=mask_zero,
                         **kwargs)
        if not isinstance(tie_weights, (bool, np.bool_)):
            raise TypeError(
                f"ReversibleEmbedding '{self.name}': argument `tie_weights` must be True or "
                f"False, received {tie_weights!r}."
            )
        self.tie_weights = bool(tie_weights)
        if reverse_dtype is not None:
            kind = np.dtype(reverse_dtype).kind if isinstance(reverse_dtype, str) else None
            if kind != "f":
                raise ValueError(
                    f"ReversibleEmbedding '{self.name}': argument `reverse_dtype` must be a "
                    f"float dtype name such as 'float32', received {reverse_dtype!r}."
                )
            reverse_dtype = np.dtype(reverse_dtype).name
        self.reverse_dtype = reverse_dtype
        if logit_soft_cap is not None:
            if (isinstance(logit_soft_cap, bool) or not isinstance(logit_soft_cap, numbers.Real)
                    or not math.isfinite(logit_soft_cap) or logit_soft_cap <= 0):
                raise ValueError(
                    f"ReversibleEmbedding '{self.name}': argument `logit_soft_cap` must be a "
                    f"positive number or None, received {logit_soft_cap!r}."
                )
            logit_soft_cap = float(logit_soft_cap)
        self.logit_soft_cap = logit_soft_cap
        self.reverse_embeddings = None

    def build(self, input_shape: Any = None) -> None:
        """Create ``embeddings`` and, unless ``tie_weights``, ``reverse_embeddings``."""
        super().build(input_shape)
        if not self.tie_weights and self.reverse_embeddings is None:
            self.reverse_embeddings = self.add_weight(
                shape=(self.output_dim, self.input_dim),
                initializer=self.embeddings_initializer, name="reverse_embeddings",
            )
        self.built = True

    def call(self, inputs: Tensor, reverse: bool = False) -> Tensor:
        """Look ids up, or (``reverse=True``) project vectors to logits."""
        if not reverse:
            out = super().call(inputs)
            mask = Embedding.compute_mask(self, inputs)
            if mask is not None:
                set_mask(out, mask)
            return out
        if inputs.shape[-1] != self.output_dim:
            raise ValueError(
                f"ReversibleEmbedding '{self.name}': a reverse call expects inputs whose last "
                f"axis is output_dim={self.output_dim}, received shape {tuple(inputs.shape)}."
            )
        kernel = E.transpose(self.embeddings) if self.tie_weights else self.reverse_embeddings
        if self.reverse_dtype is not None:
            inputs, kernel = E.cast(inputs, self.reverse_dtype), E.cast(kernel, self.reverse_dtype)
        logits = E.matmul(inputs, kernel)
        if self.logit_soft_cap is not None:
            cap = self.logit_soft_cap
            logits = E.tanh(logits / cap) * cap
        return logits

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> None:
        """None: forward calls attach their mask themselves, reverse calls have none."""
        return None

    def compute_output_shape(self, input_shape: Any, reverse: bool = False) -> tuple:
        """``input_shape + (output_dim,)``, or with ``reverse`` the last axis ``input_dim``."""
        if reverse:
            return (*tuple(input_shape)[:-1], self.input_dim)
        return (*tuple(input_shape), self.output_dim)

    def get_config(self) -> dict[str, Any]:
        """Embedding's keys plus ``tie_weights``, ``reverse_dtype`` and ``logit_soft_cap``."""
        config = super().get_config()
        config.update(tie_weights=self.tie_weights, reverse_dtype=self.reverse_dtype,
                      logit_soft_cap=self.logit_soft_cap)
        return config
