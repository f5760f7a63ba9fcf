"""``descend.Variable`` behaves as ``keras.Variable``: construction, assign*, value, NumPy."""

from __future__ import annotations

import numpy as np
import pytest

import descend
from descend import initializers, ops
from descend.autograd import Tensor, Variable
from descend.optimizers import SGD


def test_construct_from_array_keeps_its_dtype_and_python_values_get_floatx() -> None:
    v = Variable(np.array([1.0, 2.0]), name="a")
    assert v.dtype == np.float64 and v.shape == (2,) and v.ndim == 1
    assert v.name == "a" and v.path == "a" and v.trainable
    w = Variable(3.0)
    assert w.dtype == np.float32 and w.shape == () and float(w) == 3.0
    assert Variable([1, 2], dtype="float64").dtype == np.float64
    i = Variable(np.array([1, 2]), trainable=False)
    assert i.dtype == np.int64 and not i.requires_grad


@pytest.mark.parametrize("initializer", ["zeros", "ones", initializers.Ones(),
                                         initializers.Constant(2.5)])
def test_construct_from_initializer_needs_shape(initializer: object) -> None:
    v = Variable(initializer, shape=(2, 3), name="w")
    expected = {"zeros": 0.0, "ones": 1.0}.get(initializer, None) if isinstance(
        initializer, str) else float(initializer(shape=(1,))[0])
    assert v.shape == (2, 3) and v.dtype == np.float32
    np.testing.assert_array_equal(v.numpy(), np.full((2, 3), expected, dtype=np.float32))
    assert v.initializer is not None
    with pytest.raises(ValueError, match="`shape` argument must be given"):
        Variable(initializer)


def test_construct_with_callable_initializer_and_dtype() -> None:
    def halves(shape: tuple, dtype: object = None) -> np.ndarray:
        return np.full(shape, 0.5, dtype=dtype)

    v = Variable(halves, shape=(4,), dtype="float64")
    assert v.dtype == np.float64 and v.numpy().tolist() == [0.5] * 4


def test_bad_construction_arguments() -> None:
    with pytest.raises(ValueError, match=r"shape \(3,\).*shape=\(2,\)"):
        Variable(np.ones(3), shape=(2,))
    with pytest.raises(ValueError, match="Unknown initializer"):
        Variable("zeroes", shape=(2,))
    with pytest.raises(TypeError, match="name must be a str"):
        Variable(1.0, name=3)
    with pytest.raises(ValueError, match="must not contain '/'"):
        Variable(1.0, name="a/b")
    with pytest.raises(ValueError, match="aggregation"):
        Variable(1.0, aggregation="max")
    with pytest.raises(TypeError, match="numeric initial value|initial value must be"):
        Variable(np.array(["a"]))


def test_assign_family_returns_the_variable_and_updates_in_place() -> None:
    v = Variable(np.zeros((2, 2), dtype="float32"), name="k")
    data = v.data
    assert v.assign(np.ones((2, 2))) is v
    assert v.assign_add(np.full((2, 2), 2.0)) is v
    np.testing.assert_array_equal(v.numpy(), 3.0)
    assert v.assign_sub(Tensor(np.ones((2, 2)))) is v
    np.testing.assert_array_equal(v.numpy(), 2.0)
    assert v.data is data  # same storage: an optimizer's flat buffer stays valid
    v.assign_add(1)  # a scalar broadcasts
    np.testing.assert_array_equal(v.numpy(), 3.0)
    with pytest.raises(ValueError, match=r"'k'.*\(3,\).*\(2, 2\)"):
        v.assign(np.ones(3))


def test_value_is_a_tensor_through_which_gradients_flow() -> None:
    v = Variable(np.array([1.0, 2.0], dtype="float32"))
    assert isinstance(v.value, Tensor)
    loss = (v.value * v.value).sum()
    loss.backward()
    np.testing.assert_allclose(v.grad, [2.0, 4.0])


def test_numpy_is_a_copy_and_numpy_interop() -> None:
    v = Variable(np.array([1.0, -2.0], dtype="float32"))
    copy = v.numpy()
    copy[0] = 9.0
    assert v.numpy()[0] == 1.0
    np.testing.assert_array_equal(np.asarray(v), [1.0, -2.0])
    assert np.asarray(v, dtype="float64").dtype == np.float64
    np.testing.assert_array_equal(np.abs(np.asarray(v)), [1.0, 2.0])
    np.testing.assert_array_equal(np.array(v) * 2, [2.0, -4.0])


def test_arithmetic_and_comparisons_follow_keras() -> None:
    v = Variable(np.array([1.0, 2.0, 3.0], dtype="float32"))
    assert isinstance(v + 1, Tensor) and (v + 1).data.tolist() == [2, 3, 4]
    assert (1 - v).data.tolist() == [0, -1, -2]
    assert (v * v).data.tolist() == [1, 4, 9]
    assert (v / 2).data.tolist() == [0.5, 1.0, 1.5]
    assert (-v).data.tolist() == [-1, -2, -3]
    assert (v ** 2).data.tolist() == [1, 4, 9]
    assert (v @ np.ones(3, dtype="float32")).item() == 6.0
    assert v[1].item() == 2.0 and len(v) == 3
    assert (v == 2).tolist() == [False, True, False]
    assert (v != 2).tolist() == [True, False, True]
    assert (v < 2).tolist() == [True, False, False]
    assert (v >= 2).tolist() == [False, True, True]
    assert (+v) is v
    # hashing stays by identity: variables are dict keys and set members
    other = Variable(np.array([1.0, 2.0, 3.0], dtype="float32"))
    assert len({v, other}) == 2 and {v: 1}[v] == 1


def test_works_with_descend_ops() -> None:
    v = Variable(np.array([[1.0, 2.0], [3.0, 4.0]], dtype="float32"))
    assert ops.sum(v).item() == 10.0
    assert ops.mean(v, axis=0).data.tolist() == [2.0, 3.0]
    assert ops.cast(v, "int32").dtype == np.int32
    assert ops.matmul(v, v).data.tolist() == [[7.0, 10.0], [15.0, 22.0]]
    assert ops.reshape(v, (4,)).shape == (4,)


def test_repr_like_keras() -> None:
    v = Variable(np.array([1.0, 2.0], dtype="float32"), name="bias")
    assert repr(v) == "<Variable path=bias, shape=(2,), dtype=float32, value=[1. 2.]>"


def test_trainable_toggle_and_name_scope_path() -> None:
    v = Variable(np.ones(2, dtype="float32"), trainable=False)
    assert not v.trainable and not v.requires_grad
    v.trainable = True
    assert v.requires_grad
    with descend.name_scope("block"):
        with descend.name_scope("inner"):
            w = Variable(0.0, name="w")
    assert w.path == "block/inner/w" and w.name == "w"
    assert Variable(0.0, name="x").path == "x"


def test_optimizer_updates_keras_style_variables() -> None:
    v = Variable("ones", shape=(3,), name="w")
    loss = (v * np.array([1.0, 2.0, 3.0], dtype="float32")).sum()
    loss.backward()
    SGD(learning_rate=0.5).apply_gradients([(v.grad, v)])
    np.testing.assert_allclose(v.numpy(), [0.5, 0.0, -0.5])
    v.assign_add(np.ones(3))  # still writable after the optimizer moved it into its flat buffer
    np.testing.assert_allclose(v.numpy(), [1.5, 1.0, 0.5])
