"""The :class:`LambdaCallback`: build a callback from plain functions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from descend.callbacks.callback import ALL_HOOKS, Callback

__all__ = ["LambdaCallback"]


class LambdaCallback(Callback):
    """A callback whose hooks are the given functions.

    Parameters
    ----------
    on_epoch_begin, on_epoch_end : callable, optional
        Called as ``f(epoch, logs)``.
    on_train_begin, on_train_end : callable, optional
        Called as ``f(logs)``.
    on_train_batch_begin, on_train_batch_end : callable, optional
        Called as ``f(batch, logs)``.
    **kwargs : callable
        Any other hook by name, e.g. ``on_test_end=f`` or ``on_predict_batch_end=f``.

    Notes
    -----
    Arguments are passed positionally, so the functions may name them freely. Only the hooks
    given cost anything: without a batch hook the loop skips per-batch work.

    Examples
    --------
    >>> from descend.callbacks import CallbackList, LambdaCallback
    >>> printer = LambdaCallback(on_epoch_end=lambda epoch, logs: print(epoch, logs["loss"]))
    >>> callbacks = CallbackList([printer], verbose=0, epochs=1, steps=1)
    >>> callbacks.needs_batch_logs
    False
    >>> callbacks.on_epoch_end(0, {"loss": 0.5})
    0 0.5
    """

    def __init__(
        self,
        on_epoch_begin: Callable[..., Any] | None = None,
        on_epoch_end: Callable[..., Any] | None = None,
        on_train_begin: Callable[..., Any] | None = None,
        on_train_end: Callable[..., Any] | None = None,
        on_train_batch_begin: Callable[..., Any] | None = None,
        on_train_batch_end: Callable[..., Any] | None = None,
        **kwargs: Callable[..., Any],
    ) -> None:
        super().__init__()
        hooks = {
            "on_epoch_begin": on_epoch_begin,
            "on_epoch_end": on_epoch_end,
            "on_train_begin": on_train_begin,
            "on_train_end": on_train_end,
            "on_train_batch_begin": on_train_batch_begin,
            "on_train_batch_end": on_train_batch_end,
        }
        for name in kwargs:
            if name not in ALL_HOOKS:
                raise TypeError(
                    f"LambdaCallback got an unexpected keyword argument {name!r}. Expected hook "
                    f"names: {', '.join(sorted(ALL_HOOKS))}."
                )
        hooks.update(kwargs)
        for name, function in hooks.items():
            if function is None:
                continue
            if not callable(function):
                raise TypeError(
                    f"LambdaCallback: `{name}` must be a callable or None; received {function!r}."
                )
            setattr(self, name, function)
