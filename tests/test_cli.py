"""The ``descend`` command line: demo, explain, help and the demo's pictures."""

from __future__ import annotations

import re

import numpy as np
import pytest

from descend.cli import build_seed_model, main


def test_no_command_runs_the_demo(capsys) -> None:
    assert main([]) == 0
    out = capsys.readouterr().out
    assert '"How a Neural Network Learns"' in out and "Epoch 20/20" in out
    assert "final training accuracy" in out and "predictions" in out


def test_demo_with_two_epochs(capsys) -> None:
    assert main(["demo", "--epochs", "2"]) == 0
    out = capsys.readouterr().out
    assert "Epoch 2/2" in out and "Epoch 3/" not in out
    accuracy = float(re.search(r"final training accuracy: ([0-9.]+)", out).group(1))
    assert 0.0 <= accuracy <= 1.0
    assert "age  65" in out
    # two sigmoid outputs are not probabilities that add up to 1: the printed probability is
    # the renormalisation the sparse categorical cross-entropy applies, side / (none + side)
    rows = re.findall(r"age +\d+: outputs ([0-9.]+), ([0-9.]+) -> P\(side effect\) = ([0-9.]+)",
                      out)
    assert len(rows) == 6
    for none, side, probability in rows:
        assert float(probability) == pytest.approx(float(side) / (float(none) + float(side)),
                                                   abs=2e-3)
    assert "need not add up to 1" in out


def test_version(capsys) -> None:
    import descend

    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"descend {descend.__version__}"


@pytest.mark.parametrize("batch", ["0", "-3"])
def test_explain_rejects_an_empty_batch_cleanly(batch: str, capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["explain", "--batch", batch])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "--batch must be at least 1" in err and f"received {batch}" in err
    assert "Traceback" not in err


def test_demo_plots_without_matplotlib_fails_before_training(monkeypatch, tmp_path,
                                                              capsys) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "matplotlib", None)   # import matplotlib -> ImportError
    with pytest.raises(SystemExit) as exc:
        main(["demo", "--epochs", "3", "--plots", str(tmp_path / "out")])
    assert exc.value.code == 2
    captured = capsys.readouterr()
    assert "Epoch" not in captured.out                    # nothing was trained
    assert 'pip install ".[plot]"' in captured.err and "matplotlib" in captured.err
    assert "pip install descend[" not in captured.err      # descend is not on the index
    assert not (tmp_path / "out").exists()


def test_help_lists_the_commands(capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "demo" in out and "explain" in out and "usage: descend" in out


def test_explain_prints_the_numbers_of_the_step_fit_takes(capsys) -> None:
    from descend.datasets import side_effects
    from descend.utils import set_random_seed

    assert main(["explain"]) == 0
    out = capsys.readouterr().out
    for heading in ("1. Forward pass", "2. Loss", "3. Backward pass", "4. Update"):
        assert heading in out
    assert "weighted sums z = x . W + b" in out and "dLoss/dW" in out
    assert "alpha_t = learning_rate * sqrt(1 - beta_2^t) / (1 - beta_1^t)" in out
    assert "DIFFERS" not in out
    # the same step done by train_on_batch on the same course network reports the same loss
    set_random_seed(0)
    (x, y), _ = side_effects.load_data(seed=0)
    model = build_seed_model()
    loss = model.train_on_batch(x[:4], y[:4], return_dict=True)["loss"]
    printed = float(re.search(r"^   loss = ([0-9.e-]+)$", out, re.M).group(1))
    assert printed == pytest.approx(loss, rel=1e-7)
    # and the weights it prints after the update are the ones train_on_batch produces
    first = re.search(r"layer 'dense_2' bias b:\n.*\n.*\n.*\n     after:  \[(.*)\]", out)
    after = np.array([float(v) for v in first.group(1).split(",")])
    np.testing.assert_allclose(after, model.get_weights()[-1], rtol=1e-5)


def test_explain_options(capsys) -> None:
    assert main(["explain", "--batch", "2", "--seed", "1"]) == 0
    out = capsys.readouterr().out
    assert "on a batch of 2 samples" in out


def test_demo_writes_the_pictures(tmp_path, capsys) -> None:
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    out_dir = tmp_path / "plots"
    assert main(["demo", "--epochs", "2", "--verbose", "0", "--plots", str(out_dir)]) == 0
    out = capsys.readouterr().out
    names = sorted(p.name for p in out_dir.iterdir())
    assert names == ["decision_boundary.png", "learning_curves.png", "loss_curve.png",
                     "network.png", "weights.png"]
    for name in names:
        assert f"wrote {out_dir / name}" in out
        assert (out_dir / name).stat().st_size > 1000
    import matplotlib.pyplot as plt

    plt.close("all")


def test_output_into_a_closed_pipe_ends_quietly() -> None:
    """``descend explain | head -3`` must not end in a BrokenPipeError traceback."""
    import os
    import subprocess
    import sys

    process = subprocess.Popen([sys.executable, "-c", "import sys; from descend.cli import main; "
                                "sys.exit(main(['explain']))"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env=dict(os.environ))
    first = process.stdout.readline()
    process.stdout.close()                       # the reader goes away, as head does
    err = process.stderr.read().decode()
    process.wait(timeout=120)
    assert b"How a Neural Network Learns" in first
    assert "Traceback" not in err and "BrokenPipeError" not in err
