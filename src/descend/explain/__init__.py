"""Looking inside training: one step in numbers, a training monitor, gradient checks, pictures.

* :func:`step` -- one training step of ``fit``, every number printed layer by layer;
* :class:`TrainingMonitor` -- a callback recording per-layer statistics, warning in
  plain words when training goes wrong;
* :func:`check_model_gradients` -- backprop against float64 central differences
  (also ``model.check_gradients(x, y)``);
* plots (matplotlib, imported only when a plot is drawn): :func:`plot_history`,
  :func:`plot_loss_curve` (the course's U-curve), :func:`plot_decision_boundary`,
  :func:`plot_weight_histograms`, :func:`draw_network`, :func:`plot_lr_finder`,
  and :class:`WeightSnapshots` to record weights per epoch.

See ``docs/learning.md`` for a guided tour.
"""

from descend.explain.gradients import GradientCheckResult, check_model_gradients
from descend.explain.monitor import TrainingMonitor, TrainingWarning
from descend.explain.network_drawing import draw_network
from descend.explain.plots import (
    plot_decision_boundary,
    plot_history,
    plot_loss_curve,
    plot_lr_finder,
    plot_weight_histograms,
)
from descend.explain.snapshots import WeightSnapshots
from descend.explain.step import StepRecord, explain_seed, step

__all__ = [
    "GradientCheckResult", "StepRecord", "TrainingMonitor", "TrainingWarning", "WeightSnapshots",
    "check_model_gradients", "draw_network", "explain_seed", "plot_decision_boundary",
    "plot_history", "plot_loss_curve", "plot_lr_finder", "plot_weight_histograms", "step",
]
