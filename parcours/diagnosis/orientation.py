"""Orientation suggestion: the facts of a diagnosis run through the administrators' rules table."""

from collections.abc import Callable
from dataclasses import dataclass

from parcours.cases.models import Approach, Intensity, SupportEpisode
from parcours.diagnosis.models import Diagnosis, OrientationFacts, OrientationRule, ScoreBand

# When no active rule matches (an empty table, or no default rule), the suggestion is the most
# common level; the page says that no rule applied.
FALLBACK = (Intensity.GUIDED, Approach.SEQUENTIAL)


# The profiling app sits above diagnosis (its model reads the diagnoses), so it hands its band over
# at start-up: ProfilingConfig.ready registers `score_band_for_episode` here, the way apps register
# their event titles with parcours.cases.events. Decision support only.
_score_band_provider: Callable[[SupportEpisode], str | None] | None = None


def register_score_band_provider(provider: Callable[[SupportEpisode], str | None]) -> None:
    global _score_band_provider
    _score_band_provider = provider


def score_band_for(episode: SupportEpisode) -> str | None:
    """The profiling score band ('low', 'medium', 'high') of the episode's person, None without a score."""
    band = _score_band_provider(episode) if _score_band_provider is not None else None
    return band if band in ScoreBand.values else None


@dataclass
class Suggestion:
    intensity: str
    approach: str
    rule: OrientationRule | None
    facts: OrientationFacts


def facts_for(
    episode: SupportEpisode, diagnosis: Diagnosis | None, score_band: str | None, *, can_see_sensitive: bool
) -> OrientationFacts:
    """The facts the reader may see: without the sensitive section, health and justice barriers
    are left out of the kinds, of the count and so of the rule that matches, or the count and the
    rule's name would reveal them."""
    barriers = diagnosis.barriers.for_reader(can_see_sensitive) if diagnosis else None
    kinds = list(barriers.values_list("kind", flat=True)) if barriers is not None else []
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


def suggest_for_episode(
    episode: SupportEpisode, diagnosis: Diagnosis | None = None, *, can_see_sensitive: bool
) -> Suggestion:
    diagnosis = diagnosis or latest_diagnosis(episode)
    return suggest(
        facts_for(episode, diagnosis, score_band_for(episode), can_see_sensitive=can_see_sensitive)
    )
