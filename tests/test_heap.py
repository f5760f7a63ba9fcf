"""descend.models.heap: glibc's malloc keeps freed memory for the next step."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import descend
from descend.models import heap


def _run(code: str, **env: str) -> str:
    import os

    full_env = {**os.environ, **env}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, env=full_env).stdout.strip()


_FIT = (
    "import numpy as np, descend\n"
    "from descend.models import heap\n"
    "{setup}"
    "m = descend.Sequential([descend.layers.Input((3,)), descend.layers.Dense(2)])\n"
    "m.compile('sgd', 'mse')\n"
    "m.fit(np.zeros((4, 3)), np.zeros((4, 2)), verbose=0)\n"
    "print(heap.is_retaining())\n"
)


def _is_glibc() -> bool:
    import platform

    return sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"


def test_import_alone_changes_nothing() -> None:
    assert _run("import descend\nfrom descend.models import heap\n"
                "print(heap.is_retaining())") == "False"


@pytest.mark.skipif(not _is_glibc(), reason="glibc only")
def test_fit_raises_the_thresholds_once() -> None:
    assert _run(_FIT.format(setup="")) == "True"


@pytest.mark.skipif(not _is_glibc(), reason="glibc only")
@pytest.mark.parametrize("call", [
    "m.train_on_batch(np.zeros((4, 3)), np.zeros((4, 2)))",
    "m.predict_on_batch(np.zeros((4, 3)))",
])
def test_batch_methods_raise_them_too(call: str) -> None:
    code = _FIT.format(setup="").replace(
        "m.fit(np.zeros((4, 3)), np.zeros((4, 2)), verbose=0)", call)
    assert _run(code) == "True"


def test_config_turns_it_off() -> None:
    setup = "descend.config.set_heap_retention(False)\n"
    assert _run(_FIT.format(setup=setup)) == "False"


def test_environment_variable_turns_it_off() -> None:
    assert _run(_FIT.format(setup=""), DESCEND_HEAP_RETENTION="0") == "False"


def test_set_heap_retention_rejects_non_bool() -> None:
    with pytest.raises(TypeError, match="True or False"):
        descend.config.set_heap_retention(1)


def test_retention_does_not_change_results() -> None:
    code = _FIT.format(setup="").replace(
        "print(heap.is_retaining())\n",
        "print(repr(m.get_weights()[0].tobytes()))\n")
    code = code.replace("m = descend", "descend.utils.set_random_seed(3)\nm = descend")
    code = code.replace("np.zeros((4, 3)), np.zeros((4, 2))",
                        "np.arange(12.).reshape(4, 3), np.ones((4, 2))")
    assert _run(code) == _run(code, DESCEND_HEAP_RETENTION="0")


def test_retain_is_idempotent() -> None:
    first = heap.retain_freed_memory()
    assert heap.retain_freed_memory() is first
    assert np.isfinite(heap.TRIM_THRESHOLD)
