"""scikit-learn's own estimator checks pass for the three wrappers, with no expected failures.

Keras 3.15's wrappers declare expected failures (eight for the classifier: deterministic
fits, sample weights, decision_function's shape...; one each for the others); descend's pass
every check of ``sklearn.utils.estimator_checks`` (``legacy=True``: the whole battery).

The models are small, full-batch (one step per epoch) and computed in float64
(``floatx="float64"``: inputs, targets and weights too, which ``fit`` casts to floatx):

- with one batch per epoch, a fit with integer sample weights is the fit on repeated
  samples up to rounding, which ``check_sample_weight_equivalence_on_dense_data`` compares
  at rtol=1e-7, and ``check_methods_subset_invariance`` compares predictions on slices at
  the same rtol; in float32 both differ by float32 rounding (eps = 1.2e-7), so these two
  checks need float64 (every other check also passes in float32);
- the optimizer is SGD with momentum: Adam divides each gradient by its running RMS, which
  turns the rounding noise of near-zero gradients into full-size steps, so two fits that
  agree mathematically drift apart by more than 1e-7.
"""

from __future__ import annotations

import pytest

pytest.importorskip("sklearn",
                    reason="scikit-learn is not installed (pip install descend[sklearn])")

from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

import descend  # noqa: E402
from descend.layers import Dense, Input  # noqa: E402
from descend.wrappers import (  # noqa: E402
    SKLearnClassifier,
    SKLearnRegressor,
    SKLearnTransformer,
)

FIT = {"epochs": 60, "batch_size": 4096}


@pytest.fixture(autouse=True)
def float64():
    """Float64 inputs, targets and weights, not only weights (fit casts to floatx)."""
    previous = descend.config.floatx()
    descend.config.set_floatx("float64")
    yield
    descend.config.set_floatx(previous)


class MLP:
    """Builds an MLP with one hidden layer, sized from the data, trained by SGD with momentum.

    A callable object rather than a function: the test ids are made from the estimators'
    reprs, and a function's repr holds its address, which differs between processes
    (pytest-xdist's workers must collect the same ids).
    """

    def __call__(self, X, y, activation="linear", loss="mse", hidden=16, learning_rate=0.05):
        model = descend.Sequential([
            Input((X.shape[1],)),
            Dense(hidden, activation="relu"),
            Dense(y.shape[1], activation=activation),
        ])
        optimizer = descend.optimizers.SGD(learning_rate, momentum=0.9, global_clipnorm=10.0)
        model.compile(optimizer=optimizer, loss=loss)
        return model

    def __repr__(self) -> str:
        return "mlp"


mlp = MLP()


ESTIMATORS = [
    SKLearnClassifier(mlp, model_kwargs={"activation": "softmax",
                                         "loss": "categorical_crossentropy"},
                      fit_kwargs=FIT),
    SKLearnRegressor(mlp, fit_kwargs=FIT),
    SKLearnTransformer(mlp, model_kwargs={"hidden": 8}, fit_kwargs=FIT),
]


@parametrize_with_checks(ESTIMATORS, legacy=True, expected_failed_checks=None)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)
