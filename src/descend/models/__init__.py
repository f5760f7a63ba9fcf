"""Models: ``Sequential`` and the ``Model`` base class."""

from descend.models.model import Model
from descend.models.sequential import Sequential

__all__ = ["Model", "Sequential"]
