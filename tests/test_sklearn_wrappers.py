"""The scikit-learn wrappers in use: pipelines, searches, cloning, pickling, labels, weights.

``tests/test_sklearn_estimator_checks.py`` runs scikit-learn's own battery; this file checks
what a user does with the estimators, and the pickling contract: a fitted model travels as
the bytes of its ``.descend`` file, never as pickled descend objects.
"""

from __future__ import annotations

import io
import pickle
import pickletools
import subprocess
import sys
import textwrap

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn",
                              reason="scikit-learn is not installed (pip install descend[sklearn])")

import joblib  # noqa: E402  (a scikit-learn dependency)
from sklearn.base import clone  # noqa: E402
from sklearn.datasets import make_blobs, make_regression  # noqa: E402
from sklearn.model_selection import GridSearchCV, cross_val_score  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

import descend  # noqa: E402
from descend.layers import Dense, Input  # noqa: E402
from descend.wrappers import SKLearnClassifier, SKLearnRegressor, SKLearnTransformer  # noqa: E402
from descend.wrappers._model_bytes import ModelBytes  # noqa: E402


def mlp(X, y, hidden=8, activation="softmax", loss="categorical_crossentropy",
        learning_rate=0.05):
    """A small MLP sized from the data (module level: loky workers import it by name)."""
    model = descend.Sequential([Input((X.shape[1],)), Dense(hidden, activation="relu"),
                                Dense(y.shape[1], activation=activation)])
    model.compile(optimizer=descend.optimizers.Adam(learning_rate), loss=loss)
    return model


def regression_mlp(X, y, hidden=8):
    return mlp(X, y, hidden=hidden, activation="linear", loss="mse")


def sigmoid_unit(X, y):
    """One sigmoid unit for two classes (the callable still receives the one-hot y)."""
    model = descend.Sequential([Input((X.shape[1],)), Dense(1, activation="sigmoid")])
    model.compile(optimizer=descend.optimizers.Adam(0.1), loss="binary_crossentropy")
    return model


def logits_model(X, y):
    model = descend.Sequential([Input((X.shape[1],)), Dense(y.shape[1])])
    model.compile(optimizer=descend.optimizers.Adam(0.1),
                  loss=descend.losses.CategoricalCrossentropy(from_logits=True))
    return model


FIT = {"epochs": 30, "batch_size": 32}


@pytest.fixture(scope="module")
def blobs():
    X, y = make_blobs(n_samples=120, centers=3, n_features=4, random_state=0)
    return StandardScaler().fit_transform(X), y


def classifier(**kwargs):
    return SKLearnClassifier(mlp, fit_kwargs=FIT, random_state=0, **kwargs)


# ------------------------------------------------------------------------ imports
def test_import_descend_and_descend_wrappers_do_not_import_sklearn():
    code = ("import sys, descend, descend.wrappers; "
            "assert 'sklearn' not in sys.modules, 'sklearn imported'; "
            "descend.wrappers.SKLearnRegressor; assert 'sklearn' in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_without_sklearn_the_error_names_the_extra():
    code = textwrap.dedent("""
        import sys
        sys.modules["sklearn"] = None          # as if scikit-learn were not installed
        import descend.wrappers
        try:
            descend.wrappers.SKLearnClassifier
        except ImportError as exc:
            print(exc)
    """)
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True).stdout
    assert "descend.wrappers.SKLearnClassifier needs scikit-learn" in out
    assert "pip install 'descend[sklearn]'" in out


# ------------------------------------------------------------------------ labels
def test_string_labels(blobs):
    X, y = blobs
    names = np.array(["bird", "cat", "dog"])[y]
    clf = classifier().fit(X, names)
    assert clf.classes_.tolist() == ["bird", "cat", "dog"]
    predicted = clf.predict(X)
    assert predicted.dtype == names.dtype and set(predicted) <= set(names)
    assert np.mean(predicted == names) > 0.9
    proba = clf.predict_proba(X)
    assert proba.shape == (120, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(clf.classes_[proba.argmax(axis=1)], predicted)


def test_integer_labels_keep_their_values_and_the_model_sees_one_hot(blobs):
    X, y = blobs
    labels = np.array([3, 7, 42])[y]
    seen = {}

    def build(X, y):
        seen["y"] = y
        return mlp(X, y)

    clf = SKLearnClassifier(build, fit_kwargs=FIT, random_state=0).fit(X, labels)
    np.testing.assert_array_equal(clf.classes_, [3, 7, 42])
    np.testing.assert_array_equal(seen["y"], np.eye(3)[y])    # one-hot, as Keras's wrapper
    assert np.mean(clf.predict(X) == labels) > 0.9
    assert clf.score(X, labels) > 0.9


def test_binary_decision_function_is_the_log_odds(blobs):
    X, y = blobs
    keep = y < 2
    clf = classifier().fit(X[keep], y[keep])
    proba = clf.predict_proba(X[keep])
    decision = clf.decision_function(X[keep])
    assert decision.shape == (int(keep.sum()),)
    np.testing.assert_allclose(decision, np.log(proba[:, 1]) - np.log(proba[:, 0]), rtol=1e-6)
    np.testing.assert_array_equal((decision > 0).astype(int), clf.predict(X[keep]))


def test_one_sigmoid_unit_for_two_classes(blobs):
    X, y = blobs
    keep = y < 2
    labels = np.where(y[keep] == 1, "yes", "no")
    clf = SKLearnClassifier(sigmoid_unit, fit_kwargs=FIT, random_state=0).fit(X[keep], labels)
    proba = clf.predict_proba(X[keep])
    np.testing.assert_allclose(proba[:, 1], clf.model_.predict(X[keep], verbose=0)[:, 0],
                               rtol=1e-6)
    assert clf.score(X[keep], labels) > 0.9


def test_from_logits_outputs_go_through_softmax(blobs):
    X, y = blobs
    clf = SKLearnClassifier(logits_model, fit_kwargs=FIT, random_state=0).fit(X, y)
    logits = clf.model_.predict(X, verbose=0).astype(np.float64)
    expected = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(clf.predict_proba(X), expected, rtol=1e-6)
    assert clf.score(X, y) > 0.9


def test_a_model_with_the_wrong_number_of_outputs_is_refused(blobs):
    X, y = blobs
    with pytest.raises(ValueError, match="outputs 1 columns but y has 3 classes"):
        SKLearnClassifier(sigmoid_unit).fit(X, y)


def test_multilabel_and_continuous_targets_are_refused(blobs):
    X, _ = blobs
    with pytest.raises(ValueError, match="y should be a 1d array"):
        classifier().fit(X, np.ones((120, 2), dtype=int) * [0, 1])
    with pytest.raises(ValueError, match="Unknown label type"):
        classifier().fit(X, X[:, 0])


# ------------------------------------------------------------------------ regression
def test_multi_output_regression():
    X, Y = make_regression(n_samples=150, n_features=5, n_targets=3, noise=0.1,
                           random_state=0)
    Y = Y / Y.std(axis=0)
    reg = SKLearnRegressor(regression_mlp, model_kwargs={"hidden": 16},
                           fit_kwargs={"epochs": 80, "batch_size": 16},
                           random_state=0).fit(X, Y)
    assert reg.n_outputs_ == 3
    predicted = reg.predict(X)
    assert predicted.shape == (150, 3) and predicted.dtype == np.float64
    assert reg.score(X, Y) > 0.9
    single = SKLearnRegressor(regression_mlp, fit_kwargs=FIT, random_state=0).fit(X, Y[:, 0])
    assert single.predict(X).shape == (150,)


def test_transformer_outputs_the_model_output_in_a_pipeline(blobs):
    X, y = blobs
    from sklearn.linear_model import LogisticRegression

    embed = SKLearnTransformer(regression_mlp, model_kwargs={"hidden": 8}, fit_kwargs=FIT,
                               random_state=0)
    pipe = make_pipeline(embed, LogisticRegression()).fit(X, y)   # one score learnt from y
    transformed = pipe[0].transform(X)
    np.testing.assert_array_equal(transformed, pipe[0].model_.predict(X, verbose=0))
    assert transformed.shape == (120, 1)
    assert pipe.score(X, y) > 0.8
    assert pipe[0].get_feature_names_out().tolist() == ["sklearntransformer0"]


# ------------------------------------------------------------------------ sample weights
def test_sample_weights_change_the_fit(blobs):
    X, y = blobs
    plain = classifier().fit(X, y)
    weights = np.where(y == 0, 5.0, 1.0)
    weighted = classifier().fit(X, y, sample_weight=weights)
    assert not np.allclose(plain.predict_proba(X), weighted.predict_proba(X))
    # scaling every weight by the same factor changes nothing (they are rescaled to mean 1)
    scaled = classifier().fit(X, y, sample_weight=weights * 7.0)
    np.testing.assert_allclose(scaled.predict_proba(X), weighted.predict_proba(X), rtol=1e-5)


def test_zero_weights_remove_samples_with_full_batch_training(blobs):
    X, y = blobs
    weights = np.ones(len(y))
    weights[::4] = 0.0
    full_batch = {"epochs": 20, "batch_size": 1000}
    weighted = SKLearnClassifier(mlp, fit_kwargs=full_batch, random_state=0).fit(
        X, y, sample_weight=weights)
    removed = SKLearnClassifier(mlp, fit_kwargs=full_batch, random_state=0).fit(
        X[weights > 0], y[weights > 0])
    np.testing.assert_allclose(weighted.predict_proba(X), removed.predict_proba(X), atol=1e-5)


def test_bad_sample_weights_are_refused(blobs):
    X, y = blobs
    with pytest.raises(ValueError, match="zero"):
        classifier().fit(X, y, sample_weight=np.zeros(len(y)))
    with pytest.raises(ValueError):
        classifier().fit(X, y, sample_weight=np.ones(3))
    with pytest.raises(ValueError, match="only one class"):
        classifier().fit(X, y, sample_weight=(y == 1).astype(float))


# ------------------------------------------------------------------------ meta-estimators
def test_pipeline_and_cross_val_score(blobs):
    X, y = blobs
    pipe = make_pipeline(StandardScaler(), classifier())
    scores = cross_val_score(pipe, X, y, cv=3)
    assert scores.shape == (3,) and scores.min() > 0.8


def test_grid_search_with_two_processes(blobs):
    X, y = blobs
    search = GridSearchCV(
        classifier(),
        {"model_kwargs": [{"hidden": 2}, {"hidden": 8}], "fit_kwargs": [{"epochs": 2},
                                                                          {"epochs": 30}]},
        cv=2, n_jobs=2)
    search.fit(X, y)
    assert len(search.cv_results_["params"]) == 4
    assert search.best_params_["fit_kwargs"] == {"epochs": 30}
    assert search.best_estimator_.score(X, y) > 0.9
    assert isinstance(search.best_estimator_.model_, descend.models.Model)


def test_clone_gives_an_unfitted_copy_with_equal_parameters(blobs):
    X, y = blobs
    fitted = classifier(model_kwargs={"hidden": 4}).fit(X, y)
    copy = clone(fitted)
    assert not hasattr(copy, "model_") and not hasattr(copy, "classes_")
    assert copy.get_params() == fitted.get_params()
    np.testing.assert_array_equal(copy.fit(X, y).predict_proba(X), fitted.predict_proba(X))


def test_a_model_instance_parameter_is_cloned_never_changed(blobs):
    X, y = blobs
    model = mlp(X, np.eye(3))
    before = [w.copy() for w in model.get_weights()]
    clf = SKLearnClassifier(model, fit_kwargs=FIT, random_state=0).fit(X, y)
    assert clf.model_ is not model
    for old, new in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(old, new)
    assert clf.score(X, y) > 0.9
    copy = clone(clf)
    assert copy.model is not model
    for old, new in zip(model.get_weights(), copy.model.get_weights(), strict=True):
        np.testing.assert_array_equal(old, new)


# ------------------------------------------------------------------------ pickling
def _descend_globals(data: bytes) -> set[str]:
    """The ``module name`` globals a pickle refers to that belong to descend."""
    found, strings = set(), []
    for opcode, arg, _ in pickletools.genops(io.BytesIO(data)):
        if opcode.name in ("SHORT_BINUNICODE", "BINUNICODE", "UNICODE"):
            strings.append(arg)
        elif opcode.name == "GLOBAL":
            found.add(arg)
        elif opcode.name == "STACK_GLOBAL":
            found.add(" ".join(strings[-2:]))
    return {name for name in found if name.startswith("descend")}


@pytest.mark.parametrize("make", [
    lambda: SKLearnClassifier(mlp, fit_kwargs=FIT, random_state=0),
    lambda: SKLearnRegressor(regression_mlp, fit_kwargs=FIT, random_state=0),
    lambda: SKLearnTransformer(regression_mlp, fit_kwargs=FIT, random_state=0),
], ids=["classifier", "regressor", "transformer"])
def test_pickle_and_joblib_round_trips_predict_the_same(make, blobs, tmp_path):
    X, y = blobs
    estimator = make()
    target = y if isinstance(estimator, SKLearnClassifier) else np.eye(3)[y]
    estimator.fit(X, target)
    method = "transform" if isinstance(estimator, SKLearnTransformer) else "predict"
    expected = getattr(estimator, method)(X)

    data = pickle.dumps(estimator)
    # the model travels as .descend bytes: no descend class is pickled but the wrapper's own
    own = f"descend.wrappers.sklearn_wrapper {type(estimator).__name__}"
    assert _descend_globals(data) == {own, "descend.wrappers._model_bytes ModelBytes"}
    restored = pickle.loads(data)
    np.testing.assert_array_equal(getattr(restored, method)(X), expected)

    joblib.dump(estimator, tmp_path / "estimator.joblib")
    loaded = joblib.load(tmp_path / "estimator.joblib")
    np.testing.assert_array_equal(getattr(loaded, method)(X), expected)
    assert loaded.history_ == estimator.history_


def test_a_pickled_model_instance_parameter_also_travels_as_bytes(blobs):
    X, y = blobs
    clf = SKLearnClassifier(mlp(X, np.eye(3)), fit_kwargs=FIT, random_state=0).fit(X, y)
    state = clf.__getstate__()
    assert isinstance(state["model"], ModelBytes) and isinstance(state["model_"], ModelBytes)
    assert state["model_"].data[:2] == b"PK"    # a zip: the .descend file
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))


def test_warm_start_continues_from_the_restored_optimizer_state(blobs):
    X, y = blobs
    clf = classifier(warm_start=True).fit(X, y)
    iterations = int(clf.model_.optimizer.iterations)
    restored = pickle.loads(pickle.dumps(clf))
    model = restored.model_
    restored.fit(X, y)
    assert restored.model_ is model
    assert int(model.optimizer.iterations) == 2 * iterations
    clf.fit(X, y)
    np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))


# ------------------------------------------------------------------------ fit semantics
def test_random_state_makes_fits_identical_and_leaves_the_global_generator(blobs):
    X, y = blobs
    state = descend.random.get_state()
    first = classifier().fit(X, y).predict_proba(X)
    assert descend.random.get_state() == state
    np.testing.assert_array_equal(classifier().fit(X, y).predict_proba(X), first)
    other = SKLearnClassifier(mlp, fit_kwargs=FIT, random_state=1).fit(X, y)
    assert not np.array_equal(other.predict_proba(X), first)


def test_warm_start_false_starts_again(blobs):
    X, y = blobs
    clf = classifier().fit(X, y)
    model = clf.model_
    clf.fit(X, y)
    assert clf.model_ is not model


def test_fit_keyword_arguments_take_precedence_and_history_is_a_dict(blobs):
    X, y = blobs
    clf = classifier().fit(X, y, epochs=3)
    assert list(clf.history_) == ["loss"] and len(clf.history_["loss"]) == 3
    assert clf.fit_kwargs == FIT    # parameters are never changed


def test_validation_data_labels_are_encoded(blobs):
    X, y = blobs
    names = np.array(["a", "b", "c"])[y]
    clf = classifier().fit(X[:90], names[:90], validation_data=(X[90:], names[90:]))
    assert len(clf.history_["val_loss"]) == FIT["epochs"]


def test_errors_name_the_problem(blobs):
    X, y = blobs

    def uncompiled(X, y):
        return descend.Sequential([Input((X.shape[1],)), Dense(y.shape[1])])

    with pytest.raises(RuntimeError, match="needs to be compiled"):
        SKLearnClassifier(uncompiled).fit(X, y)
    with pytest.raises(TypeError, match="must be a descend Model or a callable"):
        SKLearnClassifier("mlp").fit(X, y)
    with pytest.raises(TypeError, match="returned int"):
        SKLearnClassifier(lambda X, y: 3).fit(X, y)
    with pytest.raises(TypeError, match="pass X, y and sample_weight to fit itself"):
        SKLearnClassifier(mlp, fit_kwargs={"sample_weight": None}).fit(X, y)
    with pytest.raises(TypeError, match="model_kwargs"):
        SKLearnClassifier(mlp, model_kwargs=[1]).fit(X, y)
    with pytest.raises(TypeError, match="random_state"):
        SKLearnClassifier(mlp, random_state="seed").fit(X, y)
    import scipy.sparse

    with pytest.raises(TypeError, match="[Ss]parse"):
        classifier().fit(scipy.sparse.csr_matrix(X), y)


def test_seeded_fits_in_threads_are_identical_to_sequential_fits(blobs):
    from joblib import Parallel, delayed, parallel_backend

    X, y = blobs
    expected = classifier().fit(X, y).predict_proba(X)
    with parallel_backend("threading", n_jobs=2):
        results = Parallel()(delayed(lambda: classifier().fit(X, y).predict_proba(X))()
                             for _ in range(3))
    for result in results:
        np.testing.assert_array_equal(result, expected)
