"""PyTorch's worker: the idiomatic training loop, with default or fused Adam.

The loop is the one PyTorch users write (``zero_grad``, forward, loss, ``backward``, ``step``),
batching by indexing pre-made tensors with a fresh ``randperm`` each epoch (no DataLoader). The
networks end in plain ``Linear`` layers trained with ``nn.CrossEntropyLoss`` on the logits, the
standard PyTorch form; workload A's sigmoid output is therefore replaced by that standard loss.
Variant ``""`` uses ``torch.optim.Adam()`` as constructed by default, ``"fused"`` passes
``fused=True``.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from benchmarks import spec
from benchmarks.workers import common


def build_model(torch: Any, network: str) -> Any:
    """Return the ``nn.Sequential`` of ``network`` with its default initialisation."""
    nn = torch.nn
    if network == "course":
        return nn.Sequential(nn.Linear(1, 16), nn.ReLU(), nn.Linear(16, 32), nn.ReLU(),
                             nn.Linear(32, 2))
    if network == "mlp":
        return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(),
                             nn.Linear(128, 10))
    if network == "deconv":  # output_padding=1: 14x14 -> 28x28 like Keras's padding="same"
        return nn.Sequential(nn.ConvTranspose2d(16, 32, 3, stride=2, padding=1,
                                                output_padding=1), nn.ReLU(),
                             nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 10))
    if network == "lstm":
        return _LSTMClassifier(torch)
    if network == "transformer":
        return _TransformerClassifier(torch)
    return nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(64 * 5 * 5, 10))


def _LSTMClassifier(torch: Any) -> Any:  # noqa: N802  (builds an nn.Module)
    """``nn.LSTM(28, 128, batch_first=True)``, then a ``Linear`` on the last hidden state."""
    nn = torch.nn

    class LSTMClassifier(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            (steps, features), classes = spec.NETWORKS["lstm"]
            self.lstm = nn.LSTM(features, spec.LSTM_UNITS, batch_first=True)
            self.head = nn.Linear(spec.LSTM_UNITS, classes)

        def forward(self, x: Any) -> Any:
            _, (h, _) = self.lstm(x)
            return self.head(h[-1])

    return LSTMClassifier()


def _TransformerClassifier(torch: Any) -> Any:  # noqa: N802  (builds an nn.Module)
    """``nn.TransformerEncoderLayer`` (post-norm, no dropout), mean over steps, ``Linear``."""
    nn = torch.nn

    class TransformerClassifier(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            (steps, width), classes = spec.NETWORKS["transformer"]
            self.block = nn.TransformerEncoderLayer(
                width, spec.TRANSFORMER_HEADS, dim_feedforward=spec.TRANSFORMER_FF,
                dropout=0.0, batch_first=True)
            self.head = nn.Linear(width, classes)

        def forward(self, x: Any) -> Any:
            return self.head(self.block(x).mean(dim=1))

    return TransformerClassifier()


def make_tensors(torch: Any, network: str, n_samples: int) -> tuple[Any, Any]:
    """The shared data as tensors; images are moved to PyTorch's channels-first layout once."""
    x, y = spec.make_data(network, n_samples)
    if x.ndim == 4:
        x = np.ascontiguousarray(x.transpose(0, 3, 1, 2))
    return torch.from_numpy(x), torch.from_numpy(y)


def train(torch: Any, model: Any, optimizer: Any, x: Any, y: Any, batch_size: int,
          epochs: int) -> None:
    """The idiomatic loop: shuffle, then zero_grad / forward / loss / backward / step."""
    loss_fn = torch.nn.CrossEntropyLoss()
    n = len(x)
    for _ in range(epochs):
        order = torch.randperm(n)
        for start in range(0, n, batch_size):
            index = order[start:start + batch_size]
            optimizer.zero_grad()
            loss = loss_fn(model(x[index]), y[index])
            loss.backward()
            optimizer.step()


def _setup(torch: Any, workload: spec.Workload, variant: str, n_samples: int):
    torch.manual_seed(spec.MODEL_SEED)
    x, y = make_tensors(torch, workload.network, n_samples)
    model = build_model(torch, workload.network)
    options = {"fused": True} if variant == "fused" else {}
    optimizer = torch.optim.Adam(model.parameters(), lr=workload.learning_rate, **options)
    return x, y, model, optimizer


def measure_train(torch: Any, workload: spec.Workload, variant: str) -> dict[str, Any]:
    """Warm up with ``warmup_steps`` steps, then time ``epochs`` epochs of the loop."""
    x, y, model, optimizer = _setup(torch, workload, variant, workload.n_samples)
    warm = workload.warmup_steps * workload.batch_size
    train(torch, model, optimizer, x[:warm], y[:warm], workload.batch_size, 1)
    start = time.perf_counter()
    train(torch, model, optimizer, x, y, workload.batch_size, workload.epochs)
    return common.train_result(workload, time.perf_counter() - start)


def measure_predict(torch: Any, workload: spec.Workload) -> dict[str, Any]:
    """Time ``model(x)`` in eval mode under ``no_grad``, on tensors and from/to NumPy."""
    x_np, _ = spec.make_data(workload.network, 1024)
    torch.manual_seed(spec.MODEL_SEED)
    model = build_model(torch, workload.network).eval()
    x = torch.from_numpy(x_np)
    x1, x1_np = x[:1], x_np[:1]

    def from_numpy(array):
        return model(torch.from_numpy(array)).numpy()

    with torch.no_grad():
        fields = common.predict_fields("call", lambda: model(x1), lambda: model(x),
                                       workload.min_seconds)
        fields.update(common.predict_fields("call_numpy", lambda: from_numpy(x1_np),
                                            lambda: from_numpy(x_np), workload.min_seconds))
    return fields


def measure_memory(torch: Any, workload: spec.Workload, variant: str) -> dict[str, Any]:
    """Peak RSS of one epoch on the full data, then RSS after each repeated train+predict."""
    rss_after_import = common.current_rss_bytes()
    x, y, model, optimizer = _setup(torch, workload, variant, workload.n_samples)
    train(torch, model, optimizer, x, y, workload.batch_size, 1)
    rows = min(8192, workload.n_samples)
    series = []
    for _ in range(workload.repeats):
        train(torch, model, optimizer, x[:rows], y[:rows], workload.batch_size, 1)
        with torch.no_grad():
            for start in range(0, rows, workload.batch_size):
                model(x[start:start + workload.batch_size])
        series.append(common.current_rss_bytes())
    n_params = sum(p.numel() for p in model.parameters())
    return common.memory_fields(x.numpy().nbytes, y.numpy().nbytes, n_params, rss_after_import,
                                series)


def _measure(workload: spec.Workload, variant: str) -> dict[str, Any]:
    common.require_kind(workload, "train", "predict", "memory")
    import torch

    if workload.kind == "train":
        return measure_train(torch, workload, variant)
    if workload.kind == "predict":
        return measure_predict(torch, workload)
    return measure_memory(torch, workload, variant)


def _versions() -> dict[str, str]:
    import torch

    return {"torch": torch.__version__, "torch_threads": str(torch.get_num_threads())}


if __name__ == "__main__":
    common.run_worker("torch", _measure, _versions)
