"""The ``descend`` command line.

``descend`` (or ``descend demo``) trains the example network of the course "How a
Neural Network Learns" (does a patient's age predict a side effect of a drug?) on
its built-in data and shows how it learns: the epoch log, the final accuracy and
a few predictions.
``descend explain`` prints one training step in numbers (see
:mod:`descend.explain`). ``descend export m.descend m.onnx`` writes a saved model
(``.descend`` or ``.keras``) as ONNX (see :mod:`descend.export`).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import numpy as np

DESCRIPTION = """\
descend: how a neural network learns, from first principles.

commands:
  demo      train the course's network (1 -> 16 -> 32 -> 2, Adam, 20 epochs) on
            the drug-trial ages and show the log, the accuracy and predictions
            (the default when no command is given)
  explain   run one training step of that network and print every number:
            weighted sums, activations, loss, gradients, weight updates
  export    write a saved model (.descend or .keras) as an ONNX file:
            descend export model.descend model.onnx [--opset 17]
"""

PLOT_INSTALL_HINT = (
    'install the plotting extra from your clone of descend: pip install ".[plot]" '
    "(or pip install matplotlib)"
)


def build_seed_model(learning_rate: float = 1e-4):  # noqa: ANN201
    """The course's network: Dense(16, relu) -> Dense(32, relu) -> Dense(2, sigmoid), Adam."""
    from descend.layers import Dense
    from descend.models import Sequential
    from descend.optimizers import Adam

    model = Sequential([
        Dense(units=16, input_shape=(1,), activation="relu"),
        Dense(units=32, activation="relu"),
        Dense(units=2, activation="sigmoid"),
    ])
    model.compile(optimizer=Adam(learning_rate=learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def demo(epochs: int = 20, seed: int = 0, plots: str | None = None, verbose: int = 2) -> float:
    """Train the course's example network and report; returns the final training accuracy.

    Parameters
    ----------
    epochs : int, default 20
    seed : int, default 0
        Seeds the data and the weights.
    plots : str, optional
        A folder to write the demo's pictures into; needs matplotlib, checked
        before training starts (``RuntimeError`` with the install command).
    verbose : {0, 1, 2}, default 2
        As ``fit(verbose=...)``.

    Returns
    -------
    float
        The training accuracy of the last epoch.
    """
    from descend.datasets import side_effects
    from descend.utils import set_random_seed

    if plots:
        require_matplotlib()
    set_random_seed(seed)
    (x, y), (x_test, y_test) = side_effects.load_data(seed=seed)
    print('The example of "How a Neural Network Learns": does a patient\'s age predict a '
          "side effect of the drug?")
    print(f"{len(x)} training patients aged 13-100, ages scaled to [0, 1]; labels 1 = side "
          "effect.\n")
    model = build_seed_model()
    model.summary()
    print()
    callbacks = []
    if plots:
        from descend.explain import WeightSnapshots

        callbacks.append(WeightSnapshots())
    history = model.fit(x=x, y=y, batch_size=10, epochs=epochs, shuffle=True, verbose=verbose,
                        callbacks=callbacks)
    accuracy = history.history["accuracy"][-1]
    test_loss, test_accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"\nfinal training accuracy: {accuracy:.4f}  (loss {history.history['loss'][-1]:.4f})")
    print(f"accuracy on {len(x_test)} new patients: {test_accuracy:.4f}")
    ages = np.array([20, 45, 64, 65, 80, 99])
    outputs = model.predict(side_effects.scale(ages), verbose=0)
    print("\npredictions: the two sigmoid outputs (no side effect, side effect) are separate")
    print("numbers between 0 and 1 and need not add up to 1; the loss, Keras's sparse")
    print("categorical cross-entropy, divides them by their sum, so the probability of a side")
    print("effect the model expresses is side / (none + side):")
    for age, (none, side) in zip(ages, outputs, strict=True):
        probability = side / (none + side)
        print(f"  age {age:3d}: outputs {none:.3f}, {side:.3f} -> P(side effect) = "
              f"{probability:.3f} -> {'side effect' if side > none else 'no side effect'}")
    if plots:
        from descend.explain.demo_plots import write_demo_plots

        for path in write_demo_plots(model, history, x, y, plots,
                                     snapshots=callbacks[0] if callbacks else None,
                                     feature_names=["age, scaled to [0, 1] (13 to 100 years)"]):
            print(f"wrote {path}")
    return float(accuracy)


def require_matplotlib() -> None:
    """Raise ``RuntimeError`` saying how to install matplotlib when it cannot be imported."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise RuntimeError(f"descend demo --plots needs matplotlib, which is not installed: "
                           f"{PLOT_INSTALL_HINT}.") from None


def build_parser() -> argparse.ArgumentParser:
    """The ``descend`` command's argument parser (its commands and options).

    Returns
    -------
    argparse.ArgumentParser

    Examples
    --------
    >>> build_parser().parse_args(["demo", "--epochs", "3"]).epochs
    3
    """
    from descend import __version__

    parser = argparse.ArgumentParser(
        prog="descend", description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"descend {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="{demo,explain,export}")
    p_demo = sub.add_parser("demo", help="train the course's example and show how it learns")
    p_demo.add_argument("--epochs", type=int, default=20, help="number of epochs (default 20)")
    p_demo.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p_demo.add_argument("--plots", metavar="DIR", default=None,
                        help="also write learning curves, the U-curve and a drawing of the "
                             'network as PNGs into DIR (needs matplotlib: pip install ".[plot]" '
                             "from a clone of descend)")
    p_demo.add_argument("--verbose", type=int, choices=(0, 1, 2), default=2,
                        help="progress output like Keras's fit(verbose=...) (default 2)")
    p_explain = sub.add_parser("explain", help="print one training step in numbers")
    p_explain.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p_explain.add_argument("--batch", type=int, default=4, help="samples in the batch (default 4)")
    from descend.export.onnx.exporter import DEFAULT_OPSET

    p_export = sub.add_parser("export", help="write a saved model as ONNX (needs onnx)")
    p_export.add_argument("model", help="the saved model: a .descend or .keras file")
    p_export.add_argument("output", help="the ONNX file to write (e.g. model.onnx)")
    p_export.add_argument("--opset", type=int, default=DEFAULT_OPSET,
                          help=f"ONNX opset, 13 to 21 (default {DEFAULT_OPSET})")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``descend`` console script.

    Output piped into a program that stops reading (``descend explain | head``)
    ends the command quietly, as other command-line tools do.
    """
    try:
        return _run(argv)
    except BrokenPipeError:
        import os

        # the reader is gone: send what is still buffered nowhere, then stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141


def _run(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    command = args.command or "demo"
    if command == "demo":
        if args.command is None:
            demo()
            return 0
        if args.epochs < 1:
            parser.error(f"--epochs must be at least 1, received {args.epochs}")
        if args.plots:
            try:
                require_matplotlib()
            except RuntimeError as exc:
                parser.error(str(exc))
        demo(epochs=args.epochs, seed=args.seed, plots=args.plots, verbose=args.verbose)
        return 0
    if command == "explain":
        from descend.explain.step import explain_seed

        if args.batch < 1:
            parser.error(f"--batch must be at least 1 (samples in the explained batch), "
                         f"received {args.batch}")
        explain_seed(seed=args.seed, batch=args.batch)
        return 0
    if command == "export":
        return export_command(args.model, args.output, args.opset)
    parser.print_help()  # pragma: no cover
    return 2


def export_command(model_path: str, output: str, opset: int) -> int:
    """``descend export MODEL OUTPUT --opset N``: load a saved model, write it as ONNX.

    Returns the exit status: 0 on success, 1 (with the reason on stderr) when the
    model cannot be read or exported; nothing is written then.
    """
    import os

    from descend.models import load_model

    if not os.path.isfile(model_path):
        print(f"descend export: error: '{model_path}' does not exist.", file=sys.stderr)
        return 1
    try:
        model = load_model(model_path, compile=False)
        model.export(output, format="onnx", opset=opset)
    except (ValueError, ImportError, OSError, TypeError) as exc:
        print(f"descend export: error: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {output} (ONNX opset {opset}) from {model_path}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
