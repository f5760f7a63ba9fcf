"""The :class:`History` callback: per-epoch metric values, returned by ``fit``."""

from __future__ import annotations

from typing import Any

from descend.callbacks.callback import Callback

__all__ = ["History"]


class History(Callback):
    """Record the epoch-end ``logs`` of ``fit``.

    ``fit`` adds one automatically (after the user callbacks, before the progress bar), stores it
    in ``model.history`` and returns it. A new one is made for every call of ``fit``.

    Attributes
    ----------
    history : dict of str to list of float
        One list per key of the epoch logs, e.g. ``{"accuracy": [...], "loss": [...],
        "val_loss": [...]}``; keys are in alphabetical order because the logs are sorted.
    epoch : list of int
        The 0-based indices of the recorded epochs (reset at the start of each ``fit``).
    params : dict
        The run parameters, e.g. ``{"verbose": 1, "epochs": 10, "steps": 5}``.

    Examples
    --------
    >>> from descend.callbacks import CallbackList, History
    >>> history = History()
    >>> callbacks = CallbackList([history], verbose=0, epochs=2, steps=4)
    >>> callbacks.on_train_begin()
    >>> callbacks.on_epoch_end(0, {"loss": 0.9, "accuracy": 0.5})
    >>> callbacks.on_epoch_end(1, {"loss": 0.4, "accuracy": 0.75})
    >>> history.history
    {'accuracy': [0.5, 0.75], 'loss': [0.9, 0.4]}
    >>> history.epoch, history.params
    ([0, 1], {'verbose': 0, 'epochs': 2, 'steps': 4})
    """

    def __init__(self) -> None:
        super().__init__()
        self.history: dict[str, list[Any]] = {}
        self.epoch: list[int] = []

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        """Start a new list of epoch indices."""
        self.epoch = []

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Append every value of ``logs`` to ``history`` and ``epoch`` to ``self.epoch``."""
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
        if self.model is not None:
            self.model.history = self

    def plot(self, metrics: list[str] | None = None, path: Any = None,
             title: str | None = None) -> Any:
        """Plot the loss and metrics per epoch, training and validation (needs matplotlib).

        Delegates to :func:`descend.explain.plots.plot_history`.

        Parameters
        ----------
        metrics : list of str, optional
            Which keys to plot (default: every non-``val_`` key, loss first).
        path : str or PathLike, optional
            Also save the figure there (PNG).
        title : str, optional

        Returns
        -------
        matplotlib.figure.Figure
        """
        from descend.explain.plots import plot_history

        return plot_history(self, metrics=metrics, path=path, title=title)
