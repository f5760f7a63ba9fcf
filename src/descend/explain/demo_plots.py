"""The pictures ``descend demo --plots DIR`` writes for the course's example.

After the demo has trained the course's network, :func:`write_demo_plots` saves

* ``learning_curves.png`` -- the loss falling and the accuracy rising, epoch by epoch;
* ``loss_curve.png`` -- the course's U-curve: the loss as one weight of the output layer
  varies, with the tangent (slope = gradient) and the optimizer's next step;
* ``network.png`` -- the trained network, edges coloured and sized by weight;
* ``decision_boundary.png`` -- for a model with 1 or 2 inputs (the course's has one: the
  age), the predicted probability of a side effect against age, and where it crosses 0.5;
* ``weights.png`` -- histograms of each layer's weights and gradients.

Examples
--------
>>> paths = write_demo_plots(model, history, x, y, "out")  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from descend.explain import plots

__all__ = ["write_demo_plots"]


def write_demo_plots(model: Any, history: Any, x: Any, y: Any, out_dir: Any,
                     snapshots: Any = None,
                     feature_names: list[str] | None = None) -> list[Path]:
    """Write the demo's PNGs into ``out_dir`` and return their paths.

    Parameters
    ----------
    model : Model
        The trained, compiled model.
    history : History
        What ``fit`` returned.
    x, y : ndarray
        The training data.
    out_dir : str or PathLike
        Created if missing.
    snapshots : WeightSnapshots, optional
        Weights recorded during training; the decision boundary then shows
        how it moved epoch by epoch.
    feature_names : list of str, optional
        What the input features are, for the decision boundary's axes (the
        demo passes ``["age, scaled to [0, 1]"]``).

    Returns
    -------
    list of pathlib.Path
        The files written, in the order listed in the module docstring.
    """
    plt = plots.pyplot()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    x = np.asarray(x)
    written: list[Path] = []

    def save(name: str, fig: Any) -> None:
        path = out / name
        plots.finish(fig, path)
        plt.close(fig)
        written.append(path)

    save("learning_curves.png", plots.plot_history(
        history, title="The course's network learning: loss down, accuracy up"))
    save("loss_curve.png", plots.plot_loss_curve(model, x, y, layer=-1))
    save("network.png", plots.draw_network(model))
    features = int(np.prod(x.shape[1:])) if x.ndim > 1 else 1
    if features in (1, 2):
        save("decision_boundary.png", plots.plot_decision_boundary(
            model, x, y, snapshots, feature_names=feature_names))
    sample = np.random.default_rng(0).permutation(len(x))[:256]
    save("weights.png", plots.plot_weight_histograms(model, x[sample], np.asarray(y)[sample]))
    return written
