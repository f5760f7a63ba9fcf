"""What is measured: the workloads, their data and their arithmetic cost.

Every system reads its workload from here and generates its data with :func:`make_data`, so all
systems train on the same float32 arrays for the same number of optimizer steps. NumPy only, so the
runner and the tests can import it without any peer installed.
"""

from __future__ import annotations

import dataclasses
import itertools
import math

import numpy as np

#: Seed of every data set; the data of a workload is a pure function of it.
DATA_SEED = 20240404
#: Seed handed to each system's own ``set_random_seed``/``manual_seed`` (weights, shuffling).
MODEL_SEED = 1234

#: Input shape (without the batch axis) and number of classes of each network.
NETWORKS: dict[str, tuple[tuple[int, ...], int]] = {
    "course": ((1,), 2),
    "mlp": ((784,), 10),
    "cnn": ((28, 28, 1), 10),
    "deconv": ((14, 14, 16), 10),
    "lstm": ((28, 28), 10),
    "transformer": ((32, 64), 10),
}

#: Units of workload L's LSTM (28 steps of 28 inputs, as an MNIST image read row by row).
LSTM_UNITS = 128

#: Workload T's Transformer encoder block (post-norm, as ``nn.TransformerEncoderLayer``'s
#: default): sequences of 32 steps of width 64, 4 heads of 16, feed-forward width 128.
TRANSFORMER_HEADS = 4
TRANSFORMER_FF = 128

#: Dense layer sizes of workload B's network, input first.
MLP_SIZES = (784, 256, 128, 10)
#: Dense layer sizes of workload A's network (the example network of the course "How a Neural
#: Network Learns"), input first.
COURSE_SIZES = (1, 16, 32, 2)


@dataclasses.dataclass(frozen=True)
class Workload:
    """One measurement that every system performs in its own process.

    Attributes
    ----------
    name : str
        Short name used on the command line and in the tables (``"B128"``).
    kind : {"train", "predict", "memory", "machine"}
        ``train`` times ``fit``; ``predict`` times inference calls; ``memory`` records peak and
        growing RSS while training; ``machine`` times NumPy's float32 matrix product.
    network : {"course", "mlp", "cnn", "deconv", "lstm", "transformer"}
        Which network of :data:`NETWORKS` is built.
    n_samples : int
        Rows of the generated training set.
    batch_size : int
        Samples per optimizer step (per inference call for ``predict`` at batch 1024).
    epochs : int
        Timed passes over the data; ``steps = epochs * ceil(n_samples / batch_size)``.
    warmup_steps : int
        Optimizer steps taken (and not timed) before the timed run.
    learning_rate : float
        Adam's learning rate.
    min_seconds : float
        ``predict`` only: each method is called repeatedly for at least this long.
    repeats : int
        ``memory``: extra ``fit`` and ``predict`` calls watched for RSS growth; ``machine``:
        timed matrix products.
    description : str
        One line for the report.
    """

    name: str
    kind: str
    network: str
    n_samples: int
    batch_size: int
    epochs: int = 1
    warmup_steps: int = 0
    learning_rate: float = 1e-3
    min_seconds: float = 0.5
    repeats: int = 0
    description: str = ""

    @property
    def steps_per_epoch(self) -> int:
        """Optimizer steps in one epoch (the last batch may be partial)."""
        return math.ceil(self.n_samples / self.batch_size)

    @property
    def steps(self) -> int:
        """Timed optimizer steps."""
        return self.epochs * self.steps_per_epoch

    @property
    def samples(self) -> int:
        """Samples processed by the timed steps."""
        return self.epochs * self.n_samples


_FULL = [
    Workload("A", "train", "course", 2100, 10, epochs=5, warmup_steps=50, learning_rate=1e-4,
             description="course network 1->16->32->2, batch 10, Adam(1e-4)"),
    Workload("B32", "train", "mlp", 16384, 32, epochs=1, warmup_steps=30,
             description="MLP 784->256->128->10, batch 32"),
    Workload("B128", "train", "mlp", 16384, 128, epochs=2, warmup_steps=15,
             description="MLP 784->256->128->10, batch 128"),
    Workload("B1024", "train", "mlp", 16384, 1024, epochs=4, warmup_steps=5,
             description="MLP 784->256->128->10, batch 1024"),
    Workload("C", "train", "cnn", 4096, 64, epochs=1, warmup_steps=5,
             description="CNN conv32-pool-conv64-pool-dense10, 28x28x1, batch 64"),
    Workload("D", "train", "deconv", 2048, 64, epochs=1, warmup_steps=3,
             description="Conv2DTranspose(32, 3, strides=2, same) 14x14x16 -> 28x28x32, "
                         "global average pooling, dense10, batch 64"),
    Workload("L", "train", "lstm", 4096, 64, epochs=1, warmup_steps=5,
             description="LSTM(128) over 28 steps of 28 inputs -> dense10, batch 64"),
    Workload("T", "train", "transformer", 2048, 64, epochs=1, warmup_steps=3,
             description="Transformer encoder block (4 heads of 16, feed-forward 128, "
                         "post-norm) over 32 steps of width 64 -> mean over steps -> dense10, "
                         "batch 64"),
    Workload("predict", "predict", "mlp", 1024, 1024, min_seconds=0.5,
             description="B's network: us per call at batch 1, samples/s at batch 1024"),
    Workload("mem", "memory", "mlp", 60000, 1024, epochs=1, repeats=5,
             description="B at batch 1024 on 60,000 samples: peak RSS, RSS growth"),
    Workload("matmul", "machine", "mlp", 1024, 1024, repeats=30,
             description="NumPy float32 1024x1024 matrix product, GFLOP/s"),
]

#: ``--quick`` sizes: seconds in all, only to check that everything runs.
_QUICK = {
    "A": {"n_samples": 200, "epochs": 1, "warmup_steps": 10},
    "B32": {"n_samples": 1024, "warmup_steps": 10},
    "B128": {"n_samples": 1024, "epochs": 1, "warmup_steps": 5},
    "B1024": {"n_samples": 2048, "epochs": 1, "warmup_steps": 2},
    "C": {"n_samples": 128, "warmup_steps": 2},
    "D": {"n_samples": 128, "warmup_steps": 2},
    "L": {"n_samples": 256, "warmup_steps": 2},
    "T": {"n_samples": 256, "warmup_steps": 2},
    "predict": {"min_seconds": 0.05},
    "mem": {"n_samples": 4096, "repeats": 2},
    "matmul": {"repeats": 5},
}

WORKLOAD_NAMES = tuple(w.name for w in _FULL)


def get_workload(name: str, quick: bool = False) -> Workload:
    """Return the workload called ``name``, shrunk to smoke-test size if ``quick``."""
    for workload in _FULL:
        if workload.name == name:
            return dataclasses.replace(workload, **_QUICK[name]) if quick else workload
    raise ValueError(f"workload must be one of {', '.join(WORKLOAD_NAMES)}; got {name!r}")


def make_data(network: str, n_samples: int) -> tuple[np.ndarray, np.ndarray]:
    """Generate the training set of ``network``: standard-normal float32 inputs, int64 labels.

    Labels come from a fixed random linear teacher, so the task is learnable and every class
    occurs. Inputs are drawn directly in float32, so no float64 copy inflates peak memory.

    Returns
    -------
    x : ndarray of float32, shape (n_samples, *input_shape)
    y : ndarray of int64, shape (n_samples,)
    """
    input_shape, classes = NETWORKS[network]
    rng = np.random.default_rng(DATA_SEED)
    x = rng.standard_normal((n_samples, *input_shape), dtype=np.float32)
    width = math.prod(input_shape)
    if classes == 2 and width == 1:
        noise = rng.standard_normal(n_samples, dtype=np.float32)
        y = (x[:, 0] + 0.3 * noise > 0).astype(np.int64)
    else:
        teacher = rng.standard_normal((width, classes), dtype=np.float32)
        flat = x.reshape(n_samples, width)
        y = np.empty(n_samples, dtype=np.int64)
        for start in range(0, n_samples, 4096):  # in chunks: one big product allocates ~64 MiB
            y[start:start + 4096] = np.argmax(flat[start:start + 4096] @ teacher, axis=1)
    return x, y


def dense_parameter_count(sizes: tuple[int, ...]) -> int:
    """Weights plus biases of a stack of dense layers with the given widths (input first)."""
    return sum(n_in * n_out + n_out for n_in, n_out in itertools.pairwise(sizes))


def training_matmul_flops(sizes: tuple[int, ...]) -> int:
    """Matrix-product flops of one training sample through dense layers ``sizes``.

    Each layer costs ``2*in*out`` forward and ``2*in*out`` for the weight gradient; every layer
    but the first also costs ``2*in*out`` for the gradient of its input (the data needs none).
    Bias, activation, loss and optimizer arithmetic are left out: they are not matrix products.
    For workload B this is 1,007,104 flops (the issue's "about 1.0 MFLOP").
    """
    pairs = list(itertools.pairwise(sizes))
    forward_and_weight_grad = sum(4 * n_in * n_out for n_in, n_out in pairs)
    input_grad = sum(2 * n_in * n_out for n_in, n_out in pairs[1:])
    return forward_and_weight_grad + input_grad


#: Below this many multiply-adds in its largest matrix product, a step runs on one BLAS thread.
SMALL_PRODUCT = 2**26


def hand_written_blas_threads(workload: Workload) -> int | None:
    """BLAS threads of the hand-written NumPy loop: descend's ``"auto"`` rule, by the model.

    One thread when the largest matrix product of a step has fewer than :data:`SMALL_PRODUCT`
    multiply-adds (``None``, NumPy's default, otherwise). A NumPy program that leaves its BLAS
    library at one thread per core runs small products many times slower as soon as other
    processes want the cores (``docs/threads.md``), so the floor uses the same rule as descend.

    >>> hand_written_blas_threads(get_workload("B128")), hand_written_blas_threads(get_workload("B1024"))
    (1, None)
    """  # noqa: E501
    sizes = COURSE_SIZES if workload.network == "course" else MLP_SIZES
    largest = workload.batch_size * max(a * b for a, b in itertools.pairwise(sizes))
    return 1 if largest < SMALL_PRODUCT else None


def memory_budget_bytes(n_samples: int) -> int:
    """Bytes of the ``mem`` workload's data plus B's float32 weights plus Adam's two moments."""
    data = n_samples * MLP_SIZES[0] * 4 + n_samples * 8
    return data + 3 * 4 * dense_parameter_count(MLP_SIZES)
