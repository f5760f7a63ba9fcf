"""``TensorBoard``: log scalars, weight histograms and the model graph for TensorBoard.

Event files are written by :mod:`descend.callbacks.event_file` (no TensorFlow
needed); view them with ``tensorboard --logdir logs`` (``pip install
descend[tensorboard]`` installs the viewer).
"""

from __future__ import annotations

import os
import time
from typing import Any

import numpy as np

from descend.callbacks.callback import Callback
from descend.callbacks.event_file import EventFileWriter

__all__ = ["TensorBoard"]


def _collect_history(obj: Any, out: list[str]) -> None:
    """Append the layer name of every ``keras_history`` found in a nested config."""
    if isinstance(obj, dict):
        if obj.get("class_name") == "__keras_tensor__":
            history = obj.get("config", {}).get("keras_history")
            if history:
                out.append(str(history[0]))
        for value in obj.values():
            _collect_history(value, out)
    elif isinstance(obj, list):
        for value in obj:
            _collect_history(value, out)


def _layer_graph(model: Any) -> list[tuple[str, str, list[str]]]:
    """``(name, class name, input layer names)`` for every layer of a model's config."""
    config = model.get_config()
    entries = config.get("layers") or []
    nodes: list[tuple[str, str, list[str]]] = []
    previous: str | None = None
    for entry in entries:
        name = entry.get("name") or entry.get("config", {}).get("name", "layer")
        inputs: list[str] = []
        inbound = entry.get("inbound_nodes")
        if inbound is None:  # Sequential: a chain
            inputs = [previous] if previous is not None else []
        else:
            _collect_history(inbound, inputs)
        nodes.append((str(name), str(entry.get("class_name", "Layer")),
                      list(dict.fromkeys(inputs))))
        previous = str(name)
    if not nodes:  # a subclassed model: its layers, unconnected
        nodes = [(layer.name, type(layer).__name__, []) for layer in getattr(model, "layers", [])]
    return nodes


def _weight_images(weight: np.ndarray) -> list[np.ndarray]:
    """Keras's layout of a weight as images (uint8, min-max scaled); [] if it has none."""
    w = np.squeeze(np.asarray(weight, dtype=np.float64))
    if w.ndim == 1:
        images = [w.reshape(-1, 1)]
    elif w.ndim == 2:
        images = [w.T if w.shape[0] > w.shape[1] else w]
    elif w.ndim == 3:  # (k0, k1, channels): one image per channel
        images = [w[:, :, c] for c in range(min(w.shape[2], 3))]
    else:
        return []
    out = []
    for image in images:
        lo, hi = float(image.min()), float(image.max())
        scaled = (image - lo) / (hi - lo) if hi > lo else np.zeros_like(image)
        out.append(np.round(scaled * 255).astype(np.uint8))
    return out


class TensorBoard(Callback):
    """Write TensorBoard logs (Keras's callback, without TensorFlow).

    In ``log_dir/train``: ``epoch_<metric>`` scalars (and ``epoch_learning_rate``)
    after every epoch, ``batch_<metric>`` every ``update_freq`` batches when it is
    an int or ``"batch"``, weight histograms ``<weight path>/histogram`` every
    ``histogram_freq`` epochs, and with ``write_graph`` the model: its JSON
    config under the tag ``keras`` (the graph plugin's conceptual graph, as Keras
    writes it), its layer graph (Graphs tab) and the summary table as text
    (``model/summary``). In ``log_dir/validation``: the ``epoch_<metric>`` of the
    ``val_`` logs, and after each evaluation ``evaluation_<metric>_vs_iterations``
    at step ``optimizer.iterations``.

    Parameters
    ----------
    log_dir : str or path, default "logs"
    histogram_freq : int, default 0
        Epochs between weight histograms (0: none).
    write_graph : bool, default True
    write_images : bool, default False
        Also write the weights as grey-scale images ``<weight path>/image`` when
        histograms are written: a vector as a column, a matrix (wide side
        horizontal) as one image, a 3-D kernel as one image per last-axis slice
        (at most 3), each scaled from its min (black) to its max (white).
    write_steps_per_second : bool, default False
        Also log ``epoch_steps_per_second`` (and ``batch_steps_per_second``).
    update_freq : "epoch", "batch" or int, default "epoch"
    profile_batch : int, default 0
        Profiling is not supported: must be 0.
    embeddings_freq : int, default 0
        Embedding projection is not supported: must be 0.
    embeddings_metadata : dict, optional
        Must be None.

    Examples
    --------
    >>> import tempfile, numpy as np, descend
    >>> from descend import layers
    >>> model = descend.Sequential([layers.Input((2,)), layers.Dense(1)])
    >>> model.compile(optimizer="sgd", loss="mse")
    >>> with tempfile.TemporaryDirectory() as logs:
    ...     history = model.fit(np.ones((4, 2)), np.ones((4, 1)), epochs=2, verbose=0,
    ...                         callbacks=[TensorBoard(logs, histogram_freq=1)])
    ...     sorted(os.listdir(logs))
    ['train']
    """

    process_zero_only = True  # data-parallel: process 0 alone prints/writes

    def __init__(self, log_dir: Any = "logs", histogram_freq: int = 0, write_graph: bool = True,
                 write_images: bool = False, write_steps_per_second: bool = False,
                 update_freq: Any = "epoch", profile_batch: Any = 0, embeddings_freq: int = 0,
                 embeddings_metadata: Any = None) -> None:
        super().__init__()
        if isinstance(histogram_freq, bool) or not isinstance(histogram_freq, int) or \
                histogram_freq < 0:
            raise ValueError(f"TensorBoard: histogram_freq must be an int >= 0, received "
                             f"histogram_freq={histogram_freq!r}.")
        if update_freq != "batch" and update_freq != "epoch" and (
                isinstance(update_freq, bool) or not isinstance(update_freq, int)
                or update_freq < 1):
            raise ValueError(f"TensorBoard: update_freq must be 'epoch', 'batch' or an int >= 1, "
                             f"received update_freq={update_freq!r}.")
        for arg, value, default in (("profile_batch", profile_batch, 0),
                                    ("embeddings_freq", embeddings_freq, 0),
                                    ("embeddings_metadata", embeddings_metadata, None)):
            if value != default:
                raise ValueError(
                    f"TensorBoard: {arg}={value!r} is not supported by descend (no profiler "
                    f"or projector summaries); leave {arg} at {default!r}."
                )
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq = histogram_freq
        self.write_graph = bool(write_graph)
        self.write_images = bool(write_images)
        self.write_steps_per_second = bool(write_steps_per_second)
        self.update_freq = 1 if update_freq == "batch" else update_freq
        self.profile_batch = profile_batch
        self.embeddings_freq = embeddings_freq
        self.embeddings_metadata = embeddings_metadata
        self._writers: dict[str, EventFileWriter] = {}
        self._global_train_batch = 0
        self._epoch_start = self._batch_start = 0.0
        self._epoch_start_iterations = 0

    # ----------------------------------------------------------------- writers
    def _writer(self, run: str) -> EventFileWriter:
        if run not in self._writers:
            self._writers[run] = EventFileWriter(os.path.join(self.log_dir, run))
        return self._writers[run]

    def _close_writers(self) -> None:
        for writer in self._writers.values():
            writer.close()
        self._writers = {}

    def set_model(self, model: Any) -> None:
        super().set_model(model)
        self._close_writers()
        if self.write_graph:
            self._write_model()

    def _write_model(self) -> None:
        model = self.model
        writer = self._writer("train")
        try:
            writer.add_keras_model("keras", model.to_json(), step=0)
        except Exception:  # noqa: BLE001 - a model that cannot be serialised has no JSON
            pass
        writer.add_graph(_layer_graph(model))
        lines: list[str] = []
        try:
            model.summary(print_fn=lambda text, *args, **kwargs: lines.append(str(text)))
        except Exception:  # noqa: BLE001 - an unbuilt model has no summary yet
            lines = [f"{layer.name} ({type(layer).__name__})"
                     for layer in getattr(model, "layers", [])]
        text = "\n".join(lines)
        writer.add_text("model/summary", "\n".join("    " + t for t in text.split("\n")), step=0)

    def _needs_batch_logs(self) -> bool:
        # per-batch logs cost time: only ask for them when batch summaries are written
        return self.update_freq != "epoch" or self.write_steps_per_second

    # ------------------------------------------------------------------- hooks
    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self._global_train_batch = 0

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        self._close_writers()

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if self.write_steps_per_second:
            self._epoch_start = time.perf_counter()
            self._epoch_start_iterations = int(getattr(self.model.optimizer, "iterations", 0))

    def on_train_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        self._global_train_batch += 1
        if self.write_steps_per_second:
            self._batch_start = time.perf_counter()

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        if self.update_freq == "epoch" or self._global_train_batch % self.update_freq != 0:
            return
        writer, step = self._writer("train"), self._global_train_batch
        if self.write_steps_per_second:
            elapsed = time.perf_counter() - self._batch_start
            writer.add_scalar("batch_steps_per_second", 1.0 / max(elapsed, 1e-12), step)
        for name, value in (logs or {}).items():
            if isinstance(value, (int, float)):
                writer.add_scalar(f"batch_{name}", value, step)

    def on_test_end(self, logs: dict[str, Any] | None = None) -> None:
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is None or not hasattr(optimizer, "iterations") or not logs:
            return
        writer = self._writer("validation")
        for name, value in logs.items():
            if isinstance(value, (int, float)):
                writer.add_scalar(f"evaluation_{name}_vs_iterations", value,
                                  int(optimizer.iterations))

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        logs = logs or {}
        train = {k: v for k, v in logs.items() if not k.startswith("val_")}
        val = {k[4:]: v for k, v in logs.items() if k.startswith("val_")}
        optimizer = getattr(self.model, "optimizer", None)
        optimizer = getattr(optimizer, "inner_optimizer", optimizer)
        if optimizer is not None and hasattr(optimizer, "optimizers"):  # MultiOptimizer
            for inner in optimizer.optimizers:
                train[f"learning_rate_{inner.name}"] = float(inner.learning_rate)
        elif optimizer is not None and hasattr(optimizer, "learning_rate"):
            train["learning_rate"] = float(optimizer.learning_rate)
        if self.write_steps_per_second and optimizer is not None:
            steps = int(optimizer.iterations) - self._epoch_start_iterations
            train["steps_per_second"] = steps / max(time.perf_counter() - self._epoch_start,
                                                    1e-12)
        for run, values in (("train", train), ("validation", val)):
            if values:
                writer = self._writer(run)
                for name, value in values.items():
                    if isinstance(value, (int, float)):
                        writer.add_scalar(f"epoch_{name}", value, epoch)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._log_weights(epoch)

    def _log_weights(self, epoch: int) -> None:
        writer = self._writer("train")
        for layer in self.model.layers:
            for weight in layer.weights:
                name = str(getattr(weight, "path", None) or weight.name).replace(":", "_")
                writer.add_histogram(f"{name}/histogram", weight.numpy(), epoch)
                if self.write_images:
                    for i, image in enumerate(_weight_images(weight.numpy())):
                        suffix = "" if i == 0 else f"/{i}"
                        writer.add_image(f"{name}/image{suffix}", image, epoch)
        writer.flush()
