"""``gradcheck`` itself: it must pass correct gradients and catch wrong ones, clearly."""

from __future__ import annotations

import numpy as np
import pytest

import descend
from descend.autograd import Function, GradcheckError, Tensor, gradcheck, ops


class Cube(Function):
    """x³ with the right derivative."""

    def forward(self, x):
        self.x = x
        return x ** 3

    def backward(self, grad):
        return (grad * 3 * self.x ** 2,)


class WrongCube(Function):
    """x³ with a deliberately wrong derivative (2x² instead of 3x²)."""

    def forward(self, x):
        self.x = x
        return x ** 3

    def backward(self, grad):
        return (grad * 2 * self.x ** 2,)


class WrongOnSecondInput(Function):
    """a·b whose gradient for ``b`` is off by one only at the last element."""

    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, grad):
        gb = grad * self.a
        gb = gb.copy()
        gb.reshape(-1)[-1] += 1.0
        return grad * self.b, gb


class NanGradient(Function):
    """Identity whose backward returns NaN."""

    def forward(self, x):
        return x.copy()

    def backward(self, grad):
        return (grad * np.nan,)


def test_is_exported_at_top_level() -> None:
    assert descend.gradcheck is gradcheck


@pytest.mark.parametrize("fn, inputs", [
    (lambda x: Cube.apply(x), (np.array([0.5, -1.2, 2.0]),)),
    (lambda a, b: ops.tanh(a @ b).sum(axis=0) * ops.exp(-b[0]), (np.ones((2, 3)) * 0.3,
                                                                   np.full((3, 4), -0.2))),
    (lambda x: x * 2.0, (np.array(1.5),)),  # a 0-d input
    (lambda a, b: a * 3.0, (np.ones(2), np.ones(3))),  # b unused: its gradient is zero
    (lambda a: Tensor(np.ones(2)) * 4.0, (np.ones(2),)),  # output independent of the input
], ids=["custom-function", "composition", "0-d", "unused-input", "constant-output"])
def test_passes_on_correct_gradients(fn, inputs) -> None:
    assert gradcheck(fn, *inputs) is True


def test_accepts_tensor_inputs_and_leaves_them_unchanged() -> None:
    x = Tensor(np.array([0.3, 0.7], np.float32), requires_grad=True)
    raw = np.array([1.0, 2.0])
    assert gradcheck(lambda a, b: a * b, x, raw)
    assert x.grad is None and x.dtype == np.float32
    np.testing.assert_array_equal(raw, [1.0, 2.0])


def test_fails_on_a_wrong_custom_function_with_a_clear_report() -> None:
    x = np.array([[0.5, -1.0], [2.0, 1.5]])
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda t: WrongCube.apply(t), x)
    report = info.value.report
    assert report["input"] == 0
    assert report["index"] == (1, 0)  # the element with the largest error: x = 2
    assert report["analytic"] == pytest.approx(2 * 2.0 ** 2 * _projection(x.shape)[1, 0])
    assert report["numeric"] == pytest.approx(3 * 2.0 ** 2 * _projection(x.shape)[1, 0],
                                              rel=1e-6)
    message = str(info.value)
    for part in ("gradcheck failed", "input 0", "index (1, 0)", "analytic", "numeric",
                 "abs error", "rtol"):
        assert part in message, (part, message)
    assert isinstance(info.value, AssertionError)


def _projection(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    """The random output projection gradcheck uses (documented: seeded normal)."""
    return np.random.default_rng(seed).standard_normal(shape)


def test_names_the_input_and_index_that_is_wrong() -> None:
    with pytest.raises(GradcheckError, match=r"input 1 at index \(2, 1\)") as info:
        gradcheck(lambda a, b: WrongOnSecondInput.apply(a, b), np.ones((3, 2)),
                  np.full((3, 2), 0.5))
    assert info.value.report["input"] == 1 and info.value.report["index"] == (2, 1)


def test_raise_exception_false_returns_false() -> None:
    assert gradcheck(lambda t: WrongCube.apply(t), np.array([1.0, 2.0]),
                     raise_exception=False) is False
    assert gradcheck(lambda t: Cube.apply(t), np.array([1.0, 2.0]),
                     raise_exception=False) is True


def test_a_nan_gradient_never_passes() -> None:
    with pytest.raises(GradcheckError, match="analytic nan"):
        gradcheck(lambda t: NanGradient.apply(t), np.array([1.0, 2.0]))


def test_tolerances_are_respected() -> None:
    # WrongCube's error is relative 1/3: a loose enough rtol accepts it
    assert gradcheck(lambda t: WrongCube.apply(t), np.array([1.0]), rtol=0.5)
    assert not gradcheck(lambda t: WrongCube.apply(t), np.array([1.0]), rtol=0.3,
                         raise_exception=False)


def test_rejects_functions_that_do_not_return_float64_tensors() -> None:
    with pytest.raises(TypeError, match="must return a Tensor"):
        gradcheck(lambda t: t.data * 2, np.ones(2))
    with pytest.raises(TypeError, match="float32"):
        gradcheck(lambda t: ops.cast(t, "float32"), np.ones(2))
