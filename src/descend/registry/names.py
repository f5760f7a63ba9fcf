"""Looking objects up by their Keras string identifiers, with helpful errors.

Every family that Keras lets users name by a string (activations, initializers,
regularizers, losses, metrics, optimizers, layers) keeps a dict from name to
object and resolves through :func:`lookup`, which rejects an unknown name with
the closest valid ones suggested.

Examples
--------
>>> table = {"relu": 1, "sigmoid": 2}
>>> lookup("activation", "relu", table)
1
>>> lookup("activation", "rleu", table)
Traceback (most recent call last):
...
ValueError: Unknown activation: 'rleu'. Did you mean 'relu'? Valid names: 'relu', 'sigmoid'.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any


def lookup(kind: str, name: str, table: Mapping[str, Any]) -> Any:
    """Return ``table[name]`` or raise a ``ValueError`` suggesting the closest names.

    Parameters
    ----------
    kind : str
        What is being looked up, used in the message (``"loss"``, ``"optimizer"``...).
    name : str
        The identifier the user gave.
    table : mapping
        Valid identifiers.
    """
    try:
        return table[name]
    except KeyError:
        pass
    except TypeError as exc:  # unhashable
        raise TypeError(f"Could not interpret {kind} identifier: {name!r}.") from exc
    lowered = {k.lower(): k for k in table}
    close = difflib.get_close_matches(str(name).lower(), list(lowered), n=3, cutoff=0.6)
    hint = ""
    if close:
        hint = " Did you mean " + " or ".join(repr(lowered[c]) for c in close) + "?"
    valid = ", ".join(repr(k) for k in sorted(table))
    raise ValueError(f"Unknown {kind}: {name!r}.{hint} Valid names: {valid}.")
