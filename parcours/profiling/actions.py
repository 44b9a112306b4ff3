"""Every state change of profiling: train and store a model, activate it, score episodes, override a
score. The views, the API, the admin and the command all call these functions."""

import hashlib
import io
import json
import logging
import math

import joblib
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from parcours.cases.locking import lock_for_update, save_with_version
from parcours.cases.models import CaseEvent, SupportEpisode
from parcours.profiling import dataset
from parcours.profiling.models import Band, ModelActivation, ProfilingModel, ProfilingScore, band_of
from parcours.profiling.scores import load_fitted
from parcours.stats.profiling import ProfilingModel as FittedModel
from parcours.stats.profiling import build_model_card, model_card_html
from parcours.stats.profiling.card import json_ready

logger = logging.getLogger(__name__)

DEFAULT_MIN_EPISODES = 200
TOP_FACTORS = 3


def min_episodes() -> int:
    return int(getattr(settings, "PARCOURS_PROFILING_MIN_EPISODES", DEFAULT_MIN_EPISODES))


def _next_version() -> str:
    stem = timezone.localdate().strftime("%Y.%m.%d")
    taken = set(ProfilingModel.objects.filter(version__startswith=stem).values_list("version", flat=True))
    n = 1
    while f"{stem}-{n}" in taken:
        n += 1
    return f"{stem}-{n}"


@transaction.atomic
def store_model(fitted: FittedModel, *, by=None, training_data: str = "") -> ProfilingModel:
    """Store a fitted core model, its evaluation and its model card as a new registry row."""
    card = build_model_card(fitted, language="fr")
    report = json_ready(fitted.evaluation_report())
    buffer = io.BytesIO()
    joblib.dump(fitted, buffer, compress=3)
    model = ProfilingModel.objects.create(
        version=fitted.version,
        trained_by=by,
        training_data=training_data,
        n_rows=fitted.n_rows_,
        outcome_definition=fitted.outcome_definition,
        features=list(fitted.features_),
        algorithm=fitted.chosen_,
        metrics={k: v for k, v in report.items() if k not in {"groups", "metrics"}},
        fairness=json_ready(fitted.fairness_.to_dict()),
        card=card,
        card_html=model_card_html(card),
        artefact=buffer.getvalue(),
    )
    logger.info("profiling_model=%s stored version=%s algorithm=%s", model.pk, model.version, model.algorithm)
    return model


def train_platform_model(by=None, activate: bool = True, *, today=None, **options) -> ProfilingModel | None:
    """Fit a model on the platform's own episodes whose outcome is known and store it (and activate
    it). Returns None, with a log line, when there are fewer than PARCOURS_PROFILING_MIN_EPISODES."""
    frame = dataset.training_frame(today=today)
    if len(frame) < min_episodes() or frame[dataset.TARGET].nunique() < 2:
        logger.info(
            "profiling training skipped reason=too_few_episodes n=%d minimum=%d", len(frame), min_episodes()
        )
        return None
    outcome = dataset.outcome_settings()
    version = _next_version()
    fitted = FittedModel(
        target=dataset.TARGET,
        features=dataset.FEATURES,
        groups=dataset.GROUPS,
        date=dataset.DATE,
        labels=dataset.LABELS,
        source="Parcours : accompagnements de la plateforme",
        outcome_definition=outcome["definition"],
        version=version,
        **options,
    ).fit(frame.reset_index(drop=True))
    start, end = frame[dataset.DATE].min(), frame[dataset.DATE].max()
    description = (
        f"{len(frame)} accompagnements de la plateforme commencés entre le {start} et le {end} "
        f"(au moins {outcome['horizon_days']} jours avant l'entraînement)"
    )
    model = store_model(fitted, by=by, training_data=description)
    if activate:
        activate_model(model, by=by)
    return model


@transaction.atomic
def activate_model(model: ProfilingModel, *, by=None) -> ProfilingModel:
    """Make ``model`` the only active model (new scores use it); the change is recorded."""
    locked = list(ProfilingModel.objects.select_for_update().filter(is_active=True).exclude(pk=model.pk))
    previous = locked[0] if locked else None
    ProfilingModel.objects.filter(pk__in=[m.pk for m in locked]).update(is_active=False)
    model.is_active = True
    model.activated_at = timezone.now()
    model.activated_by = by
    model.save(update_fields=["is_active", "activated_at", "activated_by"])
    ModelActivation.objects.create(model=model, previous=previous, by=by)
    logger.info(
        "profiling_model=%s activated previous=%s by=%s",
        model.pk,
        previous.pk if previous else None,
        by.pk if by else None,
    )
    return model


def _clean(value):
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):
        return value.item()
    return value


def _inputs_hash(model: ProfilingModel, record: dict) -> str:
    payload = json.dumps({"model": model.pk, "record": record}, sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


def score_episodes(episode_ids: list[int], *, model: ProfilingModel) -> list[ProfilingScore]:
    """Score open episodes with ``model``. Idempotent: an episode whose inputs did not change since
    its latest score keeps that score (returned) instead of getting a new one."""
    episodes = SupportEpisode.objects.open().filter(pk__in=episode_ids)
    frame = dataset.episodes_frame(episodes)
    if frame.empty:
        return []
    records = {
        pk: {f: _clean(row[f]) for f in dataset.FEATURES}
        for pk, row in frame[dataset.FEATURES].astype(object).iterrows()
    }
    hashes = {pk: _inputs_hash(model, record) for pk, record in records.items()}
    latest: dict[int, ProfilingScore] = {}
    for score in ProfilingScore.objects.filter(episode_id__in=list(records)).order_by(
        "episode_id", "-computed_at", "-pk"
    ):
        latest.setdefault(score.episode_id, score)
    unchanged = [latest[pk] for pk in records if pk in latest and latest[pk].inputs_hash == hashes[pk]]
    todo = [pk for pk in records if not (pk in latest and latest[pk].inputs_hash == hashes[pk])]
    if not todo:
        return unchanged
    fitted = load_fitted(model)
    explanations = fitted.explain(frame.loc[todo, dataset.FEATURES], top=TOP_FACTORS, language="fr")
    created = ProfilingScore.objects.bulk_create(
        ProfilingScore(
            episode_id=pk,
            model=model,
            score=explanation.risk,
            band=band_of(explanation.risk),
            top_factors=[json_ready(f.to_dict()) for f in explanation.factors],
            inputs_hash=hashes[pk],
        )
        for pk, explanation in zip(todo, explanations, strict=True)
    )
    logger.info("profiling scored n=%d unchanged=%d model=%s", len(created), len(unchanged), model.pk)
    return unchanged + created


@transaction.atomic
def override_score(
    score: ProfilingScore, *, by, band: str, reason: str, expected_version: int | None = None
) -> ProfilingScore:
    """The counselor keeps their own band, with a mandatory reason; recorded in the case file.

    The CaseEvent holds ids and codes only; the free-text reason stays on the score row."""
    reason = (reason or "").strip()
    errors = {}
    if not reason:
        errors["reason"] = "a reason is required to override a score"
    if band not in Band.values:
        errors["band"] = f"unknown band '{band}' (available: {', '.join(Band.values)})"
    if errors:
        raise ValidationError(errors)
    current = lock_for_update(
        score, expected_version, queryset=ProfilingScore.objects.select_related("episode")
    )
    previous = current.effective_band
    current.override_band = band
    current.override_reason = reason
    current.overridden_by = by
    current.overridden_at = timezone.now()
    save_with_version(current, ["override_band", "override_reason", "overridden_by", "overridden_at"])
    CaseEvent.objects.create(
        person_id=current.episode.person_id,
        episode=current.episode,
        actor=by,
        kind=CaseEvent.Kind.OTHER,
        data={
            "what": "profiling_override",
            "score": current.pk,
            "model": current.model_id,
            "band": band,
            "computed_band": current.band,
            "previous_band": previous,
        },
    )
    logger.info("profiling_score=%s overridden band=%s by=%s", current.pk, band, by.pk)
    return current
