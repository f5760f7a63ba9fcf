"""Regularizers: Keras penalties (no 1/2 factor), gradients, string names, configs."""

import numpy as np
import pytest

from descend import regularizers
from descend.autograd import Tensor, gradcheck

W = np.array([[0.3, -1.2, 2.0], [-0.7, 0.4, -0.05]])


@pytest.mark.parametrize(
    "reg, expected",
    [
        (regularizers.L1(0.1), 0.1 * np.abs(W).sum()),
        (regularizers.L2(0.1), 0.1 * (W**2).sum()),
        (regularizers.L1L2(0.1, 0.2), 0.1 * np.abs(W).sum() + 0.2 * (W**2).sum()),
        (regularizers.L1L2(l2=0.2), 0.2 * (W**2).sum()),
        (regularizers.L1L2(), 0.0),
        (regularizers.get("l1"), 0.01 * np.abs(W).sum()),
        (regularizers.get("l2"), 0.01 * (W**2).sum()),
        (regularizers.get("l1_l2"), 0.01 * np.abs(W).sum() + 0.01 * (W**2).sum()),
        (regularizers.l2(0.001), 0.001 * (W**2).sum()),
    ],
)
def test_values_and_gradients(reg, expected):
    out = reg(Tensor(W))
    assert out.shape == ()
    assert out.item() == pytest.approx(expected, rel=1e-6)
    assert gradcheck(reg, W)


def test_gradient_is_in_the_graph():
    w = Tensor(W, requires_grad=True)
    regularizers.L2(0.5)(w).backward()
    np.testing.assert_allclose(w.grad, 0.5 * 2 * W, rtol=1e-6)


def test_defaults_and_configs():
    assert regularizers.L1().get_config() == {"l1": 0.01}
    assert regularizers.L2().get_config() == {"l2": 0.01}
    assert regularizers.L1L2().get_config() == {"l1": 0.0, "l2": 0.0}
    assert regularizers.get("L1L2").get_config() == {"l1": 0.0, "l2": 0.0}
    for reg in (regularizers.L1(0.3), regularizers.L2(0.2), regularizers.L1L2(0.1, 0.4)):
        config = regularizers.serialize(reg)
        assert config["class_name"] == type(reg).__name__
        again = regularizers.get(config)
        assert type(again) is type(reg) and again.get_config() == reg.get_config()
        assert type(reg).from_config(reg.get_config()).get_config() == reg.get_config()


def test_get_identifiers():
    assert regularizers.get(None) is None
    assert regularizers.serialize(None) is None
    reg = regularizers.L2(0.2)
    assert regularizers.get(reg) is reg
    assert isinstance(regularizers.get(regularizers.L1), regularizers.L1)

    def penalty(w):
        return (w * w).sum() * 3.0

    assert regularizers.get(penalty) is penalty
    assert regularizers.serialize(penalty) == "penalty"


def test_bad_input():
    with pytest.raises(ValueError, match="Did you mean 'l2'"):
        regularizers.get("l22")
    with pytest.raises(ValueError, match="non-negative"):
        regularizers.L2(-0.1)
    with pytest.raises(ValueError, match="l1"):
        regularizers.L1(float("nan"))
    with pytest.raises(ValueError, match="l1"):
        regularizers.L1("0.1")
    with pytest.raises(TypeError, match="regularizer"):
        regularizers.get(1.5)
