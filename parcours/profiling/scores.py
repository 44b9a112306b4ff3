"""Reading scores: the fitted model of a registry row (loaded once per process), the fast single-row
scorer, and the band that the orientation rules read (``score_band_for_episode``)."""

import functools
import io
import logging

import joblib

from parcours.profiling.models import ProfilingModel, ProfilingScore
from parcours.stats.profiling import ProfilingModel as FittedModel

logger = logging.getLogger(__name__)


@functools.lru_cache(maxsize=4)
def _fitted(model_id: int) -> FittedModel:
    # A registry row never changes its artefact, so the cache needs no invalidation.
    row = ProfilingModel.objects.only("artefact").get(pk=model_id)
    fitted = joblib.load(io.BytesIO(bytes(row.artefact)))
    if not isinstance(fitted, FittedModel):
        raise TypeError(f"profiling model {model_id} does not hold a fitted ProfilingModel")
    logger.info("profiling_model=%s loaded", model_id)
    return fitted


def load_fitted(model: ProfilingModel) -> FittedModel:
    """The fitted core model of a registry row, unpickled once per process."""
    return _fitted(model.pk)


def active_model() -> ProfilingModel | None:
    return ProfilingModel.objects.active().defer("artefact", "card_html").first()


def score_record(model: ProfilingModel, record: dict) -> float:
    """Calibrated probability for one episode given as {feature: value}: the core's fast path
    (no pandas), a fraction of a millisecond once the model is loaded."""
    return load_fitted(model).score_record(record)


def latest_score(episode) -> ProfilingScore | None:
    return ProfilingScore.objects.latest_for(episode)


def score_band_for_episode(episode) -> str | None:
    """'low' | 'medium' | 'high' | None: the counselor's band when they overrode the latest score,
    else the band of the latest score, else None (no score yet)."""
    score = latest_score(episode)
    return score.effective_band if score else None
