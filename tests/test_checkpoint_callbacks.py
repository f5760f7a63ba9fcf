"""ModelCheckpoint and BackupAndRestore: arguments, file names, best-only saving, backups."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

import descend
from descend.callbacks import BackupAndRestore, LambdaCallback, ModelCheckpoint
from descend.layers import Dense, Input
from descend.models import load_model
from descend.saving import checkpoint
from descend.utils import set_random_seed


def make_model() -> descend.Sequential:
    model = descend.Sequential([Input((4,)), Dense(6, activation="relu"), Dense(1)])
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    return model


def data(n: int = 40, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 4)).astype("float32")
    return x, (x @ np.array([1.0, -2.0, 0.5, 0.0], "float32"))[:, None]


# ------------------------------------------------------------------ ModelCheckpoint
def test_model_checkpoint_defaults_match_keras() -> None:
    checkpoint_cb = ModelCheckpoint("m.descend")
    assert (checkpoint_cb.monitor, checkpoint_cb.verbose, checkpoint_cb.save_best_only,
            checkpoint_cb.save_weights_only, checkpoint_cb.mode, checkpoint_cb.save_freq,
            checkpoint_cb.initial_value_threshold) == ("val_loss", 0, False, False, "auto",
                                                       "epoch", None)
    assert not checkpoint_cb._needs_batch_logs()  # epoch saves cost nothing per batch
    assert ModelCheckpoint("m.descend", save_freq=3)._needs_batch_logs()


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"filepath": "m.keras"}, r"must end in `\.descend`.*reserved"),
    ({"filepath": "m.h5"}, r"must end in `\.descend`"),
    ({"filepath": "m.descend", "save_weights_only": True}, r"must end in `\.weights\.npz`"),
    ({"filepath": "m.weights.npz"}, r"must end in `\.descend`"),
    ({"filepath": "m.descend", "save_freq": "batch"}, "Unrecognized save_freq"),
    ({"filepath": "m.descend", "save_freq": 0}, "Unrecognized save_freq"),
])
def test_model_checkpoint_rejects_bad_arguments(kwargs, match) -> None:
    with pytest.raises(ValueError, match=match):
        ModelCheckpoint(**kwargs)


def test_every_epoch_with_formatted_names(tmp_path) -> None:
    x, y = data()
    model = make_model()
    pattern = str(tmp_path / "sub" / "ckpt-{epoch:02d}-{val_loss:.2f}.descend")
    history = model.fit(x, y, epochs=3, batch_size=10, verbose=0,
                        validation_data=data(12, seed=1), callbacks=[ModelCheckpoint(pattern)])
    expected = sorted(f"ckpt-{e + 1:02d}-{v:.2f}.descend"
                      for e, v in enumerate(history.history["val_loss"]))
    assert sorted(os.listdir(tmp_path / "sub")) == expected
    last = load_model(tmp_path / "sub" / expected[-1])
    assert np.array_equal(last.predict(x, verbose=0), model.predict(x, verbose=0))


def test_save_best_only_keeps_the_best_epoch_and_prints_keras_messages(tmp_path, capsys) -> None:
    x, y = data()
    model = make_model()
    snapshots = []
    path = tmp_path / "best.descend"
    callbacks = [ModelCheckpoint(path, monitor="val_loss", save_best_only=True, verbose=1),
                 LambdaCallback(on_epoch_end=lambda e, logs: snapshots.append(
                     (logs["val_loss"], model.get_weights())))]
    model.fit(x, y, epochs=4, batch_size=10, verbose=0, validation_data=(x[:10], y[:10]),
              callbacks=callbacks)
    best_loss, best_weights = min(snapshots, key=lambda item: item[0])
    loaded = load_model(path)
    assert all(np.array_equal(a, b) for a, b in zip(loaded.get_weights(), best_weights,
                                                     strict=True))
    out = capsys.readouterr().out
    assert "Epoch 1: val_loss improved from None to" in out
    assert f"saving model to {path}" in out
    # Keras 3 confirms each completed save, and only those (one per improvement)
    saved = out.count(f"finished saving model to {path}")
    assert saved == out.count("improved from") and saved >= 1
    assert "Epoch 1: finished saving model to" in out


def test_save_best_only_in_max_mode_skips_worse_epochs(tmp_path, capsys) -> None:
    x, y = data()
    saves = []
    cb = ModelCheckpoint(tmp_path / "m.descend", monitor="loss", mode="max",
                         save_best_only=True, verbose=1)
    cb._write = saves.append  # count the saves
    make_model().fit(x, y, epochs=3, batch_size=10, verbose=0, callbacks=[cb])
    assert len(saves) == 1  # the loss only goes down: epoch 1 is the "best" in max mode
    out = capsys.readouterr().out
    assert "Epoch 2: loss did not improve from" in out
    assert out.count("finished saving model to") == 1  # no confirmation without a save


def test_initial_value_threshold_must_be_beaten(tmp_path) -> None:
    x, y = data()
    cb = ModelCheckpoint(tmp_path / "m.descend", monitor="loss", save_best_only=True,
                         initial_value_threshold=1e-9)
    make_model().fit(x, y, epochs=2, verbose=0, callbacks=[cb])
    assert not (tmp_path / "m.descend").exists()


def test_missing_monitor_warns_with_the_available_keys(tmp_path) -> None:
    x, y = data()
    cb = ModelCheckpoint(tmp_path / "m.descend", save_best_only=True)  # val_loss: no validation
    with pytest.warns(UserWarning, match=r"Can save best model only with val_loss available.*"
                                         r"Available metrics are: loss,mae"):
        make_model().fit(x, y, epochs=1, verbose=0, callbacks=[cb])
    assert not (tmp_path / "m.descend").exists()


def test_weights_only_and_batch_frequency(tmp_path) -> None:
    x, y = data()
    model = make_model()
    cb = ModelCheckpoint(tmp_path / "w-{epoch}-{batch}.weights.npz", save_weights_only=True,
                         monitor="loss", save_freq=3)
    model.fit(x, y, epochs=2, batch_size=10, verbose=0, callbacks=[cb])  # 4 batches per epoch
    assert sorted(os.listdir(tmp_path)) == ["w-1-3.weights.npz", "w-2-2.weights.npz"]
    other = make_model()
    other.load_weights(tmp_path / "w-2-2.weights.npz")
    assert other.optimizer.iterations == 6


def test_unknown_field_in_filepath_is_explained(tmp_path) -> None:
    x, y = data()
    cb = ModelCheckpoint(tmp_path / "m-{val_acc:.2f}.descend")
    with pytest.raises(ValueError, match=r"Failed to format.*val_acc.*Available fields"):
        make_model().fit(x, y, epochs=1, verbose=0, callbacks=[cb])


# ----------------------------------------------------------------- BackupAndRestore
def test_backup_and_restore_defaults_and_validation(tmp_path) -> None:
    cb = BackupAndRestore(tmp_path / "b")
    assert (cb.save_freq, cb.double_checkpoint, cb.delete_checkpoint) == ("epoch", False, True)
    assert not cb._needs_batch_logs()
    with pytest.raises(ValueError, match="Empty `backup_dir`"):
        BackupAndRestore("")
    for bad in ("batch", 0, -2, True, 1.5):
        with pytest.raises(ValueError, match="save_freq"):
            BackupAndRestore(tmp_path, save_freq=bad)
    with pytest.raises(TypeError, match="backup_dir"):
        BackupAndRestore(3)
    unbuilt = descend.Sequential([Dense(1)])
    cb.set_model(unbuilt)
    with pytest.raises(ValueError, match="must be built"):
        cb.on_train_begin()


def test_backup_is_written_every_epoch_and_deleted_at_the_end(tmp_path) -> None:
    x, y = data()
    backup_dir = tmp_path / "backup"
    seen = []

    def look(epoch, logs):
        _, _, state = checkpoint.read_checkpoint(backup_dir / "latest.weights.npz")
        seen.append(state["epoch"])

    callbacks = [BackupAndRestore(backup_dir), LambdaCallback(on_epoch_end=look)]
    make_model().fit(x, y, epochs=3, verbose=0, callbacks=callbacks)
    assert seen == [1, 2, 3]
    assert not backup_dir.exists()


def test_kept_backup_of_a_finished_run_resumes_past_the_end(tmp_path) -> None:
    x, y = data()
    model = make_model()
    cb = BackupAndRestore(tmp_path / "b", delete_checkpoint=False)
    model.fit(x, y, epochs=2, verbose=0, callbacks=[cb])
    assert os.listdir(tmp_path / "b") == ["latest.weights.npz"]
    history = make_model().fit(x, y, epochs=2, verbose=0, callbacks=[cb])
    assert history.history == {}  # nothing left to do
    history = make_model().fit(x, y, epochs=3, verbose=0, callbacks=[cb])
    assert history.epoch == [2]


def test_a_mid_epoch_backup_records_the_batch_and_restarts_that_epoch(tmp_path) -> None:
    x, y = data()
    backup_dir = tmp_path / "b"
    states = []

    def stop(epoch, logs):
        states.append(checkpoint.read_checkpoint(backup_dir / "latest.weights.npz")[2])
        raise KeyboardInterrupt  # the process dies during epoch 1

    cb = BackupAndRestore(backup_dir, save_freq=3)
    with pytest.raises(KeyboardInterrupt):
        make_model().fit(x, y, epochs=3, batch_size=10, verbose=0,
                         callbacks=[cb, LambdaCallback(on_epoch_end=stop)])
    assert (states[0]["epoch"], states[0]["batch"]) == (0, 3)
    history = make_model().fit(x, y, epochs=3, batch_size=10, verbose=0, callbacks=[cb])
    assert history.epoch == [0, 1, 2]


def test_double_checkpoint_falls_back_to_the_previous_backup(tmp_path) -> None:
    x, y = data()
    backup_dir = tmp_path / "b"

    def crash(epoch, logs):
        if epoch == 1:
            raise KeyboardInterrupt

    cb = BackupAndRestore(backup_dir, double_checkpoint=True)
    with pytest.raises(KeyboardInterrupt):
        make_model().fit(x, y, epochs=4, verbose=0,
                         callbacks=[cb, LambdaCallback(on_epoch_end=crash)])
    assert sorted(os.listdir(backup_dir)) == ["latest.weights.npz", "previous.weights.npz"]
    (backup_dir / "latest.weights.npz").write_bytes(b"torn write")
    with pytest.warns(UserWarning, match="trying the previous one"):
        history = make_model().fit(x, y, epochs=4, verbose=0, callbacks=[cb])
    assert history.epoch == [1, 2, 3]
    single = BackupAndRestore(tmp_path / "c")
    os.makedirs(tmp_path / "c")
    (tmp_path / "c" / "latest.weights.npz").write_bytes(b"torn write")
    with pytest.raises(ValueError, match="latest.weights.npz"):
        make_model().fit(x, y, epochs=1, verbose=0, callbacks=[single])


def test_backup_holds_the_random_states_of_seeded_layers(tmp_path) -> None:
    from descend.layers import Dropout

    set_random_seed(0)
    model = descend.Sequential([Input((4,)), Dense(3), Dropout(0.5, seed=7), Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = data()
    model.fit(x, y, epochs=1, verbose=0)
    path = tmp_path / "ckpt.weights.npz"
    checkpoint.save_checkpoint(model, path, next_epoch=1)
    state = json.loads(str(np.load(path, allow_pickle=False)["training_state"]))
    assert state["random_state"] == descend.random.get_state()
    assert list(state["layer_random_states"]) == ["layers/dropout"]
    expected = model.layers[1]._generator.random()
    checkpoint.restore_checkpoint(model, path)
    assert model.layers[1]._generator.random() == expected
