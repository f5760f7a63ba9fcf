"""Callbacks: hooks into ``fit``, ``evaluate`` and ``predict`` (``keras.callbacks`` names).

The training loop builds a :class:`CallbackList` of the user's callbacks followed by
:class:`History` and :class:`ProgbarLogger` (Keras's order), and calls its hooks.

Examples
--------
>>> from descend import callbacks
>>> stopper = callbacks.EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True)
>>> stopper.patience, stopper.monitor
(3, 'val_loss')
"""

from descend.callbacks.backup_and_restore import BackupAndRestore
from descend.callbacks.callback import Callback
from descend.callbacks.callback_list import CallbackList
from descend.callbacks.csv_logger import CSVLogger
from descend.callbacks.early_stopping import EarlyStopping
from descend.callbacks.history import History
from descend.callbacks.lambda_callback import LambdaCallback
from descend.callbacks.learning_rate_scheduler import LearningRateScheduler
from descend.callbacks.model_checkpoint import ModelCheckpoint
from descend.callbacks.monitor_callback import MonitorCallback
from descend.callbacks.progbar_logger import ProgbarLogger
from descend.callbacks.reduce_lr_on_plateau import ReduceLROnPlateau
from descend.callbacks.remote_monitor import RemoteMonitor
from descend.callbacks.stop_at_threshold import StopAtThreshold
from descend.callbacks.swap_ema_weights import SwapEMAWeights
from descend.callbacks.tensorboard import TensorBoard
from descend.callbacks.terminate_on_nan import TerminateOnNaN

__all__ = [
    "BackupAndRestore",
    "CSVLogger",
    "Callback",
    "CallbackList",
    "EarlyStopping",
    "History",
    "LambdaCallback",
    "LearningRateScheduler",
    "ModelCheckpoint",
    "MonitorCallback",
    "ProgbarLogger",
    "ReduceLROnPlateau",
    "RemoteMonitor",
    "StopAtThreshold",
    "SwapEMAWeights",
    "TensorBoard",
    "TerminateOnNaN",
]
