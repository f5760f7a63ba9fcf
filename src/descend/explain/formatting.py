"""Printing arrays for people: all the numbers of a small array, a summary of a large one.

Examples
--------
>>> import numpy as np
>>> print(show(np.array([[0.5, -1.25]]), max_entries=6))
[[ 0.5 , -1.25]]
>>> print(show(np.arange(12.0).reshape(3, 4), max_entries=6))
shape (3, 4), norm 22.49, mean 5.5, min 0, max 11; first 6: [0, 1, 2, 3, 4, 5]
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["index_text", "num", "operand", "sample_indices", "show"]


def num(value: Any, digits: int = 6) -> str:
    """Format one number with ``digits`` significant digits (``-0`` shown as ``0``).

    Examples
    --------
    >>> num(0.000123456789), num(-0.0), num(float("nan"))
    ('0.000123457', '0', 'nan')
    """
    value = float(value)
    if value == 0.0:
        return "0"
    return f"{value:.{digits}g}"


def operand(value: Any, digits: int = 6) -> str:
    """Like :func:`num`, with a negative number in parentheses (for use after an operator).

    Examples
    --------
    >>> f"0.1 * {operand(-0.5)}"
    '0.1 * (-0.5)'
    """
    text = num(value, digits)
    return f"({text})" if text.startswith("-") else text


def show(array: Any, max_entries: int = 6, indent: str = "") -> str:
    """All entries of ``array`` if it has at most ``max_entries``, else a summary.

    Parameters
    ----------
    array : array_like
    max_entries : int, default 6
    indent : str, default ""
        Prefix for continuation lines of a printed matrix.

    Returns
    -------
    str
        The array (NumPy's layout, 6 significant digits) or ``shape, norm,
        mean, min, max`` and the first ``max_entries`` entries in memory order.
    """
    a = np.asarray(array)
    if a.dtype.kind not in "biu":
        a = a.astype(np.float64)
    if a.size <= max_entries:
        text = np.array2string(a, precision=6, separator=", ", suppress_small=False,
                               max_line_width=100)
        return text.replace("\n", "\n" + indent)
    flat = a.reshape(-1).astype(np.float64)
    with np.errstate(all="ignore"):
        stats = (f"shape {a.shape}, norm {num(np.linalg.norm(flat), 4)}, mean "
                 f"{num(flat.mean(), 4)}, min {num(flat.min(), 4)}, max {num(flat.max(), 4)}")
    first = ", ".join(num(v, 4) for v in flat[:max_entries])
    return f"{stats}; first {max_entries}: [{first}]"


def sample_indices(shape: tuple[int, ...], max_entries: int) -> list[tuple[int, ...]]:
    """The first ``max_entries`` indices of an array of ``shape``, in memory order.

    Examples
    --------
    >>> sample_indices((2, 3), 4)
    [(0, 0), (0, 1), (0, 2), (1, 0)]
    """
    size = int(np.prod(shape)) if shape else 1
    return [tuple(int(i) for i in np.unravel_index(k, shape)) if shape else ()
            for k in range(min(size, max_entries))]


def index_text(index: tuple[int, ...]) -> str:
    """``[0, 1]`` for a 2-D index, ``[3]`` for a 1-D one, ``""`` for a scalar.

    Examples
    --------
    >>> index_text((0, 1)), index_text(())
    ('[0, 1]', '')
    """
    return "[" + ", ".join(str(i) for i in index) + "]" if index else ""
