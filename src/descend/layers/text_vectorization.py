"""``TextVectorization``: turn strings into token indices, multi-hot, counts or TF-IDF.

Each input string goes through Keras's steps:

1. **standardize**: ``"lower_and_strip_punctuation"`` (default) lower-cases ASCII letters
   (as ``tf.strings.lower`` does; "É" stays) and deletes
   the characters of ``[!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~']``; ``"lower"``,
   ``"strip_punctuation"``, None, or a callable that receives a NumPy array of
   Python strings and returns one of the same shape;
2. **split**: ``"whitespace"`` (``str.split()``), ``"character"`` (Unicode characters),
   None (the whole string is one token) or a callable that receives the 1-D NumPy
   array of strings and returns one list of tokens per string;
3. **ngrams**: an int ``n`` adds all 1- to ``n``-grams, a tuple the listed sizes (words
   joined by a space, grouped by size as ``tf.strings.ngrams`` orders them);
4. **lookup** in a :class:`~descend.layers.StringLookup` with ``mask_token=""``: in
   ``"int"`` mode index 0 is padding and 1 is out-of-vocabulary; rows are padded with 0
   (or cut) to ``output_sequence_length``, else to the longest row of the batch;
   ``"multi_hot"``, ``"count"`` and ``"tf_idf"`` give one ``(batch, depth)`` row per string.

``adapt`` learns the vocabulary (most frequent first, at most ``max_tokens`` indices).
The vocabulary (and IDF weights) are part of ``get_config``, as JSON, so a saved model
carries them; no pickle. Inputs: a list or array of strings, shape ``(batch,)`` or
``(batch, 1)``. descend models take numeric arrays only, so the layer is used to
prepare data (``x = vectorizer(texts)``) or in a model whose data are vectorised first.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from descend.autograd import Tensor
from descend.layers.layer import Layer
from descend.layers.lookups import StringLookup

__all__ = ["TextVectorization"]

_PUNCTUATION = re.compile(r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']')
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_STANDARDIZE = (None, "lower_and_strip_punctuation", "lower", "strip_punctuation")
_SPLIT = (None, "whitespace", "character")


def _callable_config(value: Any) -> Any:
    if callable(value):
        from descend.registry.object_registration import get_registered_name

        return get_registered_name(value)
    return value


def _callable_from_config(value: Any) -> Any:
    if isinstance(value, str) and ">" in value:  # a registered name, "package>function"
        from descend.registry.object_registration import get_registered_object

        found = get_registered_object(value)
        if found is None:
            raise ValueError(f"TextVectorization: unknown function {value!r}; register it with "
                             "descend.saving.register_keras_serializable() before loading.")
        return found
    return value


class TextVectorization(Layer):
    """Map text to sequences of token indices or to bag-of-words vectors.

    Parameters
    ----------
    max_tokens : int, optional
        Largest vocabulary size, padding and OOV indices included.
    standardize : str, callable or None, default "lower_and_strip_punctuation"
    split : str, callable or None, default "whitespace"
    ngrams : int or tuple of int, optional
    output_mode : {"int", "multi_hot", "count", "tf_idf"}, default "int"
    output_sequence_length : int, optional
        ``"int"`` mode only: pad/cut every row to this length.
    pad_to_max_tokens : bool, default False
        Non-int modes: output ``max_tokens`` wide.
    vocabulary : list of str or path to a text file, optional
    idf_weights : list or array, optional
        With ``"tf_idf"`` and a given vocabulary.
    sparse, ragged : bool, default False
        True is refused (no sparse or ragged tensors in descend).
    encoding : str, default "utf-8"
    **kwargs
        Base-layer arguments.

    Examples
    --------
    >>> layer = TextVectorization(output_sequence_length=4)
    >>> layer.adapt(["The cat sat.", "The dog ran!"])
    >>> layer.get_vocabulary()
    ['', '[UNK]', 'the', 'sat', 'ran', 'dog', 'cat']
    >>> layer(["the cat ran far"]).data.tolist()
    [[2, 6, 4, 1]]
    """

    _keeps_input_dtype = True

    def __init__(self, max_tokens: int | None = None,
                 standardize: Any = "lower_and_strip_punctuation", split: Any = "whitespace",
                 ngrams: Any = None, output_mode: str = "int",
                 output_sequence_length: int | None = None, pad_to_max_tokens: bool = False,
                 vocabulary: Any = None, idf_weights: Any = None, sparse: bool = False,
                 ragged: bool = False, encoding: str = "utf-8", **kwargs: Any) -> None:
        kwargs.pop("vocabulary_size", None)
        super().__init__(**kwargs)
        owner = f"Layer '{self.name}' (TextVectorization)"
        standardize = _callable_from_config(standardize)
        split = _callable_from_config(split)
        if not callable(standardize) and standardize not in _STANDARDIZE:
            raise ValueError(f"{owner}: `standardize` must be one of {list(_STANDARDIZE)} or "
                             f"a callable, received {standardize!r}.")
        if not callable(split) and split not in _SPLIT:
            raise ValueError(f"{owner}: `split` must be one of {list(_SPLIT)} or a callable, "
                             f"received {split!r}.")
        if output_mode not in ("int", "multi_hot", "count", "tf_idf"):
            raise ValueError(f"{owner}: `output_mode` must be one of 'int', 'multi_hot', "
                             f"'count' or 'tf_idf', received {output_mode!r}.")
        if isinstance(ngrams, (list, tuple)):
            ngrams = tuple(int(n) for n in ngrams)
        elif ngrams is not None and (isinstance(ngrams, bool) or not isinstance(ngrams, int)
                                     or ngrams < 1):
            raise ValueError(f"{owner}: `ngrams` must be None, a positive integer or a tuple of "
                             f"integers, received {ngrams!r}.")
        if output_sequence_length is not None and output_mode != "int":
            raise ValueError(f"{owner}: `output_sequence_length` must not be set if "
                             f"`output_mode` is not 'int'. Received "
                             f"output_sequence_length={output_sequence_length}.")
        if ragged:
            raise ValueError(f"{owner}: ragged=True is not supported by descend (no ragged "
                             "tensors); rows are padded with 0 instead.")
        self.max_tokens = max_tokens
        self.standardize = standardize
        self.split = split
        self.ngrams = ngrams
        self.output_mode = output_mode
        self.output_sequence_length = output_sequence_length
        self.pad_to_max_tokens = bool(pad_to_max_tokens)
        self.encoding = encoding
        self._lookup_layer = StringLookup(
            max_tokens=max_tokens, vocabulary=vocabulary, idf_weights=idf_weights,
            pad_to_max_tokens=pad_to_max_tokens, mask_token="", output_mode=output_mode,
            sparse=sparse, encoding=encoding, name=f"{self.name}_lookup")
        self.built = True

    # --------------------------------------------------------------- pipeline
    def _strings(self, inputs: Any) -> np.ndarray:
        values = np.asarray(getattr(inputs, "data", inputs), dtype=object)
        if values.ndim == 0:
            values = values.reshape(1)
        flat = values.reshape(-1)
        for i, v in enumerate(flat):
            if isinstance(v, bytes):
                flat[i] = v.decode(self.encoding)
            elif not isinstance(v, str):
                raise TypeError(f"Layer '{self.name}' (TextVectorization) expects strings, "
                                f"received {v!r} of type {type(v).__name__}.")
        return flat.reshape(values.shape)

    def _standardize(self, values: np.ndarray) -> np.ndarray:
        mode = self.standardize
        if callable(mode):
            out = np.asarray(mode(values), dtype=object)
            if out.shape != values.shape:
                raise ValueError(f"Layer '{self.name}' (TextVectorization): the standardize "
                                 f"callable changed the shape {values.shape} to {out.shape}.")
            return out
        flat = values.reshape(-1).tolist()
        if mode in ("lower", "lower_and_strip_punctuation"):
            flat = [s.translate(_ASCII_LOWER) for s in flat]  # tf.strings.lower: ASCII only
        if mode in ("strip_punctuation", "lower_and_strip_punctuation"):
            flat = [_PUNCTUATION.sub("", s) for s in flat]
        return np.array(flat, dtype=object).reshape(values.shape)

    def _tokens(self, values: np.ndarray) -> list[list[str]] | np.ndarray:
        """Token rows (split) or the array of whole strings (``split=None``)."""
        if self.split is None:
            return values
        if values.ndim > 1:
            if values.shape[-1] != 1:
                raise ValueError(
                    f"Layer '{self.name}' (TextVectorization): when tokenizing strings the "
                    "input rank must be 1 or the last shape dimension must be 1. Received: "
                    f"inputs.shape={values.shape}."
                )
            values = values[..., 0]
        strings = values.reshape(-1)
        if self.split == "whitespace":
            rows = [s.split() for s in strings.tolist()]
        elif self.split == "character":
            rows = [list(s) for s in strings.tolist()]
        else:
            rows = [list(r) for r in self.split(strings)]
            if len(rows) != len(strings):
                raise ValueError(f"Layer '{self.name}' (TextVectorization): the split callable "
                                 f"returned {len(rows)} rows for {len(strings)} strings.")
        if self.ngrams is not None:
            widths = (tuple(range(1, self.ngrams + 1)) if isinstance(self.ngrams, int)
                      else self.ngrams)
            rows = [[" ".join(row[i:i + w]) for w in widths for i in range(len(row) - w + 1)]
                    for row in rows]
        return rows

    def _preprocess(self, inputs: Any) -> Any:
        return self._tokens(self._standardize(self._strings(inputs)))

    # --------------------------------------------------------------- API
    def adapt(self, data: Any, batch_size: int | None = None, steps: int | None = None) -> None:
        """Learn the vocabulary from a list or array of strings (each one a document)."""
        tokens = self._preprocess(data)
        if isinstance(tokens, np.ndarray):
            tokens = [[t] for t in tokens.reshape(-1).tolist()]
        self._lookup_layer._adapt_rows(tokens)

    def call(self, inputs: Any) -> Tensor:
        """Vectorise (see the module docstring)."""
        tokens = self._preprocess(inputs)
        lookup = self._lookup_layer
        if self.output_mode != "int" and not self.pad_to_max_tokens and not lookup._tokens:
            raise RuntimeError(
                f"Layer '{self.name}' (TextVectorization): with output_mode="
                f"'{self.output_mode}' the vocabulary must be set before the layer is called: "
                "call adapt() on sample texts or pass `vocabulary`."
            )
        if isinstance(tokens, np.ndarray):  # split=None: one token per string
            ids = lookup._lookup(tokens)
            if self.output_mode != "int":
                return Tensor._make(lookup._encode(ids), False, None)
            if self.output_sequence_length is not None:
                ids = ids[..., :self.output_sequence_length]
                pad = self.output_sequence_length - ids.shape[-1]
                if pad > 0:
                    ids = np.pad(ids, [(0, 0)] * (ids.ndim - 1) + [(0, pad)])
            return Tensor._make(ids, False, None)
        rows = [lookup._lookup(np.array(row, dtype=object)) for row in tokens]
        if self.output_mode != "int":
            depth = lookup._depth()
            if not rows:
                return Tensor._make(np.zeros((0, depth)), False, None)
            width = max((len(r) for r in rows), default=0)
            drop = np.iinfo(np.int64).max
            padded = np.full((len(rows), max(width, 1)), drop, dtype=np.int64)
            for i, r in enumerate(rows):
                padded[i, :len(r)] = r
            return Tensor._make(lookup._encode(padded), False, None)
        length = (self.output_sequence_length if self.output_sequence_length is not None
                  else max((len(r) for r in rows), default=0))
        out = np.zeros((len(rows), length), dtype=np.int64)
        for i, r in enumerate(rows):
            r = r[:length]
            out[i, :len(r)] = r
        return Tensor._make(out, False, None)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        """``(batch, output_sequence_length)`` or ``(batch, depth)``."""
        batch = tuple(input_shape)[0] if len(tuple(input_shape)) else None
        if self.output_mode == "int":
            return (batch, self.output_sequence_length)
        return (batch, self._lookup_layer._depth())

    def get_vocabulary(self, include_special_tokens: bool = True) -> list[str]:
        """The vocabulary: ``""`` (padding), ``"[UNK]"``, then the tokens."""
        return self._lookup_layer.get_vocabulary(include_special_tokens)

    def vocabulary_size(self) -> int:
        """Number of indices, padding and OOV included."""
        return self._lookup_layer.vocabulary_size()

    def set_vocabulary(self, vocabulary: Any, idf_weights: Any = None) -> None:
        """Set the vocabulary (and IDF weights for ``"tf_idf"``); see ``StringLookup``."""
        self._lookup_layer.set_vocabulary(vocabulary, idf_weights)

    def get_config(self) -> dict[str, Any]:
        """Keras's keys; the vocabulary and IDF weights as JSON lists."""
        config = super().get_config()
        inner = self._lookup_layer.get_config()
        config.update(
            max_tokens=self.max_tokens, standardize=_callable_config(self.standardize),
            split=_callable_config(self.split),
            ngrams=list(self.ngrams) if isinstance(self.ngrams, tuple) else self.ngrams,
            output_mode=self.output_mode, output_sequence_length=self.output_sequence_length,
            pad_to_max_tokens=self.pad_to_max_tokens, sparse=False, ragged=False,
            vocabulary=inner["vocabulary"], idf_weights=inner["idf_weights"],
            encoding=self.encoding, vocabulary_size=inner["vocabulary_size"],
        )
        return config
