"""Every docstring example in ``src/descend`` runs and prints what it says.

The modules are found by walking the package, so a new module's examples are
tested without being listed here. A module whose import needs an optional extra
that is not installed (scikit-learn, listed in ``NEEDS``) is skipped by name.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import descend


def _module_names() -> list[str]:
    names = [descend.__name__]
    for info in pkgutil.walk_packages(descend.__path__, prefix=descend.__name__ + "."):
        names.append(info.name)
    return sorted(names)


MODULES = _module_names()
# modules that import an optional extra; their examples are skipped, visibly, without it
NEEDS = {"descend.wrappers._base": "sklearn", "descend.wrappers.sklearn_wrapper": "sklearn"}


def test_the_package_walk_finds_the_modules_with_examples() -> None:
    # the walk must reach nested packages, or their examples would silently go untested
    assert "descend.explain.taps" in MODULES
    assert "descend.autograd.ops.nn" in MODULES or any(
        name.startswith("descend.autograd.ops.") for name in MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name: str) -> None:
    if name in NEEDS:
        pytest.importorskip(NEEDS[name], reason=f"{NEEDS[name]} is not installed (an extra)")
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    tests = finder.find(module, name)  # globals: a copy of the module's, as `python -m doctest`
    failures: list[str] = []
    for test in tests:
        if not test.examples:
            continue
        out: list[str] = []
        result = runner.run(test, out=out.append)
        if result.failed:
            failures.append("".join(out))
    assert not failures, "\n".join(failures)


def test_the_tap_example_records_predict() -> None:
    # regression: predict's array fast path bypassed the tapped ``call``, so the module
    # example printed [] instead of the two layers (taps are forward hooks now)
    import numpy as np

    from descend.explain.taps import tap_layers
    from descend.layers import Dense

    model = descend.Sequential([Dense(3, activation="relu", input_shape=(2,), name="hidden"),
                                Dense(1, name="out")])
    x = np.ones((4, 2), dtype="float32")
    expected = model.predict(x, verbose=0)
    with tap_layers(model.layers) as calls:
        got = model.predict(x, verbose=0)
    assert [(c.layer.name, c.outputs.shape) for c in calls] == [("hidden", (4, 3)), ("out", (4, 1))]
    np.testing.assert_array_equal(calls[-1].outputs, expected)
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(calls[1].inputs, calls[0].outputs)
    # the block removes its hooks: the layers fuse again
    assert all(layer._hooks is None for layer in model.layers)
