"""JSON API of profiling: an episode's score and its override, the model registry, the public card.

Same rules as the pages: the episode goes through access.episodes (404 otherwise);
an override needs a counselor or manager of the episode's organisation on an open episode (403);
the registry list is for analysts, managers and administrators; the model card is public.
"""

import datetime
import uuid

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from ninja import Router, Schema
from ninja.errors import HttpError

from parcours.cases import access
from parcours.cases.models import SupportEpisode
from parcours.profiling import actions
from parcours.profiling.models import Band, ProfilingModel, ProfilingScore
from parcours.profiling.views import MONITORING_ROLES

router = Router(tags=["profilage"])


class FactorOut(Schema):
    feature: str
    text: str
    effect: str
    contribution: float


class ScoreOut(Schema):
    episode: uuid.UUID
    model_version: str
    score: float
    band: str
    effective_band: str
    top_factors: list[FactorOut]
    computed_at: datetime.datetime
    override_band: str
    override_reason: str
    overridden_at: datetime.datetime | None
    version: int
    notice: str = (
        "Ce score est une aide à la décision : la décision appartient au conseiller ou à la conseillère."
    )

    @staticmethod
    def from_score(score: ProfilingScore, episode: SupportEpisode) -> dict:
        return {
            "episode": episode.public_id,
            "model_version": score.model.version,
            "score": score.score,
            "band": score.band,
            "effective_band": score.effective_band,
            "top_factors": score.top_factors,
            "computed_at": score.computed_at,
            "override_band": score.override_band,
            "override_reason": score.override_reason,
            "overridden_at": score.overridden_at,
            "version": score.version,
        }


class OverrideIn(Schema):
    band: Band
    reason: str
    version: int | None = None


class ModelOut(Schema):
    version: str
    created_at: datetime.datetime
    algorithm: str
    n_rows: int
    outcome_definition: str
    features: list[str]
    is_active: bool
    activated_at: datetime.datetime | None
    metrics: dict


def _episode(request, public_id: uuid.UUID) -> SupportEpisode:
    return get_object_or_404(access.episodes(request.auth).select_related("person"), public_id=public_id)


def _latest(episode: SupportEpisode) -> ProfilingScore:
    score = (
        ProfilingScore.objects.filter(episode=episode)
        .select_related("model")
        .defer("model__artefact", "model__card_html", "model__card", "model__fairness")
        .order_by("-computed_at", "-pk")
        .first()
    )
    if score is None:
        raise HttpError(404, "no score for this episode yet")
    return score


@router.get("/episodes/{public_id}/score", response=ScoreOut, url_name="profiling_episode_score")
def episode_score(request, public_id: uuid.UUID):
    episode = _episode(request, public_id)
    access.log_read(episode.person, user=request.auth, route="api:profiling_episode_score")
    return ScoreOut.from_score(_latest(episode), episode)


@router.post("/episodes/{public_id}/score/override", response=ScoreOut, url_name="profiling_override")
def override(request, public_id: uuid.UUID, payload: OverrideIn):
    episode = _episode(request, public_id)
    if not episode.is_open or episode.organisation_id not in request.auth.case_organisation_ids():
        raise PermissionDenied("only counselors and managers of the episode's organisation may do this")
    score = _latest(episode)
    updated = actions.override_score(
        score, by=request.auth, band=payload.band, reason=payload.reason, expected_version=payload.version
    )
    return ScoreOut.from_score(updated, episode)


@router.get("/profiling/models", response=list[ModelOut], url_name="profiling_models")
def models(request):
    if not request.auth.organisation_ids(MONITORING_ROLES):
        raise PermissionDenied("analysts, managers and administrators only")
    return list(ProfilingModel.objects.defer("artefact", "card_html", "card", "fairness")[:100])


@router.get("/profiling/models/{version}/card", auth=None, url_name="profiling_model_card")
def model_card(request, version: str):
    model = get_object_or_404(ProfilingModel.objects.only("card"), version=version)
    return model.card
