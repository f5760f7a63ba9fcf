"""The workloads written once against the Keras 3 API, run by both Keras and descend.

``measure(keras_like, workload)`` receives the imported module (``keras`` or ``descend``), so the
two systems execute literally the same code: only the import differs, which is descend's promise.
The networks end in ``Dense(..., activation="softmax"/"sigmoid")`` with the string loss
``"sparse_categorical_crossentropy"``, as Keras tutorials (and the course example) write them.
No metrics are compiled, so every system does the same work as the PyTorch loop.
"""

from __future__ import annotations

import time
from types import ModuleType
from typing import Any

from benchmarks import spec
from benchmarks.workers import common


def build_transformer(keras_like: ModuleType) -> Any:
    """Workload T's network, functional: one post-norm encoder block, mean over steps, dense.

    ``x = LayerNorm(x + MHA(x, x)); x = LayerNorm(x + Dense(Dense(x, relu)))``, as
    ``torch.nn.TransformerEncoderLayer(norm_first=False, dropout=0)``.
    """
    layers = keras_like.layers
    (steps, width), classes = spec.NETWORKS["transformer"]
    inputs = layers.Input(shape=(steps, width))
    heads = spec.TRANSFORMER_HEADS
    attended = layers.MultiHeadAttention(heads, width // heads)(inputs, inputs)
    x = layers.LayerNormalization(epsilon=1e-5)(layers.Add()([inputs, attended]))
    ff = layers.Dense(width)(layers.Dense(spec.TRANSFORMER_FF, activation="relu")(x))
    x = layers.LayerNormalization(epsilon=1e-5)(layers.Add()([x, ff]))
    x = layers.GlobalAveragePooling1D()(x)
    return keras_like.Model(inputs, layers.Dense(classes, activation="softmax")(x))


def build_model(keras_like: ModuleType, network: str) -> Any:
    """Return the uncompiled model of ``network`` (a key of ``spec.NETWORKS``); Sequential
    except the Transformer."""
    if network == "transformer":
        return build_transformer(keras_like)
    layers = keras_like.layers
    input_shape, classes = spec.NETWORKS[network]
    stack = [layers.Input(shape=input_shape)]
    if network == "course":
        stack += [layers.Dense(16, activation="relu"), layers.Dense(32, activation="relu"),
                  layers.Dense(classes, activation="sigmoid")]
    elif network == "mlp":
        stack += [layers.Dense(256, activation="relu"), layers.Dense(128, activation="relu"),
                  layers.Dense(classes, activation="softmax")]
    elif network == "deconv":
        stack += [layers.Conv2DTranspose(32, 3, strides=2, padding="same", activation="relu"),
                  layers.GlobalAveragePooling2D(), layers.Dense(classes, activation="softmax")]
    elif network == "lstm":
        stack += [layers.LSTM(spec.LSTM_UNITS), layers.Dense(classes, activation="softmax")]
    else:
        stack += [layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(2),
                  layers.Conv2D(64, 3, activation="relu"), layers.MaxPooling2D(2),
                  layers.Flatten(), layers.Dense(classes, activation="softmax")]
    return keras_like.Sequential(stack)


def compiled_model(keras_like: ModuleType, workload: spec.Workload) -> Any:
    """Seed the system, build the workload's network and compile it with Adam."""
    keras_like.utils.set_random_seed(spec.MODEL_SEED)
    model = build_model(keras_like, workload.network)
    model.compile(optimizer=keras_like.optimizers.Adam(learning_rate=workload.learning_rate),
                  loss="sparse_categorical_crossentropy")
    return model


def measure_train(keras_like: ModuleType, workload: spec.Workload) -> dict[str, Any]:
    """Warm up with ``warmup_steps`` steps, then time one ``fit`` over ``epochs`` epochs."""
    x, y = spec.make_data(workload.network, workload.n_samples)
    model = compiled_model(keras_like, workload)
    warm = workload.warmup_steps * workload.batch_size
    model.fit(x[:warm], y[:warm], batch_size=workload.batch_size, epochs=1, shuffle=True,
              verbose=0)
    start = time.perf_counter()
    model.fit(x, y, batch_size=workload.batch_size, epochs=workload.epochs, shuffle=True,
              verbose=0)
    return common.train_result(workload, time.perf_counter() - start)


def measure_predict(keras_like: ModuleType, workload: spec.Workload) -> dict[str, Any]:
    """Time ``predict``, ``predict_on_batch`` (where it exists) and the direct call ``model(x)``."""
    x, _ = spec.make_data(workload.network, 1024)
    x1 = x[:1]
    model = compiled_model(keras_like, workload)
    seconds = workload.min_seconds
    fields = common.predict_fields(
        "predict", lambda: model.predict(x1, batch_size=1, verbose=0),
        lambda: model.predict(x, batch_size=1024, verbose=0), seconds)
    if hasattr(model, "predict_on_batch"):
        fields.update(common.predict_fields(
            "predict_on_batch", lambda: model.predict_on_batch(x1),
            lambda: model.predict_on_batch(x), seconds))
    fields.update(common.predict_fields("call", lambda: model(x1), lambda: model(x), seconds))
    return fields


def measure_memory(keras_like: ModuleType, workload: spec.Workload) -> dict[str, Any]:
    """Peak RSS of one epoch on the full data, then RSS after each repeated fit+predict."""
    rss_after_import = common.current_rss_bytes()
    x, y = spec.make_data(workload.network, workload.n_samples)
    model = compiled_model(keras_like, workload)
    model.fit(x, y, batch_size=workload.batch_size, epochs=1, shuffle=True, verbose=0)
    rows = min(8192, workload.n_samples)
    series = []
    for _ in range(workload.repeats):
        model.fit(x[:rows], y[:rows], batch_size=workload.batch_size, epochs=1, verbose=0)
        model.predict(x[:rows], batch_size=workload.batch_size, verbose=0)
        series.append(common.current_rss_bytes())
    return common.memory_fields(x.nbytes, y.nbytes, spec.dense_parameter_count(spec.MLP_SIZES),
                                rss_after_import, series)


def measure(keras_like: ModuleType, workload: spec.Workload) -> dict[str, Any]:
    """Dispatch ``workload`` to the measurement of its kind."""
    common.require_kind(workload, "train", "predict", "memory")
    if workload.kind == "train":
        return measure_train(keras_like, workload)
    if workload.kind == "predict":
        return measure_predict(keras_like, workload)
    return measure_memory(keras_like, workload)
