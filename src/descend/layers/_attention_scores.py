"""``ScoresOnRequest``: the symbolic call of the attention layers that may return their scores.

``Attention``, ``AdditiveAttention`` and ``MultiHeadAttention`` return the attention
scores as a second output when called with ``return_attention_scores=True``. In the
functional API their output shapes come from ``compute_output_shape``, which has no
such argument: this mixin records the request for the duration of the symbolic call,
and the layers' ``compute_output_shape`` reads ``self._scores_requested``.
"""

from __future__ import annotations

from typing import Any


class ScoresOnRequest:
    """Mixin of a ``Layer`` whose symbolic call may ask for the attention scores too."""

    #: True only while a symbolic call with ``return_attention_scores=True`` is recorded
    _scores_requested: bool = False

    def _call_symbolic(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        self._scores_requested = bool(kwargs.get("return_attention_scores", False))
        try:
            return super()._call_symbolic(inputs, *args, **kwargs)
        finally:
            self._scores_requested = False
