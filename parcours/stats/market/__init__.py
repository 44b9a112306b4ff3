"""Labour-market computations without Django: salary parsing and realism, tension per occupation ×
territory, and the prediction of hires per establishment (the hidden job market).

- :mod:`~parcours.stats.market.salary` parses France Travail salary texts into monthly euros and
  summarises a distribution of offers' salaries against an expectation.
- :mod:`~parcours.stats.market.tension` computes the tension indicator (definition v1).
- :mod:`~parcours.stats.market.hiring` builds features from hiring declarations, fits a Poisson
  model of hires over the next months and evaluates it by the share of hires captured.

See ``docs/market.md``.
"""

from parcours.stats.market.hiring import HiringModel, build_features, capture_at, evaluate_hiring_model
from parcours.stats.market.salary import SalaryRange, SalarySummary, parse_salary, summarise_salaries
from parcours.stats.market.tension import TENSION_DEFINITION_VERSION, compute_tension

__all__ = [
    "TENSION_DEFINITION_VERSION",
    "HiringModel",
    "SalaryRange",
    "SalarySummary",
    "build_features",
    "capture_at",
    "compute_tension",
    "evaluate_hiring_model",
    "parse_salary",
    "summarise_salaries",
]
