"""List every public Keras name that descend does not have, with the reason.

Run it with an environment where Keras 3 is installed (any backend) and descend
is importable::

    KERAS_BACKEND=torch python tools/keras_names.py            # print the table
    KERAS_BACKEND=torch python tools/keras_names.py --write     # update the doc

``--write`` replaces the part of ``docs/keras-differences.md`` between the
``<!-- keras-names:begin -->`` and ``<!-- keras-names:end -->`` markers, so the
table follows what descend offers as layers, ops and random functions land.
descend itself never imports Keras: only this tool does.
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys
from pathlib import Path

# (Keras module, descend module): compared with dir() on both sides.
MODULES = [
    ("keras", "descend"),
    ("keras.models", "descend.models"),
    ("keras.layers", "descend.layers"),
    ("keras.ops", "descend.ops"),
    ("keras.random", "descend.random"),
    ("keras.losses", "descend.losses"),
    ("keras.metrics", "descend.metrics"),
    ("keras.optimizers", "descend.optimizers"),
    ("keras.optimizers.schedules", "descend.optimizers.schedules"),
    ("keras.callbacks", "descend.callbacks"),
    ("keras.activations", "descend.activations"),
    ("keras.initializers", "descend.initializers"),
    ("keras.regularizers", "descend.regularizers"),
    ("keras.constraints", "descend.constraints"),
    ("keras.utils", "descend.utils"),
    ("keras.saving", "descend.saving"),
    ("keras.config", "descend.config"),
    ("keras.backend", "descend.backend"),
    ("keras.datasets", "descend.datasets"),
    ("keras.tree", "descend.tree"),
    ("keras.wrappers", "descend.wrappers"),
    ("keras.distribution", "descend.distribution"),
]

# Out of scope: (module pattern, name pattern, reason). First match wins.
OUT_OF_SCOPE = [
    (r"^keras$", r"^(applications|distillation|export|legacy|quantizers|visualization|"
     r"preprocessing|src)$",
     "out of scope: a separate Keras product area (pretrained applications, export, "
     "legacy Keras 2 API, quantization, plotting, preprocessing)"),
    (r"^keras$", r"^(Operation|Function)$",
     "not built: descend's ops are functions recorded by the autograd engine, not Operation "
     "objects; a functional Model plays the role of Function"),
    (r"^keras\.layers$", r"(?i)(RNN|LSTM|GRU|Recurrent|Bidirectional|TimeDistributed|"
     r"Cell$|ConvLSTM)",
     "not built yet: the convolutional recurrent layers (descend has SimpleRNN, LSTM, GRU, "
     "their cells, RNN, Bidirectional and TimeDistributed)"),
    (r"^keras\.layers$", r"^(TorchModuleWrapper|JaxLayer|FlaxLayer|TFSMLayer)$",
     "out of scope: wraps another framework's modules"),
    (r"^keras\.distribution$", r"^(DeviceMesh|LayoutMap|ModelParallel|TensorLayout|"
     r"distribute_tensor|get_device_count)$",
     "not built: device meshes and model parallelism (descend.distribution offers data "
     "parallelism across processes on MPI, docs/distributed.md)"),
    (r".*", r"(?i)(distribut|tpu|jax|nnx|flash_attention|orbax|tensorboard|remote)",
     "out of scope: backend- or accelerator-specific (descend runs on NumPy on one CPU)"),
    (r".*", r"(?i)(dtype_?polic|mixed_precision|quantiz|LossScale|Float8|Int8|Int4|GPTQ|AWQ)",
     "out of scope: mixed precision and quantization (descend computes in one float type)"),
    (r".*", r"(?i)(remat|StatelessScope|SymbolicScope|Stateless|traceback_filtering)",
     "out of scope: graph tracing and rematerialisation (descend runs eagerly)"),
    (r".*", r"(?i)(dataset_from|PyDataset|Sequence$|FeatureSpace|split_dataset|"
     r"img|load_img|save_img|bounding_boxes|audio|text_|timeseries|pad_sequences)",
     "out of scope: input pipelines and file decoding (descend trains on in-memory arrays)"),
    (r"^keras\.utils$", r"^(model_to_dot|plot_model)$",
     "not built: graph drawing needs pydot/graphviz (descend.explain draws networks instead)"),
    (r"^keras\.utils$", r"^Config$",
     "not built: Keras's attribute-dict helper for presets, unused by descend"),
    (r"^keras\.utils$", r"^get_file$",
     "not built: descend downloads only its own data sets, verified by SHA-256 "
     "(descend.datasets)"),
    (r"^keras\.(utils|config|backend)$", r"(?i)(^backend$|set_backend|result_type)",
     "out of scope: descend has one backend (NumPy, descend.backend.backend() == 'numpy') "
     "and follows NumPy's type promotion"),
    (r"^keras\.config$", r"enable_unsafe_deserialization",
     "not built: descend never deserialises code (no lambdas), so there is nothing to unlock"),
    (r"^keras\.config$", r"max_epochs|max_steps",
     "not built: global caps on epochs/steps (pass epochs/steps_per_epoch to fit)"),
    (r"^keras\.saving$", r"KerasFileEditor",
     "not built: an interactive editor of .keras files (descend reads and writes them whole)"),
    (r"^keras\.datasets$", r".*",
     "not built: only MNIST, Fashion-MNIST and MNIST-1D are downloaded and verified"),
    (r"^keras\.callbacks$", r"SwapEMAWeights",
     "not built: optimizer EMA weights (use_ema) are not implemented"),
    (r"^keras\.optimizers$", r"^(Adafactor|Ftrl|Lamb|Lion|Muon|ScheduleFreeAdamW|"
     r"MultiOptimizer|OptimizerMap)$",
     "not built yet: optimizers beyond SGD/Adam/AdamW/RMSprop/Adagrad/Adadelta/Adamax/Nadam"),
    (r".*", r"^legacy$", "out of scope: the Keras 2 compatibility namespace"),
    (r"^keras\.optimizers\.schedules$", r".*",
     "not built yet: learning-rate schedules beyond those in descend.optimizers.schedules"),
    (r"^keras\.layers$", r"^HashedCrossing$",
     "not built: Keras's HashedCrossing runs TensorFlow's tf.sparse.cross_hashed under every "
     "backend (it fails without TensorFlow installed), so its bucket numbers are TensorFlow's "
     "string-tensor hashing, which descend does not reproduce"),
    (r"^keras\.layers$", r"(?i)(Attention|Embedding|Transformer|Einsum)",
     "not built yet (descend has the attention, embedding and EinsumDense layers of "
     "docs/layers.md)"),
    (r"^keras\.layers$", r"(?i)(Random|Augment|Rescaling|Resizing|CenterCrop|^Normalization$|"
     r"Discretization|Hashing|Lookup|Encoding|TextVectorization|STFT|Mel|Pipeline|"
     r"Solarization|Equalization|MixUp|CutMix|Posterization|Grayscale|AutoContrast|"
     r"Mosaic|Invert|Sharpness|Shear|ColorJitter|JitteredResize|RandAugment|AugMix|"
     r"MaxNumBoundingBoxes|ClipBoundingBoxes|ElasticTransform|Hue|Saturation|"
     r"Brightness|Contrast|Zoom|Rotation|Translation|Flip|Perspective)",
     "preprocessing and augmentation layers: out of scope for now (data pipelines)"),
    (r"^keras\.ops", r".*",
     "ops: being filled in by the ops work (numpy/nn/core/math/linalg families); rerun"),
    (r"^keras\.random$", r".*", "random: being filled in by the random work; rerun"),
    (r"^keras\.layers$", r".*", "layers: not built yet (layers issue area); rerun"),
    (r"^keras\.(losses|metrics)$", r".*",
     "not built yet: losses/metrics beyond the classification and regression set"),
    (r"^keras\.activations$", r".*", "not built yet: activation (activations area)"),
    (r"^keras\.initializers$", r"(?i)stft", "out of scope: signal-processing initializer"),
    (r"^keras\.initializers$", r".*", "not built yet: initializer (initializers area)"),
    (r"^keras\.regularizers$", r".*", "not built yet: regularizer"),
]


def public_names(module: object) -> set[str]:
    """The names ``dir(module)`` shows without a leading underscore."""
    return {name for name in dir(module) if not name.startswith("_")}


def reason_for(keras_module: str, name: str) -> str:
    """Why descend does not offer ``keras_module.name``."""
    for module_pattern, name_pattern, reason in OUT_OF_SCOPE:
        if re.search(module_pattern, keras_module) and re.search(name_pattern, name):
            return reason
    return "not built yet"


def missing_names() -> list[tuple[str, list[tuple[str, str]]]]:
    """For each compared module: [(name, reason), ...] of Keras names descend lacks."""
    out = []
    for keras_name, descend_name in MODULES:
        keras_module = importlib.import_module(keras_name)
        try:
            descend_module = importlib.import_module(descend_name)
            have = public_names(descend_module)
        except ImportError:
            have = set()
        missing = sorted(public_names(keras_module) - have, key=str.lower)
        out.append((keras_name, [(name, reason_for(keras_name, name)) for name in missing]))
    return out


def markdown(table: list[tuple[str, list[tuple[str, str]]]], version: str) -> str:
    """The table as Markdown: one section per Keras module, names grouped by reason."""
    lines = [f"Generated by `tools/keras_names.py` against Keras {version}.", ""]
    for module, rows in table:
        if not rows:
            lines += [f"### `{module}`", "", "Nothing missing.", ""]
            continue
        lines += [f"### `{module}` ({len(rows)} missing)", ""]
        by_reason: dict[str, list[str]] = {}
        for name, reason in rows:
            by_reason.setdefault(reason, []).append(name)
        for reason, names in by_reason.items():
            lines.append(f"- {reason}: " + ", ".join(f"`{n}`" for n in names))
        lines.append("")
    return "\n".join(lines)


BEGIN, END = "<!-- keras-names:begin -->", "<!-- keras-names:end -->"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true",
                        help="update docs/keras-differences.md between its markers")
    args = parser.parse_args(argv)
    import keras

    text = markdown(missing_names(), keras.__version__)
    if not args.write:
        print(text)
        return 0
    doc = Path(__file__).resolve().parent.parent / "docs" / "keras-differences.md"
    content = doc.read_text()
    if BEGIN not in content or END not in content:
        print(f"{doc}: markers {BEGIN} ... {END} not found", file=sys.stderr)
        return 1
    head, rest = content.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    doc.write_text(f"{head}{BEGIN}\n{text}\n{END}{tail}")
    print(f"updated {doc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
