"""Evaluation of randomised experiments: assignment, impact estimation, power and cost-benefit.

Django-free: arrays and DataFrames in, result objects out. See ``docs/evaluation.md``.
"""

from parcours.stats.evaluation.assignment import (
    SequentialAssigner,
    cluster_assignment,
    complete_assignment,
    hashed_assign,
    sequential_assign,
    simple_assignment,
    stratified_assignment,
    two_level_assignment,
)
from parcours.stats.evaluation.costbenefit import (
    cost_per_additional_employed,
    cost_per_participant,
    net_present_value,
)
from parcours.stats.evaluation.estimate import (
    DisplacementResult,
    HeterogeneityResult,
    ITTEstimator,
    LATEEstimator,
    estimate_displacement,
    estimate_heterogeneity,
    estimate_itt,
    estimate_late,
)
from parcours.stats.evaluation.inference import (
    EffectResult,
    RandomizationResult,
    WaldTest,
    randomization_test,
)
from parcours.stats.evaluation.power import achieved_power, minimum_detectable_effect, sample_size

__all__ = [
    "DisplacementResult",
    "EffectResult",
    "HeterogeneityResult",
    "ITTEstimator",
    "LATEEstimator",
    "RandomizationResult",
    "SequentialAssigner",
    "WaldTest",
    "achieved_power",
    "cluster_assignment",
    "complete_assignment",
    "cost_per_additional_employed",
    "cost_per_participant",
    "estimate_displacement",
    "estimate_heterogeneity",
    "estimate_itt",
    "estimate_late",
    "hashed_assign",
    "minimum_detectable_effect",
    "net_present_value",
    "randomization_test",
    "sample_size",
    "sequential_assign",
    "simple_assignment",
    "stratified_assignment",
    "two_level_assignment",
]
