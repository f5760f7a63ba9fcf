"""Training arithmetic pinned by hand: one SGD step, and the three flavours of descent."""

from __future__ import annotations

import numpy as np
import pytest

import descend
from descend.layers import Dense
from descend.optimizers import SGD


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def make_221(w1, b1, w2, b2, lr=0.5) -> descend.Sequential:
    model = descend.Sequential([
        Dense(2, activation="sigmoid", input_shape=(2,)),
        Dense(1, activation="sigmoid"),
    ])
    model.set_weights([w1, b1, w2, b2])
    model.compile(optimizer=SGD(learning_rate=lr), loss="mse")
    return model


def test_single_sgd_step_on_221_sigmoid_network_matches_hand_computation() -> None:
    descend.config.set_floatx("float64")
    w1 = np.array([[0.15, 0.25], [0.20, 0.30]])
    b1 = np.array([0.35, 0.35])
    w2 = np.array([[0.40], [0.45]])
    b2 = np.array([0.60])
    x = np.array([[0.05, 0.10], [0.50, -0.30]])
    y = np.array([[0.01], [0.99]])
    lr = 0.5
    model = make_221(w1, b1, w2, b2, lr)

    # forward, by hand: weighted sums plus biases, then the activation
    z1 = x @ w1 + b1
    h = sigmoid(z1)
    z2 = h @ w2 + b2
    out = sigmoid(z2)
    loss = np.mean((out - y) ** 2)  # Keras mse: mean over the last axis, then over the batch
    # backward, by hand: the chain rule layer by layer
    d_out = 2 * (out - y) / y.size
    delta2 = d_out * out * (1 - out)
    grad_w2 = h.T @ delta2
    grad_b2 = delta2.sum(axis=0)
    delta1 = (delta2 @ w2.T) * h * (1 - h)
    grad_w1 = x.T @ delta1
    grad_b1 = delta1.sum(axis=0)
    # the update the course writes: new weight = old weight - learning rate * gradient
    expected = [w1 - lr * grad_w1, b1 - lr * grad_b1, w2 - lr * grad_w2, b2 - lr * grad_b2]

    reported = model.train_on_batch(x, y)
    assert reported == pytest.approx(loss, rel=1e-12)
    for got, want in zip(model.get_weights(), expected, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)
    # pin a few literal numbers, so the formulas above cannot drift together with the code
    assert loss == pytest.approx(0.3033746, abs=1e-7)
    assert model.get_weights()[2][0, 0] == pytest.approx(0.3721076, abs=1e-7)


def test_full_batch_stochastic_and_minibatch_descent_take_the_documented_steps() -> None:
    descend.config.set_floatx("float64")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((12, 3))
    y = x @ np.array([[1.0], [-2.0], [0.5]]) + 0.3
    for batch_size, steps in ((12, 1), (1, 12), (5, 3)):
        model = descend.Sequential([Dense(1, input_shape=(3,))])
        model.compile(optimizer=SGD(0.01), loss="mse")
        model.fit(x, y, batch_size=batch_size, epochs=2, shuffle=False, verbose=0)
        assert model.optimizer.iterations == 2 * steps


def test_full_batch_gradient_descent_equals_manual_loop() -> None:
    descend.config.set_floatx("float64")
    rng = np.random.default_rng(1)
    x = rng.standard_normal((20, 2))
    y = x @ np.array([[2.0], [-1.0]]) + 0.5
    model = descend.Sequential([Dense(1, input_shape=(2,))])
    model.compile(optimizer=SGD(0.1), loss="mse")
    w, b = (a.copy() for a in model.get_weights())
    model.fit(x, y, batch_size=len(x), epochs=5, shuffle=False, verbose=0)
    for _ in range(5):
        err = x @ w + b - y
        w -= 0.1 * (2 * x.T @ err / len(x))
        b -= 0.1 * (2 * err.sum(axis=0) / len(x))
    np.testing.assert_allclose(model.get_weights()[0], w, rtol=1e-10)
    np.testing.assert_allclose(model.get_weights()[1], b, rtol=1e-10)
