"""Attention, AdditiveAttention, MultiHeadAttention, EinsumDense, LayerNormalization and
masked GlobalAveragePooling1D: outputs against NumPy versions of Keras's formulas,
float64 gradchecks (masks included), saving round-trips and clear errors."""

from __future__ import annotations

import numpy as np
import pytest

import descend
from descend import layers
from descend.autograd import Tensor, gradcheck

RNG = np.random.default_rng(7)
WEIGHT_NAMES = ("kernel", "bias", "scale", "gamma", "beta", "concat_score_weight")


def softmax(x, axis=-1):
    axis = axis if isinstance(axis, tuple) else (axis,)
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def attention_ref(q, v, k, q_mask=None, v_mask=None, causal=False, mode="dot", scale=None,
                  concat_weight=None, additive_scale=None, additive=False):
    if additive:
        s = np.tanh(q[:, :, None, :] + k[:, None, :, :])
        scores = (s * (1.0 if additive_scale is None else additive_scale)).sum(-1)
    elif mode == "dot":
        scores = q @ k.transpose(0, 2, 1) * (1.0 if scale is None else scale)
    else:
        total = q[:, :, None, :] + k[:, None, :, :]
        scores = concat_weight * np.tanh(total * (1.0 if scale is None else scale)).sum(-1)
    mask = np.ones(scores.shape, bool)
    if v_mask is not None:
        mask &= v_mask[:, None, :]
    if causal:
        mask &= np.tril(np.ones(scores.shape[1:], bool))[None]
    scores = np.where(mask, scores, scores - 1e9)
    weights = softmax(scores)
    out = weights @ v
    if q_mask is not None:
        out = out * q_mask[..., None]
    return out, weights


def mha_ref(weights, q, v, k, num_heads, key_dim, mask=None, use_bias=True):
    it = iter(weights)

    def proj(x):
        kernel = next(it)
        y = np.einsum("btd,dnh->btnh", x, kernel)
        return y + next(it) if use_bias else y

    qp, kp, vp = proj(q), proj(k), proj(v)
    scores = np.einsum("bsnh,btnh->bnts", kp, qp / np.sqrt(key_dim))
    if mask is not None:
        scores = np.where(mask[:, None], scores, -1e9)
    w = softmax(scores)
    o = np.einsum("bnts,bsnh->btnh", w, vp)
    kernel = next(it)
    out = np.einsum("btnh,nho->bto", o, kernel)
    return (out + next(it) if use_bias else out), w


def check_layer(layer, inputs, call=None, training=False):
    """gradcheck of ``layer`` (float64) w.r.t. its inputs and every weight, sublayers' too."""
    call = call or (lambda lyr, xs: lyr._invoke(list(xs) if len(xs) > 1 else xs[0], training))
    owners = []
    for weight in layer.weights:
        for sub in layer._flatten_layers():
            name = next((n for n in WEIGHT_NAMES if getattr(sub, n, None) is weight), None)
            if name is not None:
                owners.append((sub, name, weight))
                break
    assert len(owners) == len(layer.weights)
    n_in = len(inputs)

    def fn(*tensors):
        for (sub, name, _), value in zip(owners, tensors[n_in:], strict=True):
            setattr(sub, name, value)
        try:
            return call(layer, tensors[:n_in])
        finally:
            for sub, name, weight in owners:
                setattr(sub, name, weight)

    assert gradcheck(fn, *inputs, *[w.numpy() for w in layer.weights])


@pytest.fixture
def f64():
    descend.config.set_floatx("float64")


def data(*shape):
    return RNG.normal(size=shape)


Q, V, K = data(2, 3, 4), data(2, 5, 4), data(2, 5, 4)
QM = np.array([[1, 1, 0], [1, 1, 1]], bool)
VM = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], bool)


# ------------------------------------------------------------------ Attention
@pytest.mark.parametrize("kwargs", [{}, {"use_scale": True}, {"score_mode": "concat"},
                                    {"score_mode": "concat", "use_scale": True}])
@pytest.mark.parametrize("causal", [False, True])
def test_attention_matches_formula(kwargs, causal, f64):
    layer = layers.Attention(**kwargs)
    layer([Q, V, K])
    new = [np.asarray(1.7 + i * 0.3) for i, _ in enumerate(layer.weights)]
    layer.set_weights(new)
    out, scores = layer([Q, V, K], mask=[QM, VM], use_causal_mask=causal,
                        return_attention_scores=True)
    ref = {"mode": kwargs.get("score_mode", "dot")}
    if kwargs.get("use_scale"):
        ref["scale"] = 1.7
    if ref["mode"] == "concat":
        ref["concat_weight"] = new[-1]
    want, want_scores = attention_ref(Q, V, K, QM, VM, causal, **ref)
    np.testing.assert_allclose(out.data, want, atol=1e-12)
    np.testing.assert_allclose(scores.data, want_scores, atol=1e-12)


def test_attention_key_defaults_to_value_and_weights_are_keras(f64):
    layer = layers.Attention(use_scale=True, score_mode="concat")
    out = layer([Q, V])
    np.testing.assert_allclose(out.data, attention_ref(Q, V, V, mode="concat", scale=1.0,
                                                       concat_weight=1.0)[0], atol=1e-12)
    assert [w.path.split("/")[-1] for w in layer.weights] == ["scale", "concat_score_weight"]
    assert all(w.shape == () for w in layer.weights)


def test_additive_attention_matches_formula(f64):
    layer = layers.AdditiveAttention()
    layer([Q, V, K])
    assert layer.scale.shape == (4,)
    scale = layer.scale.numpy()
    out = layer([Q, V, K], mask=[QM, VM], use_causal_mask=True)
    want = attention_ref(Q, V, K, QM, VM, True, additive=True, additive_scale=scale)[0]
    np.testing.assert_allclose(out.data, want, atol=1e-12)
    plain = layers.AdditiveAttention(use_scale=False)
    np.testing.assert_allclose(plain([Q, V]).data, attention_ref(Q, V, V, additive=True)[0],
                               atol=1e-12)
    assert plain.weights == []


@pytest.mark.parametrize("layer_fn", [
    lambda: layers.Attention(), lambda: layers.Attention(use_scale=True),
    lambda: layers.Attention(score_mode="concat", use_scale=True),
    lambda: layers.AdditiveAttention()])
@pytest.mark.parametrize("masked", [False, True])
def test_attention_gradcheck(layer_fn, masked, f64):
    layer = layer_fn()
    q, v, k = data(2, 3, 2), data(2, 4, 2), data(2, 4, 2)
    layer([q, v, k])
    vm = np.array([[1, 1, 0, 0], [1, 1, 1, 1]], bool)
    qm = np.array([[1, 0, 1], [1, 1, 1]], bool)

    def call(lyr, xs):
        return lyr._invoke(list(xs), False, mask=[qm, vm] if masked else None,
                           use_causal_mask=masked)

    check_layer(layer, [q, v, k], call)


def test_attention_masked_values_do_not_matter(f64):
    layer = layers.Attention()
    v2 = V.copy()
    v2[0, 3:] = 100.0
    a = layer([Q, V], mask=[None, VM]).data
    b = layer([Q, v2], mask=[None, VM]).data
    np.testing.assert_allclose(a, b, atol=1e-12)


def test_attention_dropout_only_in_training():
    layer = layers.Attention(dropout=0.5, seed=3)
    q, v = Q.astype("float32"), V.astype("float32")
    np.testing.assert_allclose(layer([q, v]).data, layer([q, v]).data)
    _, s1 = layer([q, v], training=True, return_attention_scores=True)
    out = layer([q, v], training=True)
    assert not np.allclose(out.data, layer([q, v]).data)
    np.testing.assert_allclose(s1.data.sum(-1), 1.0, rtol=1e-6)


def test_attention_errors_name_the_layer():
    layer = layers.Attention(name="att")
    with pytest.raises(ValueError, match="'att'.*list of inputs"):
        layer(Q)
    with pytest.raises(ValueError, match="'att'.*rank 3"):
        layer([Q[0], V[0]])
    with pytest.raises(ValueError, match="'att'.*value mask"):
        layer([Q, V], mask=[None, VM[:, :2]])
    with pytest.raises(ValueError, match="score_mode"):
        layers.Attention(score_mode="sum")
    with pytest.raises(ValueError, match="same last"):
        layers.Attention(name="a2")([Q, data(2, 5, 3)])


# ----------------------------------------------------------- MultiHeadAttention
def test_mha_weight_layout_is_keras():
    mha = layers.MultiHeadAttention(num_heads=2, key_dim=3, value_dim=5, output_shape=7)
    mha(Q.astype("float32"), V.astype("float32"))
    assert [(w.path, w.shape) for w in mha.weights] == [
        ("multi_head_attention/query/kernel", (4, 2, 3)),
        ("multi_head_attention/query/bias", (2, 3)),
        ("multi_head_attention/key/kernel", (4, 2, 3)),
        ("multi_head_attention/key/bias", (2, 3)),
        ("multi_head_attention/value/kernel", (4, 2, 5)),
        ("multi_head_attention/value/bias", (2, 5)),
        ("multi_head_attention/attention_output/kernel", (2, 5, 7)),
        ("multi_head_attention/attention_output/bias", (7,))]


@pytest.mark.parametrize("use_bias", [True, False])
def test_mha_matches_formula_with_masks(use_bias, f64):
    mha = layers.MultiHeadAttention(2, 3, use_bias=use_bias)
    mha(Q, V, K)
    mha.set_weights([data(*w.shape) for w in mha.weights])
    am = RNG.random((2, 3, 5)) > 0.3
    am[:, :, 0] = True
    out, scores = mha(Q, V, K, value_mask=VM, attention_mask=am, use_causal_mask=True,
                      return_attention_scores=True)
    mask = am & VM[:, None, :] & np.tril(np.ones((3, 5), bool))[None]
    want, want_scores = mha_ref(mha.get_weights(), Q, V, K, 2, 3, mask, use_bias)
    np.testing.assert_allclose(out.data, want, atol=1e-10)
    np.testing.assert_allclose(scores.data, want_scores, atol=1e-12)
    # query mask: a masked query attends to nothing (zero weights, as Keras's Softmax layer)
    _, s = mha(Q, V, K, query_mask=QM, return_attention_scores=True)
    assert not QM[0, 2]
    np.testing.assert_array_equal(s.data[0, :, 2], 0.0)


def test_mha_attention_axes_2d(f64):
    x = data(2, 3, 4, 5)
    mha = layers.MultiHeadAttention(2, 3, attention_axes=(1, 2))
    out, scores = mha(x, x, return_attention_scores=True)
    assert out.shape == (2, 3, 4, 5) and scores.shape == (2, 2, 3, 4, 3, 4)
    np.testing.assert_allclose(scores.data.sum(axis=(-2, -1)), 1.0, atol=1e-12)
    w = mha.get_weights()
    qp = np.einsum("abcd,dnh->abcnh", x, w[0]) + w[1]
    kp = np.einsum("abcd,dnh->abcnh", x, w[2]) + w[3]
    logits = np.einsum("aefnh,abcnh->anbcef", kp, qp / np.sqrt(3))
    np.testing.assert_allclose(scores.data, softmax(logits, axis=(-2, -1)), atol=1e-12)


@pytest.mark.parametrize("masks", [False, True])
def test_mha_gradcheck(masks, f64):
    q, v = data(2, 3, 2), data(2, 4, 2)
    mha = layers.MultiHeadAttention(2, 2, value_dim=1)
    mha(q, v)
    vm = np.array([[1, 1, 0, 0], [1, 1, 1, 1]], bool)

    def call(lyr, xs):
        kw = {"value_mask": vm, "use_causal_mask": True} if masks else {}
        return lyr._invoke(list(xs), False, **kw)

    check_layer(mha, [q, v], call)


def test_mha_functional_save_round_trip(tmp_path):
    inp = layers.Input((5, 4))
    y = layers.MultiHeadAttention(2, 3, name="mha")(inp, inp)
    y = layers.LayerNormalization()(y)
    y = layers.EinsumDense("abc,cd->abd", output_shape=(None, 3), bias_axes="d")(y)
    out = layers.GlobalAveragePooling1D()(y)
    model = descend.Model(inp, out)
    x = V.astype("float32")
    before = model.predict(x, verbose=0)
    model.save(tmp_path / "m.descend")
    loaded = descend.saving.load_model(tmp_path / "m.descend")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), before, rtol=1e-6)
    cfg = loaded.get_layer("mha").get_config()
    assert cfg["num_heads"] == 2 and cfg["key_dim"] == 3 and cfg["value_dim"] == 3


def test_mha_errors():
    with pytest.raises(ValueError, match="num_heads"):
        layers.MultiHeadAttention(0, 3)
    mha = layers.MultiHeadAttention(2, 3, name="m")
    with pytest.raises(TypeError, match="'m'.*query and a value"):
        mha(Q)
    mha(Q, V)
    with pytest.raises(ValueError, match="'m'.*value_mask"):
        mha(Q, V, value_mask=VM[:, :3])
    with pytest.raises(ValueError, match="'m'.*built for a query"):
        mha(data(2, 3, 6), V)


# ---------------------------------------------------------------- EinsumDense
@pytest.mark.parametrize("equation,output_shape,bias_axes,kernel,bias", [
    ("abc,cde->abde", (None, 2, 3), "de", (4, 2, 3), (2, 3)),
    ("...b,bc->...c", 6, "c", (4, 6), (6,)),
    ("ab...,bc->ac...", 7, "c", (3, 7), (7, 1)),
    ("abc,cd->abd", (3, 7), "bd", (4, 7), (3, 7)),
    ("abc,cd->abd", (3, 7), None, (4, 7), None),
])
def test_einsum_dense_shapes_and_values(equation, output_shape, bias_axes, kernel, bias, f64):
    layer = layers.EinsumDense(equation, output_shape, bias_axes=bias_axes, activation="tanh")
    out = layer(Q)
    assert layer.kernel.shape == kernel
    assert (layer.bias is None) if bias is None else layer.bias.shape == bias
    layer.set_weights([data(*w.shape) for w in layer.weights])
    want = np.einsum(equation, Q, layer.kernel.numpy())
    if bias is not None:
        want = want + layer.bias.numpy()
    np.testing.assert_allclose(layer(Q).data, np.tanh(want), atol=1e-12)
    assert out.shape == layer.compute_output_shape(Q.shape)
    check_layer(layer, [data(2, 3, 4)])


def test_einsum_dense_config_and_errors():
    layer = layers.EinsumDense("ab,bc->ac", output_shape=4, bias_axes="c")
    cfg = layer.get_config()
    assert cfg["output_shape"] == (4,) and cfg["equation"] == "ab,bc->ac"
    clone = layers.EinsumDense.from_config(cfg)
    assert clone.bias_axes == "c"
    with pytest.raises(ValueError, match="invalid einsum equation"):
        layers.EinsumDense("ab->b", 3)(Q[0])
    with pytest.raises(ValueError, match="Bias dimension 'z'|bias dimension 'z'"):
        layers.EinsumDense("ab,bc->ac", 3, bias_axes="z")(Q[0])
    with pytest.raises(ValueError, match="shared dimension 'b'"):
        layers.EinsumDense("abc,cd->abd", (5, 2))(Q)


# --------------------------------------------------------- LayerNormalization
@pytest.mark.parametrize("kwargs", [{}, {"axis": [1, 2]}, {"rms_scaling": True},
                                    {"center": False, "scale": False, "epsilon": 0.1},
                                    {"axis": 1}])
def test_layer_normalization_formula_and_gradcheck(kwargs, f64):
    layer = layers.LayerNormalization(**kwargs)
    layer(Q)
    layer.set_weights([data(*w.shape) for w in layer.weights])
    axis = kwargs.get("axis", -1)
    axes = tuple(axis) if isinstance(axis, list) else (axis,)
    eps = kwargs.get("epsilon", 1e-3)
    mean, var = Q.mean(axes, keepdims=True), Q.var(axes, keepdims=True)
    shape = [1] * 3
    for a in axes:
        shape[a] = Q.shape[a]
    gamma = layer.gamma.numpy().reshape(shape) if layer.gamma is not None else 1.0
    beta = layer.beta.numpy().reshape(shape) if layer.beta is not None else 0.0
    if kwargs.get("rms_scaling"):
        want = Q / np.sqrt(var + eps) * gamma
        assert layer.beta is None
    else:
        want = (Q - mean) / np.sqrt(var + eps) * gamma + beta
    np.testing.assert_allclose(layer(Q).data, want, atol=1e-12)
    check_layer(layer, [data(2, 3, 4)])


def test_layer_normalization_config_and_errors():
    layer = layers.LayerNormalization(axis=[1, 2], epsilon=1e-5)
    cfg = layer.get_config()
    assert {"axis", "epsilon", "center", "scale", "rms_scaling", "beta_initializer",
            "gamma_initializer"} <= set(cfg)
    assert layers.LayerNormalization.from_config(cfg).axis == [1, 2]
    with pytest.raises(ValueError, match="invalid axis 5"):
        layers.LayerNormalization(axis=5)(Q)
    built = layers.LayerNormalization(name="ln")
    built(Q)
    with pytest.raises(ValueError, match="'ln'"):
        built(data(2, 3, 6))


# ------------------------------------------------------ GlobalAveragePooling1D
@pytest.mark.parametrize("keepdims", [False, True])
def test_global_average_pooling_1d_mask(keepdims, f64):
    layer = layers.GlobalAveragePooling1D(keepdims=keepdims)
    out = layer(V, mask=VM)
    want = (V * VM[..., None]).sum(1, keepdims=keepdims) / VM.sum(1, keepdims=keepdims)[..., None]
    np.testing.assert_allclose(out.data, want.reshape(out.shape), atol=1e-12)
    assert gradcheck(lambda x: layer._invoke(x, False, mask=VM), data(2, 5, 3))
    with pytest.raises(ValueError, match="global_average_pooling1d.*mask"):
        layer(V, mask=VM[:, :2])


def test_attention_layers_in_a_trained_model():
    inp = layers.Input((6, 4))
    x = layers.MultiHeadAttention(2, 4, dropout=0.1, seed=1)(inp, inp)
    x = layers.LayerNormalization()(x)
    out = layers.Dense(1, activation="sigmoid")(layers.GlobalAveragePooling1D()(x))
    model = descend.Model(inp, out)
    model.compile("adam", "binary_crossentropy")
    xs = RNG.normal(size=(32, 6, 4)).astype("float32")
    ys = (xs[:, :, 0].mean(1) > 0).astype("float32")
    hist = model.fit(xs, ys, epochs=3, verbose=0)
    assert np.isfinite(hist.history["loss"]).all()
    weights_tensor = Tensor(xs)
    assert model(weights_tensor).shape == (32, 1)


@pytest.mark.parametrize("kwargs,shape", [
    ({"attention_axes": (1, 2)}, (1, 2, 2, 2)),
    ({"use_bias": False, "output_shape": 3}, (2, 3, 2)),
])
def test_mha_gradcheck_axes_output_shape_no_bias(kwargs, shape, f64):
    x = data(*shape)
    mha = layers.MultiHeadAttention(2, 2, **kwargs)
    mha(x, x)
    check_layer(mha, [x, data(*shape)], lambda lyr, xs: lyr._invoke(list(xs), False))


@pytest.mark.parametrize("make", [lambda: layers.Attention(dropout=0.3, seed=1),
                                  lambda: layers.MultiHeadAttention(2, 2, dropout=0.3, seed=1)])
def test_dropout_gradcheck_with_a_fixed_mask(make, f64):
    """In training the dropped weights get no gradient; the mask is fixed by re-seeding."""
    from descend import random as descend_random

    layer = make()
    q, v = data(2, 3, 2), data(2, 4, 2)
    if isinstance(layer, layers.MultiHeadAttention):
        layer(q, v)
    else:
        layer([q, v])

    def call(lyr, xs):
        lyr._seed_generator = descend_random.SeedGenerator(5)
        return lyr._invoke(list(xs), True)

    out_a = call(layer, [Tensor(q), Tensor(v)]).data
    out_b = call(layer, [Tensor(q), Tensor(v)]).data
    np.testing.assert_array_equal(out_a, out_b)
    assert not np.allclose(out_a, layer._invoke([Tensor(q), Tensor(v)], False).data)
    check_layer(layer, [q, v], call)


@pytest.mark.parametrize("cls", [layers.Attention, layers.AdditiveAttention])
def test_attention_scores_are_a_second_symbolic_output(cls):
    """``return_attention_scores=True`` in a functional model gives two outputs, as Keras."""
    q, v = descend.Input((4, 8)), descend.Input((5, 8))
    out, scores = cls()([q, v], return_attention_scores=True)
    assert out.shape == (None, 4, 8) and scores.shape == (None, 4, 5)
    model = descend.Model([q, v], [out, scores])
    rng = np.random.default_rng(0)
    got_out, got_scores = model.predict([rng.normal(size=(2, 4, 8)),
                                         rng.normal(size=(2, 5, 8))], verbose=0)
    assert got_out.shape == (2, 4, 8) and got_scores.shape == (2, 4, 5)
    np.testing.assert_allclose(got_scores.sum(-1), 1.0, rtol=1e-5)
