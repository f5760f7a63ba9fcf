"""The :class:`CSVLogger` callback: one CSV row of epoch results per epoch."""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable
from typing import Any

import numpy as np

from descend.callbacks.callback import Callback

__all__ = ["CSVLogger"]


def _cell(value: Any) -> Any:
    """Format one log value for the CSV: sequences as ``[a, b]``, everything else unchanged."""
    if isinstance(value, str):
        return value
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return value.item()
    if isinstance(value, Iterable):
        return f"[{', '.join(map(str, value))}]"
    return value


class CSVLogger(Callback):
    """Stream the epoch results of ``fit`` to a CSV file.

    Parameters
    ----------
    filename : str or os.PathLike
        Path of the CSV file.
    separator : str, default ","
        One-character field separator.
    append : bool, default False
        Append to an existing file (the header is written only if the file is empty) instead of
        overwriting it.

    Notes
    -----
    Columns are ``epoch`` (0-based) then the keys of the first epoch's logs in sorted order; when
    that epoch has no ``val_`` keys (e.g. ``validation_freq > 1``) the columns ``val_<key>`` are
    added after them. A value missing from an epoch is written ``NA``. The file is flushed after
    every epoch and closed at the end of training. Rows end with ``\\r\\n`` (the ``csv`` module's
    default, as in Keras).

    Examples
    --------
    >>> import os, tempfile
    >>> from descend.callbacks import CSVLogger
    >>> path = os.path.join(tempfile.mkdtemp(), "log.csv")
    >>> logger = CSVLogger(path)
    >>> logger.on_train_begin()
    >>> logger.on_epoch_end(0, {"loss": 0.5, "val_loss": 0.625})
    >>> logger.on_train_end()
    >>> print(open(path).read().replace("\\r", ""), end="")
    epoch,loss,val_loss
    0,0.5,0.625
    """

    process_zero_only = True  # data-parallel: process 0 alone prints/writes

    def __init__(
        self, filename: str | os.PathLike[str], separator: str = ",", append: bool = False
    ) -> None:
        super().__init__()
        if not isinstance(filename, (str, os.PathLike)):
            raise TypeError(
                f"CSVLogger: `filename` must be a path (str or os.PathLike); received {filename!r}."
            )
        if not isinstance(separator, str) or len(separator) != 1:
            raise ValueError(
                f"CSVLogger: `separator` must be a single character such as ',' or ';'; "
                f"received {separator!r}."
            )
        self.sep = separator
        self.filename = os.fspath(filename)
        self.append = bool(append)
        self.writer: csv.DictWriter | None = None
        self.keys: list[str] | None = None
        self.append_header = True
        self.csv_file: Any = None

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        """Open the file (truncating it unless ``append``)."""
        if self.append:
            if os.path.exists(self.filename):
                with open(self.filename, encoding="utf-8") as existing:
                    self.append_header = not bool(len(existing.readline()))
            mode = "a"
        else:
            mode = "w"
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.csv_file = open(self.filename, mode, newline="", encoding="utf-8")  # noqa: SIM115
        self.writer = None
        self.keys = None

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Write one row and flush."""
        logs = logs or {}
        if self.csv_file is None or self.csv_file.closed:
            self.on_train_begin()
        if self.keys is None:
            self.keys = sorted(logs.keys())
            if not any(key.startswith("val_") for key in self.keys):
                self.keys.extend(["val_" + key for key in self.keys])
        if self.writer is None:
            self.writer = csv.DictWriter(
                self.csv_file,
                fieldnames=["epoch", *self.keys],
                delimiter=self.sep,
                lineterminator="\r\n",
            )
            if self.append_header:
                self.writer.writeheader()
        row = {"epoch": epoch}
        row.update((key, _cell(logs.get(key, "NA"))) for key in self.keys)
        self.writer.writerow(row)
        self.csv_file.flush()

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        """Close the file."""
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.writer = None
