"""Per-output loss tracking of a multi-output model (Keras 3's ``<output>_loss`` logs).

Keras 3 logs, for a model whose outputs have several losses, each output's
*unweighted* loss next to the weighted total: ``loss = 2.0 * score_loss + cls_loss``
with ``loss_weights=[2.0, 1.0]``. Each is a mean over batches weighted by batch size.
Expected values are computed here with NumPy formulas.
"""

from __future__ import annotations

import numpy as np
import pytest

from descend.autograd import Tensor
from descend.models.compile_utils import CompiledLoss


def _mse(y: np.ndarray, p: np.ndarray) -> float:
    return float(np.mean(np.mean((y - p) ** 2, axis=-1)))


def _cce(y: np.ndarray, p: np.ndarray) -> float:
    p = np.clip(p / p.sum(axis=-1, keepdims=True), 1e-7, 1 - 1e-7)
    return float(np.mean(-np.sum(y * np.log(p), axis=-1)))


def _batch(rng: np.random.Generator, n: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    ys = [rng.normal(size=(n, 1)), np.eye(3)[rng.integers(0, 3, n)]]
    outs = [rng.normal(size=(n, 1)), rng.dirichlet(np.ones(3), size=n)]
    return ys, outs


def _built(loss, loss_weights=None) -> CompiledLoss:
    compiled = CompiledLoss(loss, loss_weights)
    compiled.build([np.zeros((1, 1)), np.zeros((1, 3))], [(None, 1), (None, 3)],
                   ["score", "cls"])
    return compiled


def test_each_output_loss_is_tracked_unweighted_and_batch_size_weighted(rng):
    compiled = _built(["mse", "categorical_crossentropy"], [2.0, 1.0])
    assert [m.name for m in compiled.metrics] == ["score_loss", "cls_loss"]
    sizes, score, cls = [32, 8], [], []
    for n in sizes:
        ys, outs = _batch(rng, n)
        total = compiled(ys, [Tensor(o) for o in outs])
        score.append(_mse(ys[0], outs[0]))
        cls.append(_cce(ys[1], outs[1]))
        np.testing.assert_allclose(float(total.data), 2.0 * score[-1] + cls[-1], rtol=1e-5)
    results = compiled.results()
    assert list(results) == ["score_loss", "cls_loss"]
    np.testing.assert_allclose(results["score_loss"], np.average(score, weights=sizes),
                               rtol=1e-5)
    np.testing.assert_allclose(results["cls_loss"], np.average(cls, weights=sizes), rtol=1e-5)


def test_reset_starts_a_new_mean(rng):
    compiled = _built({"score": "mse", "cls": "categorical_crossentropy"})
    ys, outs = _batch(rng, 16)
    compiled(ys, [Tensor(o) for o in outs])
    compiled.reset()
    assert compiled.results() == {"score_loss": 0.0, "cls_loss": 0.0}
    ys, outs = _batch(rng, 4)
    compiled(ys, [Tensor(o) for o in outs])
    np.testing.assert_allclose(compiled.results()["score_loss"], _mse(ys[0], outs[0]),
                               rtol=1e-5)


@pytest.mark.parametrize("loss", [{"score": "mse"}, [None, "categorical_crossentropy"], "mse"])
def test_no_per_output_logs_unless_several_outputs_have_a_loss(loss, rng):
    # Keras adds `<output>_loss` only when more than one loss is computed; a single
    # loss shared by every output ("mse" for both) is still one loss per output.
    compiled = CompiledLoss(loss)
    names = ["score", "cls"]
    ys = [np.zeros((1, 1)), np.zeros((1, 3))] if loss != "mse" else [np.zeros((1, 1))] * 2
    shapes = [(None, 1), (None, 3)] if loss != "mse" else [(None, 1)] * 2
    compiled.build(ys, shapes, names)
    expected = ["score_loss", "cls_loss"] if loss == "mse" else []
    assert [m.name for m in compiled.metrics] == expected
