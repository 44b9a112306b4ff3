"""Transparent statistical profiling: estimated risk of long-term unemployment as decision support.

The score helps a counselor; it never decides. See ``docs/profiling.md``.

>>> from parcours.stats.profiling import ProfilingModel
>>> model = ProfilingModel(target="long_term", groups=["sex"]).fit(table)   # doctest: +SKIP
>>> model.explain(table.head(1))[0].summary()                               # doctest: +SKIP
"""

from parcours.stats.profiling.card import build_model_card, model_card_html
from parcours.stats.profiling.explain import Explanation, Factor
from parcours.stats.profiling.fairness import FairnessAudit, GroupAudit, fairness_audit
from parcours.stats.profiling.metrics import (
    AUCComparison,
    CalibrationFit,
    brier_score,
    calibration_curve,
    calibration_slope_intercept,
    paired_auc_difference,
    roc_auc,
)
from parcours.stats.profiling.models import LIGHTGBM, LOGISTIC, ProfilingModel, ScoreCalibrator
from parcours.stats.profiling.persistence import load_model, save_model
from parcours.stats.profiling.preprocessing import TabularEncoder

__all__ = [
    "LIGHTGBM",
    "LOGISTIC",
    "AUCComparison",
    "CalibrationFit",
    "Explanation",
    "Factor",
    "FairnessAudit",
    "GroupAudit",
    "ProfilingModel",
    "ScoreCalibrator",
    "TabularEncoder",
    "brier_score",
    "build_model_card",
    "calibration_curve",
    "calibration_slope_intercept",
    "fairness_audit",
    "load_model",
    "model_card_html",
    "paired_auc_difference",
    "roc_auc",
    "save_model",
]
