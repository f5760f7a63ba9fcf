"""descend: how a neural network learns, from first principles.

A NumPy-only deep-learning library with its own reverse-mode automatic
differentiation behind the Keras API.
"""

from descend import config
from descend.autograd import Tensor, gradcheck, no_grad

__version__ = "0.1.0"
__all__ = ["Tensor", "config", "gradcheck", "no_grad"]
