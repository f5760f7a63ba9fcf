"""``Embedding``: turn integer ids (word indices, categories) into learned dense vectors.

Row ``k`` of the ``embeddings`` matrix is the vector of id ``k``; the layer
looks rows up: ``output[..., :] = embeddings[inputs[...], :]``. Training
changes only the rows that were used (the gradient is a scatter-add into
those rows; see :class:`~descend.autograd.ops.recurrent.EmbeddingLookup`).

Examples
--------
>>> import numpy as np
>>> from descend.layers import Embedding
>>> layer = Embedding(input_dim=10, output_dim=4)
>>> layer(np.array([[1, 2, 3], [4, 0, 0]])).shape
(2, 3, 4)
>>> layer.embeddings.shape
(10, 4)
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from descend import constraints, initializers, regularizers
from descend.autograd import Tensor
from descend.autograd.ops.recurrent import EmbeddingLookup
from descend.layers.layer import Layer

__all__ = ["Embedding"]


def _positive_int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(
            f"Embedding: `{what}` must be a positive integer. Received: {what}={value!r} "
            f"(of type {type(value).__name__})."
        )
    return int(value)


class Embedding(Layer):
    """Look up a dense vector for each integer id.

    Parameters
    ----------
    input_dim : int
        Size of the vocabulary: ids are in ``[0, input_dim)``.
    output_dim : int
        Length of each vector.
    embeddings_initializer : str or Initializer, default "uniform"
        Keras's ``"uniform"``: uniform in [-0.05, 0.05].
    embeddings_regularizer : str or Regularizer, optional
    embeddings_constraint : str or Constraint, optional
    mask_zero : bool, default False
        Whether id 0 is padding: the output then carries the mask
        ``inputs != 0`` (``compute_mask``), read by recurrent layers and
        ``GlobalAveragePooling1D``. The vocabulary must keep id 0 for padding.
    weights : list of one ndarray, optional
        Initial ``embeddings``, shape (input_dim, output_dim).
    **kwargs
        Base-layer arguments. ``input_length`` is accepted and ignored, with
        Keras 3's deprecation warning.

    Notes
    -----
    Input: integer ids of any shape ``S`` (floats holding whole numbers are
    accepted and cast, as Keras does); output ``S + (output_dim,)``.
    Weight: ``embeddings`` (input_dim, output_dim).
    """

    _integer_inputs = True

    def __init__(
        self,
        input_dim: int,
        output_dim: int,
        embeddings_initializer: Any = "uniform",
        embeddings_regularizer: Any = None,
        embeddings_constraint: Any = None,
        mask_zero: bool = False,
        weights: Any = None,
        **kwargs: Any,
    ) -> None:
        input_dim = _positive_int(input_dim, "input_dim")
        output_dim = _positive_int(output_dim, "output_dim")
        if kwargs.pop("input_length", None) is not None:
            warnings.warn("Argument `input_length` is deprecated. Just remove it.",
                          stacklevel=2)
        for key in ("lora_rank", "lora_alpha", "quantization_config"):
            if kwargs.pop(key, None) is not None:
                raise ValueError(f"Embedding: `{key}` is not supported by descend.")
        self.activity_regularizer = regularizers.get(kwargs.pop("activity_regularizer", None))
        super().__init__(**kwargs)
        self.input_dim = input_dim
        self.output_dim = output_dim
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.mask_zero = bool(mask_zero)
        self.supports_masking = self.mask_zero
        self.embeddings: Any = None
        if weights is not None:
            self.build()
            if not (isinstance(weights, list) and len(weights) == 1):
                weights = [weights]
            self.set_weights(weights)

    def build(self, input_shape: Any = None) -> None:
        """Create ``embeddings`` (input_dim, output_dim)."""
        if self.embeddings is None:
            self.embeddings = self.add_weight(
                shape=(self.input_dim, self.output_dim),
                initializer=self.embeddings_initializer, name="embeddings",
                regularizer=self.embeddings_regularizer, constraint=self.embeddings_constraint,
            )
        self.built = True

    def _ids(self, inputs: Any) -> np.ndarray:
        ids = np.asarray(getattr(inputs, "data", inputs))
        if ids.dtype.kind not in "iu":
            if ids.dtype.kind not in "fb" or (ids.size and not np.all(np.floor(ids) == ids)):
                raise TypeError(
                    f"Layer '{self.name}' (Embedding) expects integer ids, received an array "
                    f"of dtype {ids.dtype} with non-integer values. Convert the data to ids "
                    "first (e.g. with TextVectorization or numpy.asarray(x, 'int64'))."
                )
            ids = ids.astype(np.int64)
        if ids.size:
            low, high = ids.min(), ids.max()
            if low < 0 or high >= self.input_dim:
                raise ValueError(
                    f"Layer '{self.name}' (Embedding): ids must be in [0, input_dim) = "
                    f"[0, {self.input_dim}), received ids from {low} to {high}. Raise "
                    "input_dim to the vocabulary size, or map rare ids to an out-of-vocabulary "
                    "index."
                )
        return ids

    def call(self, inputs: Tensor) -> Tensor:
        """``embeddings[inputs]``, shape ``inputs.shape + (output_dim,)``."""
        return EmbeddingLookup.apply(self.embeddings, ids=self._ids(inputs))

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> np.ndarray | None:
        """``inputs != 0`` if ``mask_zero``, else None."""
        if not self.mask_zero:
            return None
        return np.asarray(getattr(inputs, "data", inputs)) != 0

    def compute_output_shape(self, input_shape: Any) -> tuple:
        """``input_shape + (output_dim,)``."""
        return (*tuple(input_shape), self.output_dim)

    def get_config(self) -> dict[str, Any]:
        """Keras's keys."""
        config = super().get_config()
        config.update(
            input_dim=self.input_dim,
            output_dim=self.output_dim,
            embeddings_initializer=initializers.serialize(self.embeddings_initializer),
            embeddings_regularizer=regularizers.serialize(self.embeddings_regularizer),
            activity_regularizer=regularizers.serialize(self.activity_regularizer),
            embeddings_constraint=constraints.serialize(self.embeddings_constraint),
            mask_zero=self.mask_zero,
        )
        return config
