"""``MultiHeadAttention`` (Vaswani et al., 2017), with Keras's sublayers and weight layout.

For a query ``(B, T, dim_q)`` and a value ``(B, S, dim_v)`` (key defaults to value):

1. project with three :class:`~descend.layers.EinsumDense` sublayers named
   ``query``, ``key``, ``value``: ``Q = query @ Wq + bq`` ``(B, T, N, key_dim)``,
   ``K`` ``(B, S, N, key_dim)``, ``V`` ``(B, S, N, value_dim)``; kernels
   ``(dim, N, key_dim)``, biases ``(N, key_dim)``;
2. ``scores = einsum(K, Q / sqrt(key_dim))`` ``(B, N, T, S)``; where the attention
   mask is False, ``-1e9`` replaces the score; ``weights = softmax(scores)`` over the
   attended axes, then 0 where the mask is False (as Keras's ``Softmax`` layer: a query
   with nothing to attend to gets zero weights); dropout on the weights in training;
3. ``O = einsum(weights, V)`` ``(B, T, N, value_dim)``, then the ``attention_output``
   EinsumDense (kernel ``(N, value_dim, out)``, bias ``(out,)``, ``out`` = the query's
   last size or ``output_shape``) gives ``(B, T, out)``.

With ``use_gate``, a fourth projection ``gate`` (sigmoid, ``(B, T, N, value_dim)``)
multiplies ``O`` before the output projection.

The attention mask is the AND of ``attention_mask`` ``(B, T, S)``, the query mask
``(B, T, 1)``, the value and key masks ``(B, 1, S)``, the causal mask
(``use_causal_mask``: query ``i`` sees keys ``j <= i``) and, with ``sliding_window=w``,
the band ``|i - j| < w``. With ``attention_axes`` the
layer attends over other axes of higher-rank inputs (e.g. ``(2, 3)`` for 2-D
attention on ``(B, H, W, C)``); the einsum equations are built as Keras builds them.
The weights (``query/kernel``, ``query/bias``, ``key/...``, ``value/...``,
``attention_output/...``, in that order) have Keras's shapes, so weights copied from
Keras give Keras's outputs.
"""

from __future__ import annotations

import string
from typing import Any

import numpy as np

from descend import constraints, initializers, ops, regularizers
from descend import random as descend_random
from descend.layers import _masks
from descend.layers.einsum_dense import EinsumDense
from descend.layers.layer import Layer

__all__ = ["MultiHeadAttention"]

_LETTERS = string.ascii_lowercase


def _projection_equation(free_dims: int, bound_dims: int, output_dims: int) -> tuple[str, str]:
    """``(equation, bias_axes)`` of a projection: ``free`` axes kept, ``bound`` contracted."""
    inp = out = kernel = bias = ""
    offset = 0
    for i in range(free_dims):
        inp += _LETTERS[i]
        out += _LETTERS[i]
    offset += free_dims
    for i in range(bound_dims):
        inp += _LETTERS[offset + i]
        kernel += _LETTERS[offset + i]
    offset += bound_dims
    for i in range(output_dims):
        kernel += _LETTERS[offset + i]
        out += _LETTERS[offset + i]
        bias += _LETTERS[offset + i]
    return f"{inp},{kernel}->{out}", bias


def attention_equations(rank: int, attn_axes: tuple[int, ...]) -> tuple[str, str, int]:
    """``(dot_equation, combine_equation, scores_rank)`` for projected inputs of ``rank``."""
    target = _LETTERS[:rank]
    batch_dims = [i for i in range(rank) if i not in attn_axes and i != rank - 1]
    source = ""
    offset = rank
    for i in range(rank):
        if i in batch_dims or i == rank - 1:
            source += target[i]
        else:
            source += _LETTERS[offset]
            offset += 1
    product = ("".join(target[i] for i in batch_dims) + "".join(target[i] for i in attn_axes)
               + "".join(source[i] for i in attn_axes))
    return f"{source},{target}->{product}", f"{product},{source}->{target}", len(product)


class MultiHeadAttention(Layer):
    """Multi-head attention layer (see the module docstring for the computation).

    Parameters
    ----------
    num_heads : int
        Number of attention heads ``N``.
    key_dim : int
        Size of each head for query and key.
    value_dim : int, optional
        Size of each head for value (default ``key_dim``).
    dropout : float, default 0.0
        Dropout rate on the attention weights (training only).
    use_bias : bool, default True
        Whether the four projections have biases.
    output_shape : int or tuple of int, optional
        Output size(s) without batch and sequence axes (default: the query's last size).
    attention_axes : int or tuple of int, optional
        Axes attended over (default: all axes but batch, heads and features, i.e. the
        sequence axis ``(1,)`` for rank-3 inputs).
    kernel_initializer : default "glorot_uniform"
    bias_initializer : default "zeros"
    kernel_regularizer, bias_regularizer, activity_regularizer, kernel_constraint,
    bias_constraint : optional
        Passed to the four EinsumDense sublayers.
    seed : int, optional
        Seed of the dropout masks.
    use_gate : bool, default False
        Gate the attended values with ``sigmoid(query @ Wg + bg)`` (a ``gate`` projection).
    sliding_window : int, optional
        Query ``i`` attends only to keys ``j`` with ``|i - j| < sliding_window``.
    **kwargs
        Base-layer arguments; Keras's ``flash_attention`` is accepted (same result).

    Notes
    -----
    Call: ``layer(query, value, key=None, query_mask=None, value_mask=None,
    key_mask=None, attention_mask=None, return_attention_scores=False,
    training=None, use_causal_mask=False)``. Masks are boolean arrays: query mask
    ``(B, T)``, value/key masks ``(B, S)``, ``attention_mask`` ``(B, T, S)``.
    As in Keras, a mask that travels with the query, value or key tensor (from
    ``Embedding(mask_zero=True)`` or ``Masking``) is used when the matching
    ``*_mask`` argument is not given, and the output carries the query's mask.
    Returns ``(B, T, out)`` and, with
    ``return_attention_scores``, the weights ``(B, N, T, S)``. In the functional
    API the call is recorded with the query, value (and key) as the layer's inputs.

    Examples
    --------
    >>> import numpy as np
    >>> mha = MultiHeadAttention(num_heads=2, key_dim=3)
    >>> x = np.ones((4, 5, 6), "float32")
    >>> mha(x, x).shape
    (4, 5, 6)
    >>> [tuple(w.shape) for w in mha.weights][:2]
    [(6, 2, 3), (2, 3)]
    """

    #: Keras 3: the mask of the input passes through to the output
    supports_masking = True

    def __init__(self, num_heads: int, key_dim: int, value_dim: int | None = None,
                 dropout: float = 0.0, use_bias: bool = True, output_shape: Any = None,
                 attention_axes: Any = None, kernel_initializer: Any = "glorot_uniform",
                 bias_initializer: Any = "zeros", kernel_regularizer: Any = None,
                 bias_regularizer: Any = None, activity_regularizer: Any = None,
                 kernel_constraint: Any = None, bias_constraint: Any = None,
                 seed: int | None = None, use_gate: bool = False,
                 sliding_window: int | None = None, **kwargs: Any) -> None:
        kwargs.pop("flash_attention", None)
        super().__init__(**kwargs)
        if sliding_window is not None and (isinstance(sliding_window, bool) or not isinstance(
                sliding_window, (int, np.integer)) or sliding_window <= 0):
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}): `sliding_window` must be None or "
                f"a positive integer, received sliding_window={sliding_window!r}."
            )
        self.sliding_window = None if sliding_window is None else int(sliding_window)
        self.use_gate = bool(use_gate)
        for what, value in (("num_heads", num_heads), ("key_dim", key_dim),
                            ("value_dim", key_dim if value_dim is None else value_dim)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
                raise ValueError(
                    f"Layer '{self.name}' ({type(self).__name__}): `{what}` must be a positive "
                    f"integer, received {what}={value!r}."
                )
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) \
                or not 0 <= dropout < 1:
            raise ValueError(f"Layer '{self.name}' ({type(self).__name__}): `dropout` must be a "
                             f"float in [0, 1), received dropout={dropout!r}.")
        self.num_heads = int(num_heads)
        self.key_dim = int(key_dim)
        self.value_dim = int(key_dim if value_dim is None else value_dim)
        self.dropout = float(dropout)
        self.use_bias = bool(use_bias)
        if output_shape is not None:
            output_shape = ((int(output_shape),) if isinstance(output_shape, (int, np.integer))
                            else tuple(int(s) for s in output_shape))
        self._output_shape = output_shape
        if isinstance(attention_axes, (int, np.integer)):
            attention_axes = (int(attention_axes),)
        elif attention_axes is not None:
            attention_axes = tuple(int(a) for a in attention_axes)
        self.attention_axes = attention_axes
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.seed = seed
        self._seed_generator = (descend_random.SeedGenerator(seed)
                                if self.dropout > 0 and seed is not None else None)
        self._scores_requested = False

    # ----------------------------------------------------------------- calling
    def __call__(self, query: Any, value: Any = None, key: Any = None, **kwargs: Any) -> Any:
        """``layer(query, value, key=None, ...)``; the tensors become the list of inputs."""
        if value is None and isinstance(query, (list, tuple)) and 2 <= len(query) <= 3:
            inputs = list(query)
        elif value is None:
            raise TypeError(f"Layer '{self.name}' ({type(self).__name__}) needs a query and a "
                            "value: call it as layer(query, value) (self-attention: "
                            "layer(x, x)).")
        else:
            inputs = [query, value] + ([] if key is None else [key])
        return super().__call__(inputs, **kwargs)

    def _call_symbolic(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        self._scores_requested = bool(kwargs.get("return_attention_scores", False))
        try:
            return super()._call_symbolic(inputs, *args, **kwargs)
        finally:
            self._scores_requested = False

    def _sublayer_kwargs(self) -> dict[str, Any]:
        return dict(kernel_initializer=self.kernel_initializer,
                    bias_initializer=self.bias_initializer,
                    kernel_regularizer=self.kernel_regularizer,
                    bias_regularizer=self.bias_regularizer,
                    activity_regularizer=self.activity_regularizer,
                    kernel_constraint=self.kernel_constraint,
                    bias_constraint=self.bias_constraint, dtype=self.dtype)

    def _shapes(self, input_shape: Any) -> tuple[tuple, tuple, tuple]:
        if not isinstance(input_shape, (list, tuple)) or not input_shape \
                or not isinstance(input_shape[0], (list, tuple)) or not 2 <= len(input_shape) <= 3:
            raise ValueError(f"Layer '{self.name}' ({type(self).__name__}) expects the shapes "
                             f"[query, value] or [query, value, key], received {input_shape!r}.")
        q, v = tuple(input_shape[0]), tuple(input_shape[1])
        k = tuple(input_shape[2]) if len(input_shape) > 2 else v
        if len(q) < 3 or len(v) != len(q) or len(k) != len(q):
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}) expects query, value and key of the "
                f"same rank >= 3, e.g. (batch, steps, features); received query {q}, value {v}, "
                f"key {k}."
            )
        return q, v, k

    def build(self, input_shape: Any) -> None:
        """Create the ``query``, ``key``, ``value`` and ``attention_output`` sublayers."""
        q, v, k = self._shapes(input_shape)
        self._build_projections(q, v, k)
        rank = len(q)
        prank = rank + 1
        axes = (tuple(range(1, prank - 2)) if self.attention_axes is None
                else tuple(a % (rank) if a < 0 else a for a in self.attention_axes))
        if any(not 1 <= a <= prank - 3 for a in axes):
            raise ValueError(f"Layer '{self.name}' ({type(self).__name__}): attention_axes "
                             f"{self.attention_axes} must name axes between 1 and {rank - 2} "
                             f"for inputs of rank {rank}.")
        self._attention_axes = axes
        self._dot_equation, self._combine_equation, scores_rank = attention_equations(prank,
                                                                                      axes)
        self._softmax_axes = tuple(range(scores_rank - len(axes), scores_rank))
        for sub in self._sublayers():  # Keras's nested paths: "<mha>/query/kernel"
            for weight in sub.weights:
                weight.path = f"{self.name}/{weight.path}"
        self.built = True

    def _projection(self, name: str, shape: tuple, heads: int, size: int,
                    activation: Any = None) -> EinsumDense:
        """An EinsumDense ``(..., dim) -> (..., heads, size)``, built for ``shape``."""
        rank = len(shape)
        equation, bias_axes = _projection_equation(rank - 1, 1, 2)
        layer = EinsumDense(equation, output_shape=(*(None,) * (rank - 2), heads, size),
                            activation=activation,
                            bias_axes=bias_axes if self.use_bias else None, name=name,
                            **self._sublayer_kwargs())
        layer.build(shape)
        layer._build_shape = shape
        return layer

    def _build_output(self, q: tuple, heads: int, size: int) -> None:
        """The ``attention_output`` EinsumDense: ``(..., heads, size) -> (..., out)``."""
        rank = len(q)
        out = self._output_shape or (q[-1],)
        equation, bias_axes = _projection_equation(rank - 1, 2, len(out))
        self._output_dense = EinsumDense(equation, output_shape=(*(None,) * (rank - 2), *out),
                                         bias_axes=bias_axes if self.use_bias else None,
                                         name="attention_output", **self._sublayer_kwargs())
        query_like = (*q[:-1], heads, size)
        self._output_dense.build(query_like)
        self._output_dense._build_shape = query_like

    def _build_projections(self, q: tuple, v: tuple, k: tuple,
                           key_value_heads: int | None = None) -> None:
        """The projections, created in Keras's order (the order of ``weights``)."""
        heads = self.num_heads
        kv_heads = heads if key_value_heads is None else key_value_heads
        self._query_dense = self._projection("query", q, heads, self.key_dim)
        self._key_dense = self._projection("key", k, kv_heads, self.key_dim)
        if self.use_gate:
            self._gate_dense = self._projection("gate", q, heads, self.value_dim,
                                                activation="sigmoid")
        self._value_dense = self._projection("value", v, kv_heads, self.value_dim)
        self._build_output(q, heads, self.value_dim)

    def _sublayers(self) -> tuple:
        """The projections, in Keras's order of creation (the order of ``weights``)."""
        gate = (self._gate_dense,) if self.use_gate else ()
        return (self._query_dense, self._key_dense, *gate, self._value_dense,
                self._output_dense)

    def _check_input(self, inputs: Any) -> None:
        q, v, k = self._shapes([tuple(t.shape) for t in inputs])
        for what, shape, dense in (("query", q, self._query_dense), ("value", v,
                                   self._value_dense), ("key", k, self._key_dense)):
            if shape[-1] != dense.kernel.shape[0] or len(shape) != dense._input_rank:
                raise ValueError(
                    f"Layer '{self.name}' ({type(self).__name__}) was built for a {what} of "
                    f"rank {dense._input_rank} with {dense.kernel.shape[0]} features, received "
                    f"{what} of shape {shape}."
                )

    # ------------------------------------------------------------------- masks
    def _mask(self, inputs: list, query_mask: Any, value_mask: Any, key_mask: Any,
              attention_mask: Any, use_causal_mask: bool) -> np.ndarray | None:
        query, value = inputs[0], inputs[1]
        t, s = query.shape[1], value.shape[1]
        mask = None

        def combine(current: Any, new: np.ndarray) -> np.ndarray:
            return new if current is None else np.logical_and(current, new)

        for what, given, expand, size in (("query_mask", query_mask, -1, t),
                                          ("value_mask", value_mask, -2, s),
                                          ("key_mask", key_mask, -2, s)):
            if given is None:
                continue
            given = np.asarray(getattr(given, "data", given)).astype(bool)
            if given.shape != (query.shape[0], size):
                raise ValueError(
                    f"Layer '{self.name}' ({type(self).__name__}): `{what}` must have shape "
                    f"{(query.shape[0], size)}, received {given.shape}."
                )
            mask = combine(mask, np.expand_dims(given, expand))
        if use_causal_mask:
            mask = combine(mask, (np.arange(t)[:, None] >= np.arange(s)[None, :])[None])
        for extra in self._position_masks(t, s):
            mask = combine(mask, extra)
        if attention_mask is not None:
            given = np.asarray(getattr(attention_mask, "data", attention_mask)).astype(bool)
            mask = combine(given, mask) if mask is not None else given
        return mask

    def _position_masks(self, t: int, s: int) -> list[np.ndarray]:
        """The sliding window's band ``|i - j| < sliding_window`` ``(1, T, S)``, if any."""
        if self.sliding_window is None:
            return []
        distance = np.abs(np.arange(t)[:, None] - np.arange(s)[None, :])
        return [(distance < self.sliding_window)[None]]

    def _masked_softmax(self, scores: Any, mask: np.ndarray | None) -> Any:
        if mask is not None:
            axis = -len(self._attention_axes) * 2 - 1
            while mask.ndim < len(scores.shape):
                mask = np.expand_dims(mask, axis)
            try:
                np.broadcast_shapes(mask.shape, tuple(scores.shape))
            except ValueError:
                raise ValueError(
                    f"Layer '{self.name}' ({type(self).__name__}): the attention mask (expanded to "
                    f"{mask.shape}) does not broadcast to the scores {tuple(scores.shape)}; "
                    "attention_mask must be (batch, query_steps, value_steps)."
                ) from None
            # as Keras's Softmax layer: masked scores -1e9, then masked weights 0 (a query
            # that may attend to nothing gets zero weights, not a uniform average)
            return ops.where(mask, ops.softmax(ops.where(mask, scores, -1.0e9),
                                               axis=self._softmax_axes), 0.0)
        return ops.softmax(scores, axis=self._softmax_axes)

    # ----------------------------------------------------------------- compute
    def call(self, inputs: list, query_mask: Any = None, value_mask: Any = None,
             key_mask: Any = None, attention_mask: Any = None,
             return_attention_scores: bool = False, training: bool = False,
             use_causal_mask: bool = False) -> Any:
        """Attend (see the module docstring)."""
        query, value = inputs[0], inputs[1]
        key = inputs[2] if len(inputs) > 2 else value
        # as Keras: masks that travel with the inputs (Embedding(mask_zero=True),
        # Masking) are used when none is given
        if query_mask is None:
            query_mask = _masks.get_mask(query)
        if value_mask is None:
            value_mask = _masks.get_mask(value)
        if key_mask is None and len(inputs) > 2:
            key_mask = _masks.get_mask(key)
        mask = self._mask(inputs, query_mask, value_mask, key_mask, attention_mask,
                          use_causal_mask)
        q, k, v = self._project(query, key, value)
        q = q * (1.0 / float(np.sqrt(self.key_dim)))
        scores = ops.einsum(self._dot_equation, k, q)
        weights = self._masked_softmax(scores, mask)
        used = weights
        if training and self.dropout > 0:
            used = descend_random.dropout(weights, self.dropout, seed=self._seed_generator)
        attended = ops.einsum(self._combine_equation, used, v)
        output = self._output(attended, query)
        if return_attention_scores:
            return output, weights
        return output

    def _project(self, query: Any, key: Any, value: Any) -> tuple[Any, Any, Any]:
        """``Q (B, T, N, key_dim)``, ``K (B, S, N, key_dim)``, ``V (B, S, N, value_dim)``."""
        return self._query_dense(query), self._key_dense(key), self._value_dense(value)

    def _output(self, attended: Any, query: Any) -> Any:
        """The ``attention_output`` projection of the attended values ``(B, T, N, value_dim)``,
        gated first by ``sigmoid(gate(query))`` with ``use_gate``."""
        if self.use_gate:
            attended = attended * self._gate_dense(query)
        return self._output_dense(attended)

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        """The query's mask (Keras passes the mask of the first argument on).

        Parameters
        ----------
        inputs : list of Tensor
            ``[query, value]`` or ``[query, value, key]``.
        previous_mask : list or ndarray of bool, optional

        Returns
        -------
        ndarray of bool, shape (batch, T), or None
        """
        if isinstance(previous_mask, (list, tuple)):
            return previous_mask[0] if previous_mask else None
        return previous_mask

    def compute_output_shape(self, input_shape: Any) -> Any:
        """``(*query_shape[:-1], *output_shape)``; with scores requested, also the scores'."""
        q, v, _ = self._shapes(input_shape)
        out = (*q[:-1], *(self._output_shape or (q[-1],)))
        if not self._scores_requested:
            return out
        rank = len(q) + 1
        axes = getattr(self, "_attention_axes", tuple(range(1, rank - 2)))
        batch = [i for i in range(rank - 1) if i not in axes and i != rank - 2]
        scores = ((*(q[i] for i in batch), self.num_heads, *(q[a] for a in axes),
                   *(v[a] for a in axes)))
        return [out, scores]

    def get_build_config(self) -> dict[str, Any] | None:
        """Keras's keys: ``query_shape``, ``value_shape``, ``key_shape``."""
        shapes = self._build_shape
        if shapes is None:
            return None
        return {"query_shape": list(shapes[0]), "value_shape": list(shapes[1]),
                "key_shape": list(shapes[2]) if len(shapes) > 2 else None}

    def build_from_config(self, build_config: dict[str, Any] | None) -> None:
        """Build from :meth:`get_build_config`'s output."""
        if not build_config or self.built:
            return
        shapes = [tuple(build_config["query_shape"]), tuple(build_config["value_shape"])]
        if build_config.get("key_shape") is not None:
            shapes.append(tuple(build_config["key_shape"]))
        self._maybe_build(shapes)

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments, Keras's keys."""
        config = super().get_config()
        config.update(
            num_heads=self.num_heads, key_dim=self.key_dim, value_dim=self.value_dim,
            dropout=self.dropout, use_bias=self.use_bias, use_gate=self.use_gate,
            output_shape=None if self._output_shape is None else list(self._output_shape),
            attention_axes=(list(self._attention_axes) if self.built  # Keras: resolved axes
                            else None if self.attention_axes is None
                            else list(self.attention_axes)),
            kernel_initializer=initializers.serialize(self.kernel_initializer),
            bias_initializer=initializers.serialize(self.bias_initializer),
            kernel_regularizer=regularizers.serialize(self.kernel_regularizer),
            bias_regularizer=regularizers.serialize(self.bias_regularizer),
            activity_regularizer=regularizers.serialize(self.activity_regularizer),
            kernel_constraint=constraints.serialize(self.kernel_constraint),
            bias_constraint=constraints.serialize(self.bias_constraint),
            sliding_window=self.sliding_window, seed=self.seed,
        )
        return config
