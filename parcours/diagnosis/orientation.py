"""Orientation suggestion: the facts of a diagnosis run through the administrators' rules table."""

import importlib
from dataclasses import dataclass

from parcours.cases.models import Approach, Intensity, SupportEpisode
from parcours.diagnosis.models import Diagnosis, OrientationFacts, OrientationRule, ScoreBand

# When no active rule matches (an empty table, or no default rule), the suggestion is the most
# common level; the page says that no rule applied.
FALLBACK = (Intensity.GUIDED, Approach.SEQUENTIAL)
# Where the profiling app may expose the person's score band (decision support only).
SCORE_BAND_PROVIDER = "parcours.profiling.scores"


def score_band_for(episode: SupportEpisode) -> str | None:
    """The profiling score band ('low', 'medium', 'high') of the episode's person, None without a score.

    The profiling app provides it as `parcours.profiling.scores.score_band_for_episode(episode)`;
    until that module exists, there is no score and the rules with a score band never match.
    """
    try:
        module = importlib.import_module(SCORE_BAND_PROVIDER)
    except ModuleNotFoundError as exc:
        if exc.name in {SCORE_BAND_PROVIDER, "parcours.profiling"}:
            return None
        raise
    band = module.score_band_for_episode(episode)
    return band if band in ScoreBand.values else None


@dataclass
class Suggestion:
    intensity: str
    approach: str
    rule: OrientationRule | None
    facts: OrientationFacts


def facts_for(
    episode: SupportEpisode, diagnosis: Diagnosis | None, score_band: str | None
) -> OrientationFacts:
    """All barriers count, sensitive ones included: the suggestion must not depend on who reads it."""
    kinds = list(diagnosis.barriers.values_list("kind", flat=True)) if diagnosis else []
    digital = (diagnosis.digital_autonomy if diagnosis else "") or episode.person.digital_autonomy
    return OrientationFacts(
        barrier_kinds=kinds, barrier_count=len(kinds), digital_autonomy=digital, score_band=score_band
    )


def suggest(facts: OrientationFacts) -> Suggestion:
    for rule in OrientationRule.objects.active().order_by("priority", "pk"):
        if rule.matches(facts):
            return Suggestion(rule.suggested_intensity, rule.suggested_approach, rule, facts)
    return Suggestion(*FALLBACK, None, facts)


def latest_diagnosis(episode: SupportEpisode) -> Diagnosis | None:
    return (
        Diagnosis.objects.completed()
        .filter(episode=episode)
        .select_related("questionnaire_version")
        .order_by("-completed_at", "-pk")
        .first()
    )


def suggest_for_episode(episode: SupportEpisode, diagnosis: Diagnosis | None = None) -> Suggestion:
    diagnosis = diagnosis or latest_diagnosis(episode)
    return suggest(facts_for(episode, diagnosis, score_band_for(episode)))
