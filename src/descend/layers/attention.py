"""Dot-product and additive attention: Keras's ``Attention`` and ``AdditiveAttention``.

Both layers read a list ``[query, value]`` or ``[query, value, key]`` (``key``
defaults to ``value``) of shapes ``(batch, Tq, dim)``, ``(batch, Tv, dim)`` and
``(batch, Tv, dim)``, and compute, as Keras does:

1. scores ``(batch, Tq, Tv)``:

   * ``Attention`` with ``score_mode="dot"``: ``scores = query @ key^T``, times
     the scalar weight ``scale`` when ``use_scale``;
   * ``Attention`` with ``score_mode="concat"``:
     ``scores = concat_score_weight * sum(tanh(scale * (q_i + k_j)), axis=-1)``
     (``scale`` left out without ``use_scale``);
   * ``AdditiveAttention`` (Bahdanau): ``scores = sum(scale * tanh(q_i + k_j), axis=-1)``
     with ``scale`` a vector ``(dim,)`` (1 without ``use_scale``);

2. masking: where the value mask (``mask[1]``, ``(batch, Tv)``) or the causal
   mask (``use_causal_mask``: query ``i`` sees values ``j <= i``) is False,
   ``scores - 1e9`` replaces the score;
3. ``weights = softmax(scores, axis=-1)``, dropped out with ``dropout`` in training;
4. ``output = weights @ value``, then zeroed at query steps where the query mask
   (``mask[0]``, ``(batch, Tq)``) is False.

The gradient is the engine's: the layers compose :mod:`descend.ops`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend import ops
from descend import random as descend_random
from descend.layers._attention_scores import ScoresOnRequest
from descend.layers.layer import Layer

__all__ = ["AdditiveAttention", "Attention"]

_BIG = 1.0e9


def _as_bool_mask(mask: Any) -> np.ndarray | None:
    if mask is None:
        return None
    return np.asarray(getattr(mask, "data", mask)).astype(bool)


def causal_mask(tq: int, tv: int) -> np.ndarray:
    """Lower-triangular mask ``(1, tq, tv)``: True where ``row >= column``."""
    return (np.arange(tq)[:, None] >= np.arange(tv)[None, :])[None]


class Attention(ScoresOnRequest, Layer):
    """Dot-product attention layer, a.k.a. Luong-style attention.

    Parameters
    ----------
    use_scale : bool, default False
        Create a trainable scalar ``scale`` (initialised to 1) that multiplies the
        scores (``score_mode="dot"``) or the sums inside ``tanh`` (``"concat"``).
    score_mode : {"dot", "concat"}, default "dot"
        ``"dot"``: ``query @ key^T``; ``"concat"``:
        ``concat_score_weight * sum(tanh(query_i + key_j), axis=-1)`` with a trainable
        scalar ``concat_score_weight`` (initialised to 1).
    dropout : float, default 0.0
        Fraction of the attention weights dropped in training.
    seed : int, optional
        Seed of the dropout masks.
    **kwargs
        Base-layer arguments.

    Notes
    -----
    Call: ``layer([query, value], mask=None, training=False,
    return_attention_scores=False, use_causal_mask=False)`` or with
    ``[query, value, key]``; ``mask`` is ``[query_mask, value_mask]`` with boolean
    arrays ``(batch, Tq)`` and ``(batch, Tv)`` (either may be None). Output
    ``(batch, Tq, dim)``; with ``return_attention_scores`` also the weights
    ``(batch, Tq, Tv)``. See the module docstring for the formulas.

    Examples
    --------
    >>> import numpy as np
    >>> q, v = np.ones((2, 3, 4), "float32"), np.ones((2, 5, 4), "float32")
    >>> Attention()([q, v]).shape
    (2, 3, 4)
    """

    def __init__(self, use_scale: bool = False, score_mode: str = "dot", dropout: float = 0.0,
                 seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.use_scale = bool(use_scale)
        if score_mode not in ("dot", "concat"):
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}): invalid value for argument "
                f"score_mode. Expected one of {{'dot', 'concat'}}. Received: "
                f"score_mode={score_mode!r}."
            )
        self.score_mode = score_mode
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) \
                or not 0 <= dropout < 1:
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}): `dropout` must be a float in "
                f"[0, 1), received dropout={dropout!r}."
            )
        self.dropout = float(dropout)
        self.seed = seed
        self._seed_generator = (descend_random.SeedGenerator(seed)
                                if self.dropout > 0 and seed is not None else None)
        self.scale: Any = None
        self.concat_score_weight: Any = None

    # ------------------------------------------------------------------ checks
    def _validate(self, inputs: Any, mask: Any = None) -> None:
        kind = type(self).__name__
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(
                f"Layer '{self.name}' ({kind}) must be called on a list of inputs, namely "
                f"[query, value] or [query, value, key]. Received an input of type "
                f"{type(inputs).__name__}."
            )
        if not 2 <= len(inputs) <= 3:
            raise ValueError(
                f"Layer '{self.name}' ({kind}) accepts an inputs list of length 2 or 3, namely "
                f"[query, value] or [query, value, key]. Received length: {len(inputs)}."
            )
        if mask is not None and (not isinstance(mask, (list, tuple)) or not 2 <= len(mask) <= 3):
            raise ValueError(
                f"Layer '{self.name}' ({kind}): mask must be a list [query_mask, value_mask]. "
                f"Received: mask of type {type(mask).__name__}."
            )

    def _check_shapes(self, shapes: list) -> None:
        kind = type(self).__name__
        for what, shape in zip(("query", "value", "key"), shapes, strict=False):
            if len(shape) != 3:
                raise ValueError(
                    f"Layer '{self.name}' ({kind}) expects {what} of rank 3 "
                    f"(batch, steps, dim), received shape {tuple(shape)}."
                )
        q, v = shapes[0], shapes[1]
        k = shapes[2] if len(shapes) > 2 else v
        if k[1] is not None and v[1] is not None and k[1] != v[1]:
            raise ValueError(
                f"Layer '{self.name}' ({kind}): key and value must have the same number of "
                f"steps, received key {tuple(k)} and value {tuple(v)}."
            )
        if q[-1] is not None and k[-1] is not None and q[-1] != k[-1]:
            raise ValueError(
                f"Layer '{self.name}' ({kind}): query and key must have the same last "
                f"dimension, received query {tuple(q)} and key {tuple(k)}."
            )

    def build(self, input_shape: Any) -> None:
        """Create ``scale`` (``use_scale``) and ``concat_score_weight`` (``"concat"``), scalars."""
        self._validate(input_shape)
        if self.use_scale:
            self.scale = self.add_weight(name="scale", shape=(), initializer="ones")
        if self.score_mode == "concat":
            self.concat_score_weight = self.add_weight(
                name="concat_score_weight", shape=(), initializer="ones")
        self.built = True

    def _check_input(self, inputs: Any) -> None:
        self._validate(inputs)
        self._check_shapes([tuple(t.shape) for t in inputs])

    # ------------------------------------------------------------------ compute
    def _calculate_scores(self, query: Any, key: Any) -> Any:
        """Scores ``(batch, Tq, Tv)`` (see the module docstring)."""
        if self.score_mode == "dot":
            scores = ops.matmul(query, ops.swapaxes(key, -2, -1))
            if self.scale is not None:
                scores = scores * self.scale
            return scores
        total = ops.expand_dims(query, -2) + ops.expand_dims(key, -3)
        if self.scale is not None:
            total = self.scale * total
        return self.concat_score_weight * ops.sum(ops.tanh(total), axis=-1)

    def _check_mask(self, mask: np.ndarray | None, shape: tuple, what: str) -> None:
        if mask is not None and tuple(mask.shape) != tuple(shape[:2]):
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}): the {what} mask must have shape "
                f"(batch, steps) = {tuple(shape[:2])}, received a mask of shape "
                f"{tuple(mask.shape)}."
            )

    def call(self, inputs: list, mask: Any = None, training: bool = False,
             return_attention_scores: bool = False, use_causal_mask: bool = False) -> Any:
        """Attend ``query`` to ``value`` (see the module docstring)."""
        self._validate(inputs, mask)
        query, value = inputs[0], inputs[1]
        key = inputs[2] if len(inputs) > 2 else value
        q_mask = _as_bool_mask(mask[0]) if mask else None
        v_mask = _as_bool_mask(mask[1]) if mask else None
        self._check_mask(q_mask, query.shape, "query")
        self._check_mask(v_mask, value.shape, "value")
        scores = self._calculate_scores(query, key)
        scores_mask = None if v_mask is None else v_mask[:, None, :]
        if use_causal_mask:
            causal = causal_mask(scores.shape[-2], scores.shape[-1])
            scores_mask = causal if scores_mask is None else np.logical_and(scores_mask, causal)
        if scores_mask is not None:
            scores = ops.where(scores_mask, scores, scores - _BIG)
        weights = ops.softmax(scores, axis=-1)
        attended = weights
        if training and self.dropout > 0:
            attended = descend_random.dropout(weights, self.dropout, seed=self._seed_generator)
        output = ops.matmul(attended, value)
        if q_mask is not None:
            output = ops.where(q_mask[..., None], output, 0.0)
        if return_attention_scores:
            return output, weights
        return output

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """The query mask (``mask[0]``), or None."""
        self._validate(inputs, mask)
        if mask is None or mask[0] is None:
            return None
        return mask[0]

    def compute_output_shape(self, input_shape: Any) -> Any:
        """``(*query_shape[:-1], value_shape[-1])``; with scores requested, also the
        scores' ``(*query_shape[:-1], value_shape[-2])``."""
        query, value = tuple(input_shape[0]), tuple(input_shape[1])
        out = (*query[:-1], value[-1])
        if not self._scores_requested:
            return out
        return [out, (*query[:-1], value[-2])]

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments, Keras's keys."""
        config = super().get_config()
        config.update(use_scale=self.use_scale, score_mode=self.score_mode,
                      dropout=self.dropout, seed=self.seed)
        return config


class AdditiveAttention(Attention):
    """Additive attention layer, a.k.a. Bahdanau-style attention.

    ``scores = sum(scale * tanh(query_i + key_j), axis=-1)``; the rest (masks,
    softmax, dropout, call arguments) is :class:`Attention`'s.

    Parameters
    ----------
    use_scale : bool, default True
        Create a trainable vector ``scale`` of shape ``(dim,)`` (``glorot_uniform``).
    dropout : float, default 0.0
        Fraction of the attention weights dropped in training.
    **kwargs
        Base-layer arguments (and ``seed``).

    Examples
    --------
    >>> import numpy as np
    >>> q, v = np.ones((2, 3, 4), "float32"), np.ones((2, 5, 4), "float32")
    >>> layer = AdditiveAttention()
    >>> layer([q, v]).shape, layer.scale.shape
    ((2, 3, 4), (4,))
    """

    def __init__(self, use_scale: bool = True, dropout: float = 0.0, **kwargs: Any) -> None:
        super().__init__(use_scale=use_scale, dropout=dropout, **kwargs)

    def build(self, input_shape: Any) -> None:
        """Create ``scale`` ``(dim,)`` when ``use_scale``."""
        self._validate(input_shape)
        key_shape = tuple(input_shape[2] if len(input_shape) > 2 else input_shape[1])
        if self.use_scale:
            self.scale = self.add_weight(name="scale", shape=(key_shape[-1],),
                                         initializer="glorot_uniform")
        self.built = True

    def _calculate_scores(self, query: Any, key: Any) -> Any:
        """``sum(scale * tanh(q_i + k_j), axis=-1)``, shape ``(batch, Tq, Tv)``."""
        total = ops.tanh(ops.expand_dims(query, -2) + ops.expand_dims(key, -3))
        if self.scale is not None:
            total = self.scale * total
        return ops.sum(total, axis=-1)

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments, Keras's keys (``score_mode`` left out)."""
        config = super().get_config()
        config.pop("score_mode", None)
        return config
