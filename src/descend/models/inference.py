"""The short way of ``predict`` and ``predict_on_batch`` for one plain array that fits one batch.

``predict(x)`` checks its arguments, converts and checks ``x``, checks it against the
model's input shape, builds the model if needed, chooses the BLAS threads and then runs
one forward pass. Predicting one sample at a time in a loop repeats all of it, and with
a small network the forward pass itself takes only tens of microseconds, so those fixed
costs would double it. Once a call has gone the full way, most of the answers are known:
:func:`remember` records them, and :func:`outputs` skips what cannot have changed.

The short way is taken only when all of this holds, and otherwise ``predict`` goes the
full way (with its own error messages):

* ``x`` is one ``numpy.ndarray`` (not a subclass, list, dict, dataset or generator)
  with at least one row, no more rows than the batch size, the same dtype as the
  array remembered (the default float type, ``descend.config.floatx()``, unchanged
  since) and the same shape after the batch axis;
* no callbacks, no ``steps``; ``verbose`` and ``batch_size`` valid (the caller checks);
* the model's execution plan is the one remembered and still current (nothing was
  built, compiled, added, hooked or switched since: see
  :meth:`~descend.models.plan.PlannedModel._execution_plan`), and it computes on
  arrays alone (:attr:`~descend.models.plan.ExecutionPlan.pure`: dense layers, with
  fusion on), so that no ``no_grad`` is needed around it;
* the model has no hooks of its own and does not override ``predict_step``.

What remains is what the full way would do for such an array: the check for NaN and
infinity (:func:`~descend.models.data_adapter.check_finite`, the same message), the
BLAS threads (:func:`descend.threads.use_for`), forgetting the losses of the last call,
and the plan's array path, which checks the first layer's input. Each call returns
new arrays; nothing returned is written again by a later call.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend import config, threads
from descend.models import data_adapter as data
from descend.models.trainer import _overrides


def remember(model: Any, x: Any, xs: list[np.ndarray]) -> None:
    """After ``xs`` (prepared from ``x``) went the full one-batch way: note what the short
    way needs.

    Parameters
    ----------
    model : Model
    x : object
        What the user passed.
    xs : list of ndarray
        The arrays the forward pass received.
    """
    plan = model.__dict__.get("_plan")
    if type(x) is np.ndarray and x.ndim and len(xs) == 1 and xs[0] is x and plan is not None \
            and getattr(plan, "pure", False) and plan.n_inputs == 1 and model._hooks is None and \
            not _overrides(model, "predict_step"):
        model.__dict__["_short_way"] = (plan, x.shape[1:], x.dtype, config.floatx())


def outputs(model: Any, x: np.ndarray, limit: int | None) -> list[np.ndarray] | None:
    """The model's outputs for ``x`` the short way, or None when it does not apply.

    Parameters
    ----------
    model : Model
    x : ndarray
        Exactly a ``numpy.ndarray`` (the caller checks its type).
    limit : int or None
        The most rows ``x`` may have (``predict``'s batch size); None: any number.

    Returns
    -------
    list of ndarray or None
        One array per output, or None: take the full way.
    """
    known = model.__dict__.get("_short_way")
    if known is None:
        return None
    plan, features, dtype, floatx = known
    shape = x.shape
    if not shape or shape[1:] != features or x.dtype is not dtype or \
            not 0 < shape[0] <= (limit or shape[0]) or config._FLOATX != floatx or \
            model.__dict__.get("_plan") is not plan or not plan.current(model._plan_key()):
        return None
    threads.use_for(model, shape[0])  # first: the BLAS threads may change the last bits
    outs = plan.infer_array(x, screen=True)  # None if x may hold NaN or infinity
    if outs is None:
        data.check_finite(x, "x")  # raises, saying where, if x does
        outs = plan.infer_array(x)
    model._clear_losses()  # the losses of the last call (dense layers add none)
    return outs
