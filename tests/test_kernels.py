"""The optional one-pass kernels (numba) against the NumPy passes they replace.

The kernels perform the same float operations in the same order, so the weights
and the state must come out bit-identical, whatever the options around the rule.
"""

from __future__ import annotations

import os
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
    monkeypatch.setattr(_kernels, "EAGER", True)  # the kernel from the first update
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


def test_loaded_once_it_has_paid_off_and_numbers_unchanged(monkeypatch):
    """By default the kernel is loaded once the updates so far would have saved the time
    loading takes; the run switches from the NumPy passes to it with no change of any
    number."""
    pytest.importorskip("numba", reason="the kernels need numba: pip install descend[fast]")
    monkeypatch.setattr(_kernels, "_compiled", {})
    monkeypatch.setattr(_kernels, "_saved", [0.0])
    monkeypatch.setattr(_kernels, "ENABLED", True)
    monkeypatch.setattr(_kernels, "EAGER", False)
    n = sum(v.data.size for v in make_variables(dtype="float32"))
    per_update = _kernels.CALL_SECONDS + _kernels.ELEMENT_SECONDS * n
    monkeypatch.setattr(_kernels, "LOAD_SECONDS", 12.5 * per_update)  # paid off at update 13
    loaded_at = []
    original = _kernels._build

    def build():
        loaded_at.append(_kernels._saved[0] / per_update)
        original()

    monkeypatch.setattr(_kernels, "_build", build)
    switching = train(Adam(learning_rate=0.05), make_variables(dtype="float32"),
                      make_grads(40, scale=2.0, dtype="float32"))
    assert len(loaded_at) == 1 and 12.5 <= loaded_at[0] < 14  # once, when it had paid off
    plain, _ = _run(Adam, {"learning_rate": 0.05}, "float32", False, monkeypatch)
    for a, b in zip(switching, plain, strict=True):
        np.testing.assert_array_equal(a, b)


def test_short_runs_never_load_numba():
    """A short training (the course network, a few hundred updates) leaves numba
    unimported: loading it would cost more than it saves."""
    pytest.importorskip("numba", reason="the kernels need numba: pip install descend[fast]")
    code = ("import sys, numpy as np, descend\n"
            "from descend import layers\n"
            "m = descend.Sequential([layers.Input((1,)), layers.Dense(16, 'relu'),\n"
            "                        layers.Dense(2, 'softmax')])\n"
            "m.compile('adam', 'sparse_categorical_crossentropy')\n"
            "x = np.linspace(-1, 1, 200, dtype='float32')[:, None]\n"
            "m.fit(x, (x[:, 0] > 0).astype(int), batch_size=10, epochs=3, verbose=0)\n"
            "print('numba' in sys.modules)")
    env = {k: v for k, v in os.environ.items() if k != "DESCEND_NUMBA"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env=env).stdout.strip()
    assert out == "False"


def test_turned_off_or_missing_gives_none(monkeypatch):
    monkeypatch.setattr(_kernels, "ENABLED", False)
    assert _kernels.adam() is None


def test_import_descend_does_not_import_numba():
    code = "import sys, descend; descend.optimizers.Adam(); print('numba' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "False"
