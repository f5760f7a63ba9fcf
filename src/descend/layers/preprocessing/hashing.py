"""``Hashing``: map strings or integers to ``num_bins`` buckets with a stable hash.

Values are turned into bytes first: strings as UTF-8, integers (and floats, truncated to
int64 first) as their decimal text (``5 -> b"5"``), as TensorFlow's ``as_string`` does. Then:

- without ``salt``: ``bucket = fingerprint64(bytes) % num_bins`` (FarmHash Fingerprint64, the
  function behind ``tf.strings.to_hash_bucket_fast``);
- with ``salt`` (an int ``s``, meaning ``(s, s)``, or a pair): ``bucket =
  siphash24(salt, bytes) % num_bins`` (``tf.strings.to_hash_bucket_strong``).

With ``mask_value`` (and ``num_bins > 1``) values equal to it go to bucket 0 and the rest are
hashed into ``1 .. num_bins - 1``. The buckets (int64) can be encoded like
``CategoryEncoding`` (``output_mode`` ``one_hot``, ``multi_hot`` or ``count``). Outputs equal
Keras's (which needs TensorFlow for this layer); descend needs no extra package.

Examples
--------
>>> import numpy as np
>>> from descend.layers import Hashing
>>> Hashing(num_bins=3)(np.array([["A"], ["B"], ["C"], ["D"], ["E"]])).data.ravel()
array([1, 0, 1, 1, 2])
>>> Hashing(num_bins=3, salt=[133, 137])(np.array([0, 1, 2, 3, 4])).data
array([1, 1, 2, 0, 1])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend.autograd import Tensor
from descend.layers.layer import Layer
from descend.layers.preprocessing._base import bad_value, check_choice
from descend.layers.preprocessing._encoding import OUTPUT_MODES, encode
from descend.layers.preprocessing._hash_functions import fingerprint64, siphash24


def _as_bytes(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, (float, np.floating)):
        return str(int(value)).encode()
    return str(int(value)).encode()


class Hashing(Layer):
    """Hash values into ``num_bins`` buckets.

    Parameters
    ----------
    num_bins : int
        Number of buckets (including the mask bucket when ``mask_value`` is set).
    mask_value : str or int, optional
        Value sent to bucket 0.
    salt : int or pair of int, optional
        Key of the keyed (SipHash) variant.
    output_mode : {"int", "one_hot", "multi_hot", "count"}, default "int"
    sparse : bool, default False
        Must be False.
    **kwargs
        Base-layer arguments; ``dtype`` defaults to "int64" for ``"int"`` output, else floatx.
    """

    def __init__(self, num_bins: int, mask_value: Any = None, salt: Any = None,
                 output_mode: str = "int", sparse: bool = False, **kwargs: Any) -> None:
        if kwargs.get("dtype") is None:
            kwargs["dtype"] = "int64" if output_mode == "int" else None
        super().__init__(**kwargs)
        if num_bins is None or isinstance(num_bins, bool) or not isinstance(
                num_bins, (int, np.integer)) or num_bins <= 0:
            raise bad_value(self, "num_bins", "a positive integer", num_bins)
        self.output_mode = check_choice(self, "output_mode", output_mode, OUTPUT_MODES)
        if output_mode == "int" and self.dtype not in ("int32", "int64"):
            raise bad_value(self, "dtype", "'int32' or 'int64' when output_mode='int'",
                            self.dtype)
        if sparse:
            raise bad_value(self, "sparse", "False (descend has no sparse tensors)", sparse)
        if salt is not None:
            if isinstance(salt, (tuple, list)) and len(salt) == 2 and all(
                    isinstance(s, (int, np.integer)) and not isinstance(s, bool) for s in salt):
                salt = [int(s) for s in salt]
            elif isinstance(salt, (int, np.integer)) and not isinstance(salt, bool):
                salt = [int(salt), int(salt)]
            else:
                raise bad_value(self, "salt", "an int or a pair of ints", salt)
        self.num_bins = int(num_bins)
        self.mask_value = mask_value
        self.salt = salt
        self.sparse = False

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        inputs = args[0] if args else kwargs.get("inputs")
        if isinstance(inputs, (str, bytes, list, tuple, np.ndarray)) and not isinstance(
                inputs, Tensor):
            array = np.asarray(inputs)
            if array.dtype.kind in "USO":
                # strings cannot become tensors (they hold numbers): hash them directly
                self.built = True
                return self.call(array)
        return super().__call__(*args, **kwargs)

    def _convert_inputs(self, inputs: Any) -> Any:
        if isinstance(inputs, Tensor):
            return inputs
        array = np.asarray(inputs)
        return Tensor(array, dtype=array.dtype if array.dtype.kind in "iu" else "int64")

    def hash_values(self, values: Any) -> np.ndarray:
        """Bucket indices (int64, same shape) of an array of strings or numbers."""
        array = values.data if isinstance(values, Tensor) else np.asarray(values)
        if array.dtype.kind not in "USOiufb":
            raise TypeError(f"Layer '{self.name}' (Hashing) expects strings or numbers, "
                            f"received dtype {array.dtype}.")
        bins = self.num_bins
        mask = None
        if self.mask_value is not None and bins > 1:
            bins -= 1
            if array.dtype.kind in "USO":
                mask = array == self.mask_value
            else:
                mask = array == np.asarray(self.mask_value).astype(array.dtype)
        flat = array.reshape(-1)
        if self.salt is None:
            hashes = [fingerprint64(_as_bytes(v)) % bins for v in flat.tolist()]
        else:
            k0, k1 = self.salt
            hashes = [siphash24(k0, k1, _as_bytes(v)) % bins for v in flat.tolist()]
        out = np.asarray(hashes, dtype=np.int64).reshape(array.shape)
        if mask is not None:
            out = np.where(mask, 0, out + 1)
        return out

    def call(self, inputs: Any) -> Tensor:
        """Hash ``inputs`` and encode the buckets as ``output_mode`` says."""
        array = inputs.data if isinstance(inputs, Tensor) else np.asarray(inputs)
        if self.output_mode == "one_hot" and array.ndim and array.shape[-1] == 1:
            array = array[..., 0]
        buckets = self.hash_values(array)
        out = encode(buckets, self.output_mode, self.num_bins, self.dtype)
        return Tensor(out, dtype=self.dtype)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        """Input shape for "int", else the last axis replaced by ``num_bins``."""
        if self.output_mode == "int":
            return tuple(input_shape)
        if len(input_shape) == 0:
            return (self.num_bins,)
        return tuple(input_shape[:-1]) + (self.num_bins,)

    def get_config(self) -> dict[str, Any]:
        """Base keys plus ``num_bins``, ``salt``, ``mask_value``, ``output_mode``, ``sparse``."""
        config = super().get_config()
        config.update(num_bins=self.num_bins, salt=self.salt, mask_value=self.mask_value,
                      output_mode=self.output_mode, sparse=self.sparse)
        return config
