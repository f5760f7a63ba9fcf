"""Optimizers: how the weights move given their gradients (Keras's ``keras.optimizers``).

Each optimizer keeps the model's variables in one flat buffer per dtype, so an
update costs a handful of vectorised NumPy calls for the whole model.

Examples
--------
>>> import numpy as np
>>> from descend.autograd import Variable
>>> from descend import optimizers
>>> w = Variable([0.5, -0.5])
>>> optimizer = optimizers.get("sgd")
>>> optimizer.apply_gradients([(np.array([1.0, -1.0]), w)])
1
>>> w.numpy()
array([ 0.49, -0.49], dtype=float32)
"""

from descend.optimizers import schedules
from descend.optimizers.adadelta import Adadelta
from descend.optimizers.adafactor import Adafactor
from descend.optimizers.adagrad import Adagrad
from descend.optimizers.adam import Adam
from descend.optimizers.adamax import Adamax
from descend.optimizers.adamw import AdamW
from descend.optimizers.base import Optimizer
from descend.optimizers.ftrl import Ftrl
from descend.optimizers.lamb import Lamb
from descend.optimizers.lion import Lion
from descend.optimizers.loss_scale_optimizer import LossScaleOptimizer
from descend.optimizers.multi_optimizer import MultiOptimizer, OptimizerMap
from descend.optimizers.muon import Muon
from descend.optimizers.nadam import Nadam
from descend.optimizers.rmsprop import RMSprop
from descend.optimizers.schedule_free_adamw import ScheduleFreeAdamW
from descend.optimizers.serialization import deserialize, get, serialize
from descend.optimizers.sgd import SGD

__all__ = [
    "SGD",
    "Adadelta",
    "Adafactor",
    "Ftrl",
    "Lamb",
    "Lion",
    "LossScaleOptimizer",
    "Muon",
    "MultiOptimizer",
    "OptimizerMap",
    "Adagrad",
    "Adam",
    "AdamW",
    "Adamax",
    "Nadam",
    "Optimizer",
    "RMSprop",
    "ScheduleFreeAdamW",
    "deserialize",
    "get",
    "schedules",
    "serialize",
]
