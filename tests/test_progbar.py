"""Tests of Progbar and ProgbarLogger: the exact Keras 3 text, TTY and non-TTY modes."""

from __future__ import annotations

import io
import sys

import numpy as np
import pytest

from descend.callbacks import (
    Callback,
    CallbackList,
    LearningRateScheduler,
)
from descend.utils import progbar as progbar_module
from descend.utils.progbar import Progbar, _format_eta, _format_time_per_unit
from test_callbacks import FakeModel, losses, run_fit  # the fake model and loop of the contract

BAR = "\u2501"
LIGHT = "\u2500"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class TTYStream(io.StringIO):
    def isatty(self) -> bool:
        return True


def make_tty(monkeypatch) -> TTYStream:
    """Make sys.stdout a fake terminal (call inside the test body, after pytest's capture)."""
    stream = TTYStream()
    monkeypatch.setattr(sys, "stdout", stream)
    return stream


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(progbar_module, "_clock", fake)
    return fake


@pytest.fixture
def tty(monkeypatch):
    """Return a function that makes ``sys.stdout`` a fake terminal.

    It must be called inside the test body: pytest re-installs its own capture of ``sys.stdout``
    after the fixtures have run.
    """
    return lambda: make_tty(monkeypatch)


def has_control_chars(text: str) -> bool:
    return any(c in text for c in ("\r", "\b", "\x1b"))


# -- verbose=2 -------------------------------------------------------------------------------


def test_verbose2_exact_line(clock, capsys):
    bar = Progbar(210, verbose=2, stateless_metrics=set())
    clock.now += 0.3
    bar.update(210, [("accuracy", 0.5576), ("loss", 0.64)])
    assert capsys.readouterr().out == "210/210 - 0s - 1ms/step - accuracy: 0.5576 - loss: 0.6400\n"


def test_verbose2_reference_example(clock, capsys):
    # The line quoted in the reference from running the Keras 3.15.1 Progbar on a pipe.
    bar = Progbar(5, verbose=2, stateless_metrics=set())
    for step in range(1, 5):
        clock.now += 0.06
        bar.update(step, {"accuracy": 0.5, "loss": 0.7})
    clock.now += 0.06
    bar.update(
        5, {"accuracy": 0.55, "loss": 0.65, "val_accuracy": 0.6, "val_loss": 6.1e-4}
    )
    assert capsys.readouterr().out == (
        "5/5 - 0s - 60ms/step - accuracy: 0.5500 - loss: 0.6500 - val_accuracy: 0.6000 - "
        "val_loss: 6.1000e-04\n"
    )


def test_verbose2_prints_only_at_finalize(clock, capsys):
    bar = Progbar(3, verbose=2)
    bar.update(1, {"loss": 1.0})
    bar.update(2, {"loss": 1.0})
    assert capsys.readouterr().out == ""
    bar.update(3, {"loss": 1.0})
    assert capsys.readouterr().out.startswith("3/3 - ")


def test_verbose2_negative_values_use_e_notation_quirk(clock, capsys):
    bar = Progbar(1, verbose=2, stateless_metrics=set())
    bar.update(1, {"a": -0.5, "b": 2.0, "c": 0.001})
    out = capsys.readouterr().out
    assert "a: -5.0000e-01" in out
    assert "b: 2.0000" in out
    assert "c: 1.0000e-03" in out


def test_per_step_time_ignores_first_step(clock, capsys):
    bar = Progbar(5, verbose=2)
    clock.now += 1.0  # slow first step (set-up work)
    bar.update(1)
    for step in range(2, 6):
        clock.now += 0.01
        bar.update(step)
    assert capsys.readouterr().out == "5/5 - 1s - 10ms/step\n"


def test_per_step_time_falls_back_without_first_step(clock, capsys):
    bar = Progbar(4, verbose=2)
    clock.now += 2.0
    bar.update(4)
    assert capsys.readouterr().out == "4/4 - 2s - 500ms/step\n"


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.0, " 0s/step"),
        (1.0, " 1s/step"),
        (2.6, " 3s/step"),
        (0.999, " 999ms/step"),
        (1e-3, " 1ms/step"),
        (0.0123, " 12ms/step"),
        (5e-5, " 50us/step"),
        (9.9e-4, " 990us/step"),
    ],
)
def test_time_per_step_format(seconds, text):
    assert _format_time_per_unit(seconds, "step") == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0.9, "0s"), (42.7, "42s"), (60.0, "60s"), (187.0, "3:07"), (3600.0, "60:00"),
     (3723.9, "1:02:03")],
)
def test_eta_format(seconds, text):
    assert _format_eta(seconds) == text


# -- verbose=1 without a terminal ------------------------------------------------------------


def test_non_tty_verbose1_prints_one_clean_line(clock, capsys):
    bar = Progbar(210, verbose=1, stateless_metrics=set())
    assert not bar.dynamic_display
    for step in range(1, 210):
        clock.now += 0.01
        bar.update(step, {"accuracy": 0.5, "loss": 0.7})
    assert capsys.readouterr().out == ""
    clock.now += 0.01
    bar.update(210, {"accuracy": 0.5576, "loss": 0.64})
    out = capsys.readouterr().out
    assert out == f"210/210 {BAR * 20} 2s 10ms/step - accuracy: 0.5576 - loss: 0.6400\n"
    assert not has_control_chars(out)
    assert out.count("\n") == 1


def test_non_tty_partial_and_unknown_target(clock, capsys):
    bar = Progbar(10, verbose=1)
    bar.update(5, finalize=True)
    assert capsys.readouterr().out.startswith(f" 5/10 {BAR * 10}{LIGHT * 10} 0s")
    unknown = Progbar(None, verbose=1)
    unknown.update(12, finalize=True)
    out = capsys.readouterr().out
    assert out.startswith("     12/Unknown 0s ")
    assert not has_control_chars(out)


def test_verbose0_prints_nothing(clock, capsys):
    bar = Progbar(2, verbose=0)
    bar.update(1, {"loss": 1.0})
    bar.update(2, {"loss": 1.0})
    assert capsys.readouterr().out == ""


# -- verbose=1 on a terminal -----------------------------------------------------------------


def test_tty_live_bar_exact_and_throttled(clock, tty):
    tty = tty()
    bar = Progbar(10, verbose=1, stateless_metrics=set())
    assert bar.dynamic_display
    clock.now += 0.1
    bar.update(1, {"loss": 0.5})
    first = tty.getvalue()
    assert first == (
        f"\r\x1b[1m 1/10\x1b[0m \x1b[32m{BAR * 2}\x1b[0m\x1b[37m{BAR * 18}\x1b[0m"
        " \x1b[1m0s\x1b[0m 100ms/step - loss: 0.5000"
    )
    width = len(" 1/10") + 1 + 20 + len(" 0s") + len(" 100ms/step - loss: 0.5000")
    clock.now += 0.01  # within the 0.05 s interval: no redraw
    bar.update(2, {"loss": 0.4})
    assert tty.getvalue() == first
    clock.now += 0.1
    bar.update(3, {"loss": 0.3})
    second = tty.getvalue()[len(first) :]
    assert second.startswith("\b" * width + "\r\x1b[1m 3/10\x1b[0m ")
    assert "loss: 0.3000" in second
    assert not second.endswith("\n")
    clock.now += 3.0
    bar.update(10, {"loss": 0.1})
    final = tty.getvalue()
    assert final.endswith(" - loss: 0.1000\n")
    assert "\x1b[32m" + BAR * 20 + "\x1b[0m\x1b[37m\x1b[0m 3s " in final


def test_tty_eta_shown_while_running(clock, tty):
    tty = tty()
    bar = Progbar(1000, verbose=1)
    clock.now += 1.0
    bar.update(1)
    clock.now += 1.0
    bar.update(2)  # 1 s per step, 998 steps left
    assert "\x1b[1m16:38\x1b[0m 1s/step" in tty.getvalue()


def test_tty_pads_when_line_gets_shorter(clock, tty):
    tty = tty()
    bar = Progbar(4, verbose=1, stateless_metrics=set())
    clock.now += 0.1
    bar.update(1, {"loss": 12345.0})
    clock.now += 0.1
    bar.update(2, {"loss": 1.0})
    tail = tty.getvalue().split("\r")[-1]
    assert tail.endswith("loss: 1.0000" + " " * 4)


def test_tty_unknown_target(clock, tty):
    tty = tty()
    bar = Progbar(None, verbose=1)
    clock.now += 0.1
    bar.update(12)
    assert tty.getvalue().startswith("\r     12/Unknown 0s 8ms/step")


def test_no_formatting_between_redraws(clock, tty):
    tty = tty()
    calls = []

    class Counting:
        def __float__(self):
            calls.append(1)
            return 0.5

    bar = Progbar(1000, verbose=1, stateless_metrics=set())
    value = Counting()
    for step in range(1, 100):
        bar.update(step, {"loss": value})  # the clock does not move: one redraw only
    assert len(calls) == 1


# -- values ----------------------------------------------------------------------------------


def test_key_order_is_order_of_first_appearance(clock, capsys):
    bar = Progbar(2, verbose=2, stateless_metrics=set())
    bar.update(1, {"accuracy": 0.5, "loss": 0.5, "zeta": 0.5})
    bar.update(2, {"accuracy": 0.5, "loss": 0.5, "val_accuracy": 0.5, "zeta": 0.5, "lr": 0.5})
    out = capsys.readouterr().out
    names = [part.split(":")[0] for part in out.strip().split(" - ")[3:]]
    assert names == ["accuracy", "loss", "zeta", "val_accuracy", "lr"]


def test_default_averages_values_weighted_by_steps(clock, capsys):
    bar = Progbar(4, verbose=2, stateful_metrics=["acc"])
    bar.update(1, [("loss", 1.0), ("acc", 0.1)])
    bar.update(4, [("loss", 2.0), ("acc", 0.9)])  # weight 3
    out = capsys.readouterr().out
    assert "loss: 1.7500" in out and "acc: 0.9000" in out


def test_add_advances(clock, capsys):
    bar = Progbar(3, verbose=2, stateless_metrics=set())
    bar.add(2)
    bar.add(1, {"loss": 0.25})
    assert capsys.readouterr().out.startswith("3/3 - 0s - ")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"target": -1}, "target"),
        ({"target": 2.5}, "target"),
        ({"target": 3, "width": 0}, "width"),
        ({"target": 3, "verbose": 3}, "verbose"),
        ({"target": 3, "interval": -1}, "interval"),
    ],
)
def test_invalid_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Progbar(**kwargs)


# -- ProgbarLogger (the callback that drives the bar in fit/evaluate/predict) -------------------


def test_user_callbacks_run_before_history_and_progbar(clock, capsys):
    class AddKey(Callback):
        def on_epoch_end(self, epoch, logs=None):
            logs["zz_added"] = 1.5

    model = FakeModel()
    history = run_fit(model, [AddKey()], losses(0.5, 0.25), verbose=2, clock=clock)
    assert history.history["zz_added"] == [1.5, 1.5]
    out = capsys.readouterr().out
    assert out.splitlines()[1].endswith("loss: 0.5000 - zz_added: 1.5000")


def test_needs_batch_logs_only_for_a_live_bar(monkeypatch):
    make_tty(monkeypatch)
    cbs = CallbackList([], add_progbar=True, model=FakeModel(), verbose=1, epochs=1, steps=3)
    assert cbs.needs_batch_logs
    cbs2 = CallbackList([], add_progbar=True, model=FakeModel(), verbose=2, epochs=1, steps=3)
    assert not cbs2.needs_batch_logs


def test_fit_verbose2_exact_output(clock, capsys):
    logs = [{"accuracy": 0.5576, "loss": 0.64, "val_accuracy": 0.6, "val_loss": 6.1e-4},
            {"accuracy": 0.75, "loss": 0.5, "val_accuracy": 0.7, "val_loss": 0.5}]
    run_fit(FakeModel(), [], logs, steps=210, verbose=2, clock=clock)
    assert capsys.readouterr().out == (
        "Epoch 1/2\n"
        "210/210 - 0s - 1ms/step - accuracy: 0.5576 - loss: 0.6400 - val_accuracy: 0.6000 - "
        "val_loss: 6.1000e-04\n"
        "Epoch 2/2\n"
        "210/210 - 0s - 1ms/step - accuracy: 0.7500 - loss: 0.5000 - val_accuracy: 0.7000 - "
        "val_loss: 0.5000\n"
    )


def test_no_epoch_header_with_one_epoch(clock, capsys):
    run_fit(FakeModel(), [], losses(0.5), steps=4, verbose=2, clock=clock)
    assert capsys.readouterr().out == "4/4 - 0s - 1ms/step - loss: 0.5000\n"


def test_fit_verbose1_non_tty_lines_are_clean(clock, capsys):
    logs = [{"accuracy": 0.5576, "loss": 0.64}, {"accuracy": 0.6, "loss": 0.5}]
    run_fit(FakeModel(), [], logs, steps=210, verbose="auto", clock=clock)
    out = capsys.readouterr().out
    assert not any(c in out for c in ("\r", "\b", "\x1b"))
    assert out.splitlines() == [
        "Epoch 1/2",
        f"210/210 {BAR * 20} 0s 1ms/step - accuracy: 0.5576 - loss: 0.6400",
        "Epoch 2/2",
        f"210/210 {BAR * 20} 0s 1ms/step - accuracy: 0.6000 - loss: 0.5000",
    ]


def test_fit_verbose1_tty_redraws_live(clock, monkeypatch):
    stream = make_tty(monkeypatch)
    logs = [{"accuracy": 0.5, "loss": 0.7, "val_loss": 0.8}]
    run_fit(FakeModel(), [], logs, steps=50, verbose=1, clock=clock, seconds_per_step=0.02)
    out = stream.getvalue()
    assert "\r" in out and "\b" in out and "\x1b[32m" in out
    assert out.count("\n") == 1 and out.endswith(" - val_loss: 0.8000\n")
    assert out.count("\r") < 50  # throttled to one redraw per 0.05 s


def test_metric_order_matches_keras_in_one_line_mode(clock, capsys):
    # Keras's live bar learns the training keys from the first batch, so a metric sorting after
    # "val_" still comes before the val_ keys; keys added by callbacks come last.
    model = FakeModel(metric_names=("zeta",))
    sched = LearningRateScheduler(lambda epoch, lr: 0.5)
    logs = [{"loss": 0.25, "zeta": 0.5, "val_loss": 0.75, "val_zeta": 1.0}]
    run_fit(model, [sched], logs, steps=4, verbose=1, clock=clock)
    line = capsys.readouterr().out.strip()
    names = [part.split(":")[0] for part in line.split(" - ")[1:]]
    assert names == ["loss", "zeta", "val_loss", "val_zeta", "learning_rate"]


def test_metric_order_verbose2_is_epoch_log_order(clock, capsys):
    model = FakeModel(metric_names=("zeta",))
    logs = [{"loss": 0.25, "zeta": 0.5, "val_loss": 0.75}]
    run_fit(model, [], logs, steps=4, verbose=2, clock=clock)
    line = capsys.readouterr().out.strip()
    assert line.endswith("loss: 0.2500 - val_loss: 0.7500 - zeta: 0.5000")


def test_validation_inside_fit_is_silent_and_evaluate_prints(clock, capsys):
    model = FakeModel()
    cbs = CallbackList([], add_progbar=True, model=model, verbose=2, epochs=1, steps=3)
    cbs.on_train_begin()
    cbs.on_test_begin()
    cbs.on_test_batch_end(0, {"loss": 1.0})
    cbs.on_test_end({"loss": 1.0})
    assert capsys.readouterr().out == ""
    cbs.on_train_end()

    evaluate = CallbackList([], add_progbar=True, model=model, verbose=2, epochs=1, steps=333)
    evaluate.on_test_begin()
    clock.now += 0.666
    evaluate.on_test_end({"loss": 0.0476, "accuracy": 0.991})
    assert capsys.readouterr().out == "333/333 - 1s - 2ms/step - accuracy: 0.9910 - loss: 0.0476\n"


def test_predict_shows_no_metrics(clock, capsys):
    predict = CallbackList([], add_progbar=True, model=FakeModel(), verbose=2, epochs=1, steps=2)
    predict.on_predict_begin()
    predict.on_predict_batch_end(0, {"outputs": np.ones((2, 2))})
    predict.on_predict_batch_end(1, {"outputs": np.ones((2, 2))})
    clock.now += 0.004
    predict.on_predict_end()
    assert capsys.readouterr().out == "2/2 - 0s - 2ms/step\n"


def test_unknown_steps_counted_in_first_epoch(clock, capsys):
    run_fit(FakeModel(), [], losses(0.5, 0.4), steps=6, verbose=2, clock=clock)
    capsys.readouterr()
    model = FakeModel()
    cbs = CallbackList([], add_progbar=True, model=model, verbose=2, epochs=1, steps=None)
    assert cbs.needs_batch_logs
    cbs.on_train_begin()
    cbs.on_epoch_begin(0)
    for batch in range(6):
        cbs.on_train_batch_end(batch, {"loss": 0.5})
    cbs.on_epoch_end(0, {"loss": 0.5})
    assert capsys.readouterr().out.startswith("6/6 - ")


def test_progbar_logger_rejects_bad_verbose():
    with pytest.raises(ValueError, match="verbose"):
        CallbackList([], add_progbar=True, verbose=3, epochs=1, steps=1)


