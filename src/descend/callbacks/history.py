"""The :class:`History` callback: per-epoch metric values, returned by ``fit``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from descend.callbacks.callback import Callback
from descend.utils.figures import finish, pyplot

__all__ = ["History", "plot_history"]


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

        Delegates to :func:`plot_history`.

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
        return plot_history(self, metrics=metrics, path=path, title=title)


def _history_dict(history: Any) -> tuple[dict[str, list[float]], list[int]]:
    if hasattr(history, "history") and isinstance(history.history, dict):
        data = history.history
        epochs = [e + 1 for e in getattr(history, "epoch", [])]
    elif isinstance(history, dict):
        data, epochs = history, []
    else:
        raise TypeError(f"plot_history: expected the History returned by fit (or its .history "
                        f"dict), received {type(history).__name__}.")
    return data, epochs


def plot_history(history: Any, metrics: Sequence[str] | None = None, path: Any = None,
                 title: str | None = None) -> Any:
    """Loss and metrics per epoch, training and validation side by side.

    Parameters
    ----------
    history : History or dict
        What ``fit`` returned (or its ``.history`` dict).
    metrics : list of str, optional
        Which to plot (default: every key that is not ``val_...``, loss first;
        the ``monitor/...`` keys of :class:`TrainingMonitor` are left out).
    path : str or PathLike, optional
        Save the figure there.
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
        One panel per metric; each ``val_`` curve is drawn dashed with its
        training curve.

    Raises
    ------
    ValueError
        If there is nothing to plot or a requested metric is unknown.
    """
    data, epochs = _history_dict(history)
    if metrics is None:
        metrics = [k for k in data if not k.startswith(("val_", "monitor/"))]
        metrics.sort(key=lambda k: (k != "loss", k))
    else:
        metrics = list(metrics)
        unknown = [m for m in metrics if m not in data]
        if unknown:
            raise ValueError(f"plot_history: no {unknown} in the history; it has "
                             f"{sorted(data)}.")
    if not metrics:
        raise ValueError("plot_history: the history is empty. Train with model.fit first.")
    plt = pyplot()
    from matplotlib.ticker import MaxNLocator

    fig, axes = plt.subplots(1, len(metrics), figsize=(4.6 * len(metrics), 3.6), squeeze=False)
    for ax, name in zip(axes[0], metrics, strict=True):
        values = data[name]
        xs = epochs if len(epochs) == len(values) else list(range(1, len(values) + 1))
        ax.plot(xs, values, "o-", color="tab:blue", markersize=3, label=f"training {name}")
        val = data.get(f"val_{name}")
        if val:
            vx = xs if len(val) == len(values) else list(range(1, len(val) + 1))
            ax.plot(vx, val, "s--", color="tab:orange", markersize=3, label=f"validation {name}")
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))   # no epoch 2.5
        ax.set_ylabel(name)
        ax.set_title(f"{name} by epoch")
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return finish(fig, path)
