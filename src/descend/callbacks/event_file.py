"""TensorBoard event files, written without TensorFlow or the ``tensorboard`` package.

An event file is a sequence of TFRecord records, each holding one serialised
``Event`` protocol buffer::

    uint64 length | uint32 masked_crc32c(length) | bytes data | uint32 masked_crc32c(data)

(little-endian; the CRC is CRC-32C, masked as ``((crc >> 15) | (crc << 17)) +
0xa282ead8``). This module encodes the few messages TensorBoard needs by hand
(protobuf wire format: a varint key ``field << 3 | wire_type`` then the value):

* ``Event``: ``wall_time`` (1, double), ``step`` (2, int64), ``file_version``
  (3, string), ``graph_def`` (4, bytes), ``summary`` (5, message);
* ``Summary.Value``: ``tag`` (1), ``simple_value`` (2, float), ``image``
  (4, ``Summary.Image`` with a PNG), ``histo`` (5, ``HistogramProto``), ``tensor``
  (8, ``TensorProto``), ``metadata`` (9);
* ``GraphDef``/``NodeDef`` for the model's layer graph.

Examples
--------
>>> import tempfile
>>> with tempfile.TemporaryDirectory() as d:
...     writer = EventFileWriter(d)
...     writer.add_scalar("epoch_loss", 0.5, step=0)
...     writer.close()
...     records = list(read_records(writer.path))
>>> len(records)  # the file-version event, then the scalar
2
"""

from __future__ import annotations

import os
import socket
import struct
import time
import zlib
from collections.abc import Iterator, Sequence
from itertools import count
from typing import Any

import numpy as np

__all__ = ["EventFileWriter", "crc32c", "read_records"]


def _crc_table() -> list[int]:
    table = []
    for i in range(256):
        crc = i
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
        table.append(crc)
    return table


_TABLE = _crc_table()


def crc32c(data: bytes) -> int:
    """CRC-32C (Castagnoli) of ``data``.

    Examples
    --------
    >>> hex(crc32c(b"123456789"))
    '0xe3069283'
    """
    crc = 0xFFFFFFFF
    table = _TABLE
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def _masked_crc(data: bytes) -> int:
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def frame_record(data: bytes) -> bytes:
    """One TFRecord: the length, its masked CRC, the data and its masked CRC."""
    header = struct.pack("<Q", len(data))
    return (header + struct.pack("<I", _masked_crc(header)) + data
            + struct.pack("<I", _masked_crc(data)))


def read_records(path: str) -> Iterator[bytes]:
    """The records of a TFRecord file, with both CRCs checked.

    Raises
    ------
    ValueError
        If the file is truncated or a checksum does not match.
    """
    with open(path, "rb") as f:
        blob = f.read()
    pos = 0
    while pos < len(blob):
        if pos + 12 > len(blob):
            raise ValueError(f"{path}: truncated record header at byte {pos}.")
        header = blob[pos:pos + 8]
        (length,) = struct.unpack("<Q", header)
        (crc,) = struct.unpack("<I", blob[pos + 8:pos + 12])
        if crc != _masked_crc(header):
            raise ValueError(f"{path}: bad length checksum at byte {pos}.")
        data = blob[pos + 12:pos + 12 + length]
        end = pos + 12 + length
        if len(data) != length or end + 4 > len(blob):
            raise ValueError(f"{path}: truncated record at byte {pos}.")
        if struct.unpack("<I", blob[end:end + 4])[0] != _masked_crc(data):
            raise ValueError(f"{path}: bad data checksum at byte {pos}.")
        yield data
        pos = end + 4


# ------------------------------------------------------------- protobuf wire format
def _varint(value: int) -> bytes:
    value &= (1 << 64) - 1  # negative int64 as two's complement
    out = bytearray()
    while True:
        bits = value & 0x7F
        value >>= 7
        if value:
            out.append(bits | 0x80)
        else:
            out.append(bits)
            return bytes(out)


def _key(field: int, wire_type: int) -> bytes:
    return _varint(field << 3 | wire_type)


def _bytes_field(field: int, payload: bytes) -> bytes:
    return _key(field, 2) + _varint(len(payload)) + payload


def _string_field(field: int, text: str) -> bytes:
    return _bytes_field(field, text.encode("utf-8"))


def _int_field(field: int, value: int) -> bytes:
    return _key(field, 0) + _varint(int(value))


def _double_field(field: int, value: float) -> bytes:
    return _key(field, 1) + struct.pack("<d", float(value))


def _float_field(field: int, value: float) -> bytes:
    return _key(field, 5) + struct.pack("<f", float(value))


def _packed_doubles(field: int, values: Sequence[float]) -> bytes:
    return _bytes_field(field, np.asarray(values, dtype="<f8").tobytes())


def _event(step: int, *, summary_values: Sequence[bytes] = (), file_version: str | None = None,
           graph_def: bytes | None = None, wall_time: float | None = None) -> bytes:
    out = _double_field(1, time.time() if wall_time is None else wall_time)
    out += _int_field(2, step)
    if file_version is not None:
        out += _string_field(3, file_version)
    if graph_def is not None:
        out += _bytes_field(4, graph_def)
    if summary_values:
        out += _bytes_field(5, b"".join(_bytes_field(1, v) for v in summary_values))
    return out


def _plugin_metadata(plugin_name: str, content: bytes = b"", data_class: int = 0) -> bytes:
    plugin = _string_field(1, plugin_name) + (_bytes_field(2, content) if content else b"")
    out = _bytes_field(1, plugin)
    if data_class:
        out += _int_field(4, data_class)
    return out


def _string_tensor(values: Sequence[str]) -> bytes:
    shape = _bytes_field(2, _int_field(1, len(values)))  # one dim of size len(values)
    out = _int_field(1, 7) + _bytes_field(2, shape)  # dtype DT_STRING
    return out + b"".join(_bytes_field(8, v.encode("utf-8")) for v in values)


def histogram_proto(values: Any, bins: int = 30) -> bytes:
    """A ``HistogramProto`` of ``values`` with ``bins`` equal-width buckets.

    Bucket ``i`` counts the values in ``(bucket_limit[i-1], bucket_limit[i]]``.
    """
    data = np.asarray(values, dtype=np.float64).reshape(-1)
    data = data[np.isfinite(data)]
    if data.size == 0:
        lo = hi = 0.0
        counts, limits = np.zeros(1), np.array([0.0])
    else:
        lo, hi = float(data.min()), float(data.max())
        if lo == hi:
            counts, limits = np.array([float(data.size)]), np.array([hi])
        else:
            counts, edges = np.histogram(data, bins=bins, range=(lo, hi))
            limits = edges[1:]
    out = _double_field(1, lo) + _double_field(2, hi) + _double_field(3, data.size)
    out += _double_field(4, float(data.sum())) + _double_field(5, float(np.dot(data, data)))
    return out + _packed_doubles(6, limits) + _packed_doubles(7, counts)


def graph_def(nodes: Sequence[tuple[str, str, Sequence[str]]]) -> bytes:
    """A ``GraphDef`` with one ``NodeDef(name, op, inputs)`` per entry."""
    out = b""
    for name, op, inputs in nodes:
        node = _string_field(1, name) + _string_field(2, op)
        node += b"".join(_string_field(3, i) for i in inputs)
        out += _bytes_field(1, node)
    return out + _bytes_field(4, _int_field(1, 1))  # versions { producer: 1 }


def encode_png(image: Any) -> bytes:
    """PNG bytes of a uint8 image of shape (height, width) or (height, width, 1, 3 or 4).

    Examples
    --------
    >>> encode_png(np.zeros((2, 3), dtype=np.uint8))[:8]
    b'\\x89PNG\\r\\n\\x1a\\n'
    """
    pixels = np.asarray(image)
    if pixels.dtype != np.uint8:
        raise TypeError(f"encode_png: expected uint8 pixels, received {pixels.dtype}.")
    if pixels.ndim == 2:
        pixels = pixels[:, :, None]
    height, width, channels = pixels.shape
    color_type = {1: 0, 3: 2, 4: 6}.get(channels)
    if color_type is None:
        raise ValueError(f"encode_png: expected 1, 3 or 4 channels, received {channels}.")

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return (struct.pack(">I", len(payload)) + kind + payload
                + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    rows = np.concatenate([np.zeros((height, 1), np.uint8),  # filter type 0 per row
                           pixels.reshape(height, width * channels)], axis=1)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(rows.tobytes())) + chunk(b"IEND", b""))


_FILE_COUNTER = count()


class EventFileWriter:
    """Append summaries to a new event file in ``log_dir`` (created if needed).

    Parameters
    ----------
    log_dir : str or path
        One directory per run ("train", "validation"), as TensorBoard expects.

    Attributes
    ----------
    path : str
        ``log_dir/events.out.tfevents.<time>.<host>.<pid>.<n>.v2``.
    """

    def __init__(self, log_dir: Any) -> None:
        log_dir = os.fspath(log_dir)
        os.makedirs(log_dir, exist_ok=True)
        name = (f"events.out.tfevents.{int(time.time())}.{socket.gethostname()}."
                f"{os.getpid()}.{next(_FILE_COUNTER)}.v2")
        self.path = os.path.join(log_dir, name)
        self._file: Any = open(self.path, "wb")  # noqa: SIM115 - closed by close()
        self._write(_event(0, file_version="brain.Event:2"))

    def _write(self, event: bytes) -> None:
        if self._file is None:
            raise ValueError(f"EventFileWriter: {self.path} is closed.")
        self._file.write(frame_record(event))
        self._file.flush()

    def add_scalar(self, tag: str, value: float, step: int) -> None:
        """A scalar (shown in the Scalars tab)."""
        self._write(_event(step, summary_values=[_string_field(1, tag)
                                                 + _float_field(2, float(value))]))

    def add_histogram(self, tag: str, values: Any, step: int, bins: int = 30) -> None:
        """A histogram of ``values`` (Histograms and Distributions tabs)."""
        self._write(_event(step, summary_values=[
            _string_field(1, tag) + _bytes_field(5, histogram_proto(values, bins))]))

    def add_image(self, tag: str, image: Any, step: int) -> None:
        """A uint8 image of shape (height, width[, channels]) (Images tab)."""
        pixels = np.asarray(image)
        height, width = pixels.shape[:2]
        channels = 1 if pixels.ndim == 2 else pixels.shape[2]
        encoded = _int_field(1, height) + _int_field(2, width) + _int_field(3, channels)
        encoded += _bytes_field(4, encode_png(pixels))
        self._write(_event(step, summary_values=[_string_field(1, tag)
                                                 + _bytes_field(4, encoded)]))

    def add_text(self, tag: str, text: str, step: int) -> None:
        """Markdown text (Text tab)."""
        value = _string_field(1, tag) + _bytes_field(8, _string_tensor([text]))
        value += _bytes_field(9, _plugin_metadata("text", data_class=2))
        self._write(_event(step, summary_values=[value]))

    def add_keras_model(self, tag: str, model_json: str, step: int) -> None:
        """A model's JSON config for the graph plugin's conceptual graph (as Keras writes it)."""
        value = _string_field(1, tag) + _bytes_field(8, _string_tensor([model_json]))
        value += _bytes_field(9, _plugin_metadata("graph_keras_model", b"1"))
        self._write(_event(step, summary_values=[value]))

    def add_graph(self, nodes: Sequence[tuple[str, str, Sequence[str]]]) -> None:
        """A graph of ``(name, op, inputs)`` nodes (Graphs tab)."""
        self._write(_event(0, graph_def=graph_def(nodes)))

    def flush(self) -> None:
        if self._file is not None:
            self._file.flush()

    def close(self) -> None:
        """Close the file (further writes raise ``ValueError``)."""
        if self._file is not None:
            self._file.close()
            self._file = None
