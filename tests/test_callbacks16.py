"""SwapEMAWeights and TensorBoard (issue 16).

The event files are decoded here with a small protobuf reader (so the checks run
without the ``tensorboard`` package); when ``tensorboard`` is installed its
``EventAccumulator`` must read them back too (otherwise those tests skip).
"""

from __future__ import annotations

import os
import struct

import numpy as np
import pytest

import descend
from descend import callbacks, layers, optimizers
from descend.callbacks.event_file import crc32c, read_records


def data(n=32, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3)).astype("float32")
    y = (x @ np.array([1.0, -1.0, 0.5], dtype="float32"))[:, None]
    return x, y


def make_model(optimizer):
    descend.utils.set_random_seed(0)
    model = descend.Sequential([layers.Input((3,)), layers.Dense(4, activation="tanh"),
                                layers.Dense(1)])
    model.compile(optimizer=optimizer, loss="mse", metrics=["mae"])
    return model


# ------------------------------------------------------------------ SwapEMAWeights
def ema_arrays(model):
    optimizer = model.optimizer
    return {id(s.variable): s.slot("average").copy() for s in optimizer._layout.segments}


def test_swap_ema_weights_evaluates_with_the_averages_and_swaps_back():
    x, y = data()
    model = make_model(optimizers.Adam(0.05, use_ema=True, ema_momentum=0.8))
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)  # ends with weights = averages
    model.train_on_batch(x, y)  # one more step: the weights move away from the averages
    weights = [w.numpy().copy() for w in model.trainable_weights]
    averages = ema_arrays(model)
    ema_weights = [averages[id(w)] for w in model.trainable_weights]
    plain = model.evaluate(x, y, verbose=0, return_dict=True)["loss"]
    swap = callbacks.SwapEMAWeights()
    got = model.evaluate(x, y, verbose=0, callbacks=[swap], return_dict=True)["loss"]
    for w, before in zip(model.trainable_weights, weights, strict=True):
        np.testing.assert_array_equal(w.numpy(), before)  # swapped back
    model.predict(x, verbose=0, callbacks=[swap])
    for w, before in zip(model.trainable_weights, weights, strict=True):
        np.testing.assert_array_equal(w.numpy(), before)  # after predict too
    for w, average in zip(model.trainable_weights, ema_weights, strict=True):
        w.assign(average)
    expected = model.evaluate(x, y, verbose=0, return_dict=True)["loss"]
    assert got == pytest.approx(expected, rel=1e-6)
    assert abs(got - plain) > 1e-6  # the averages really differ from the last weights


def test_swap_ema_weights_during_fit_validation_and_on_epoch():
    x, y = data()
    model = make_model(optimizers.SGD(0.05, use_ema=True, ema_momentum=0.5))
    seen = []

    class Record(callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.append([w.numpy().copy() for w in self.model.trainable_weights])

    swap = callbacks.SwapEMAWeights(swap_on_epoch=True)
    model.fit(x, y, epochs=3, batch_size=8, verbose=0, validation_data=(x, y),
              callbacks=[swap, Record()])
    # after each epoch the callbacks that follow saw the averages
    final_average = ema_arrays(model)
    for w, seen_w in zip(model.trainable_weights, seen[-1], strict=True):
        np.testing.assert_allclose(seen_w, final_average[id(w)], rtol=1e-6)
        np.testing.assert_allclose(w.numpy(), final_average[id(w)], rtol=1e-6)


def test_swap_ema_weights_requires_use_ema():
    x, y = data()
    model = make_model("adam")
    model.fit(x, y, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="SwapEMAWeights must be used when `use_ema=True`"):
        model.evaluate(x, y, verbose=0, callbacks=[callbacks.SwapEMAWeights()])
    with pytest.raises(TypeError, match="SwapEMAWeights: swap_on_epoch"):
        callbacks.SwapEMAWeights(swap_on_epoch="yes")


# --------------------------------------------------------------- protobuf decoding
def _varint(buf, pos):
    shift = value = 0
    while True:
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, pos


def fields(buf):
    """(field number, value) pairs of one protobuf message."""
    pos, out = 0, []
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(buf, pos)
        elif wire == 1:
            value, pos = struct.unpack("<d", buf[pos:pos + 8])[0], pos + 8
        elif wire == 5:
            value, pos = struct.unpack("<f", buf[pos:pos + 4])[0], pos + 4
        else:
            length, pos = _varint(buf, pos)
            value, pos = buf[pos:pos + length], pos + length
        out.append((number, value))
    return out


def decode_run(directory):
    """{tag: [(step, value or raw message)]} for every event file of a run directory."""
    out: dict[str, list] = {}
    for name in sorted(os.listdir(directory)):
        for record in read_records(os.path.join(directory, name)):
            event = dict(fields(record))
            step = event.get(2, 0)
            if 4 in event:
                out.setdefault("__graph__", []).append((step, event[4]))
            for number, value in fields(event.get(5, b"")):
                assert number == 1
                entry = dict(fields(value))
                tag = entry[1].decode()
                value = next((entry[k] for k in (2, 4, 5, 8) if k in entry), None)
                out.setdefault(tag, []).append((step, value))
    return out


def test_crc32c_known_value():
    assert crc32c(b"123456789") == 0xE3069283
    assert crc32c(b"") == 0


def test_tensorboard_writes_epoch_scalars_histograms_graph_and_validation(tmp_path):
    x, y = data()
    model = make_model(optimizers.SGD(0.05))
    tb = callbacks.TensorBoard(tmp_path, histogram_freq=2)
    history = model.fit(x, y, epochs=3, batch_size=8, verbose=0, validation_split=0.25,
                        callbacks=[tb])
    assert sorted(os.listdir(tmp_path)) == ["train", "validation"]
    train = decode_run(tmp_path / "train")
    val = decode_run(tmp_path / "validation")
    assert [s for s, _ in train["epoch_loss"]] == [0, 1, 2]
    np.testing.assert_allclose([v for _, v in train["epoch_loss"]], history.history["loss"],
                               rtol=1e-6)
    np.testing.assert_allclose([v for _, v in train["epoch_mae"]], history.history["mae"],
                               rtol=1e-6)
    np.testing.assert_allclose([v for _, v in val["epoch_loss"]], history.history["val_loss"],
                               rtol=1e-6)
    assert [v for _, v in train["epoch_learning_rate"]] == pytest.approx([0.05] * 3)
    # evaluation during fit, at the optimizer's iteration count (3 batches per epoch)
    assert [s for s, _ in val["evaluation_loss_vs_iterations"]] == [3, 6, 9]
    # histograms at epochs 0 and 2, for each weight
    kernel = [t for t in train if t.endswith("kernel/histogram")]
    assert len(kernel) == 2
    assert [s for s, _ in train[kernel[0]]] == [0, 2]
    histogram = dict(fields(train[kernel[0]][-1][1]))
    assert histogram[3] == 12.0  # num: the 3 x 4 kernel
    # the graph: one node per layer, connected
    graph = [dict(fields(v)) for n, v in fields(train["__graph__"][0][1]) if n == 1]
    names = [node[1].decode() for node in graph]
    assert [node[2].decode() for node in graph][-2:] == ["Dense", "Dense"]
    assert graph[-1][3].decode() == names[-2]
    assert "keras" in train and "model/summary" in train
    assert not [t for t in train if t.startswith("batch_")]


def test_tensorboard_batch_scalars_with_update_freq(tmp_path):
    x, y = data()
    model = make_model("sgd")
    model.fit(x, y, epochs=2, batch_size=8, verbose=0,
              callbacks=[callbacks.TensorBoard(tmp_path, update_freq=3, write_graph=False)])
    train = decode_run(tmp_path / "train")
    assert [s for s, _ in train["batch_loss"]] == [3, 6]  # 8 batches, every 3rd
    assert "keras" not in train
    model.fit(x, y, epochs=1, batch_size=8, verbose=0,
              callbacks=[callbacks.TensorBoard(tmp_path / "b", update_freq="batch",
                                               write_steps_per_second=True)])
    run = decode_run(tmp_path / "b" / "train")
    assert [s for s, _ in run["batch_loss"]] == [1, 2, 3, 4]
    assert len(run["batch_steps_per_second"]) == 4 and "epoch_steps_per_second" in run


def test_tensorboard_bad_arguments():
    with pytest.raises(ValueError, match="TensorBoard: update_freq"):
        callbacks.TensorBoard(update_freq=0)
    with pytest.raises(ValueError, match="TensorBoard: histogram_freq"):
        callbacks.TensorBoard(histogram_freq=-1)
    with pytest.raises(ValueError, match="TensorBoard: profile_batch"):
        callbacks.TensorBoard(profile_batch=2)
    with pytest.raises(ValueError, match="TensorBoard: embeddings_freq"):
        callbacks.TensorBoard(embeddings_freq=1)


def test_truncated_event_file_is_reported(tmp_path):
    from descend.callbacks.event_file import EventFileWriter

    writer = EventFileWriter(tmp_path)
    writer.add_scalar("x", 1.0, 0)
    writer.close()
    with open(writer.path, "r+b") as f:
        f.truncate(os.path.getsize(writer.path) - 2)
    with pytest.raises(ValueError, match="truncated"):
        list(read_records(writer.path))


# ------------------------------------------------------ TensorBoard's own reader
def test_tensorboard_event_accumulator_reads_the_logs(tmp_path):
    event_accumulator = pytest.importorskip(
        "tensorboard.backend.event_processing.event_accumulator",
        reason="the tensorboard package is not installed (pip install descend[tensorboard])")
    x, y = data()
    model = make_model(optimizers.Adam(0.01))
    history = model.fit(x, y, epochs=3, batch_size=8, verbose=0, validation_split=0.25,
                        callbacks=[callbacks.TensorBoard(tmp_path, histogram_freq=1,
                                                         update_freq=2, write_images=True)])
    train = event_accumulator.EventAccumulator(str(tmp_path / "train"))
    train.Reload()
    tags = train.Tags()
    assert {"epoch_loss", "epoch_mae", "epoch_learning_rate", "batch_loss"} <= set(
        tags["scalars"])
    np.testing.assert_allclose([e.value for e in train.Scalars("epoch_loss")],
                               history.history["loss"], rtol=1e-6)
    assert [e.step for e in train.Scalars("epoch_loss")] == [0, 1, 2]
    assert [e.step for e in train.Scalars("batch_loss")] == [2, 4, 6, 8]
    assert len(tags["histograms"]) == 4  # two kernels, two biases
    histogram = train.Histograms(tags["histograms"][0])[0].histogram_value
    assert histogram.num > 0 and histogram.min <= histogram.max
    assert tags["graph"] and [n.op for n in train.Graph().node][-2:] == ["Dense", "Dense"]
    assert len(tags["images"]) == 3  # the last bias is one number: no image (as in Keras)
    image = train.Images("dense/kernel/image")[0]
    assert (image.width, image.height) == (4, 3) and image.encoded_image_string[:4] == b"\x89PNG"
    text = train.Tensors("model/summary")[0].tensor_proto.string_val[0].decode()
    assert "dense" in text
    assert train.SummaryMetadata("keras").plugin_data.plugin_name == "graph_keras_model"
    val = event_accumulator.EventAccumulator(str(tmp_path / "validation"))
    val.Reload()
    np.testing.assert_allclose([e.value for e in val.Scalars("epoch_loss")],
                               history.history["val_loss"], rtol=1e-6)


def test_functional_layer_graph_has_the_connections():
    from descend.callbacks.tensorboard import _layer_graph

    a, b = layers.Input((3,), name="a"), layers.Input((3,), name="b")
    h, g = layers.Dense(2, name="da")(a), layers.Dense(2, name="db")(b)
    out = layers.Dense(1, name="out")(layers.Concatenate(name="cat")([h, g]))
    nodes = _layer_graph(descend.Model([a, b], out))
    assert nodes == [("a", "InputLayer", []), ("b", "InputLayer", []), ("da", "Dense", ["a"]),
                     ("db", "Dense", ["b"]), ("cat", "Concatenate", ["da", "db"]),
                     ("out", "Dense", ["cat"])]


# ------------------------------------------------------------------ RemoteMonitor
@pytest.fixture
def server():
    import http.server
    import threading

    received = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - the http.server hook name
            length = int(self.headers["Content-Length"])
            received.append((self.path, self.headers["Content-Type"], self.rfile.read(length)))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", received
    httpd.shutdown()
    httpd.server_close()


def test_remote_monitor_posts_form_and_json(server):
    import json
    import urllib.parse

    root, received = server
    x, y = data()
    model = make_model("sgd")
    history = model.fit(x, y, epochs=2, verbose=0,
                        callbacks=[callbacks.RemoteMonitor(root=root, path="/p/")])
    assert [r[0] for r in received] == ["/p/", "/p/"]
    assert received[0][1] == "application/x-www-form-urlencoded"
    form = urllib.parse.parse_qs(received[1][2].decode())
    sent = json.loads(form["data"][0])
    assert sent["epoch"] == 1 and sent["loss"] == pytest.approx(history.history["loss"][1])
    received.clear()
    model.fit(x, y, epochs=1, verbose=0, callbacks=[callbacks.RemoteMonitor(
        root=root, send_as_json=True, headers={"X-Run": "a"})])
    assert received[0][1] == "application/json"
    assert set(json.loads(received[0][2])) == {"epoch", "loss", "mae"}


def test_remote_monitor_unreachable_server_warns():
    x, y = data()
    model = make_model("sgd")
    monitor = callbacks.RemoteMonitor(root="http://127.0.0.1:9", timeout=2.0)
    with pytest.warns(UserWarning, match="Could not reach RemoteMonitor root server"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[monitor])
    with pytest.raises(ValueError, match="RemoteMonitor: root"):
        callbacks.RemoteMonitor(root="localhost:9000")


def test_tensorboard_weight_images(tmp_path):
    import zlib

    x, y = data()
    model = make_model("sgd")
    model.fit(x, y, epochs=1, verbose=0,
              callbacks=[callbacks.TensorBoard(tmp_path, histogram_freq=1, write_images=True)])
    train = decode_run(tmp_path / "train")
    kernel = model.layers[0].weights[0].numpy()  # (3, 4): stored as is (wide side across)
    image = dict(fields(train["dense/kernel/image"][0][1]))
    assert (image[1], image[2], image[3]) == (3, 4, 1)  # height, width, channels
    png = image[4]
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    # the IDAT chunk: one filter byte then the min-max scaled pixels, row by row
    start = png.index(b"IDAT") + 4
    length = struct.unpack(">I", png[start - 8:start - 4])[0]
    rows = np.frombuffer(zlib.decompress(png[start:start + length]), np.uint8).reshape(3, 5)
    assert np.all(rows[:, 0] == 0)
    expected = np.round((kernel - kernel.min()) / (kernel.max() - kernel.min()) * 255)
    np.testing.assert_array_equal(rows[:, 1:], expected)
    bias = dict(fields(train["dense/bias/image"][0][1]))
    assert (bias[1], bias[2]) == (4, 1)  # a vector as a column
    assert "dense_1/bias/image" not in train
