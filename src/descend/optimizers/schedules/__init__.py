"""Learning-rate schedules: a learning rate that depends on the optimizer step.

Pass one as any optimizer's ``learning_rate``; it is evaluated at every
optimizer step (``optimizer.iterations``), as in Keras.

Examples
--------
>>> from descend import optimizers
>>> schedule = optimizers.schedules.ExponentialDecay(0.01, decay_steps=1000, decay_rate=0.9)
>>> optimizer = optimizers.SGD(learning_rate=schedule)
>>> optimizer.learning_rate
0.01
"""

from descend.optimizers.schedules.base import LearningRateSchedule
from descend.optimizers.schedules.cosine_decay import CosineDecay, CosineDecayRestarts
from descend.optimizers.schedules.exponential_decay import ExponentialDecay
from descend.optimizers.schedules.inverse_time_decay import InverseTimeDecay
from descend.optimizers.schedules.piecewise_constant_decay import PiecewiseConstantDecay
from descend.optimizers.schedules.polynomial_decay import PolynomialDecay
from descend.optimizers.schedules.serialization import deserialize, serialize

__all__ = [
    "CosineDecay",
    "CosineDecayRestarts",
    "ExponentialDecay",
    "InverseTimeDecay",
    "LearningRateSchedule",
    "PiecewiseConstantDecay",
    "PolynomialDecay",
    "deserialize",
    "serialize",
]
