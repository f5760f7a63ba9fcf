"""``StringLookup`` and ``IntegerLookup``: map strings or integer ids to vocabulary indices.

See :mod:`descend.layers.index_lookup` for the vocabulary layout, ``adapt``, the output
modes and the differences from Keras.

Examples
--------
>>> layer = StringLookup(vocabulary=["a", "b", "c"])
>>> layer([["a", "c", "z"]]).data.tolist()
[[1, 3, 0]]
>>> layer.get_vocabulary()
['[UNK]', 'a', 'b', 'c']
>>> IntegerLookup(vocabulary=[12, 36])([[12, 7]]).data.tolist()
[[1, 0]]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend.layers.index_lookup import IndexLookup

__all__ = ["IntegerLookup", "StringLookup"]


class StringLookup(IndexLookup):
    """Map strings to integer indices (or, with ``invert``, indices back to strings).

    Parameters
    ----------
    max_tokens : int, optional
        Largest vocabulary size, special indices included (only limits ``adapt``).
    num_oov_indices : int, default 1
        Number of out-of-vocabulary indices (0: unknown strings raise an error).
    mask_token : str, optional
        Token mapped to index 0 (``"int"`` mode) or dropped (other modes).
    oov_token : str, default "[UNK]"
        Returned for OOV indices with ``invert=True``.
    vocabulary : list of str, array or path to a text file, optional
    idf_weights : list or array, optional
        Required with ``output_mode="tf_idf"`` and a given vocabulary.
    invert : bool, default False
    output_mode : {"int", "one_hot", "multi_hot", "count", "tf_idf"}, default "int"
    pad_to_max_tokens : bool, default False
        Non-int modes: output ``max_tokens`` wide.
    sparse : bool, default False
        True is refused (no sparse tensors in descend).
    encoding : str, default "utf-8"
        Used to decode ``bytes`` inputs.
    **kwargs
        Base-layer arguments.
    """

    def __init__(self, max_tokens: int | None = None, num_oov_indices: int = 1,
                 mask_token: str | None = None, oov_token: str = "[UNK]",
                 vocabulary: Any = None, idf_weights: Any = None, invert: bool = False,
                 output_mode: str = "int", pad_to_max_tokens: bool = False,
                 sparse: bool = False, encoding: str = "utf-8", **kwargs: Any) -> None:
        kwargs.pop("vocabulary_dtype", None)
        self.encoding = encoding
        super().__init__(max_tokens=max_tokens, num_oov_indices=num_oov_indices,
                         mask_token=mask_token, oov_token=oov_token,
                         vocabulary_dtype="string", vocabulary=vocabulary,
                         idf_weights=idf_weights, invert=invert, output_mode=output_mode,
                         sparse=sparse, pad_to_max_tokens=pad_to_max_tokens, **kwargs)

    def _token(self, value: Any) -> Any:
        if isinstance(value, bytes):
            return value.decode(self.encoding)
        if isinstance(value, str):
            return value
        if isinstance(value, np.str_):
            return str(value)
        raise TypeError(f"Layer '{self.name}' (StringLookup) expects string inputs, received "
                        f"{value!r} of type {type(value).__name__}. Use IntegerLookup for "
                        "integer ids.")

    def get_config(self) -> dict[str, Any]:
        """Keras's keys, ``encoding`` included."""
        config = super().get_config()
        config["encoding"] = self.encoding
        config.pop("vocabulary_dtype", None)
        return config


class IntegerLookup(IndexLookup):
    """Map integer ids to contiguous indices (or, with ``invert``, indices back to ids).

    Parameters
    ----------
    max_tokens, num_oov_indices, vocabulary, idf_weights, invert, output_mode,
    pad_to_max_tokens, sparse
        As in :class:`StringLookup`.
    mask_token : int, optional
        Id mapped to index 0 (``"int"`` mode) or dropped.
    oov_token : int, default -1
        Returned for OOV indices with ``invert=True``.
    vocabulary_dtype : {"int64", "int32"}, default "int64"
    **kwargs
        Base-layer arguments.
    """

    def __init__(self, max_tokens: int | None = None, num_oov_indices: int = 1,
                 mask_token: int | None = None, oov_token: int = -1, vocabulary: Any = None,
                 vocabulary_dtype: str = "int64", idf_weights: Any = None,
                 invert: bool = False, output_mode: str = "int", sparse: bool = False,
                 pad_to_max_tokens: bool = False, **kwargs: Any) -> None:
        if vocabulary_dtype not in ("int64", "int32"):
            raise ValueError(f"IntegerLookup: `vocabulary_dtype` must be 'int64' or 'int32', "
                             f"received {vocabulary_dtype!r}.")
        super().__init__(max_tokens=max_tokens, num_oov_indices=num_oov_indices,
                         mask_token=mask_token, oov_token=oov_token,
                         vocabulary_dtype=vocabulary_dtype, vocabulary=vocabulary,
                         idf_weights=idf_weights, invert=invert, output_mode=output_mode,
                         sparse=sparse, pad_to_max_tokens=pad_to_max_tokens, **kwargs)

    def _token(self, value: Any) -> Any:
        if isinstance(value, (bool, np.bool_)) or not isinstance(
                value, (int, np.integer, float, np.floating)) or float(value) != int(value):
            raise TypeError(f"Layer '{self.name}' (IntegerLookup) expects integer ids, "
                            f"received {value!r}. Use StringLookup for strings.")
        return int(value)

    def _invert(self, values: np.ndarray) -> np.ndarray:
        out = super()._invert(values)
        return out.astype(self.vocabulary_dtype)
