"""ONNX export of the convolution, transposed convolution, depthwise/separable and pooling
layers: onnxruntime's outputs equal ``predict`` (max abs diff <= 1e-5, float32) at batch
sizes 1 and 37, and ``onnx.checker`` passes."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("onnx", reason="ONNX export tests need onnx: pip install '.[onnx]'")
pytest.importorskip("onnxruntime", reason="ONNX export tests need onnxruntime: "
                                          "pip install '.[test]'")

import descend  # noqa: E402
from descend import layers as L  # noqa: E402
from onnx_check import check_export, sequential  # noqa: E402

CONVOLUTIONS = [
    ("conv1d", lambda: [L.Conv1D(4, 3)], (9, 2)),
    ("conv1d_same_stride", lambda: [L.Conv1D(3, 4, strides=2, padding="same")], (9, 2)),
    ("conv1d_causal_dilated", lambda: [L.Conv1D(3, 3, padding="causal", dilation_rate=2,
                                                activation="relu")], (10, 2)),
    ("conv1d_groups", lambda: [L.Conv1D(6, 3, groups=2, padding="same")], (8, 4)),
    ("conv2d", lambda: [L.Conv2D(5, 3, activation="relu")], (8, 7, 3)),
    ("conv2d_same_stride", lambda: [L.Conv2D(4, (3, 2), strides=(2, 3), padding="same",
                                             use_bias=False)], (9, 8, 2)),
    ("conv2d_dilated", lambda: [L.Conv2D(2, 3, dilation_rate=(2, 1), padding="same")],
     (8, 8, 2)),
    ("conv2d_groups", lambda: [L.Conv2D(4, 3, groups=2)], (6, 6, 4)),
    ("conv2d_stack", lambda: [L.Conv2D(4, 3, activation="relu"), L.Conv2D(3, 3),
                              L.Flatten(), L.Dense(2)], (8, 8, 1)),
    ("conv3d", lambda: [L.Conv3D(3, 2, strides=(1, 2, 1), padding="same")], (4, 5, 4, 2)),
    ("conv1d_transpose", lambda: [L.Conv1DTranspose(3, 3, strides=2)], (5, 2)),
    ("conv1d_transpose_same", lambda: [L.Conv1DTranspose(3, 4, strides=2, padding="same")],
     (5, 2)),
    ("conv1d_transpose_stride_over_kernel", lambda: [L.Conv1DTranspose(2, 2, strides=3)],
     (4, 2)),
    ("conv2d_transpose", lambda: [L.Conv2DTranspose(4, 3, strides=2, activation="tanh")],
     (4, 5, 3)),
    ("conv2d_transpose_same", lambda: [L.Conv2DTranspose(2, (3, 4), strides=(2, 1),
                                                         padding="same")], (4, 5, 3)),
    ("conv2d_transpose_output_padding", lambda: [L.Conv2DTranspose(
        3, 3, strides=3, output_padding=(1, 2))], (3, 4, 2)),
    ("conv2d_transpose_same_output_padding", lambda: [L.Conv2DTranspose(
        3, 3, strides=2, padding="same", output_padding=0)], (4, 4, 2)),
    ("conv2d_transpose_dilated", lambda: [L.Conv2DTranspose(2, 3, dilation_rate=2)],
     (4, 4, 2)),
    ("conv3d_transpose", lambda: [L.Conv3DTranspose(2, 2, strides=(2, 1, 2))], (3, 2, 3, 2)),
    ("depthwise1d", lambda: [L.DepthwiseConv1D(3, depth_multiplier=2, padding="same")],
     (7, 3)),
    ("depthwise2d", lambda: [L.DepthwiseConv2D(3, strides=2, activation="relu")], (9, 9, 3)),
    ("depthwise2d_dilated", lambda: [L.DepthwiseConv2D((2, 3), dilation_rate=2,
                                                       depth_multiplier=3)], (8, 8, 2)),
    ("separable1d", lambda: [L.SeparableConv1D(4, 3, depth_multiplier=2, padding="same")],
     (8, 3)),
    ("separable2d", lambda: [L.SeparableConv2D(5, 3, strides=2, activation="elu")],
     (9, 8, 3)),
]


@pytest.mark.parametrize("name,make,shape", CONVOLUTIONS, ids=[c[0] for c in CONVOLUTIONS])
def test_convolutions(name, make, shape, tmp_path) -> None:
    check_export(sequential(*make(), shape=shape, name=name), tmp_path)


def test_convolution_over_unknown_length(tmp_path) -> None:
    model = sequential(L.Conv1D(4, 3, padding="same", strides=2), L.GlobalAveragePooling1D(),
                       shape=(None, 3))

    def inputs(batch: int) -> list:
        steps = 5 + batch % 4
        return [np.random.default_rng(batch).normal(size=(batch, steps, 3)).astype("float32")]
    check_export(model, tmp_path, inputs)


def test_transposes_between_convolutions_cancel(tmp_path) -> None:
    from descend.export.onnx import build_onnx_model

    model = sequential(L.Conv2D(4, 3), L.Conv2D(4, 3), L.MaxPooling2D(), L.Conv2D(2, 1),
                       shape=(10, 10, 2))
    ops = [node.op_type for node in build_onnx_model(model).graph.node]
    assert ops.count("Transpose") == 2  # into channels-first once, back once


POOLING = [
    ("max1d", lambda: [L.MaxPooling1D(2)], (7, 3)),
    ("max1d_same", lambda: [L.MaxPooling1D(3, strides=2, padding="same")], (7, 3)),
    ("average1d", lambda: [L.AveragePooling1D(3, strides=1)], (7, 3)),
    ("average1d_same", lambda: [L.AveragePooling1D(3, strides=2, padding="same")], (8, 3)),
    ("max2d", lambda: [L.MaxPooling2D()], (6, 7, 2)),
    ("max2d_same", lambda: [L.MaxPooling2D((3, 2), strides=(2, 2), padding="same")], (7, 7, 2)),
    ("average2d", lambda: [L.AveragePooling2D((2, 3))], (6, 7, 2)),
    ("average2d_same", lambda: [L.AveragePooling2D(3, strides=2, padding="same")], (7, 6, 2)),
    ("max3d", lambda: [L.MaxPooling3D(2, padding="same")], (3, 4, 5, 2)),
    ("average3d", lambda: [L.AveragePooling3D((1, 2, 2))], (3, 4, 4, 2)),
    ("global_average1d", lambda: [L.GlobalAveragePooling1D()], (5, 3)),
    ("global_max1d_keepdims", lambda: [L.GlobalMaxPooling1D(keepdims=True)], (5, 3)),
    ("global_average2d", lambda: [L.GlobalAveragePooling2D(keepdims=True)], (4, 5, 3)),
    ("global_max2d", lambda: [L.GlobalMaxPooling2D()], (4, 5, 3)),
    ("global_average3d", lambda: [L.GlobalAveragePooling3D()], (2, 3, 4, 3)),
    ("global_max3d", lambda: [L.GlobalMaxPooling3D(keepdims=True)], (2, 3, 4, 3)),
    ("adaptive_average1d", lambda: [L.AdaptiveAveragePooling1D(3)], (7, 2)),
    ("adaptive_max2d", lambda: [L.AdaptiveMaxPooling2D((2, 3))], (5, 7, 2)),
    ("adaptive_average2d_same_size", lambda: [L.AdaptiveAveragePooling2D((4, 2))], (4, 5, 3)),
    ("adaptive_max3d", lambda: [L.AdaptiveMaxPooling3D(2)], (3, 5, 4, 2)),
]


@pytest.mark.parametrize("name,make,shape", POOLING, ids=[c[0] for c in POOLING])
def test_pooling(name, make, shape, tmp_path) -> None:
    check_export(sequential(*make(), shape=shape, name=name), tmp_path)


@pytest.mark.parametrize("opset", [13, 17, 18, 21])
def test_small_cnn_at_every_opset_boundary(opset: int, tmp_path) -> None:
    model = sequential(L.Conv2D(4, 3, padding="same", activation="relu"),
                       L.BatchNormalization(), L.MaxPooling2D(), L.GlobalAveragePooling2D(),
                       L.LayerNormalization(), L.Dense(3, activation="softmax"),
                       shape=(8, 8, 2), name=f"cnn_{opset}")
    check_export(model, tmp_path, opset=opset)


def test_descend_dtype_float32_graph(tmp_path) -> None:
    import onnx

    model = sequential(L.Conv1D(2, 2), shape=(4, 1))
    model.export(tmp_path / "m.onnx", format="onnx")
    proto = onnx.load(str(tmp_path / "m.onnx"))
    assert {t.data_type for t in proto.graph.initializer} <= {onnx.TensorProto.FLOAT,
                                                              onnx.TensorProto.INT64}
    assert descend.config.floatx() == "float32"
