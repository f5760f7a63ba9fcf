"""Looking inside training: one step in numbers, a training monitor, gradient checks, pictures.
"""

from descend.explain.monitor import TrainingMonitor, TrainingWarning
from descend.explain.step import StepRecord, explain_seed, step

__all__ = ["StepRecord", "TrainingMonitor", "TrainingWarning", "explain_seed", "step"]
