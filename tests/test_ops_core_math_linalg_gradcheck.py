"""Gradients of ``descend.ops.core``, ``math`` and ``linalg`` against float64 central differences.

Each case names the public op it checks. ``test_every_name_is_covered`` fails when a
name of those modules' ``__all__`` has neither a case here nor an entry in
``NON_DIFFERENTIABLE`` with the reason. Functions of symmetric matrices (cholesky,
eigh) are checked through ``a @ a.T + c*I`` or ``a + a.T``: their gradients are the
symmetric ones. Eigen/singular vectors are checked through sign-invariant functions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from descend import gradcheck
from descend.autograd import Tensor
from descend.autograd import ops as eng
from descend.ops import core, linalg
from descend.ops import math as dmath


@dataclass
class Case:
    name: str
    op: str
    fn: Callable[..., Tensor]
    inputs: tuple[Any, ...]
    options: dict[str, Any]


CASES: list[Case] = []
_rng = np.random.default_rng(20261207)


def case(name: str, op: str, fn: Callable[..., Any], *inputs: Any, **options: Any) -> None:
    CASES.append(Case(name, op, fn, inputs, options))


def uniform(*shape: int, low: float = -1.0, high: float = 1.0) -> np.ndarray:
    return _rng.uniform(low, high, size=shape)


def distinct(*shape: int) -> np.ndarray:
    n = int(np.prod(shape))
    return ((_rng.permutation(n) - n / 2) * 0.1).reshape(shape)


def well_conditioned(n: int) -> np.ndarray:
    return uniform(n, n) + 3.0 * np.eye(n)


def spd(a: Tensor) -> Tensor:
    return eng.matmul(a, eng.transpose(a)) + Tensor(np.eye(a.shape[-1]), dtype=np.float64)


def sym(a: Tensor) -> Tensor:
    return a + eng.transpose(a, (*range(a.ndim - 2), a.ndim - 1, a.ndim - 2))


NON_DIFFERENTIABLE = {
    # core
    "convert_to_numpy": "returns a NumPy array, outside the graph",
    "dtype": "returns a dtype name",
    "shape": "returns a tuple of ints",
    "is_tensor": "returns a bool",
    "saturate_cast": "only integer targets clip; a float target is cast (checked as 'cast')",
    "stop_gradient": "cuts the graph by definition (tested: the gradient is zero)",
    "custom_gradient": "the gradient is the user's (tested in test_ops_core.py)",
    # math
    "in_top_k": "returns booleans",
    "fft": "Fourier family: NumPy values, no gradient in descend",
    "fft2": "Fourier family: NumPy values, no gradient in descend",
    "ifft2": "Fourier family: NumPy values, no gradient in descend",
    "rfft": "Fourier family: NumPy values, no gradient in descend",
    "irfft": "Fourier family: NumPy values, no gradient in descend",
    "stft": "Fourier family: NumPy values, no gradient in descend",
    "istft": "Fourier family: NumPy values, no gradient in descend",
    "view_as_complex": "complex tensors carry no gradient in descend",
    "view_as_real": "complex tensors carry no gradient in descend",
    # linalg
    "eig": "complex eigenvalues/eigenvectors: no gradient in descend",
    "lu_factor": "pivoted factorization: no gradient (as in Keras's JAX backend)",
    "matrix_rank": "integer valued",
    "jvp": "a derivative itself (values tested against gradcheck-verified ops)",
}

# ------------------------------------------------------------------------------ core
case("cast-float64-to-float32-and-back", "cast",
     lambda a: core.cast(core.cast(a, "float32") * 3.0, "float64"), uniform(3), eps=1e-2)
case("convert_to_tensor-keeps-graph", "convert_to_tensor",
     lambda a: core.convert_to_tensor(a) * a, uniform(3))
case("slice-block", "slice", lambda a: core.slice(a, (1, 0), (2, 3)), uniform(3, 4))
case("slice_update-both", "slice_update", lambda a, u: core.slice_update(a, (1, 1), u),
     uniform(3, 4), uniform(2, 2))
case("scatter-values-duplicates-sum", "scatter",
     lambda v: core.scatter(np.array([[0, 1], [2, 0], [0, 1]]), v, (3, 2)), uniform(3))
case("scatter-row-slices", "scatter",
     lambda v: core.scatter(np.array([[1], [3]]), v, (4, 3)), uniform(2, 3))
case("scatter_update-set-duplicates-last-wins", "scatter_update",
     lambda a, u: core.scatter_update(a, np.array([[0], [2], [0]]), u), uniform(4), uniform(3))
case("scatter_update-set-rows", "scatter_update",
     lambda a, u: core.scatter_update(a, np.array([[1], [0]]), u), uniform(3, 2), uniform(2, 2))
case("scatter_update-add", "scatter_update",
     lambda a, u: core.scatter_update(a, np.array([[0], [0], [3]]), u, reduction="add"),
     uniform(4), uniform(3))
case("scatter_update-max", "scatter_update",
     lambda a, u: core.scatter_update(a, np.array([[0], [1], [1]]), u, reduction="max"),
     np.array([0.1, 0.9, -0.5]), np.array([0.5, 0.2, 0.4]))
case("scatter_update-min", "scatter_update",
     lambda a, u: core.scatter_update(a, np.array([[0], [1]]), u, reduction="min"),
     np.array([0.1, 0.9, -0.5]), np.array([0.5, 0.2]))
case("scatter_update-mul-with-zero", "scatter_update",
     lambda a, u: core.scatter_update(a, np.array([[0], [0], [2]]), u, reduction="mul"),
     np.array([0.5, 0.9, 1.5]), np.array([0.0, 2.0, -1.5]))
case("unstack-axis1", "unstack",
     lambda a: eng.stack([t * (i + 1.0) for i, t in enumerate(core.unstack(a, axis=1))]),
     uniform(2, 3))
case("cond-true-branch", "cond", lambda a: core.cond(True, lambda: a * a, lambda: a), uniform(3))
case("switch-clamped", "switch",
     lambda a: core.switch(7, [lambda x: x, lambda x: eng.exp(x)], a), uniform(3))
case("while_loop-body", "while_loop",
     lambda a: core.while_loop(lambda i, x: i < 3, lambda i, x: (i + 1, x * a), (0, a))[1],
     uniform(3))
case("fori_loop-body", "fori_loop",
     lambda a: core.fori_loop(0, 3, lambda i, x: eng.tanh(x) + a * i, a), uniform(3))
case("scan-carry-and-ys", "scan",
     lambda a, c: eng.concatenate(
         [eng.reshape(t, (-1,)) for t in core.scan(lambda h, x: (h * x + x, h * 2.0), c, a)]),
     uniform(4, 2), uniform(2))
case("scan-reverse", "scan",
     lambda a: core.scan(lambda h, x: (h + x * x, h), 0.5, a, reverse=True)[1], uniform(4))
case("associative_scan-sum", "associative_scan",
     lambda a: core.associative_scan(lambda x, y: x + y, a, axis=1), uniform(2, 4))
case("associative_scan-product-reverse", "associative_scan",
     lambda a: core.associative_scan(lambda x, y: x * y, a, reverse=True), uniform(4, 2))
case("map-structure", "map",
     lambda a, b: core.map(lambda d: d["x"] * d["y"], {"x": a, "y": b}), uniform(3, 2),
     uniform(3, 2))
case("vectorized_map-list", "vectorized_map",
     lambda a, b: core.vectorized_map(lambda xs: eng.sum(xs[0] * xs[1]), [a, b]),
     uniform(3, 2), uniform(3, 2))

# ------------------------------------------------------------------------------ math
case("erf", "erf", dmath.erf, uniform(2, 3, low=-2, high=2))
case("erfc", "erfc", dmath.erfc, uniform(2, 3, low=-2, high=2))
case("erfinv", "erfinv", dmath.erfinv, uniform(2, 3, low=-0.9, high=0.9))
case("rsqrt", "rsqrt", dmath.rsqrt, uniform(2, 3, low=0.5, high=2))
case("logsumexp-axis", "logsumexp", lambda a: dmath.logsumexp(a, axis=-1, keepdims=True),
     uniform(2, 3))
case("logsumexp-all", "logsumexp", dmath.logsumexp, uniform(2, 3))
case("logdet", "logdet", lambda a: dmath.logdet(spd(a)), uniform(3, 3))
case("logdet-batch", "logdet", dmath.logdet,
     np.stack([well_conditioned(2), well_conditioned(2)]))
case("cdist", "cdist", dmath.cdist, uniform(3, 2), uniform(4, 2) + 3.0)
case("cdist-batch", "cdist", dmath.cdist, uniform(2, 3, 2), uniform(2, 2, 2) + 3.0)
case("top_k-values", "top_k", lambda a: dmath.top_k(a, 2)[0], distinct(3, 4))
case("segment_sum", "segment_sum",
     lambda a: dmath.segment_sum(a, np.array([0, 2, 0, -1]), num_segments=3), uniform(4, 2))
case("segment_max-with-tie", "segment_max",
     lambda a: dmath.segment_max(a, np.array([0, 0, 1, 1])), np.array([0.3, 0.3, -0.5, 0.1]))
case("segment_min", "segment_min",
     lambda a: dmath.segment_min(a, np.array([1, 0, 1, 0])), distinct(4, 2))
case("segment_prod-one-zero", "segment_prod",
     lambda a: dmath.segment_prod(a, np.array([0, 0, 0, 1, 1])),
     np.array([0.0, 1.5, -0.7, 0.0, 0.0]))
case("segment_prod-nonzero", "segment_prod",
     lambda a: dmath.segment_prod(a, np.array([1, 0, 1])), uniform(3, 2, low=0.5, high=1.5))
case("extract_sequences", "extract_sequences",
     lambda a: dmath.extract_sequences(a, 3, 2), uniform(2, 7))
case("rearrange-split-merge", "rearrange",
     lambda a: dmath.rearrange(a, "b (h h1) w -> h (b w h1)", h1=2), uniform(2, 4, 3))

# ---------------------------------------------------------------------------- linalg
case("inv", "inv", linalg.inv, well_conditioned(3))
case("inv-batch", "inv", linalg.inv, np.stack([well_conditioned(2), well_conditioned(2)]))
case("det", "det", linalg.det, uniform(3, 3))
case("det-batch", "det", linalg.det, uniform(2, 3, 3))
case("solve-matrix-rhs", "solve", linalg.solve, well_conditioned(3), uniform(3, 2))
case("solve-vector-rhs", "solve", linalg.solve, well_conditioned(3), uniform(3))
case("solve-batched-a-broadcast-b", "solve", linalg.solve,
     np.stack([well_conditioned(3), well_conditioned(3)]), uniform(3, 2))
case("solve-batched-vectors", "solve", linalg.solve,
     np.stack([well_conditioned(3), well_conditioned(3)]), uniform(2, 3))
case("svd-batch", "svd",
     lambda a: eng.concatenate([eng.reshape(eng.abs(t), (-1,))
                                for t in linalg.svd(a, full_matrices=False)]), uniform(2, 4, 3))
case("qr-batch", "qr", lambda a: eng.concatenate([eng.reshape(t, (-1,)) for t in linalg.qr(a)]),
     uniform(2, 4, 3))
case("eigh-batch", "eigh", lambda a: eng.abs(linalg.eigh(sym(a))[1]), uniform(2, 3, 3))
case("solve_triangular-upper", "solve_triangular", linalg.solve_triangular,
     well_conditioned(3), uniform(3, 2))
case("solve_triangular-lower", "solve_triangular",
     lambda a, b: linalg.solve_triangular(a, b, lower=True), well_conditioned(3), uniform(3))
case("cholesky-lower", "cholesky", lambda a: linalg.cholesky(spd(a)), uniform(3, 3))
case("cholesky-upper", "cholesky", lambda a: linalg.cholesky(spd(a), upper=True), uniform(3, 3))
case("cholesky_inverse", "cholesky_inverse",
     lambda a: linalg.cholesky_inverse(a), np.tril(uniform(3, 3)) + 2 * np.eye(3))
case("cholesky_inverse-upper", "cholesky_inverse",
     lambda a: linalg.cholesky_inverse(a, upper=True), np.triu(uniform(3, 3)) + 2 * np.eye(3))
case("eigh-values", "eigh", lambda a: linalg.eigh(sym(a))[0], uniform(3, 3))
case("eigh-vectors-sign-invariant", "eigh",
     lambda a: eng.abs(linalg.eigh(sym(a))[1]) + 0.0, uniform(3, 3))
case("qr-q-tall", "qr", lambda a: linalg.qr(a)[0], uniform(4, 3))
case("qr-r-square", "qr", lambda a: linalg.qr(a)[1], uniform(3, 3))
case("svd-values", "svd", lambda a: linalg.svd(a, compute_uv=False), uniform(4, 3))
case("svd-u-v-tall", "svd",
     lambda a: eng.concatenate([eng.reshape(eng.abs(t), (-1,))
                                for t in linalg.svd(a, full_matrices=False)]), uniform(4, 3))
case("svd-u-v-wide", "svd",
     lambda a: eng.concatenate([eng.reshape(eng.abs(t), (-1,))
                                for t in linalg.svd(a, full_matrices=False)]), uniform(2, 4))
case("svd-square-full", "svd",
     lambda a: eng.concatenate([eng.reshape(eng.abs(t), (-1,)) for t in linalg.svd(a)]),
     uniform(3, 3))
case("pinv", "pinv", linalg.pinv, uniform(4, 3))
case("lstsq-vector", "lstsq", linalg.lstsq, uniform(4, 3), uniform(4))
case("lstsq-matrix", "lstsq", linalg.lstsq, uniform(4, 2), uniform(4, 3))
for _ord in (None, "fro", "nuc", np.inf, -np.inf, 1, -1, 2, -2):
    # continuous random entries: no zero entry (|x| kink), no tied row/column sums
    case(f"norm-matrix-ord={_ord}", "norm", lambda a, o=_ord: linalg.norm(a, ord=o),
         uniform(3, 4, low=0.2, high=1.0) * _rng.choice([-1.0, 1.0], size=(3, 4)))
for _ord in (None, np.inf, -np.inf, 1, 3, 0.5):
    case(f"norm-vector-ord={_ord}", "norm",
         lambda a, o=_ord: linalg.norm(a, ord=o, axis=-1, keepdims=True), distinct(3, 4) + 0.05)
case("norm-matrix-axes-(2,0)", "norm",
     lambda a: linalg.norm(a, ord="nuc", axis=(2, 0)), uniform(3, 2, 4))


@pytest.mark.parametrize("c", CASES, ids=[c.name for c in CASES])
def test_gradient(c: Case) -> None:
    assert gradcheck(c.fn, *c.inputs, **c.options)


def test_every_name_is_covered() -> None:
    names = set(core.__all__) | set(dmath.__all__) | set(linalg.__all__)
    covered = {c.op for c in CASES}
    missing = names - covered - set(NON_DIFFERENTIABLE)
    assert not missing, f"no gradcheck case and no NON_DIFFERENTIABLE reason for {missing}"
    assert not (set(NON_DIFFERENTIABLE) - names), "stale NON_DIFFERENTIABLE entries"
    assert all(NON_DIFFERENTIABLE.values())


def test_stop_gradient_blocks_the_gradient() -> None:
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    (x * 2.0 + core.stop_gradient(x) * 5.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 2.0])
