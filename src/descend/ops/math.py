"""``descend.ops.math``: this family of Keras's ``keras.ops`` (see :mod:`descend.ops`)."""

from __future__ import annotations

__all__: list[str] = []
