"""Tests of descend.callbacks against Keras 3 semantics, with a fake model and a fake loop."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from descend.callbacks import (
    Callback,
    CallbackList,
    CSVLogger,
    EarlyStopping,
    History,
    LambdaCallback,
    LearningRateScheduler,
    MonitorCallback,
    ProgbarLogger,
    ReduceLROnPlateau,
    StopAtThreshold,
    TerminateOnNaN,
)
from descend.callbacks.callback_list import pythonify_logs

BAR = "\u2501"


# -- fakes -------------------------------------------------------------------------------------


class FakeMetric:
    def __init__(self, name: str, direction: str) -> None:
        self.name = name
        self._direction = direction


class FakeOptimizer:
    def __init__(self, learning_rate: float = 0.01) -> None:
        self.learning_rate = learning_rate


class FakeModel:
    """The attributes the callbacks rely on (see the model contract)."""

    def __init__(self, metric_names=("accuracy",)) -> None:
        self.stop_training = False
        self.optimizer = FakeOptimizer()
        self.metrics = [FakeMetric("loss", "down")] + [
            FakeMetric(name, "down" if name in ("mae", "mse") else "up") for name in metric_names
        ]
        self.weights = [np.zeros(2)]
        self.history = None

    def get_weights(self):
        return [w.copy() for w in self.weights]

    def set_weights(self, weights):
        self.weights = [np.array(w) for w in weights]


def run_fit(
    model,
    callbacks,
    epoch_logs,
    steps=3,
    verbose=0,
    epochs=None,
    clock=None,
    seconds_per_step=0.0012,
):
    """Drive callbacks exactly as the training loop does (model contract of the lead).

    ``epoch_logs`` is one dict per epoch with the training keys and the ``val_`` keys. The model's
    weights are set to ``[epoch, epoch]`` during each epoch so weight restoring can be checked.
    """
    epochs = len(epoch_logs) if epochs is None else epochs
    cbs = CallbackList(
        callbacks,
        add_history=True,
        add_progbar=verbose != 0,
        model=model,
        verbose=verbose,
        epochs=epochs,
        steps=steps,
    )
    model.stop_training = False
    cbs.on_train_begin()
    for epoch, logs in enumerate(epoch_logs[:epochs]):
        cbs.on_epoch_begin(epoch)
        model.weights = [np.full(2, float(epoch))]
        train = {k: v for k, v in logs.items() if not k.startswith("val_")}
        val = {k[4:]: v for k, v in logs.items() if k.startswith("val_")}
        for batch in range(steps):
            if clock is not None:
                clock.now += seconds_per_step
            if cbs.needs_batch_logs:
                cbs.on_train_batch_begin(batch)
                cbs.on_train_batch_end(batch, train)
            if model.stop_training:
                break
        epoch_out = dict(train)
        if val:
            cbs.on_test_begin()
            if cbs.needs_batch_logs:
                cbs.on_test_batch_begin(0)
                cbs.on_test_batch_end(0, val)
            cbs.on_test_end(val)
            epoch_out.update({f"val_{k}": v for k, v in val.items()})
        cbs.on_epoch_end(epoch, epoch_out)
        if model.stop_training:
            break
    cbs.on_train_end()
    return model.history


def losses(*values, key="loss"):
    return [{key: v} for v in values]


# -- Callback and CallbackList -----------------------------------------------------------------


def test_default_callback_order_and_model_history():
    model = FakeModel()
    user = [EarlyStopping(), LambdaCallback()]
    cbs = CallbackList(user, add_history=True, add_progbar=True, model=model, verbose=1, epochs=2,
                       steps=4)
    kinds = [type(c) for c in cbs.callbacks]
    assert kinds == [EarlyStopping, LambdaCallback, History, ProgbarLogger]
    assert model.history is cbs.callbacks[2]
    assert all(c.model is model for c in cbs.callbacks)
    assert all(c.params == {"verbose": 1, "epochs": 2, "steps": 4} for c in cbs.callbacks)


def test_no_progbar_with_verbose_0_and_existing_defaults_not_duplicated():
    model = FakeModel()
    assert [type(c) for c in CallbackList(None, add_history=True, add_progbar=False,
                                          model=model, verbose=0).callbacks] == [History]
    mine_h, mine_p = History(), ProgbarLogger()
    cbs = CallbackList([mine_p, mine_h], add_history=True, add_progbar=True, model=model,
                       verbose=1, epochs=1, steps=1)
    assert cbs.callbacks == [mine_p, mine_h]
    assert model.history is mine_h


def test_hook_call_sequence():
    calls = []

    class Recorder(Callback):
        pass

    for name in (
        "on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end", "on_batch_begin",
        "on_batch_end", "on_test_begin", "on_test_end", "on_test_batch_begin",
        "on_test_batch_end",
    ):
        def hook(self, *args, _name=name, **kwargs):
            calls.append((_name, *(a for a in args if isinstance(a, int))))
        setattr(Recorder, name, hook)

    run_fit(FakeModel(), [Recorder()], [{"loss": 1.0, "val_loss": 2.0}], steps=2)
    assert calls == [
        ("on_train_begin",),
        ("on_epoch_begin", 0),
        ("on_batch_begin", 0),
        ("on_batch_end", 0),
        ("on_batch_begin", 1),
        ("on_batch_end", 1),
        ("on_test_begin",),
        ("on_test_batch_begin", 0),
        ("on_test_batch_end", 0),
        ("on_test_end",),
        ("on_epoch_end", 0),
        ("on_train_end",),
    ]


def test_legacy_batch_aliases_are_called_by_train_batch_hooks():
    seen = []

    class Legacy(Callback):
        def on_batch_end(self, batch, logs=None):
            seen.append((batch, logs))

    cbs = CallbackList([Legacy()])
    assert cbs.needs_batch_logs
    cbs.on_train_batch_end(3, {"loss": np.float32(0.5)})
    assert seen == [(3, {"loss": 0.5})]
    assert type(seen[0][1]["loss"]) is float


def test_callback_without_super_init_still_works():
    class NoInit(Callback):
        def __init__(self):
            self.count = 0

    callback = NoInit()
    assert callback.model is None and callback.params is None
    CallbackList([callback], model=FakeModel(), verbose=0, epochs=1, steps=1)
    assert callback.model is not None


@pytest.mark.parametrize(
    ("callbacks", "verbose", "steps", "expected"),
    [
        ([], 2, 5, False),
        ([], 0, 5, False),
        ([], 1, 5, False),  # stdout is not a terminal under pytest: one line per epoch
        ([], 2, None, True),  # unknown steps: the batches must be counted
        ([EarlyStopping(), ReduceLROnPlateau(), StopAtThreshold(0.1)], 2, 5, False),
        ([LearningRateScheduler(lambda e, lr: lr), CSVLogger("unused.csv")], 2, 5, False),
        ([TerminateOnNaN()], 2, 5, True),
        ([LambdaCallback(on_epoch_end=print)], 2, 5, False),
        ([LambdaCallback(on_train_batch_end=print)], 0, 5, True),
        ([LambdaCallback(on_predict_batch_end=print)], 0, 5, True),
    ],
)
def test_needs_batch_logs(callbacks, verbose, steps, expected):
    cbs = CallbackList(callbacks, add_history=True, add_progbar=verbose != 0, model=FakeModel(),
                       verbose=verbose, epochs=3, steps=steps)
    assert cbs.needs_batch_logs is expected


def test_needs_batch_logs_for_an_overridden_test_hook():
    class OnTest(Callback):
        def on_test_batch_end(self, batch, logs=None):
            pass

    assert CallbackList([OnTest()], verbose=0, epochs=1, steps=1).needs_batch_logs


def test_batch_hooks_skip_callbacks_that_do_not_use_them():
    class Exploding(Callback):
        def on_train_batch_begin(self, batch, logs=None):
            raise AssertionError("should not be called")

    class Counting(Callback):
        count = 0

        def on_train_batch_end(self, batch, logs=None):
            Counting.count += 1

    cbs = CallbackList([History(), Counting()])
    cbs.on_train_batch_end(0, {"loss": 1.0})
    assert Counting.count == 1
    assert [type(c) for c in cbs._batch_callbacks] == [Counting]
    cbs.append(Exploding())
    with pytest.raises(AssertionError):
        cbs.on_train_batch_begin(1)


def test_pythonify_logs():
    logs = {"z": np.float64(1.5), "a": np.array(2), "b": 3, "m": {"nested": np.float32(0.25)},
            "out": np.ones(3)}
    result = pythonify_logs(logs)
    assert list(result) == ["a", "b", "nested", "out", "z"]
    assert result["a"] == 2.0 and type(result["a"]) is float
    assert type(result["b"]) is float and type(result["z"]) is float
    assert result["nested"] == 0.25
    assert isinstance(result["out"], np.ndarray)
    assert pythonify_logs(None) == {}
    assert logs["z"].dtype == np.float64  # input untouched


def test_logs_are_sorted_copies_shared_between_callbacks():
    received = []
    cbs = CallbackList([LambdaCallback(on_epoch_end=lambda e, logs: received.append(logs)),
                        LambdaCallback(on_epoch_end=lambda e, logs: received.append(logs))])
    original = {"loss": 1.0, "accuracy": 0.5}
    cbs.on_epoch_end(0, original)
    assert list(received[0]) == ["accuracy", "loss"]
    assert received[0] is received[1] and received[0] is not original


def test_callback_list_type_errors():
    with pytest.raises(TypeError, match="callbacks"):
        CallbackList("EarlyStopping")
    with pytest.raises(TypeError, match="Callback"):
        CallbackList([object()])
    single = History()
    assert CallbackList(single).callbacks == [single]
    assert CallbackList([[single]]).callbacks == [single]


# -- History -----------------------------------------------------------------------------------


def test_history_contents():
    model = FakeModel()
    logs = [{"loss": 0.9, "accuracy": 0.5, "val_loss": 1.0, "val_accuracy": 0.4},
            {"loss": 0.5, "accuracy": 0.75, "val_loss": 0.8, "val_accuracy": 0.6}]
    history = run_fit(model, [], logs, steps=7)
    assert isinstance(history, History) and model.history is history
    assert history.history == {"accuracy": [0.5, 0.75], "loss": [0.9, 0.5],
                               "val_accuracy": [0.4, 0.6], "val_loss": [1.0, 0.8]}
    assert list(history.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert history.epoch == [0, 1]
    assert history.params == {"verbose": 0, "epochs": 2, "steps": 7}


# -- MonitorCallback ---------------------------------------------------------------------------


def test_monitor_mode_auto_uses_metric_direction():
    model = FakeModel(metric_names=("accuracy", "mae"))
    for monitor, expected in [("val_loss", "lt"), ("loss", "lt"), ("val_accuracy", "gt"),
                              ("accuracy", "gt"), ("val_mae", "lt")]:
        callback = MonitorCallback(monitor=monitor)
        callback.set_model(model)
        callback._set_monitor_op()
        assert callback.monitor_op.__name__ == expected, monitor


def test_monitor_mode_auto_error_and_unknown_mode_warning():
    callback = MonitorCallback(monitor="val_f1")
    callback.set_model(FakeModel())
    with pytest.raises(ValueError, match="mode='max'"):
        callback._set_monitor_op()
    with pytest.warns(UserWarning, match="mode 'maximum' is unknown, fallback to auto mode"):
        fallback = EarlyStopping(mode="maximum")
    assert fallback.mode == "auto"


def test_monitor_min_delta_sign():
    callback = MonitorCallback(monitor="loss", min_delta=-0.1)
    callback.set_model(FakeModel())
    assert callback._is_improvement(0.85, 1.0) and not callback._is_improvement(0.95, 1.0)
    assert callback.min_delta == -0.1
    up = MonitorCallback(monitor="accuracy", min_delta=0.1)
    up.set_model(FakeModel())
    assert up._is_improvement(0.65, 0.5) and not up._is_improvement(0.55, 0.5)


# -- EarlyStopping -----------------------------------------------------------------------------


def test_early_stopping_defaults():
    stopper = EarlyStopping()
    assert (stopper.monitor, stopper.min_delta, stopper.patience, stopper.verbose, stopper.mode,
            stopper.baseline, stopper.restore_best_weights, stopper.start_from_epoch) == (
        "val_loss", 0, 0, 0, "auto", None, False, 0)


ACC = "val_accuracy"


@pytest.mark.parametrize(
    ("kwargs", "values", "epochs_run", "stopped_epoch", "best"),
    [
        # patience: 2 epochs without improvement after the best (0.8 at epoch 1)
        ({"patience": 2}, [1.0, 0.8, 0.9, 0.85, 0.7, 0.6], 4, 3, 0.8),
        # patience 0 (default): stop at the first epoch without improvement
        ({}, [1.0, 0.9, 0.95, 0.5], 3, 2, 0.9),
        # min_delta: 0.95 is not better than 1.0 by more than 0.1
        ({"min_delta": 0.1, "patience": 1}, [1.0, 0.95, 0.5], 2, 1, 1.0),
        # mode "auto" maximises an accuracy (metric direction "up")
        ({"monitor": ACC, "patience": 1}, [0.5, 0.6, 0.55, 0.9], 3, 2, 0.6),
        ({"mode": "max", "patience": 1}, [0.5, 0.6, 0.55, 0.9], 3, 2, 0.6),
        # baseline never beaten: improvements do not reset the counter
        ({"patience": 2, "baseline": 0.1}, [1.0, 0.9, 0.95, 0.5, 0.4], 3, 2, 0.9),
        # baseline beaten: normal patience
        ({"patience": 2, "baseline": 0.95}, [1.0, 0.9, 0.95, 0.92, 0.8], 4, 3, 0.9),
        # warm-up epochs are ignored
        ({"start_from_epoch": 2}, [1.0, 2.0, 3.0, 2.5, 2.8], 5, 4, 2.5),
        # never stops: stopped_epoch stays 0
        ({"patience": 1}, [1.0, 0.9, 0.8], 3, 0, 0.8),
    ],
)
def test_early_stopping_rules(kwargs, values, epochs_run, stopped_epoch, best):
    kwargs = {"monitor": "loss", **kwargs}
    stopper = EarlyStopping(**kwargs)
    key = kwargs["monitor"]
    logs = [{"loss": 1.0, key: v} for v in values]
    history = run_fit(FakeModel(), [stopper], logs)
    assert history.epoch == list(range(epochs_run))
    assert stopper.stopped_epoch == stopped_epoch and stopper.best == best


def test_early_stopping_restores_best_weights_after_stop(capsys):
    model = FakeModel()
    stopper = EarlyStopping(monitor="loss", patience=1, restore_best_weights=True, verbose=1)
    run_fit(model, [stopper], losses(1.0, 0.5, 0.7, 0.6))
    np.testing.assert_array_equal(model.weights[0], [1.0, 1.0])
    assert capsys.readouterr().out == (
        "Epoch 3: early stopping\nRestoring model weights from the end of the best epoch: 2.\n"
    )


def test_early_stopping_restores_best_weights_without_stop():
    # Keras 3: restored in on_train_end even when training ran to the end.
    model = FakeModel()
    stopper = EarlyStopping(monitor="loss", patience=5, restore_best_weights=True)
    run_fit(model, [stopper], losses(1.0, 0.3, 0.7, 0.6))
    assert stopper.stopped_epoch == 0
    np.testing.assert_array_equal(model.weights[0], [1.0, 1.0])


def test_early_stopping_without_restore_keeps_last_weights():
    model = FakeModel()
    run_fit(model, [EarlyStopping(monitor="loss", patience=1)], losses(1.0, 0.5, 0.7, 0.6))
    np.testing.assert_array_equal(model.weights[0], [2.0, 2.0])


def test_early_stopping_is_reusable():
    stopper = EarlyStopping(monitor="loss", patience=0)
    run_fit(FakeModel(), [stopper], losses(1.0, 2.0))
    assert stopper.stopped_epoch == 1
    history = run_fit(FakeModel(), [stopper], losses(5.0, 4.0, 3.0))
    assert history.epoch == [0, 1, 2] and stopper.stopped_epoch == 0 and stopper.best == 3.0


def test_early_stopping_missing_metric_warns_with_available_keys():
    stopper = EarlyStopping()  # monitors val_loss, absent here
    with pytest.warns(UserWarning) as record:
        history = run_fit(FakeModel(), [stopper], [{"loss": 1.0, "accuracy": 0.5}])
    assert history.epoch == [0]
    assert str(record[0].message) == (
        "Early stopping conditioned on metric `val_loss` which is not available. "
        "Available metrics are: accuracy,loss"
    )


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [({"patience": -1}, ValueError), ({"patience": 1.5}, ValueError),
     ({"start_from_epoch": -2}, ValueError), ({"baseline": "low"}, TypeError),
     ({"min_delta": "0.1"}, TypeError), ({"monitor": 3}, TypeError)],
)
def test_early_stopping_validation(kwargs, error):
    with pytest.raises(error):
        EarlyStopping(**kwargs)


# -- ReduceLROnPlateau -------------------------------------------------------------------------


def test_reduce_lr_defaults_and_factor_error():
    reducer = ReduceLROnPlateau()
    assert (reducer.monitor, reducer.factor, reducer.patience, reducer.min_delta, reducer.cooldown,
            reducer.min_lr) == ("val_loss", 0.1, 10, 1e-4, 0, 0.0)
    with pytest.raises(ValueError, match="factor >= 1.0. Received factor=1.0"):
        ReduceLROnPlateau(factor=1.0)
    with pytest.raises(ValueError, match="factor"):
        ReduceLROnPlateau(factor=2)


def test_reduce_lr_factor_patience_and_logs():
    model = FakeModel()
    model.optimizer.learning_rate = 0.1
    reducer = ReduceLROnPlateau(monitor="loss", factor=0.5, patience=2)
    history = run_fit(model, [reducer], losses(1.0, 1.0, 1.0, 1.0, 1.0))
    # Reductions at the ends of epochs 2 and 4; the log holds the rate used during the epoch.
    assert history.history["learning_rate"] == [0.1, 0.1, 0.1, 0.05, 0.05]
    assert model.optimizer.learning_rate == pytest.approx(0.025)


def test_reduce_lr_cooldown():
    model = FakeModel()
    model.optimizer.learning_rate = 1.0
    reducer = ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, cooldown=2)
    history = run_fit(model, [reducer], losses(*([1.0] * 7)))
    # Reduced at the end of epoch 1; the cooldown counts down at epochs 2 and 3, and at epoch 3
    # (counter back to 0) the plateau counts again, so the next reduction is at epoch 3.
    assert history.history["learning_rate"] == [1.0, 1.0, 0.5, 0.5, 0.25, 0.25, 0.125]


def test_reduce_lr_min_lr_and_message(capsys):
    model = FakeModel()
    model.optimizer.learning_rate = 0.1
    reducer = ReduceLROnPlateau(monitor="loss", factor=0.1, patience=1, min_lr=0.005, verbose=1)
    run_fit(model, [reducer], losses(1.0, 1.0, 1.0, 1.0))
    assert model.optimizer.learning_rate == 0.005
    out = capsys.readouterr().out
    assert out.count("ReduceLROnPlateau reducing learning rate") == 2
    assert "\nEpoch 2: ReduceLROnPlateau reducing learning rate to 0.010000000000000002.\n" in out
    assert "\nEpoch 3: ReduceLROnPlateau reducing learning rate to 0.005.\n" in out


def test_reduce_lr_improvement_resets_wait():
    model = FakeModel()
    model.optimizer.learning_rate = 0.1
    reducer = ReduceLROnPlateau(monitor="loss", factor=0.5, patience=2)
    run_fit(model, [reducer], losses(1.0, 1.0, 0.5, 0.5, 0.4))
    assert model.optimizer.learning_rate == 0.1


def test_reduce_lr_missing_metric_warns():
    reducer = ReduceLROnPlateau()
    with pytest.warns(UserWarning, match="Learning rate reduction is conditioned on metric"):
        history = run_fit(FakeModel(), [reducer], losses(1.0))
    assert history.history["learning_rate"] == [0.01]


# -- LearningRateScheduler ---------------------------------------------------------------------


def test_lr_scheduler_two_argument_schedule():
    model = FakeModel()
    model.optimizer.learning_rate = 0.1
    seen = []

    def schedule(epoch, lr):
        seen.append((epoch, lr))
        return lr * 0.5 if epoch > 0 else lr

    history = run_fit(model, [LearningRateScheduler(schedule)], losses(1.0, 1.0, 1.0))
    assert seen == [(0, 0.1), (1, 0.1), (2, 0.05)]
    assert history.history["learning_rate"] == [0.1, 0.05, 0.025]


def test_lr_scheduler_one_argument_schedule_and_message(capsys):
    model = FakeModel()
    scheduler = LearningRateScheduler(lambda epoch: 0.1 / (epoch + 1), verbose=1)
    run_fit(model, [scheduler], losses(1.0, 1.0))
    assert model.optimizer.learning_rate == 0.05
    out = capsys.readouterr().out
    assert out == (
        "\nEpoch 1: LearningRateScheduler setting learning rate to 0.1.\n"
        "\nEpoch 2: LearningRateScheduler setting learning rate to 0.05.\n"
    )


def test_lr_scheduler_accepts_numpy_float_rejects_int():
    model = FakeModel()
    run_fit(model, [LearningRateScheduler(lambda e, lr: np.float32(0.5))], losses(1.0))
    assert model.optimizer.learning_rate == 0.5 and type(model.optimizer.learning_rate) is float
    with pytest.raises(ValueError, match="should be a float"):
        run_fit(FakeModel(), [LearningRateScheduler(lambda e, lr: 1)], losses(1.0))
    with pytest.raises(TypeError, match="schedule"):
        LearningRateScheduler(0.1)


def test_lr_scheduler_needs_optimizer_learning_rate():
    model = FakeModel()
    model.optimizer = object()
    with pytest.raises(ValueError, match="learning_rate"):
        run_fit(model, [LearningRateScheduler(lambda e, lr: 0.1)], losses(1.0))


# -- CSVLogger ---------------------------------------------------------------------------------


def read(path):
    with open(path, newline="") as handle:
        return handle.read()


def test_csv_logger_contents(tmp_path):
    path = tmp_path / "training.csv"
    logs = [{"loss": 0.5, "accuracy": 0.25, "val_loss": 0.75, "val_accuracy": 0.125},
            {"loss": 0.25, "val_loss": 0.5, "val_accuracy": 0.375}]
    run_fit(FakeModel(), [CSVLogger(path)], logs)
    assert read(path) == (
        "epoch,accuracy,loss,val_accuracy,val_loss\r\n"
        "0,0.25,0.5,0.125,0.75\r\n"
        "1,NA,0.25,0.375,0.5\r\n"
    )


def test_csv_logger_adds_val_columns_and_separator(tmp_path):
    path = tmp_path / "log.tsv"
    run_fit(FakeModel(), [CSVLogger(str(path), separator="\t")],
            [{"loss": 0.5}, {"loss": 0.25, "val_loss": 0.125}])
    assert read(path) == "epoch\tloss\tval_loss\r\n0\t0.5\tNA\r\n1\t0.25\t0.125\r\n"


def test_csv_logger_flushes_each_epoch_and_appends(tmp_path):
    path = tmp_path / "log.csv"
    logger = CSVLogger(path)
    logger.on_train_begin()
    logger.on_epoch_end(0, {"loss": 1.0})
    assert read(path) == "epoch,loss,val_loss\r\n0,1.0,NA\r\n"  # visible before the end
    logger.on_train_end()
    run_fit(FakeModel(), [CSVLogger(path, append=True)], losses(0.5))
    assert read(path) == "epoch,loss,val_loss\r\n0,1.0,NA\r\n0,0.5,NA\r\n"
    run_fit(FakeModel(), [CSVLogger(path)], losses(0.25))
    assert read(path) == "epoch,loss,val_loss\r\n0,0.25,NA\r\n"


def test_csv_logger_validation():
    with pytest.raises(ValueError, match="separator"):
        CSVLogger("x.csv", separator=", ")
    with pytest.raises(TypeError, match="filename"):
        CSVLogger(3)


# -- TerminateOnNaN ----------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_terminate_on_nan_stops(bad, capsys):
    model = FakeModel()
    history = run_fit(model, [TerminateOnNaN()], losses(1.0, bad, 0.5))
    assert history.epoch == [0, 1]
    assert "Batch 0: Invalid loss, terminating training\n" in capsys.readouterr().out


def test_terminate_on_nan_raise_error():
    ended = []
    with pytest.raises(RuntimeError, match="batch 0"):
        run_fit(FakeModel(), [TerminateOnNaN(raise_error=True),
                              LambdaCallback(on_train_end=lambda logs: ended.append(1))],
                losses(math.nan))
    assert ended == []
    with pytest.raises(TypeError, match="raise_error"):
        TerminateOnNaN(raise_error="yes")


# -- StopAtThreshold ---------------------------------------------------------------------------


def test_stop_at_threshold_min_mode(capsys):
    stopper = StopAtThreshold(0.25, verbose=1)
    history = run_fit(FakeModel(), [stopper], losses(0.9, 0.4, 0.25, 0.1))
    assert history.epoch == [0, 1, 2]
    assert stopper.stopped_epoch == 2 and stopper.stopped_value == 0.25
    assert capsys.readouterr().out == "Epoch 3: loss reached 0.25 (threshold 0.25); stopping.\n"


def test_stop_at_threshold_max_mode_from_metric_direction():
    stopper = StopAtThreshold(0.9, monitor="val_accuracy")
    logs = [{"loss": 1.0, "val_accuracy": a} for a in (0.5, 0.85, 0.95, 0.97)]
    history = run_fit(FakeModel(), [stopper], logs)
    assert history.epoch == [0, 1, 2] and stopper.stopped_epoch == 2


def test_stop_at_threshold_explicit_mode_and_never_reached(capsys):
    stopper = StopAtThreshold(10.0, monitor="score", mode="max", verbose=1)
    history = run_fit(FakeModel(), [stopper], losses(1.0, 2.0, key="score"))
    assert history.epoch == [0, 1] and stopper.stopped_epoch is None
    assert capsys.readouterr().out == ""
    first_epoch = StopAtThreshold(0.5)
    run_fit(FakeModel(), [first_epoch], losses(0.4, 0.3))
    assert first_epoch.stopped_epoch == 0


def test_stop_at_threshold_missing_metric_and_validation():
    with pytest.warns(UserWarning, match="`val_loss` which is not available. Available metrics"):
        run_fit(FakeModel(), [StopAtThreshold(0.1, monitor="val_loss")], losses(1.0))
    with pytest.raises(ValueError, match="mode='max'"):
        run_fit(FakeModel(), [StopAtThreshold(0.1, monitor="f1")], losses(1.0, key="f1"))
    with pytest.raises(ValueError, match="threshold"):
        StopAtThreshold(math.nan)
    with pytest.raises(TypeError, match="threshold"):
        StopAtThreshold("0.1")


# -- LambdaCallback ----------------------------------------------------------------------------


def test_lambda_callback_hooks_and_kwargs():
    events = []
    callback = LambdaCallback(
        on_train_begin=lambda logs: events.append("begin"),
        on_epoch_end=lambda e, logs: events.append(("epoch", e, logs["loss"])),
        on_train_batch_end=lambda b, logs: events.append(("batch", b)),
        on_test_end=lambda logs: events.append(("test", logs["loss"])),
    )
    run_fit(FakeModel(), [callback], [{"loss": 0.5, "val_loss": 0.75}], steps=2)
    assert events == ["begin", ("batch", 0), ("batch", 1), ("test", 0.75), ("epoch", 0, 0.5)]


def test_lambda_callback_validation():
    with pytest.raises(TypeError, match="on_epoch_ends"):
        LambdaCallback(on_epoch_ends=print)
    with pytest.raises(TypeError, match="on_epoch_end"):
        LambdaCallback(on_epoch_end=3)


def test_no_warnings_in_a_plain_run(capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run_fit(FakeModel(), [EarlyStopping(monitor="loss")], losses(1.0, 0.5), verbose=2)
