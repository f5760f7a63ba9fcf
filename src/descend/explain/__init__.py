"""Looking inside training: one step in numbers, a training monitor, gradient checks, pictures.
"""

from descend.explain.step import StepRecord, explain_seed, step

__all__ = ["StepRecord", "explain_seed", "step"]
