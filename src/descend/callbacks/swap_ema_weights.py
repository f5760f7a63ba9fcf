"""``SwapEMAWeights``: evaluate (and optionally checkpoint) with the moving-average weights.

An optimizer created with ``use_ema=True`` keeps an exponential moving average
(EMA) of every trained weight: ``average = m * average + (1 - m) * w`` after each
step (``m = ema_momentum``; see :class:`~descend.optimizers.Optimizer`). The
averaged weights are often better than the last ones. This callback swaps them
into the model for evaluation and prediction, and swaps the training weights
back afterwards.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend.callbacks.callback import Callback

__all__ = ["SwapEMAWeights"]


class SwapEMAWeights(Callback):
    """Swap the optimizer's EMA weights into the model for evaluation (Keras's callback).

    During ``evaluate``/``predict`` (and the validation inside ``fit``) the model
    holds the moving averages; training continues on its own weights. With
    ``swap_on_epoch=True`` the averages are also swapped in at the end of every
    epoch (so that callbacks after this one, e.g. ``ModelCheckpoint``, see them)
    and swapped back at the start of the next; after the last epoch the model
    keeps the averages.

    Parameters
    ----------
    swap_on_epoch : bool, default False

    Raises
    ------
    ValueError
        At the first swap, if the model's optimizer was not created with ``use_ema=True``.

    Notes
    -----
    Keras 3.15's ``on_predict_end`` does not swap back (its test is inverted), so
    after ``predict`` Keras's model keeps the EMA weights; descend swaps back, as
    after ``evaluate``.

    Examples
    --------
    >>> import numpy as np
    >>> import descend
    >>> from descend import layers, optimizers
    >>> model = descend.Sequential([layers.Input((2,)), layers.Dense(1)])
    >>> model.compile(optimizer=optimizers.SGD(use_ema=True), loss="mse")
    >>> x, y = np.ones((8, 2), "float32"), np.zeros((8, 1), "float32")
    >>> history = model.fit(x, y, epochs=2, verbose=0, validation_data=(x, y),
    ...                     callbacks=[SwapEMAWeights()])
    """

    def __init__(self, swap_on_epoch: bool = False) -> None:
        super().__init__()
        if not isinstance(swap_on_epoch, bool):
            raise TypeError(f"SwapEMAWeights: swap_on_epoch must be a bool, received "
                            f"{swap_on_epoch!r}.")
        self.swap_on_epoch = swap_on_epoch
        self._ema_weights_in_model = False

    def _pairs(self) -> list[tuple[Any, np.ndarray]]:
        """(variable, its moving average) for every variable the optimizer trains."""
        optimizer = getattr(self.model, "optimizer", None)
        optimizer = getattr(optimizer, "inner_optimizer", optimizer)
        if hasattr(optimizer, "optimizers"):  # MultiOptimizer: those with use_ema
            inner = [o for o in optimizer.optimizers if getattr(o, "use_ema", False)]
            if not inner:
                raise ValueError(
                    "SwapEMAWeights must be used when at least one inner optimizer has "
                    "`use_ema=True` set. Received a MultiOptimizer with all inner optimizers "
                    "having `use_ema=False`."
                )
        elif optimizer is None or not getattr(optimizer, "use_ema", False):
            raise ValueError(
                "SwapEMAWeights must be used when `use_ema=True` is set on the optimizer. "
                f"Received: use_ema={getattr(optimizer, 'use_ema', None)}. Compile with e.g. "
                "optimizer=descend.optimizers.Adam(use_ema=True)."
            )
        else:
            inner = [optimizer]
        pairs = []
        for opt in inner:
            layout = getattr(opt, "_layout", None)
            if layout is not None:  # not trained yet: the averages do not exist
                pairs.extend((s.variable, s.slot("average")) for s in layout.segments)
        return pairs

    def _swap_variables(self) -> None:
        for variable, average in self._pairs():
            current = np.array(variable.data, copy=True)
            variable.data[...] = average
            average[...] = current

    def _finalize_ema_values(self) -> None:
        for variable, average in self._pairs():
            average[...] = variable.data

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if self.swap_on_epoch and self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = False

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if self.swap_on_epoch and not self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = True
            if epoch == (self.params or {}).get("epochs", 0) - 1:
                self._finalize_ema_values()

    def on_test_begin(self, logs: dict[str, Any] | None = None) -> None:
        if not self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = True

    def on_test_end(self, logs: dict[str, Any] | None = None) -> None:
        if self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = False

    def on_predict_begin(self, logs: dict[str, Any] | None = None) -> None:
        self.on_test_begin(logs)

    def on_predict_end(self, logs: dict[str, Any] | None = None) -> None:
        self.on_test_end(logs)
