"""The optional one-pass kernels (numba) against the NumPy passes they replace.

The kernels perform the same float operations in the same order, so the weights
and the state must come out bit-identical, whatever the options around the rule.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from descend.optimizers import Adam, AdamW, _kernels
from optimizer_reference import make_grads, make_variables, train

CASES = {
    "adam": (Adam, {"learning_rate": 0.05}),
    "adam-custom": (Adam, {"learning_rate": 0.05, "beta_1": 0.8, "beta_2": 0.99,
                           "epsilon": 1e-3}),
    "adam-amsgrad": (Adam, {"learning_rate": 0.05, "amsgrad": True}),
    "adam-clipnorm-ema": (Adam, {"learning_rate": 0.05, "clipnorm": 0.5, "use_ema": True}),
    "adamw": (AdamW, {"learning_rate": 0.05, "weight_decay": 0.1, "amsgrad": True}),
}


def _run(cls, kwargs, dtype, enabled, monkeypatch):
    monkeypatch.setattr(_kernels, "ENABLED", enabled)
    variables = make_variables(dtype=dtype)
    optimizer = cls(**kwargs)
    weights = train(optimizer, variables, make_grads(40, scale=2.0, dtype=dtype))
    return weights, optimizer.get_state()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_kernel_is_bit_identical_to_the_numpy_passes(case, dtype, monkeypatch):
    pytest.importorskip("numba", reason="the kernels need numba: pip install descend[fast]")
    assert _kernels.adam() is not None
    cls, kwargs = CASES[case]
    fast, fast_state = _run(cls, kwargs, dtype, True, monkeypatch)
    plain, plain_state = _run(cls, kwargs, dtype, False, monkeypatch)
    for a, b in zip(fast, plain, strict=True):
        np.testing.assert_array_equal(a, b)
    for key in plain_state:
        np.testing.assert_array_equal(fast_state[key], plain_state[key], err_msg=key)


def test_amsgrad_kernel_propagates_nan_as_numpy_maximum():
    pytest.importorskip("numba", reason="the kernels need numba: pip install descend[fast]")
    kernel = _kernels.adam(amsgrad=True)
    w, g = np.ones(3, np.float32), np.array([np.nan, 1.0, 1.0], np.float32)
    m, v = np.zeros(3, np.float32), np.zeros(3, np.float32)
    v_hat = np.array([0.0, np.nan, 0.0], np.float32)
    one = np.float32(0.1)
    kernel(w, g, m, v, v_hat, one, one, one, one)
    assert np.isnan(v_hat[:2]).all() and v_hat[2] > 0


def test_turned_off_or_missing_gives_none(monkeypatch):
    monkeypatch.setattr(_kernels, "ENABLED", False)
    assert _kernels.adam() is None


def test_import_descend_does_not_import_numba():
    code = "import sys, descend; descend.optimizers.Adam(); print('numba' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "False"
