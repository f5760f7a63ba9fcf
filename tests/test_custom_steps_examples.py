"""The examples of your own train_step and of a training loop from scratch run and learn."""

from __future__ import annotations

import runpy
from pathlib import Path

import numpy as np

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_custom_train_step_example_learns(capsys) -> None:
    namespace = runpy.run_path(str(EXAMPLES / "custom_train_step.py"), run_name="__main__")
    for name in ("history", "manual_history"):
        history = namespace[name].history
        assert set(history) == {"loss", "mae"}
        assert history["loss"][-1] < 0.5 * history["loss"][0]
    assert "evaluate: [" in capsys.readouterr().out


def test_training_loop_from_scratch_example_learns(capsys) -> None:
    namespace = runpy.run_path(str(EXAMPLES / "training_loop_from_scratch.py"),
                               run_name="__main__")
    out = capsys.readouterr().out
    assert float(namespace["val_acc"]) > 0.9
    assert out.count("Validation acc:") == 3
    assert len(namespace["model"].losses) == 1  # the activity regularizer's add_loss


def test_optimizer_apply_and_apply_gradients_match_fit_one_step() -> None:
    import descend
    from descend import layers

    def make():
        descend.utils.set_random_seed(3)
        model = descend.Sequential([layers.Input((4,)), layers.Dense(3), layers.Dense(1)])
        model.compile(optimizer=descend.optimizers.Adam(0.01), loss="mse")
        return model

    x = np.random.default_rng(0).normal(size=(16, 4)).astype("float32")
    y = x[:, :1] * 2
    reference = make()
    reference.train_on_batch(x, y)
    for style in ("apply", "apply_gradients"):
        model = make()
        optimizer = descend.optimizers.Adam(0.01)
        loss = descend.losses.MeanSquaredError()(y, model(x, training=True))
        model.zero_grad()
        loss.backward()
        weights = model.trainable_weights
        grads = [w.grad for w in weights]
        if style == "apply":
            optimizer.apply(grads, weights)
        else:
            optimizer.apply_gradients(zip(grads, weights, strict=True))
        for a, b in zip(model.get_weights(), reference.get_weights(), strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
