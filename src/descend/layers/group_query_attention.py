"""``GroupQueryAttention`` (Ainslie et al., 2023): query heads share key/value heads.

Multi-head attention (:class:`~descend.layers.MultiHeadAttention`) with ``num_query_heads``
query heads but only ``num_key_value_heads`` key and value heads: each key/value head serves
a group of ``num_query_heads // num_key_value_heads`` consecutive query heads (query head
``i`` reads key/value head ``i // group``). One key/value head is multi-query attention;
as many as query heads is multi-head attention. The key/value projections are that many
times smaller, which is why large language models use it.

For a query ``(B, T, dim)`` and a value ``(B, S, dim)`` (key defaults to value):

1. ``Q = query @ Wq + bq`` ``(B, T, Nq, head_dim)``; ``K``, ``V`` ``(B, S, Nkv, head_dim)``,
   each repeated ``group`` times along the heads axis to ``(B, S, Nq, head_dim)``;
2. ``scores = Q K^T / sqrt(head_dim)`` ``(B, Nq, T, S)``; masked positions get ``-1e9``;
   ``weights = softmax(scores)`` over ``S``, then 0 where masked; dropout on the weights in
   training;
3. ``O = weights V`` ``(B, T, Nq, head_dim)``; with ``use_gate``, ``O`` is multiplied by
   ``sigmoid(query @ Wg + bg)`` ``(B, T, Nq, head_dim)``; the ``attention_output``
   projection gives ``(B, T, dim)``.

The attention mask is the AND of ``attention_mask``, the query/value/key masks, the causal
mask (``use_causal_mask``) and, with ``sliding_window=w``, the band ``|i - j| < w``. The
weights (``query``, ``key``, ``gate`` if used, ``value``, ``attention_output``; kernels
``(dim, heads, head_dim)``, biases ``(heads, head_dim)``) have Keras's shapes and order.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend import ops
from descend.layers.multi_head_attention import MultiHeadAttention
from descend.layers.naming import unique_name

__all__ = ["GroupQueryAttention"]


def _positive_int(layer: str, what: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"Layer '{layer}' (GroupQueryAttention): `{what}` must be a positive "
                         f"integer, received {what}={value!r}.")
    return int(value)


class GroupQueryAttention(MultiHeadAttention):
    """Grouped-query attention (Keras's ``GroupQueryAttention``).

    Parameters
    ----------
    head_dim : int
        Size of each attention head (queries, keys and values alike).
    num_query_heads : int
        Number of query heads.
    num_key_value_heads : int
        Number of key and value heads; must divide ``num_query_heads``.
    dropout : float, default 0.0
        Dropout rate on the attention weights (training only).
    use_bias : bool, default True
        Whether the projections have biases.
    sliding_window : int, optional
        If given, query position ``i`` attends only to key positions ``j`` with
        ``|i - j| < sliding_window`` (with ``use_causal_mask``: the ``sliding_window``
        most recent positions, as in Mistral).
    flash_attention : bool, optional
        Accepted for Keras compatibility; descend computes attention the same way either way.
    kernel_initializer, bias_initializer : str or Initializer
        Defaults ``"glorot_uniform"`` and ``"zeros"``.
    kernel_regularizer, bias_regularizer, activity_regularizer : optional
    kernel_constraint, bias_constraint : optional
    use_gate : bool, default False
        Multiply the attended values by a sigmoid gate projected from the query before the
        output projection.
    seed : int, optional
        Seed of the attention dropout.
    **kwargs
        ``name``, ``dtype``, ``trainable``.

    Notes
    -----
    Call it as ``layer(query, value, key=None, query_mask=None, value_mask=None,
    key_mask=None, attention_mask=None, return_attention_scores=False, training=None,
    use_causal_mask=False)`` with inputs of shape ``(batch, steps, features)``; query and
    value have the same number of features. The output has the query's shape; with
    ``return_attention_scores``, also the weights ``(batch, num_query_heads, T, S)``.

    Examples
    --------
    >>> import numpy as np
    >>> gqa = GroupQueryAttention(head_dim=4, num_query_heads=4, num_key_value_heads=2)
    >>> x = np.ones((3, 5, 6), "float32")
    >>> out, scores = gqa(x, x, return_attention_scores=True)
    >>> out.shape, scores.shape
    ((3, 5, 6), (3, 4, 5, 5))
    >>> [tuple(w.shape) for w in gqa.weights][:4]
    [(6, 4, 4), (4, 4), (6, 2, 4), (2, 4)]
    """

    def __init__(self, head_dim: int, num_query_heads: int, num_key_value_heads: int,
                 dropout: float = 0.0, use_bias: bool = True, sliding_window: int | None = None,
                 flash_attention: bool | None = None, kernel_initializer: Any = "glorot_uniform",
                 bias_initializer: Any = "zeros", kernel_regularizer: Any = None,
                 bias_regularizer: Any = None, activity_regularizer: Any = None,
                 kernel_constraint: Any = None, bias_constraint: Any = None,
                 use_gate: bool = False, seed: int | None = None, **kwargs: Any) -> None:
        if not kwargs.get("name"):  # Keras's default: its class is GroupedQueryAttention
            kwargs["name"] = unique_name("grouped_query_attention")
        name = kwargs["name"]
        head_dim = _positive_int(name, "head_dim", head_dim)
        num_query_heads = _positive_int(name, "num_query_heads", num_query_heads)
        num_key_value_heads = _positive_int(name, "num_key_value_heads", num_key_value_heads)
        if num_query_heads % num_key_value_heads:
            raise ValueError(
                f"Layer '{name}' (GroupQueryAttention): `num_query_heads` must be divisible by "
                f"`num_key_value_heads`, received num_query_heads={num_query_heads} and "
                f"num_key_value_heads={num_key_value_heads}."
            )
        super().__init__(num_query_heads, head_dim, head_dim, dropout=dropout, use_bias=use_bias,
                         kernel_initializer=kernel_initializer,
                         bias_initializer=bias_initializer,
                         kernel_regularizer=kernel_regularizer,
                         bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         kernel_constraint=kernel_constraint, bias_constraint=bias_constraint,
                         seed=seed, use_gate=use_gate, sliding_window=sliding_window,
                         **kwargs)
        self.head_dim = head_dim
        self.num_query_heads = num_query_heads
        self.num_key_value_heads = num_key_value_heads
        self.num_repeats = num_query_heads // num_key_value_heads

    def _shapes(self, input_shape: Any) -> tuple[tuple, tuple, tuple]:
        q, v, k = super()._shapes(input_shape)
        if len(q) != 3:
            raise ValueError(f"Layer '{self.name}' (GroupQueryAttention) expects inputs of shape "
                             f"(batch, steps, features), received a query of shape {q}.")
        if q[-1] is not None and v[-1] is not None and q[-1] != v[-1]:
            raise ValueError(
                f"Layer '{self.name}' (GroupQueryAttention): the query and the value must have "
                f"the same number of features, received query {q} and value {v}."
            )
        return q, v, k

    def _build_projections(self, q: tuple, v: tuple, k: tuple,
                           key_value_heads: int | None = None) -> None:
        super()._build_projections(q, v, k, key_value_heads=self.num_key_value_heads)

    def _project(self, query: Any, key: Any, value: Any) -> tuple[Any, Any, Any]:
        q = self._query_dense(query)
        k = ops.repeat(self._key_dense(key), self.num_repeats, axis=2)
        v = ops.repeat(self._value_dense(value), self.num_repeats, axis=2)
        return q, k, v

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments, Keras's keys."""
        config = super().get_config()
        for key in ("num_heads", "key_dim", "value_dim", "output_shape", "attention_axes"):
            config.pop(key)
        config.update(head_dim=self.head_dim, num_query_heads=self.num_query_heads,
                      num_key_value_heads=self.num_key_value_heads)
        return config
