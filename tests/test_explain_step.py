"""descend.explain.step: its numbers equal a hand computation and the step fit takes."""

from __future__ import annotations

import numpy as np
import pytest

import descend
from descend.explain import step
from descend.explain.step import explain_seed
from descend.layers import Dense
from descend.optimizers import SGD, Adam
from descend.optimizers.adam import adam_update

W1 = np.array([[0.15, 0.25], [0.20, 0.30]])
B1 = np.array([0.35, 0.35])
W2 = np.array([[0.40], [0.45]])
B2 = np.array([0.60])
X = np.array([[0.05, 0.10], [0.50, -0.30]])
Y = np.array([[0.01], [0.99]])


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def make_221(optimizer) -> descend.Sequential:
    model = descend.Sequential([
        Dense(2, activation="sigmoid", input_shape=(2,), name="hidden"),
        Dense(1, activation="sigmoid", name="output"),
    ])
    model.set_weights([W1, B1, W2, B2])
    model.compile(optimizer=optimizer, loss="mse")
    return model


def hand_computation() -> dict[str, np.ndarray]:
    """Forward pass, mse and the chain rule written out with NumPy."""
    z1 = X @ W1 + B1
    h = sigmoid(z1)
    z2 = h @ W2 + B2
    out = sigmoid(z2)
    d_out = 2 * (out - Y) / Y.size
    delta2 = d_out * out * (1 - out)
    delta1 = (delta2 @ W2.T) * h * (1 - h)
    return {
        "z1": z1, "h": h, "z2": z2, "out": out, "loss": np.mean((out - Y) ** 2),
        "sample_losses": np.mean((out - Y) ** 2, axis=1), "d_out": d_out,
        "grad_w1": X.T @ delta1, "grad_b1": delta1.sum(axis=0),
        "grad_w2": h.T @ delta2, "grad_b2": delta2.sum(axis=0),
    }


@pytest.fixture
def float64() -> None:
    descend.config.set_floatx("float64")


def test_sgd_step_records_the_hand_computed_numbers(float64, capsys) -> None:
    lr = 0.5
    model = make_221(SGD(learning_rate=lr))
    hand = hand_computation()
    record = step(model, X, Y)
    hidden, output = record.layer("hidden"), record.layer("output")
    np.testing.assert_allclose(hidden.weighted_sums, hand["z1"], rtol=1e-12)
    np.testing.assert_allclose(hidden.outputs, hand["h"], rtol=1e-12)
    np.testing.assert_allclose(output.weighted_sums, hand["z2"], rtol=1e-12)
    np.testing.assert_allclose(output.outputs, hand["out"], rtol=1e-12)
    assert record.loss == pytest.approx(hand["loss"], rel=1e-12)
    np.testing.assert_allclose(record.sample_losses, hand["sample_losses"], rtol=1e-12)
    np.testing.assert_allclose(record.output_gradients[0], hand["d_out"], rtol=1e-12)
    expected = {"hidden": (W1, B1, hand["grad_w1"], hand["grad_b1"]),
                "output": (W2, B2, hand["grad_w2"], hand["grad_b2"])}
    for name, (w, b, gw, gb) in expected.items():
        kernel, bias = record.layer(name).weight("kernel"), record.layer(name).weight("bias")
        np.testing.assert_allclose(kernel.gradient, gw, rtol=1e-12, atol=1e-17)
        np.testing.assert_allclose(bias.gradient, gb, rtol=1e-12, atol=1e-17)
        np.testing.assert_allclose(kernel.before, w)
        # the seeds' rule: new weight = old weight - learning rate * gradient
        np.testing.assert_allclose(kernel.after, w - lr * gw, rtol=1e-12)
        np.testing.assert_allclose(bias.after, b - lr * gb, rtol=1e-12)
        np.testing.assert_allclose(kernel.explanation.after, kernel.after, rtol=1e-12)
    # the model itself was updated, as by train_on_batch
    np.testing.assert_allclose(model.get_weights()[2], W2 - lr * hand["grad_w2"], rtol=1e-12)
    assert model.optimizer.iterations == 1
    # the printout shows the same numbers
    text = capsys.readouterr().out
    assert text == record.text + "\n"
    assert f"loss = {hand['loss']:.8g}" in text
    g = hand["grad_w2"][0, 0]
    assert f"W[0, 0]: w = 0.4 - 0.5 * {g:.6g} = {0.4 - 0.5 * g:.6g}" in text
    assert "w <- w - learning_rate * g" in text
    assert "agrees with the optimizer's result" in text and "DIFFERS" not in text
    assert "weighted sums z = x . W + b = [[0.3775" in text  # small arrays are printed whole


@pytest.mark.parametrize("optimizer", [
    lambda: SGD(learning_rate=0.5),
    lambda: SGD(learning_rate=0.1, momentum=0.9, nesterov=True),
    lambda: Adam(learning_rate=0.01),
    lambda: Adam(learning_rate=0.01, amsgrad=True, clipnorm=0.01),
])
def test_step_updates_like_train_on_batch(float64, optimizer) -> None:
    explained, reference = make_221(optimizer()), make_221(optimizer())
    for batch in range(3):  # several steps, so momentum and Adam's m, v are non-zero
        x, y = X + 0.1 * batch, Y
        record = step(explained, x, y, print_fn=None)
        loss = reference.train_on_batch(x, y)
        reference.reset_metrics()
        assert record.loss == pytest.approx(loss, rel=1e-12)
        assert record.iteration == batch + 1
        for got, want in zip(explained.get_weights(), reference.get_weights(), strict=True):
            np.testing.assert_array_equal(got, want)
        for layer in record.layers:
            for w in layer.weights:
                np.testing.assert_allclose(w.explanation.after, w.after, rtol=1e-12, atol=1e-15)
        assert reference.optimizer.get_state().keys() == explained.optimizer.get_state().keys()
        for key, value in reference.optimizer.get_state().items():
            np.testing.assert_array_equal(explained.optimizer.get_state()[key], value)


def test_adam_state_and_formula_match_a_hand_computation(float64) -> None:
    lr = 0.01
    model = make_221(Adam(learning_rate=lr))
    hand = hand_computation()
    record = step(model, X, Y, print_fn=None)
    kernel = record.layer("output").weight("kernel")
    # Adam's rule (imported, not restated) on the hand-computed gradient, from zero state
    w, m, v = W2.copy(), np.zeros_like(W2), np.zeros_like(W2)
    adam_update(w, hand["grad_w2"].copy(), m, v, 1, lr, 0.9, 0.999, 1e-7)
    np.testing.assert_allclose(kernel.state_after["momentum"], m, rtol=1e-12)
    np.testing.assert_allclose(kernel.state_after["velocity"], v, rtol=1e-12)
    np.testing.assert_allclose(kernel.after, w, rtol=1e-12)
    np.testing.assert_allclose(kernel.explanation.after, w, rtol=1e-12)
    assert "alpha_t = learning_rate * sqrt(1 - beta_2^t) / (1 - beta_1^t)" in record.text
    assert "epsilon" in record.text


def test_float32_step_agrees_with_train_on_batch() -> None:
    explained, reference = make_221(Adam(0.01)), make_221(Adam(0.01))
    record = step(explained, X, Y, print_fn=None)
    reference.train_on_batch(X, Y)
    for got, want in zip(explained.get_weights(), reference.get_weights(), strict=True):
        np.testing.assert_array_equal(got, want)
    assert "DIFFERS" not in record.text


def test_apply_false_puts_weights_and_optimizer_state_back(float64) -> None:
    model = make_221(Adam(learning_rate=0.01))
    model.train_on_batch(X, Y)
    weights, state = model.get_weights(), model.optimizer.get_state()
    record = step(model, X, Y, apply=False, print_fn=None)
    assert not record.applied and "put back" in record.text
    assert record.layer("hidden").weight("kernel").after is not None
    for got, want in zip(model.get_weights(), weights, strict=True):
        np.testing.assert_array_equal(got, want)
    for key, value in state.items():
        np.testing.assert_array_equal(model.optimizer.get_state()[key], value)


def test_large_layers_are_summarised(float64) -> None:
    model = descend.Sequential([Dense(40, activation="relu", input_shape=(3,)), Dense(1)])
    model.compile(optimizer=SGD(0.01), loss="mse")
    x = np.random.default_rng(0).standard_normal((5, 3))
    record = step(model, x, np.ones((5, 1)), max_entries=4, print_fn=None)
    assert "shape (3, 40), norm" in record.text and "first 4:" in record.text
    assert len(record.text.splitlines()) < 80


def test_step_validates_its_arguments() -> None:
    model = descend.Sequential([Dense(1, input_shape=(2,))])
    with pytest.raises(ValueError, match="compile"):
        step(model, X, Y)
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match="max_entries"):
        step(model, X, Y, max_entries=0)


def test_explain_seed_runs_one_adam_step_of_the_seed_network(capsys) -> None:
    record = explain_seed(seed=0, batch=3)
    text = capsys.readouterr().out
    assert [layer.activation for layer in record.layers] == ["relu", "relu", "sigmoid"]
    assert record.optimizer == "Adam" and record.iteration == 1
    assert "sparse_categorical_crossentropy" in text and "w <- w - alpha_t * m" in text
    assert len(record.inputs[0]) == 3
