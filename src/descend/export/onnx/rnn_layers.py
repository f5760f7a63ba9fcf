"""Converters of the recurrent layers: SimpleRNN, LSTM, GRU (and ``RNN`` over their cells),
Bidirectional and TimeDistributed.

A recurrent layer becomes one ONNX ``RNN``/``LSTM``/``GRU`` node (time-major input,
so the sequence is transposed in and out). The weights are re-laid: Keras's
kernels are ``(features, gates * units)`` in the gate order ``i, f, c, o``
(LSTM) or ``z, r, h`` (GRU); ONNX wants ``(gates * units, features)`` with the
LSTM gates in the order ``i, o, f, c`` and the GRU gates unchanged. Keras's GRU
with ``reset_after=True`` (the default: two biases, the reset gate applied after
the recurrent product) is ONNX's ``linear_before_reset=1``. ``go_backwards`` is
``direction="reverse"``; ONNX keeps the outputs at their input positions, so a
Keras sequence output is reversed back.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend import activations as A
from descend import layers as L
from descend.export.onnx.builder import GraphBuilder, Value
from descend.export.onnx.core_layers import weight_array
from descend.export.onnx.registry import check_call, converts, find, refuse

_ACTIVATIONS: dict[Any, tuple[str, float | None, float | None]] = {
    A.sigmoid: ("Sigmoid", None, None),
    A.tanh: ("Tanh", None, None),
    A.relu: ("Relu", None, None),
    A.linear: ("Affine", 1.0, 0.0),
    A.hard_sigmoid: ("HardSigmoid", 1.0 / 6.0, 0.5),
    A.softsign: ("Softsign", None, None),
}

_LSTM_ORDER = (0, 3, 1, 2)  # Keras i, f, c, o -> ONNX i, o, f, c


def _activation_attributes(layer: Any, functions: list[Any]) -> dict[str, Any]:
    names, alphas, betas = [], [], []
    for fn in functions:
        entry = _ACTIVATIONS.get(fn)
        if entry is None:
            raise refuse(layer, f"its activation '{getattr(fn, '__name__', fn)}' is not one "
                                "ONNX's recurrent operators compute (sigmoid, tanh, relu, "
                                "linear, hard_sigmoid, softsign).")
        names.append(entry[0])
        if entry[1] is not None:
            alphas.append(entry[1])
            betas.append(entry[2])
    attrs: dict[str, Any] = {"activations": names}
    if alphas:
        attrs["activation_alpha"] = alphas
        attrs["activation_beta"] = betas
    return attrs


def _gates(matrix: np.ndarray, count: int, order: tuple[int, ...] | None) -> np.ndarray:
    """``(rows, count * units)`` -> ``(count * units, rows)`` with the gates reordered."""
    if order is not None:
        parts = np.split(matrix, count, axis=-1)
        matrix = np.concatenate([parts[i] for i in order], axis=-1)
    return matrix.T


def _cell_spec(layer: Any, cell: Any) -> tuple[str, int, tuple | None, list, dict]:
    """(op type, gate count, gate order, activations, extra attributes) for a cell."""
    if type(cell) is L.LSTMCell:
        return "LSTM", 4, _LSTM_ORDER, [cell.recurrent_activation, cell.activation,
                                        cell.activation], {}
    if type(cell) is L.GRUCell:
        return "GRU", 3, None, [cell.recurrent_activation, cell.activation], {
            "linear_before_reset": int(cell.reset_after)}
    if type(cell) is L.SimpleRNNCell:
        return "RNN", 1, None, [cell.activation], {}
    raise refuse(layer, f"its cell ({type(cell).__name__}) is not a SimpleRNNCell, LSTMCell "
                        "or GRUCell, the cells ONNX's recurrent operators compute.")


def run_recurrent(g: GraphBuilder, layer: Any, x: Value, keras_order: bool
                  ) -> tuple[str | None, list[str]]:
    """One recurrent layer as an ONNX node.

    Returns the sequence output ``(batch, steps, units)`` (None without
    ``return_sequences``) and the final states ``[h]`` or ``[h, c]``, each
    ``(batch, units)``. With ``keras_order`` the sequence is in the order the
    layer returns it (reversed for ``go_backwards``); otherwise in input order.
    """
    if layer.stateful:
        raise refuse(layer, "stateful=True carries state between batches, which an ONNX "
                            "graph cannot keep.")
    cell = layer.cell
    op_type, count, order, functions, extra = _cell_spec(layer, cell)
    units = int(cell.units)
    kernel = weight_array(cell.kernel)
    recurrent = weight_array(cell.recurrent_kernel)
    bias = weight_array(cell.bias)
    w = _gates(kernel, count, order)[None]
    r = _gates(recurrent, count, order)[None]
    if bias is None:
        b = np.zeros((1, 2 * count * units), kernel.dtype)
    else:
        if bias.ndim == 1:  # one bias (LSTM, SimpleRNN, GRU with reset_after=False)
            input_bias, recurrent_bias = bias, np.zeros_like(bias)
        else:
            input_bias, recurrent_bias = bias[0], bias[1]
        b = np.concatenate([_gates(input_bias[None], count, order)[:, 0],
                            _gates(recurrent_bias[None], count, order)[:, 0]])[None]
    attrs = {"hidden_size": units, **extra, **_activation_attributes(layer, functions)}
    if layer.go_backwards:
        attrs["direction"] = "reverse"
    time_major = g.transpose(x.name, [1, 0, 2])
    n_out = 3 if op_type == "LSTM" else 2
    outputs = g.op(op_type, [time_major, g.weight(w, "W"), g.weight(r, "R"), g.weight(b, "B")],
                   outputs=n_out, **attrs)
    states = [g.squeeze(name, [0]) for name in outputs[1:]]
    sequence = None
    if layer.return_sequences:
        sequence = g.transpose(g.squeeze(outputs[0], [1]), [1, 0, 2])
        if keras_order and layer.go_backwards:
            sequence = g.reverse(sequence, 1)
    return sequence, states


@converts(L.SimpleRNN, L.LSTM, L.GRU, L.RNN)
def convert_recurrent(g: GraphBuilder, layer: Any, inputs: list[Value], call: dict) -> list:
    """The layer's output (the sequence or the last step), then its states with
    ``return_state``."""
    check_call(layer, call)
    sequence, states = run_recurrent(g, layer, inputs[0], keras_order=True)
    output = sequence if layer.return_sequences else states[0]
    return [output, *states] if layer.return_state else [output]


@converts(L.Bidirectional)
def convert_bidirectional(g: GraphBuilder, layer: Any, inputs: list[Value], call: dict
                          ) -> list:
    """Both directions, the backward sequence put back in input order, then merged."""
    check_call(layer, call)
    forward, backward = layer.forward_layer, layer.backward_layer
    with g.scope(f"{layer.name}/{forward.name}"):
        f_seq, f_states = run_recurrent(g, forward, inputs[0], keras_order=True)
    with g.scope(f"{layer.name}/{backward.name}"):
        b_seq, b_states = run_recurrent(g, backward, inputs[0], keras_order=False)
    if layer.return_sequences:
        y = f_seq
        y_rev = b_seq if backward.go_backwards else g.reverse(b_seq, 1)
    else:
        y, y_rev = f_states[0], b_states[0]
    mode = layer.merge_mode
    if mode == "concat":
        merged: list[str] = [g.concat([y, y_rev], -1)]
    elif mode == "sum":
        merged = [g.add(y, y_rev)]
    elif mode == "ave":
        merged = [g.scale(g.add(y, y_rev), 0.5)]
    elif mode == "mul":
        merged = [g.mul(y, y_rev)]
    else:
        merged = [y, y_rev]
    if layer.return_state:
        return merged + f_states + b_states
    return merged


@converts(L.TimeDistributed)
def convert_time_distributed(g: GraphBuilder, layer: Any, inputs: list[Value], call: dict
                             ) -> list:
    """The inner layer on ``(batch * steps, ...)``, reshaped back to ``(batch, steps, ...)``."""
    check_call(layer, call)
    x = inputs[0]
    inner = layer.layer
    step_shape = tuple(x.shape[2:])
    if any(s is None for s in step_shape):
        raise refuse(layer, f"the step shape {step_shape} of its input {x.shape} must be "
                            "fully known to export it.")
    merged = Value(g.reshape(x.name, [-1, *step_shape]), (None, *step_shape))
    with g.scope(f"{layer.name}/{inner.name}"):
        (out,) = find(inner)(g, inner, [merged], {})
    out_shape = tuple(inner.compute_output_shape((None, *step_shape)))[1:]
    if any(s is None for s in out_shape):
        raise refuse(layer, f"the inner layer's output shape {out_shape} must be fully known.")
    batch_steps = g.slice(g.shape_of(x.name), [0], [2], [0])
    target = g.concat([batch_steps, g.ints([int(s) for s in out_shape])], 0)
    return [g.op("Reshape", [out, target])]


__all__ = ["run_recurrent"]
