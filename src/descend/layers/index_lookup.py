"""Shared machinery of ``StringLookup`` and ``IntegerLookup``: a vocabulary and its indices.

The vocabulary, as Keras lays it out (``get_vocabulary()``), is::

    [mask_token]  (output_mode "int" with a mask token only)   index 0
    [oov_token] * num_oov_indices                              next indices
    learned tokens, most frequent first                        the rest

``adapt`` counts the tokens of the data and keeps the most frequent ones (at most
``max_tokens`` indices in all), ordering ties as Keras does (``np.lexsort`` of
(token, count), reversed: higher count first, then the larger token first).
Out-of-vocabulary tokens map to the OOV index (with ``num_oov_indices > 1``:
``value % num_oov_indices`` for integers, as Keras's ``floormod``; a CRC-32 hash of
the string for strings, where Keras uses farmhash, so those indices differ). The mask
token maps to 0 in ``"int"`` mode and is dropped in the other modes.

Output modes: ``"int"`` (indices, int64), ``"one_hot"``, ``"multi_hot"``, ``"count"``
(int64 arrays of ``depth`` = vocabulary size, or ``max_tokens`` with
``pad_to_max_tokens``) and ``"tf_idf"`` (count times the token's inverse document
frequency ``log(1 + documents / (1 + documents_with_token))``; the special indices get
the mean weight). ``invert=True`` maps indices back to tokens. The vocabulary and IDF
weights are part of ``get_config`` (JSON), so they travel in the model file.
"""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np

from descend import config as descend_config
from descend.autograd import Tensor
from descend.layers.layer import Layer

__all__ = ["IndexLookup"]

_MODES = ("int", "one_hot", "multi_hot", "count", "tf_idf")


def _values(data: Any) -> np.ndarray:
    return np.asarray(getattr(data, "data", data))


class IndexLookup(Layer):
    """Base class of the lookup layers (see the module docstring); use its subclasses."""

    _keeps_input_dtype = True

    def __init__(self, max_tokens: int | None, num_oov_indices: int, mask_token: Any,
                 oov_token: Any, vocabulary_dtype: str, vocabulary: Any = None,
                 idf_weights: Any = None, invert: bool = False, output_mode: str = "int",
                 sparse: bool = False, pad_to_max_tokens: bool = False, **kwargs: Any) -> None:
        kwargs.pop("vocabulary_size", None)
        kwargs.pop("has_input_vocabulary", None)
        super().__init__(**kwargs)
        kind = type(self).__name__
        if output_mode not in _MODES:
            raise ValueError(f"Layer '{self.name}' ({kind}): invalid value for argument "
                             f"output_mode. Expected one of {list(_MODES)}. Received: "
                             f"output_mode={output_mode!r}.")
        if invert and output_mode != "int":
            raise ValueError(f"Layer '{self.name}' ({kind}): `output_mode` must be 'int' when "
                             f"`invert` is true. Received: output_mode={output_mode!r}.")
        if sparse:
            raise ValueError(f"Layer '{self.name}' ({kind}): sparse=True is not supported by "
                             "descend (NumPy has no sparse tensors); use sparse=False.")
        if max_tokens is not None and (not isinstance(max_tokens, int) or max_tokens <= 1):
            raise ValueError(f"Layer '{self.name}' ({kind}): if set, `max_tokens` must be "
                             f"greater than 1. Received: max_tokens={max_tokens!r}.")
        if pad_to_max_tokens and max_tokens is None:
            raise ValueError(f"Layer '{self.name}' ({kind}): if pad_to_max_tokens is True, "
                             "max_tokens must be set.")
        if not isinstance(num_oov_indices, int) or num_oov_indices < 0:
            raise ValueError(f"Layer '{self.name}' ({kind}): `num_oov_indices` must be greater "
                             f"than or equal to 0. Received: num_oov_indices={num_oov_indices!r}.")
        self.max_tokens = max_tokens
        self.num_oov_indices = num_oov_indices
        self.mask_token = mask_token
        self.oov_token = oov_token
        self.vocabulary_dtype = vocabulary_dtype
        self.invert = bool(invert)
        self.output_mode = output_mode
        self.sparse = False
        self.pad_to_max_tokens = bool(pad_to_max_tokens)
        self._tokens: list[Any] = []
        self._index: dict[Any, int] = {}
        self._idf: np.ndarray | None = None
        self.built = True
        if output_mode == "tf_idf" and vocabulary is not None and idf_weights is None:
            raise ValueError(f"Layer '{self.name}' ({kind}): when specifying the `vocabulary` "
                             "argument in TF-IDF output mode, the `idf_weights` argument must "
                             "also be provided.")
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)

    # ------------------------------------------------------------- vocabulary
    def _token(self, value: Any) -> Any:
        """A vocabulary entry in its canonical Python type (str or int)."""
        raise NotImplementedError

    def _oov_start_index(self) -> int:
        return 1 if self.mask_token is not None and self.output_mode == "int" else 0

    def _token_start_index(self) -> int:
        return self._oov_start_index() + self.num_oov_indices

    def vocabulary_size(self) -> int:
        """Size of the vocabulary, mask and OOV indices included."""
        return len(self._tokens) + self._token_start_index()

    def get_vocabulary(self, include_special_tokens: bool = True) -> list[Any]:
        """The vocabulary; with special tokens, entry ``i`` is the token of index ``i``."""
        if not include_special_tokens:
            return list(self._tokens)
        return ([self.mask_token] * self._oov_start_index()
                + [self.oov_token] * self.num_oov_indices + list(self._tokens))

    def _error(self, message: str) -> ValueError:
        return ValueError(f"Layer '{self.name}' ({type(self).__name__}): {message}")

    def set_vocabulary(self, vocabulary: Any, idf_weights: Any = None) -> None:
        """Set the vocabulary (and, for ``"tf_idf"``, the IDF weights).

        Parameters
        ----------
        vocabulary : list, tuple or 1-D array, or a path to a text file (one token a line)
            With or without the leading special tokens.
        idf_weights : list or 1-D array, optional
            Required in ``"tf_idf"`` mode (one per token, or one per index); forbidden
            otherwise.
        """
        if self.output_mode == "tf_idf" and idf_weights is None:
            raise self._error("`idf_weights` must be set if output_mode is 'tf_idf'.")
        if self.output_mode != "tf_idf" and idf_weights is not None:
            raise self._error("`idf_weights` should only be set if output_mode is 'tf_idf'. "
                              f"Received: output_mode={self.output_mode!r}.")
        if isinstance(vocabulary, str):
            with open(vocabulary, encoding="utf-8") as handle:
                lines = handle.read().splitlines()
            while lines and lines[-1] == "":
                lines.pop()
            vocabulary = lines
        vocab = [self._token(v) for v in _values(vocabulary).reshape(-1).tolist()]
        if not vocab:
            raise self._error("cannot set an empty vocabulary.")
        start = self._token_start_index()
        special = [None if t is None else self._token(t) for t in
                   [self.mask_token] * self._oov_start_index()
                   + [self.oov_token] * self.num_oov_indices]
        tokens = vocab[start:] if vocab[:start] == special else vocab
        seen: set = set()
        repeated = sorted({t for t in tokens if t in seen or seen.add(t)}, key=str)
        if repeated:
            raise self._error("the passed vocabulary has at least one repeated term. Please "
                              f"uniquify your dataset. The repeated terms are: {repeated}.")
        if self.mask_token is not None and self._token(self.mask_token) in tokens:
            raise self._error(f"the mask token {self.mask_token!r} is in the vocabulary; "
                              "remove it (the layer adds it at index 0).")
        if self.oov_token is not None and self.num_oov_indices and \
                self._token(self.oov_token) in tokens:
            raise self._error(f"the OOV token {self.oov_token!r} is in the vocabulary; remove "
                              "it (the layer adds it itself).")
        size = len(tokens) + start
        if self.max_tokens is not None and size > self.max_tokens:
            raise self._error(f"attempted to set a vocabulary larger than the maximum vocab "
                              f"size. Received vocabulary size is {size}; max_tokens is "
                              f"{self.max_tokens}.")
        self._tokens = tokens
        self._index = {t: i + start for i, t in enumerate(tokens)}
        self._idf = None
        if idf_weights is not None:
            idf = _values(idf_weights).astype(np.float64).reshape(-1)
            if len(idf) == len(tokens):
                idf = np.concatenate([np.full(start, idf.mean() if len(idf) else 0.0), idf])
            elif len(idf) != size:
                raise self._error(f"`idf_weights` must have one weight per token "
                                  f"({len(tokens)}) or per index ({size}), received {len(idf)}.")
            self._idf = idf

    def adapt(self, data: Any, batch_size: int | None = None, steps: int | None = None) -> None:
        """Learn the vocabulary (and IDF weights) from ``data``.

        Parameters
        ----------
        data : array-like or list
            Tokens; each row (first-axis entry) is a document for the IDF counts.
        batch_size, steps : optional
            Accepted for Keras compatibility (the data are read at once).
        """
        self._adapt_rows(self._rows(data))

    def _rows(self, data: Any) -> list[list[Any]]:
        if isinstance(data, (list, tuple)) and data and isinstance(data[0], (list, tuple)):
            return [[self._token(v) for v in row] for row in data]
        arr = _values(data)
        if arr.ndim == 0:
            arr = arr.reshape(1, 1)
        if arr.ndim == 1:
            arr = arr.reshape(-1, 1)
        return [[self._token(v) for v in row] for row in arr.reshape(len(arr), -1).tolist()]

    def _adapt_rows(self, rows: list[list[Any]]) -> None:
        counts: dict[Any, int] = {}
        documents: dict[Any, int] = {}
        special = {self._token(t) for t in (self.mask_token, self.oov_token) if t is not None}
        for row in rows:
            for token in row:
                counts[token] = counts.get(token, 0) + 1
            if self.output_mode == "tf_idf":
                for token in set(row):
                    documents[token] = documents.get(token, 0) + 1
        for token in special:
            counts.pop(token, None)
        ordered = sorted(counts, key=lambda t: (counts[t], t), reverse=True)
        if self.max_tokens:
            ordered = ordered[:max(self.max_tokens - self._token_start_index(), 0)]
        idf = None
        if self.output_mode == "tf_idf":
            docs = np.array([documents[t] for t in ordered], dtype=np.float64)
            idf = np.log(1.0 + len(rows) / (1.0 + docs))
        self._clear()
        if ordered:
            self.set_vocabulary(ordered, idf)
        if self.pad_to_max_tokens and self._idf is not None:
            pad = self.max_tokens - len(self._idf)
            self._idf = np.concatenate([self._idf, np.zeros(max(pad, 0))])

    def _clear(self) -> None:
        self._tokens, self._index, self._idf = [], {}, None

    # ------------------------------------------------------------------ lookup
    def _oov_index(self, value: Any) -> int:
        if self.num_oov_indices == 1:
            return self._oov_start_index()
        if isinstance(value, (int, np.integer)):
            bucket = int(value) % self.num_oov_indices
        else:
            bucket = zlib.crc32(str(value).encode("utf-8")) % self.num_oov_indices
        return bucket + self._oov_start_index()

    def _lookup(self, values: np.ndarray) -> np.ndarray:
        flat = values.reshape(-1).tolist()
        out = np.empty(len(flat), dtype=np.int64)
        mask = None if self.mask_token is None else self._token(self.mask_token)
        drop = np.iinfo(np.int64).max
        missing = []
        for i, raw in enumerate(flat):
            token = self._token(raw)
            if mask is not None and token == mask:
                out[i] = 0 if self.output_mode == "int" else drop
            elif token in self._index:
                out[i] = self._index[token]
            elif self.num_oov_indices == 0:
                missing.append(token)
            else:
                out[i] = self._oov_index(token)
        if missing:
            raise self._error(f"when `num_oov_indices=0` all inputs should be in the "
                              f"vocabulary, found OOV values {missing[:10]}; consider setting "
                              "`num_oov_indices=1`.")
        return out.reshape(values.shape)

    def _invert(self, values: np.ndarray) -> np.ndarray:
        if values.dtype.kind not in "iu":
            raise self._error(f"with invert=True the inputs must be integer indices, received "
                              f"dtype {values.dtype}.")
        vocab = self.get_vocabulary()
        size = len(vocab)
        out = [vocab[v] if 0 <= v < size and v >= self._token_start_index()
               else (self.mask_token if v == 0 and self.mask_token is not None
                     else self.oov_token)
               for v in values.reshape(-1).tolist()]
        return np.array(out, dtype=object if self.vocabulary_dtype == "string" else np.int64
                        ).reshape(values.shape)

    def _depth(self) -> int:
        return self.max_tokens if self.pad_to_max_tokens else self.vocabulary_size()

    def _encode(self, ids: np.ndarray) -> np.ndarray:
        """One-hot / multi-hot / count / tf-idf of the index array ``ids``."""
        depth = self._depth()
        if ids.ndim == 0:
            ids = ids.reshape(1)
        if self.output_mode == "one_hot":
            if ids.ndim > 1 and ids.shape[-1] == 1:
                ids = ids[..., 0]
            out = np.zeros((*ids.shape, depth), dtype=np.int64)
            valid = ids < depth
            idx = np.nonzero(valid)
            out[(*idx, ids[valid])] = 1
            return out
        if ids.ndim == 1:
            ids = ids[:, None]
        rows = ids.reshape(-1, ids.shape[-1]) if ids.ndim > 1 else ids
        out = np.zeros((len(rows), depth), dtype=np.int64)
        for r, row in enumerate(rows):
            kept = row[row < depth]
            np.add.at(out[r], kept, 1)
        out = out.reshape(*ids.shape[:-1], depth)
        if self.output_mode == "multi_hot":
            return np.minimum(out, 1)
        if self.output_mode == "tf_idf":
            if self._idf is None:
                raise self._error("when `output_mode` is 'tf_idf', the layer needs IDF weights: "
                                  "call adapt() or pass `vocabulary` and `idf_weights`.")
            idf = np.zeros(depth)
            idf[:min(depth, len(self._idf))] = self._idf[:depth]
            return (out * idf).astype(descend_config.floatx())
        return out

    def _check_ready(self) -> None:
        if self.output_mode != "int" and not self.pad_to_max_tokens and not self._tokens:
            raise RuntimeError(
                f"Layer '{self.name}' ({type(self).__name__}): when using "
                f"`output_mode={self.output_mode}` and `pad_to_max_tokens=False`, you must set "
                "the layer's vocabulary before calling it. Either pass a `vocabulary` argument "
                "to the layer, or call `adapt` with some sample data."
            )

    def call(self, inputs: Any) -> Tensor:
        """Look the inputs up (see the module docstring)."""
        self._check_ready()
        values = _values(inputs)
        if self.invert:
            return Tensor._make(self._invert(values), False, None)
        ids = self._lookup(values)
        if self.output_mode == "int":
            return Tensor._make(ids, False, None)
        return Tensor._make(self._encode(ids), False, None)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        """The input shape (``"int"``, ``invert``) or ``(batch, depth)``-style shapes."""
        shape = tuple(input_shape)
        if self.output_mode == "int":
            return shape
        depth = self._depth()
        if self.output_mode == "one_hot":
            if len(shape) > 1 and shape[-1] == 1:
                shape = shape[:-1]
            return (*shape, depth)
        return (*shape[:-1], depth) if len(shape) > 1 else (shape[0], depth)

    def get_config(self) -> dict[str, Any]:
        """Keras's keys; ``vocabulary`` is the whole vocabulary (learned or given), JSON."""
        config = super().get_config()
        vocab = self.get_vocabulary() if self._tokens else None
        config.update(
            invert=self.invert, max_tokens=self.max_tokens,
            num_oov_indices=self.num_oov_indices, oov_token=self.oov_token,
            mask_token=self.mask_token, output_mode=self.output_mode, sparse=self.sparse,
            pad_to_max_tokens=self.pad_to_max_tokens, vocabulary_dtype=self.vocabulary_dtype,
            idf_weights=None if self._idf is None or vocab is None
            else self._idf[:len(vocab)].tolist(),
            vocabulary=vocab, vocabulary_size=self.vocabulary_size() if vocab else None,
        )
        return config
