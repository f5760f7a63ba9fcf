"""ONNX export of the recurrent layers (SimpleRNN, LSTM, GRU, RNN over their cells,
Bidirectional, TimeDistributed) and the attention layers (MultiHeadAttention, Attention,
AdditiveAttention): onnxruntime's outputs equal ``predict`` (max abs diff <= 1e-5, float32)
at batch sizes 1 and 37, and ``onnx.checker`` passes."""

from __future__ import annotations

import pytest

pytest.importorskip("onnx", reason="ONNX export tests need onnx: pip install '.[onnx]'")
pytest.importorskip("onnxruntime", reason="ONNX export tests need onnxruntime: "
                                          "pip install '.[test]'")

import descend  # noqa: E402
from descend import layers as L  # noqa: E402
from onnx_check import check_export, randomize, sequential  # noqa: E402

RECURRENT = {
    "simple_rnn": lambda: L.SimpleRNN(5),
    "simple_rnn_sequences_relu": lambda: L.SimpleRNN(4, activation="relu",
                                                     return_sequences=True),
    "simple_rnn_backwards": lambda: L.SimpleRNN(4, go_backwards=True, return_sequences=True),
    "lstm": lambda: L.LSTM(6),
    "lstm_sequences": lambda: L.LSTM(4, return_sequences=True),
    "lstm_backwards": lambda: L.LSTM(4, go_backwards=True, return_sequences=True),
    "lstm_no_bias": lambda: L.LSTM(3, use_bias=False),
    "lstm_hard_sigmoid": lambda: L.LSTM(3, recurrent_activation="hard_sigmoid",
                                        activation="softsign"),
    "gru": lambda: L.GRU(5),
    "gru_sequences": lambda: L.GRU(4, return_sequences=True),
    "gru_reset_before": lambda: L.GRU(4, reset_after=False, return_sequences=True),
    "gru_backwards": lambda: L.GRU(3, go_backwards=True),
    "gru_no_bias": lambda: L.GRU(3, use_bias=False, reset_after=False),
    "rnn_lstm_cell": lambda: L.RNN(L.LSTMCell(4), return_sequences=True),
    "rnn_gru_cell": lambda: L.RNN(L.GRUCell(3)),
    "rnn_simple_cell": lambda: L.RNN(L.SimpleRNNCell(3), go_backwards=True),
    "bidirectional_lstm": lambda: L.Bidirectional(L.LSTM(3, return_sequences=True)),
    "bidirectional_gru_sum": lambda: L.Bidirectional(L.GRU(3), merge_mode="sum"),
    "bidirectional_rnn_ave": lambda: L.Bidirectional(L.SimpleRNN(3, return_sequences=True),
                                                     merge_mode="ave"),
    "bidirectional_mul_backward_layer": lambda: L.Bidirectional(
        L.LSTM(3, return_sequences=True), merge_mode="mul",
        backward_layer=L.GRU(3, return_sequences=True, go_backwards=True)),
}


@pytest.mark.parametrize("name", sorted(RECURRENT))
def test_recurrent_layers(name: str, tmp_path) -> None:
    check_export(sequential(RECURRENT[name](), shape=(6, 4), name=name), tmp_path)


def test_stacked_recurrent_model(tmp_path) -> None:
    model = sequential(L.LSTM(8, return_sequences=True), L.Dropout(0.3), L.GRU(6),
                       L.Dense(2, activation="softmax"), shape=(7, 3))
    check_export(model, tmp_path)


def test_recurrent_over_unknown_length(tmp_path) -> None:
    import numpy as np

    model = sequential(L.GRU(4, return_sequences=True), L.GlobalMaxPooling1D(),
                       shape=(None, 3))

    def inputs(batch: int) -> list:
        steps = 2 + batch % 5
        return [np.random.default_rng(batch).normal(size=(batch, steps, 3)).astype("float32")]
    check_export(model, tmp_path, inputs)


@pytest.mark.parametrize("layer", ["lstm", "gru", "bidirectional"])
def test_return_state(layer: str, tmp_path) -> None:
    x = descend.Input((5, 3), name="steps")
    if layer == "lstm":
        outputs = L.LSTM(4, return_state=True, return_sequences=True)(x)
    elif layer == "gru":
        outputs = L.GRU(4, return_state=True)(x)
    else:
        outputs = L.Bidirectional(L.LSTM(2, return_state=True))(x)
    model = randomize(descend.Model(x, list(outputs)))
    check_export(model, tmp_path)


def test_time_distributed(tmp_path) -> None:
    model = sequential(L.TimeDistributed(L.Dense(3, activation="relu")),
                       L.TimeDistributed(L.Conv1D(2, 2)), shape=(5, 4, 2))
    check_export(model, tmp_path)


def test_embedding_lstm_classifier(tmp_path) -> None:
    import numpy as np

    ids = descend.Input((9,), dtype="int32", name="tokens")
    x = L.Embedding(30, 8)(ids)
    x = L.Bidirectional(L.LSTM(6))(x)
    model = randomize(descend.Model(ids, L.Dense(1, activation="sigmoid")(x)))

    def inputs(batch: int) -> list:
        return [np.random.default_rng(batch).integers(0, 30, (batch, 9)).astype("int32")]
    check_export(model, tmp_path, inputs)


# ------------------------------------------------------------------ attention
def _attention_model(layer, key: bool = False, scores: bool = False, causal: bool = False,
                     shapes=((5, 4), (6, 4))):
    query = descend.Input(shapes[0], name="query")
    value = descend.Input(shapes[1], name="value")
    inputs = [query, value]
    kwargs = {}
    if scores:
        kwargs["return_attention_scores"] = True
    if causal:
        kwargs["use_causal_mask"] = True
    if isinstance(layer, L.MultiHeadAttention):
        extra = {"key": value} if key else {}
        out = layer(query, value, **extra, **kwargs)
    else:
        out = layer([query, value, value] if key else [query, value], **kwargs)
    return randomize(descend.Model(inputs, list(out) if scores else out))


ATTENTION = {
    "mha": lambda: (L.MultiHeadAttention(2, 3), {}),
    "mha_key_scores": lambda: (L.MultiHeadAttention(3, 2, value_dim=4, output_shape=5),
                               {"key": True, "scores": True}),
    "mha_no_bias_causal": lambda: (L.MultiHeadAttention(2, 4, use_bias=False),
                                   {"causal": True}),
    "mha_2d_attention_axes": lambda: (L.MultiHeadAttention(2, 2, attention_axes=(1, 2)),
                                      {"shapes": ((3, 4, 5), (3, 4, 5))}),
    "mha_gate_window_causal": lambda: (L.MultiHeadAttention(2, 3, use_gate=True,
                                                            sliding_window=2),
                                       {"causal": True, "scores": True}),
    "gqa": lambda: (L.GroupQueryAttention(3, 4, 2), {"key": True, "scores": True}),
    "gqa_gate_window": lambda: (L.GroupQueryAttention(2, 4, 1, use_gate=True,
                                                      sliding_window=3), {}),
    "attention_dot": lambda: (L.Attention(), {}),
    "attention_scaled": lambda: (L.Attention(use_scale=True), {}),
    "attention_concat_causal": lambda: (L.Attention(score_mode="concat", use_scale=True),
                                        {"causal": True, "key": True}),
    "additive_attention": lambda: (L.AdditiveAttention(), {"key": True}),
    "additive_attention_unscaled": lambda: (L.AdditiveAttention(use_scale=False), {}),
}


@pytest.mark.parametrize("name", sorted(ATTENTION))
def test_attention_layers(name: str, tmp_path) -> None:
    layer, options = ATTENTION[name]()
    check_export(_attention_model(layer, **options), tmp_path)


def test_self_attention_block(tmp_path) -> None:
    x = descend.Input((6, 8), name="tokens")
    attended = L.MultiHeadAttention(2, 4, name="self_attention")(x, x)
    h = L.LayerNormalization()(L.Add()([x, attended]))
    h = L.Dense(16, activation="gelu")(h)
    out = L.GlobalAveragePooling1D()(L.Dense(8)(h))
    check_export(randomize(descend.Model(x, out)), tmp_path)


@pytest.mark.parametrize("opset", [13, 18, 21])
def test_mixed_model_at_opset_boundaries(opset: int, tmp_path) -> None:
    from descend import ops

    x = descend.Input((6, 4), name="sequence")
    h = L.Bidirectional(L.GRU(4, return_sequences=True))(x)
    h = L.LayerNormalization()(h)
    h = L.Add()([h, L.MultiHeadAttention(2, 2)(h, h)])
    h = L.GroupNormalization(groups=2)(L.Conv1D(4, 3, padding="causal")(h))
    h = L.SimpleRNN(3, return_sequences=True)(h)
    pooled = L.Concatenate()([L.GlobalMaxPooling1D()(h), ops.mean(h, axis=1),
                              L.UnitNormalization()(L.LSTM(2)(h))])
    model = randomize(descend.Model(x, L.Dense(2, activation="softmax")(pooled)),
                      seed=opset)
    check_export(model, tmp_path, opset=opset)
