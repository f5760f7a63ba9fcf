"""Getting matplotlib (only when a picture is drawn) and saving figures.

matplotlib is an optional dependency (``pip install ".[plot]"`` from a clone): nothing in
descend imports it until a plotting function runs. When there is no display
(a server, CI, a test run) the non-interactive Agg backend is selected, so
plots work headless and are saved as PNG files.

Examples
--------
>>> plt = pyplot()  # doctest: +SKIP
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

__all__ = ["finish", "pyplot"]


def _headless() -> bool:
    if os.environ.get("MPLBACKEND"):
        return False  # the user chose a backend
    if sys.platform.startswith("linux") or "bsd" in sys.platform:
        return not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return False


def pyplot() -> Any:
    """Import and return ``matplotlib.pyplot``, choosing Agg when there is no display.

    Raises
    ------
    ImportError
        If matplotlib is not installed, saying how to install it.
    """
    try:
        import matplotlib
    except ImportError:
        raise ImportError(
            "descend's plots need matplotlib, which is not installed. Install it with "
            "`pip install matplotlib` (or, from a clone of descend, `pip install \".[plot]\"`)."
        ) from None
    if "matplotlib.pyplot" not in sys.modules and _headless():
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def finish(fig: Any, path: Any = None, dpi: int = 100) -> Any:
    """Lay out ``fig``, save it as ``path`` (a PNG unless the suffix says otherwise), return it.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    path : str or PathLike, optional
        Where to save; parent folders are created.
    dpi : int, default 100
    """
    if path is not None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=dpi, bbox_inches="tight")
    return fig
