"""``WeightSnapshots``: a callback that keeps a copy of the weights after every epoch.

With the copies, pictures can show how the model changed while it learned, e.g.
:func:`descend.explain.plot_decision_boundary` draws the boundary of every
snapshot. The first snapshot is taken when training starts (epoch 0 = before
any update); then one after each epoch (epoch ``e`` = after ``e`` epochs).

Examples
--------
>>> import numpy as np
>>> import descend
>>> from descend.layers import Dense
>>> model = descend.Sequential([Dense(1, input_shape=(2,))])
>>> model.compile(optimizer="sgd", loss="mse")
>>> snapshots = WeightSnapshots()
>>> _ = model.fit(np.ones((8, 2)), np.ones((8, 1)), epochs=3, verbose=0, callbacks=[snapshots])
>>> snapshots.epochs, len(snapshots.weights)
([0, 1, 2, 3], 4)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend.callbacks.callback import Callback

__all__ = ["WeightSnapshots"]


class WeightSnapshots(Callback):
    """Copy ``model.get_weights()`` when training starts and after every ``every`` epochs.

    Parameters
    ----------
    every : int, default 1
        Keep every ``every``-th epoch (the last epoch is always kept).

    Attributes
    ----------
    weights : list of list of ndarray
        The snapshots, oldest first.
    epochs : list of int
        For each snapshot, the number of epochs trained when it was taken.
    """

    def __init__(self, every: int = 1) -> None:
        super().__init__()
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ValueError(f"WeightSnapshots: `every` must be a positive int, received "
                             f"{every!r}.")
        self.every = every
        self.weights: list[list[np.ndarray]] = []
        self.epochs: list[int] = []

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        """Keep the weights before training (unless a snapshot of them exists already)."""
        if not self.weights:
            self.weights.append(self.model.get_weights())
            self.epochs.append(0)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Keep the weights after ``epoch + 1`` epochs, every ``every`` epochs."""
        last = (self.params or {}).get("epochs")
        if (epoch + 1) % self.every == 0 or (last is not None and epoch + 1 == last):
            self.weights.append(self.model.get_weights())
            self.epochs.append(epoch + 1)
