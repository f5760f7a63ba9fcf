"""The STFT initializer (issue 16): values from Keras 3.15 and the DFT formula."""

from __future__ import annotations

import json

import numpy as np
import pytest

import descend
from descend import initializers, layers
from descend.initializers.stft import get_window

# Keras 3.15's STFT()((5, 1, 4)) and STFT(side="imag")((5, 1, 4)), [:, 0, :]
KERAS_REAL = [
    [0.0, 0.0, 0.0, 0.0],
    [0.4082483, 0.2041241, -0.2041242, -0.4082483],
    [0.8164966, -0.4082483, -0.4082482, 0.8164966],
    [0.4082483, -0.4082483, 0.4082483, -0.4082483],
    [0.0, -0.0, -0.0, 0.0],
]
KERAS_IMAG = [
    [-0.0, -0.0, -0.0, -0.0],
    [-0.0, -0.3535534, -0.3535534, 0.0],
    [-0.0, -0.7071068, 0.7071068, -1e-07],
    [-0.0, 0.0, -1e-07, 0.0],
    [-0.0, 0.0, -0.0, -0.0],
]


def test_default_kernels_match_keras():
    np.testing.assert_allclose(initializers.STFT()((5, 1, 4))[:, 0, :], KERAS_REAL, atol=3e-7)
    np.testing.assert_allclose(
        initializers.STFT(side="imag")((5, 1, 4))[:, 0, :], KERAS_IMAG, atol=3e-7
    )


@pytest.mark.parametrize("window", ["hann", "hamming", "blackman", "bartlett", "boxcar"])
@pytest.mark.parametrize("periodic", [False, True])
def test_windows_match_numpy(window, periodic):
    reference = {
        "hann": np.hanning,
        "hamming": np.hamming,
        "blackman": np.blackman,
        "bartlett": np.bartlett,
        "boxcar": np.ones,
    }[window]
    n = 7
    expected = reference(n + 1)[:n] if periodic else reference(n)
    np.testing.assert_allclose(get_window(window, n, periodic), expected, atol=1e-12)


@pytest.mark.parametrize("scaling", ["density", "spectrum", None])
def test_kernel_is_the_windowed_dft(scaling):
    frame, bins = 8, 5
    n_fft = 2 * (bins - 1)
    window = np.hamming(frame)
    kernel = initializers.STFT(side="real", window="hamming", scaling=scaling)(
        (frame, 2, bins), dtype="float64"
    )
    imag = initializers.STFT(side="imag", window="hamming", scaling=scaling)(
        (frame, 2, bins), dtype="float64"
    )
    scale = {"density": np.sqrt(np.sum(window**2)), "spectrum": np.sum(window), None: 1.0}
    x = np.random.default_rng(0).normal(size=frame)
    spectrum = np.fft.rfft(x * window, n=n_fft)[:bins] / scale[scaling]
    np.testing.assert_allclose(x @ kernel[:, 1, :], spectrum.real, atol=1e-12)
    np.testing.assert_allclose(x @ imag[:, 0, :], spectrum.imag, atol=1e-12)


def test_explicit_window_and_no_window():
    kernel = initializers.STFT(window=None)((4, 1, 3))
    np.testing.assert_allclose(kernel[:, 0, 0], 1.0)
    window = [0.1, 0.5, 1.0, 0.5, 0.1]
    kernel = initializers.STFT(window=window, scaling=None)((5, 1, 3), dtype="float64")
    np.testing.assert_allclose(kernel[:, 0, 0], window)


def test_config_round_trip_and_strings():
    init = initializers.STFT(side="imag", window="blackman", scaling="spectrum", periodic=True)
    config = json.loads(json.dumps(initializers.serialize(init)))
    again = initializers.deserialize(config)
    assert (
        again.get_config()
        == init.get_config()
        == {"side": "imag", "window": "blackman", "periodic": True, "scaling": "spectrum"}
    )
    np.testing.assert_array_equal(again((6, 1, 4)), init((6, 1, 4)))
    for name in ("stft", "STFT", "STFTInitializer"):
        assert isinstance(initializers.get(name), initializers.STFT)


def test_bad_arguments():
    with pytest.raises(ValueError, match="STFT: side"):
        initializers.STFT(side="both")
    with pytest.raises(ValueError, match="STFT: unknown window 'kaiserr'"):
        initializers.STFT(window="kaiserr")
    with pytest.raises(ValueError, match="STFT: scaling"):
        initializers.STFT(scaling="power")
    with pytest.raises(ValueError, match="STFT: expected a Conv1D kernel shape"):
        initializers.STFT()((4, 3))
    with pytest.raises(ValueError, match="STFT: the shape of `window`"):
        initializers.STFT(window=[1.0, 2.0])((4, 1, 3))


def test_as_conv1d_kernel():
    model = descend.Sequential(
        [
            layers.Input((16, 1)),
            layers.Conv1D(5, 8, strides=4, use_bias=False, kernel_initializer="stft"),
        ]
    )
    x = np.random.default_rng(1).normal(size=(1, 16, 1)).astype("float32")
    out = model.predict(x, verbose=0)
    window = np.hanning(8)
    frame = x[0, :8, 0] * window
    expected = np.fft.rfft(frame, n=8).real / np.sqrt(np.sum(window**2))
    np.testing.assert_allclose(out[0, 0], expected, rtol=1e-4, atol=1e-5)
