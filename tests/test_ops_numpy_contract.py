"""The contract of ``descend.ops.numpy`` beyond values and gradients: Keras's names and
signatures, Keras's dtype rules, the operands accepted, errors that name the op and
the argument, and compatibility of the names that ``descend.ops`` had before.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from descend import config, ops
from descend.autograd import Tensor
from descend.ops import numpy as knp

# Keras 3.15's keras.ops.numpy signatures: parameter names and defaults ("*" marks
# *args, "**" **kwargs, "kw:" keyword-only).
KERAS_SIGNATURES = {
    "abs": "x",
    "absolute": "x",
    "add": "x1, x2",
    "all": "x, axis=None, keepdims=False",
    "allclose": "x1, x2, rtol=1e-05, atol=1e-08, equal_nan=False",
    "amax": "x, axis=None, keepdims=False",
    "amin": "x, axis=None, keepdims=False",
    "angle": "x",
    "any": "x, axis=None, keepdims=False",
    "append": "x1, x2, axis=None",
    "arange": "start, stop=None, step=None, dtype=None",
    "arccos": "x",
    "arccosh": "x",
    "arcsin": "x",
    "arcsinh": "x",
    "arctan": "x",
    "arctan2": "x1, x2",
    "arctanh": "x",
    "argmax": "x, axis=None, keepdims=False",
    "argmin": "x, axis=None, keepdims=False",
    "argpartition": "x, kth, axis=-1",
    "argsort": "x, axis=-1",
    "array": "x, dtype=None",
    "array_split": "x, indices_or_sections, axis=0",
    "average": "x, axis=None, weights=None",
    "bartlett": "x",
    "bincount": "x, weights=None, minlength=0, sparse=False",
    "bitwise_and": "x, y",
    "bitwise_invert": "x",
    "bitwise_left_shift": "x, y",
    "bitwise_not": "x",
    "bitwise_or": "x, y",
    "bitwise_right_shift": "x, y",
    "bitwise_xor": "x, y",
    "blackman": "x",
    "broadcast_to": "x, shape",
    "cbrt": "x",
    "ceil": "x",
    "clip": "x, x_min, x_max",
    "concatenate": "xs, axis=0",
    "conj": "x",
    "conjugate": "x",
    "copy": "x",
    "corrcoef": "x",
    "correlate": "x1, x2, mode='valid'",
    "cos": "x",
    "cosh": "x",
    "count_nonzero": "x, axis=None",
    "cross": "x1, x2, axisa=-1, axisb=-1, axisc=-1, axis=None",
    "cumprod": "x, axis=None, dtype=None",
    "cumsum": "x, axis=None, dtype=None",
    "deg2rad": "x",
    "diag": "x, k=0",
    "diagflat": "x, k=0",
    "diagonal": "x, offset=0, axis1=0, axis2=1",
    "diff": "a, n=1, axis=-1",
    "digitize": "x, bins",
    "divide": "x1, x2",
    "divide_no_nan": "x1, x2",
    "dot": "x1, x2",
    "dsplit": "x, indices_or_sections",
    "dstack": "xs",
    "einsum": "subscripts, *operands, **kwargs",
    "empty": "shape, dtype=None",
    "empty_like": "x, dtype=None",
    "equal": "x1, x2",
    "exp": "x",
    "exp2": "x",
    "expand_dims": "x, axis",
    "expm1": "x",
    "eye": "N, M=None, k=0, dtype=None",
    "fabs": "x",
    "flip": "x, axis=None",
    "fliplr": "x",
    "flipud": "x",
    "floor": "x",
    "floor_divide": "x1, x2",
    "fmax": "x1, x2",
    "fmin": "x1, x2",
    "fmod": "x1, x2",
    "full": "shape, fill_value, dtype=None",
    "full_like": "x, fill_value, dtype=None",
    "gcd": "x1, x2",
    "geomspace": "start, stop, num=50, endpoint=True, dtype=None, axis=0",
    "get_item": "x, key",
    "greater": "x1, x2",
    "greater_equal": "x1, x2",
    "hamming": "x",
    "hanning": "x",
    "heaviside": "x1, x2",
    "histogram": "x, bins=10, range=None",
    "hsplit": "x, indices_or_sections",
    "hstack": "xs",
    "hypot": "x1, x2",
    "i0": "x",
    "identity": "n, dtype=None",
    "imag": "x",
    "inner": "x1, x2",
    "isclose": "x1, x2, rtol=1e-05, atol=1e-08, equal_nan=False",
    "isfinite": "x",
    "isin": "x1, x2, assume_unique=False, invert=False",
    "isinf": "x",
    "isnan": "x",
    "isneginf": "x",
    "isposinf": "x",
    "isreal": "x",
    "kaiser": "x, beta",
    "kron": "x1, x2",
    "lcm": "x1, x2",
    "ldexp": "x1, x2",
    "left_shift": "x, y",
    "less": "x1, x2",
    "less_equal": "x1, x2",
    "linspace": "start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0",
    "log": "x",
    "log10": "x",
    "log1p": "x",
    "log2": "x",
    "logaddexp": "x1, x2",
    "logaddexp2": "x1, x2",
    "logical_and": "x1, x2",
    "logical_not": "x",
    "logical_or": "x1, x2",
    "logical_xor": "x1, x2",
    "logspace": "start, stop, num=50, endpoint=True, base=10, dtype=None, axis=0",
    "matmul": "x1, x2",
    "max": "x, axis=None, keepdims=False, initial=None",
    "maximum": "x1, x2",
    "mean": "x, axis=None, keepdims=False",
    "median": "x, axis=None, keepdims=False",
    "meshgrid": "*x, kw:indexing='xy'",
    "min": "x, axis=None, keepdims=False, initial=None",
    "minimum": "x1, x2",
    "mod": "x1, x2",
    "moveaxis": "x, source, destination",
    "multiply": "x1, x2",
    "nan_to_num": "x, nan=0.0, posinf=None, neginf=None",
    "nanargmax": "x, axis=None, keepdims=False",
    "nanargmin": "x, axis=None, keepdims=False",
    "nancumprod": "x, axis=None, dtype=None",
    "nancumsum": "x, axis=None, dtype=None",
    "nanmax": "x, axis=None, keepdims=False",
    "nanmean": "x, axis=None, keepdims=False",
    "nanmedian": "x, axis=None, keepdims=False",
    "nanmin": "x, axis=None, keepdims=False",
    "nanpercentile": "x, q, axis=None, method='linear', keepdims=False",
    "nanprod": "x, axis=None, keepdims=False",
    "nanquantile": "x, q, axis=None, method='linear', keepdims=False",
    "nanstd": "x, axis=None, keepdims=False",
    "nansum": "x, axis=None, keepdims=False",
    "nanvar": "x, axis=None, keepdims=False",
    "ndim": "x",
    "negative": "x",
    "nextafter": "x1, x2",
    "nonzero": "x",
    "not_equal": "x1, x2",
    "ones": "shape, dtype=None",
    "ones_like": "x, dtype=None",
    "outer": "x1, x2",
    "pad": "x, pad_width, mode='constant', constant_values=None",
    "percentile": "x, q, axis=None, method='linear', keepdims=False",
    "power": "x1, x2",
    "prod": "x, axis=None, keepdims=False, dtype=None",
    "ptp": "x, axis=None, keepdims=False",
    "quantile": "x, q, axis=None, method='linear', keepdims=False",
    "rad2deg": "x",
    "ravel": "x",
    "real": "x",
    "reciprocal": "x",
    "repeat": "x, repeats, axis=None",
    "reshape": "x, newshape",
    "right_shift": "x, y",
    "roll": "x, shift, axis=None",
    "rot90": "array, k=1, axes=(0, 1)",
    "round": "x, decimals=0",
    "searchsorted": "sorted_sequence, values, side='left'",
    "select": "condlist, choicelist, default=0",
    "sign": "x",
    "signbit": "x",
    "sin": "x",
    "sinc": "x",
    "sinh": "x",
    "size": "x",
    "slogdet": "x",
    "sort": "x, axis=-1",
    "split": "x, indices_or_sections, axis=0",
    "sqrt": "x",
    "square": "x",
    "squeeze": "x, axis=None",
    "stack": "x, axis=0",
    "std": "x, axis=None, keepdims=False",
    "subtract": "x1, x2",
    "sum": "x, axis=None, keepdims=False",
    "swapaxes": "x, axis1, axis2",
    "take": "x, indices, axis=None",
    "take_along_axis": "x, indices, axis=None",
    "tan": "x",
    "tanh": "x",
    "tensordot": "x1, x2, axes=2",
    "tile": "x, repeats",
    "trace": "x, offset=0, axis1=0, axis2=1",
    "transpose": "x, axes=None",
    "trapezoid": "y, x=None, dx=1.0, axis=-1",
    "tri": "N, M=None, k=0, dtype=None",
    "tril": "x, k=0",
    "triu": "x, k=0",
    "true_divide": "x1, x2",
    "trunc": "x",
    "unique": ("x, sorted=True, return_index=False, return_inverse=False, return_counts=False, "
               "axis=None, size=None, fill_value=None"),
    "unravel_index": "indices, shape",
    "vander": "x, N=None, increasing=False",
    "var": "x, axis=None, keepdims=False",
    "vdot": "x1, x2",
    "vectorize": "pyfunc, kw:excluded=None, kw:signature=None",
    "view": "x, dtype=None",
    "vsplit": "x, indices_or_sections",
    "vstack": "xs",
    "where": "condition, x1=None, x2=None",
    "zeros": "shape, dtype=None",
    "zeros_like": "x, dtype=None",

}


def _render(fn: Callable[..., Any]) -> str:
    prefix = {inspect.Parameter.VAR_POSITIONAL: "*", inspect.Parameter.VAR_KEYWORD: "**",
              inspect.Parameter.KEYWORD_ONLY: "kw:"}
    parts = []
    for p in inspect.signature(fn).parameters.values():
        default = "" if p.default is inspect.Parameter.empty else f"={p.default!r}"
        parts.append(f"{prefix.get(p.kind, '')}{p.name}{default}")
    return ", ".join(parts)


def test_exports_exactly_the_keras_names() -> None:
    assert sorted(knp.__all__) == sorted(KERAS_SIGNATURES)
    assert len(knp.__all__) == 220


@pytest.mark.parametrize("name", sorted(KERAS_SIGNATURES))
def test_signature_matches_keras(name: str) -> None:
    fn = getattr(knp, name)
    assert _render(fn) == KERAS_SIGNATURES[name]
    assert hasattr(fn, "__wrapped_op__"), f"{name} is not decorated with keras_op"
    assert fn.__doc__, f"{name} has no docstring"
    assert getattr(ops, name) is fn, f"descend.ops.{name} is not ops.numpy.{name}"


# ------------------------------------------------------------------------ dtypes
I32 = np.array([1, 2, 3], np.int32)
F16 = np.array([1.0, 2.0, 3.0], np.float16)
F32 = np.array([1.0, 2.0, 3.0], np.float32)
F64 = np.array([1.0, 2.0, 3.0], np.float64)


@pytest.mark.parametrize(("call", "dtype"), [
    (lambda: knp.add(I32, 1), "int32"),
    (lambda: knp.add([1, 2], 1), "int32"),
    (lambda: knp.add(I32, 1.5), "float32"),
    (lambda: knp.add(F32, 1.5), "float32"),
    (lambda: knp.multiply(Tensor(F32), 0.5), "float32"),
    (lambda: knp.add(I32, F16), "float16"),
    (lambda: knp.add(F32, F64), "float64"),
    (lambda: knp.add(np.array([True]), 1), "int32"),
    (lambda: knp.add(np.ones(1, np.uint8), np.ones(1, np.int8)), "int16"),
    (lambda: knp.sqrt(I32), "float32"),
    (lambda: knp.sqrt(F64), "float64"),
    (lambda: knp.mean(I32), "float32"),
    (lambda: knp.divide(I32, 2), "float32"),
    (lambda: knp.floor_divide(I32, 2), "int32"),
    (lambda: knp.sum(np.array([True, False])), "int32"),
    (lambda: knp.sum(I32), "int32"),
    (lambda: knp.cumsum(np.array([1, 2])), "int32"),
    (lambda: knp.prod(np.array([2, 3])), "int32"),
    (lambda: knp.floor(I32), "float32"),
    (lambda: knp.round(I32), "int32"),
    (lambda: knp.square(I32), "int32"),
    (lambda: knp.maximum(I32, 2.5), "float32"),
    (lambda: knp.argmax(F32), "int32"),
    (lambda: knp.argsort(F32), "int32"),
    (lambda: knp.equal(F32, 2.0), "bool"),
    (lambda: knp.isnan(F32), "bool"),
    (lambda: knp.where(F32 > 1, 1, 0), "int32"),
    (lambda: knp.arange(5), "int32"),
    (lambda: knp.arange(0, 1, 0.5), "float32"),
    (lambda: knp.linspace(0, 1, 3), "float32"),
    (lambda: knp.zeros((2,)), "float32"),
    (lambda: knp.full((2,), 3), "float32"),
    (lambda: knp.ones_like(I32), "int32"),
    (lambda: knp.full_like(I32, 3.5), "int32"),
    (lambda: knp.eye(2), "float32"),
    (lambda: knp.median(I32), "float32"),
    (lambda: knp.count_nonzero(I32), "int32"),
    (lambda: knp.nonzero(I32)[0], "int32"),
    (lambda: knp.trace(np.eye(3, dtype=np.int32)), "int32"),
    (lambda: knp.clip(F32, -1, 1), "float32"),
    (lambda: knp.clip(I32, -1, 1), "int32"),
    (lambda: knp.histogram(F32)[0], "float32"),
    (lambda: knp.unravel_index(np.array([5, 7]), (3, 4))[0], "int32"),
])
def test_result_dtype_follows_keras(call: Callable[[], Tensor], dtype: str) -> None:
    out = call()
    assert isinstance(out, Tensor)
    assert out.dtype == np.dtype(dtype)


def test_int_inputs_of_float_ops_follow_floatx() -> None:
    config.set_floatx("float64")
    try:
        assert knp.sqrt(I32).dtype == np.float64
        assert knp.zeros(2).dtype == np.float64
    finally:
        config.set_floatx("float32")


@pytest.mark.parametrize("operand", [Tensor(F32), F32, [1.0, 2.0, 3.0], (1.0, 2.0, 3.0)])
def test_accepts_tensors_arrays_and_lists(operand: Any) -> None:
    out = knp.add(operand, 1.0)
    assert isinstance(out, Tensor)
    np.testing.assert_allclose(out.data, [2.0, 3.0, 4.0])
    assert isinstance(knp.sum(operand), Tensor)
    assert isinstance(knp.sin(2.0), Tensor)


def test_gradient_flows_from_a_float32_tensor_through_mixed_operands() -> None:
    x = Tensor(F32, requires_grad=True)
    loss = knp.sum(knp.multiply(knp.sin(x), I32) + 0.5)
    loss.backward()
    np.testing.assert_allclose(x.grad, np.cos(F32) * I32, rtol=1e-6)
    assert x.grad.dtype == np.float32


# ------------------------------------------------------------------------ errors
@pytest.mark.parametrize(("call", "error", "pattern"), [
    (lambda: knp.sum(np.ones((2, 3)), axis=2), ValueError, r"sum: axis=2 is out of range"),
    (lambda: knp.mean(np.ones((2, 3)), axis=(0, 0)), ValueError, r"mean: axis=\(0, 0\) repeats"),
    (lambda: knp.max(np.ones(3), axis="a"), TypeError, r"max: axis must be an int"),
    (lambda: knp.argmax(np.ones((2, 3)), axis=-3), ValueError, r"argmax: axis=-3"),
    (lambda: knp.add(np.ones((2, 3)), np.ones(4)), ValueError,
     r"add: the shapes do not broadcast.*x1 of shape \(2, 3\).*x2 of shape \(4,\)"),
    (lambda: knp.where(np.ones(3, bool), np.ones(2), 0.0), ValueError,
     r"where: the shapes do not broadcast.*condition"),
    (lambda: knp.where(np.ones(3, bool), np.ones(3)), ValueError, r"where: pass both x1 and x2"),
    (lambda: knp.matmul(np.ones((2, 3)), np.ones((2, 3))), ValueError, r"matmul: shapes"),
    (lambda: knp.reshape(np.ones(6), (4, -1)), ValueError, r"reshape: cannot reshape x"),
    (lambda: knp.concatenate([np.ones((2, 3)), np.ones((3, 2))], axis=0), ValueError,
     r"concatenate: all inputs must have the same shape except along axis 0"),
    (lambda: knp.concatenate(np.ones(3)), TypeError, r"concatenate: xs must be a list"),
    (lambda: knp.stack([np.ones(2), np.ones(3)]), ValueError, r"stack: all inputs"),
    (lambda: knp.split(np.ones(7), 3), ValueError, r"split: an axis of length 7"),
    (lambda: knp.squeeze(np.ones((2, 1)), axis=0), ValueError, r"squeeze: axis 0 has length 2"),
    (lambda: knp.transpose(np.ones((2, 3)), (0, 2)), ValueError, r"transpose: axes=\(0, 2\)"),
    (lambda: knp.take(np.ones(3), [3]), IndexError, r"take: index 3 is out of bounds"),
    (lambda: knp.take(np.ones(3), [0.5]), TypeError, r"take: indices must hold integers"),
    (lambda: knp.take_along_axis(np.ones((2, 3)), np.zeros(2, int), 1), ValueError,
     r"take_along_axis: indices must have the 2 dimensions"),
    (lambda: knp.pad(np.ones(3), 1, mode="linear_ramp"), ValueError, r"pad: mode must be"),
    (lambda: knp.pad(np.ones(3), 1, mode="edge", constant_values=2), ValueError,
     r"pad: constant_values is only used"),
    (lambda: knp.pad(np.ones((2, 2)), ((1, 1), (1, 1), (1, 1))), ValueError, r"pad: pad_width"),
    (lambda: knp.quantile(np.ones(3), 1.5), ValueError, r"quantile: q must lie in \[0, 1\]"),
    (lambda: knp.quantile(np.ones(3), 0.5, method="cubic"), ValueError, r"quantile: method"),
    (lambda: knp.einsum("ij,jk->ik", np.ones((2, 3)), np.ones((4, 2))), ValueError,
     r"einsum: index 'j' has length 3"),
    (lambda: knp.einsum("ij", np.ones((2, 3, 4))), ValueError, r"einsum: term 'ij'"),
    (lambda: knp.tensordot(np.ones((2, 3)), np.ones((2, 3)), 1), ValueError,
     r"tensordot: axis 1 of x1 \(length 3\)"),
    (lambda: knp.slogdet(np.ones((2, 3))), ValueError, r"slogdet: x must be square"),
    (lambda: knp.cross(np.ones(4), np.ones(3)), ValueError, r"cross: the vector axes"),
    (lambda: knp.bincount(np.array([-1, 2])), ValueError, r"bincount: x must hold non-negative"),
    (lambda: knp.bincount(np.array([1]), sparse=True), ValueError, r"bincount: sparse=True"),
    (lambda: knp.linspace(0.0, 1.0, -1), ValueError, r"linspace: num must be"),
    (lambda: knp.zeros((2, -1)), ValueError, r"zeros: shape must be non-negative"),
    (lambda: knp.arange(0, 3, 0), ValueError, r"arange: step must not be zero"),
    (lambda: knp.gcd(np.ones(2), np.ones(2)), TypeError, r"gcd: expected integer operands"),
    (lambda: knp.bitwise_and(np.ones(2), 1), TypeError, r"bitwise_and: expected integer"),
    (lambda: knp.add("a", 1), TypeError, r"add: expected a tensor, array, number or list"),
    (lambda: knp.searchsorted(np.ones((2, 2)), 1.0), ValueError, r"searchsorted: sorted_sequence"),
    (lambda: knp.average(np.ones((2, 3)), axis=1, weights=np.ones(2)), ValueError,
     r"average: weights must have the shape of x"),
    (lambda: knp.moveaxis(np.ones((2, 3)), (0, 1), 0), ValueError,
     r"moveaxis: source and destination"),
    (lambda: knp.select([np.ones(2, bool)], [np.ones(2), np.ones(2)]), ValueError,
     r"select: condlist and choicelist"),
    (lambda: knp.vectorize(3), TypeError, r"vectorize: pyfunc must be callable"),
    (lambda: knp.diagonal(np.ones((2, 2)), 0, 1, 1), ValueError, r"diagonal: axis1 and axis2"),
    (lambda: knp.correlate(np.ones((2, 2)), np.ones(2)), ValueError, r"correlate: x1 and x2"),
])
def test_bad_input_names_the_op_and_argument(call: Callable[[], Any], error: type,
                                             pattern: str) -> None:
    with pytest.raises(error, match=pattern):
        call()


# ------------------------------------------------------------ existing callers
def test_engine_names_keep_their_positional_calls() -> None:
    x = Tensor(np.array([[1.0, -2.0], [3.0, 4.0]]), requires_grad=True)
    out = ops.sum(ops.clip(x, 0.0, 3.5) * ops.where(x.data > 0, x, 0.0), 1)
    out = ops.concatenate([ops.reshape(out, (2, 1)), ops.transpose(ops.stack([x[0], x[1]], 0))],
                          1)
    ops.mean(ops.max(out, 0)).backward()
    assert x.grad is not None
    assert ops.argmax(np.array([[1, 5], [7, 2]]), axis=-1).data.tolist() == [1, 0]


def test_a_variable_receives_its_gradient() -> None:
    from descend.autograd.variable import Variable

    v = Variable(np.array([[1.0, -2.0], [0.5, 3.0]]))
    loss = knp.sum(knp.square(knp.take(v, [1, 1], axis=1)))
    loss.backward()
    np.testing.assert_allclose(v.grad, [[0.0, -8.0], [0.0, 12.0]])


def test_a_keras_style_custom_loss_trains_a_model() -> None:
    import descend
    from descend import layers

    def huberish(y_true: Any, y_pred: Any) -> Tensor:
        error = ops.subtract(y_pred, y_true)
        small = ops.less_equal(ops.abs(error), 1.0)
        per_element = ops.where(small, 0.5 * ops.square(error), ops.abs(error) - 0.5)
        return ops.mean(per_element, axis=-1)

    rng = np.random.default_rng(3)
    x = rng.normal(size=(64, 3)).astype("float32")
    y = (x @ np.array([[1.0], [-2.0], [0.5]], "float32")).astype("float32")
    model = descend.Sequential([layers.Input((3,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss=huberish)
    history = model.fit(x, y, epochs=5, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
