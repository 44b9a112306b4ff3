"""Orientation: the rules table suggests, the counselor decides; a difference needs a reason, and
the decision changes the episode's intensity through cases.actions.change_intensity."""

import types

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from parcours.cases.models import CaseEvent, SupportEpisode
from parcours.diagnosis import actions, orientation
from parcours.diagnosis.models import Orientation, OrientationFacts
from parcours.diagnosis.orientation import FALLBACK, score_band_for, suggest, suggest_for_episode
from parcours.profiling.scores import score_band_for_episode
from tests.diagnosis.factories import BarrierFactory, DiagnosisFactory, OrientationRuleFactory

pytestmark = pytest.mark.django_db


def facts(**kwargs):
    kinds = kwargs.pop("kinds", ())
    return OrientationFacts(barrier_kinds=kinds, barrier_count=kwargs.pop("count", len(kinds)), **kwargs)


def test_rules_are_tried_by_ascending_priority():
    OrientationRuleFactory(priority=20, name="second", suggested_intensity="intensive")
    OrientationRuleFactory(
        priority=10, name="first", suggested_intensity="global", suggested_approach="global"
    )
    suggestion = suggest(facts())
    assert (suggestion.rule.name, suggestion.intensity, suggestion.approach) == ("first", "global", "global")


def test_each_condition_must_hold():
    OrientationRuleFactory(priority=1, name="many", min_barriers=3, suggested_intensity="global")
    OrientationRuleFactory(
        priority=2, name="housing", barrier_kinds=["housing", "justice"], suggested_intensity="intensive"
    )
    OrientationRuleFactory(
        priority=3, name="offline", digital_autonomy="none", suggested_approach="iterative"
    )
    OrientationRuleFactory(priority=4, name="high score", score_band="high", suggested_intensity="intensive")
    OrientationRuleFactory(priority=5, name="default", suggested_intensity="follow")
    assert suggest(facts(kinds=["housing", "family", "finances"])).rule.name == "many"
    assert suggest(facts(kinds=["justice"])).rule.name == "housing"
    assert suggest(facts(kinds=["family"], digital_autonomy="none")).rule.name == "offline"
    assert suggest(facts(digital_autonomy="partial", score_band="high")).rule.name == "high score"
    assert suggest(facts(digital_autonomy="partial", score_band=None)).rule.name == "default"
    assert (
        suggest(facts(kinds=["family"], digital_autonomy="autonomous", score_band="low")).rule.name
        == "default"
    )


def test_inactive_rules_are_skipped_and_no_rule_means_the_fallback():
    OrientationRuleFactory(priority=1, is_active=False, suggested_intensity="global")
    suggestion = suggest(facts())
    assert suggestion.rule is None
    assert (suggestion.intensity, suggestion.approach) == FALLBACK


def test_shipped_rules_load_once(capsys):
    from django.core.management import call_command

    from parcours.diagnosis.models import OrientationRule

    call_command("diagnosis", "load-orientation-rules")
    count = OrientationRule.objects.count()
    assert count >= 5
    call_command("diagnosis", "load-orientation-rules")
    assert OrientationRule.objects.count() == count
    assert suggest(facts(kinds=["health"])).intensity == "global"
    assert suggest(facts()).rule.name == "Règle par défaut"


def test_score_band_is_none_without_a_score(db):
    episode = types.SimpleNamespace(pk=1)
    assert score_band_for(episode) is None


def test_score_band_comes_from_the_provider_profiling_registers(monkeypatch, episode):
    monkeypatch.setattr(
        orientation, "_score_band_provider", lambda ep: "high" if ep.pk == episode.pk else None
    )
    OrientationRuleFactory(priority=1, name="high score", score_band="high", suggested_intensity="intensive")
    suggestion = suggest_for_episode(episode, can_see_sensitive=True)
    assert (suggestion.facts.score_band, suggestion.rule.name) == ("high", "high score")


def test_profiling_registers_its_score_band_at_start_up():
    assert orientation._score_band_provider is score_band_for_episode


def test_suggestion_counts_the_barriers_of_the_latest_completed_diagnosis(counselor, episode, questionnaire):
    OrientationRuleFactory(priority=1, name="two", min_barriers=2, suggested_intensity="global")
    older = DiagnosisFactory(episode=episode, completed=True)
    BarrierFactory(diagnosis=older, kind="housing")
    BarrierFactory(diagnosis=older, kind="health")
    assert suggest_for_episode(episode, can_see_sensitive=True).rule.name == "two"
    DiagnosisFactory(episode=episode)  # a draft does not count
    assert suggest_for_episode(episode, can_see_sensitive=True).facts.barrier_count == 2


def test_difference_from_the_suggestion_requires_a_reason(counselor, episode):
    OrientationRuleFactory(priority=1, suggested_intensity="guided", suggested_approach="sequential")
    with pytest.raises(ValidationError, match="reason"):
        actions.decide_orientation(
            episode, by=counselor, chosen_intensity="intensive", chosen_approach="sequential"
        )
    with pytest.raises(ValidationError):
        actions.decide_orientation(
            episode, by=counselor, chosen_intensity="guided", chosen_approach="global", reason="   "
        )
    assert not Orientation.objects.exists()


def test_following_the_suggestion_needs_no_reason(counselor, episode):
    OrientationRuleFactory(priority=1, suggested_intensity="global", suggested_approach="global")
    orientation = actions.decide_orientation(
        episode, by=counselor, chosen_intensity="global", chosen_approach="global"
    )
    assert orientation.follows_suggestion and orientation.reason == ""
    episode.refresh_from_db()
    assert (episode.intensity, episode.approach, episode.contact_target_days) == ("global", "global", 14)
    change = CaseEvent.objects.get(episode=episode, kind=CaseEvent.Kind.INTENSITY_CHANGED)
    assert change.data["reason"] == actions.FOLLOWED_SUGGESTION


def test_applying_an_orientation_changes_the_episode_with_case_events(client, counselor, episode):
    OrientationRuleFactory(priority=1, suggested_intensity="guided", suggested_approach="sequential")
    client.force_login(counselor)
    url = reverse("diagnosis:orientation", args=[episode.public_id])
    response = client.post(
        url,
        {
            "version": episode.version,
            "chosen_intensity": "intensive",
            "chosen_approach": "iterative",
            "reason": "Projet à confirmer par des mises en situation",
            "services": "Atelier CV\n\nPMSMP boulangerie\n",
        },
    )
    assert response.status_code == 302
    episode.refresh_from_db()
    assert (episode.intensity, episode.approach, episode.contact_target_days) == (
        "intensive",
        "iterative",
        14,
    )
    orientation = Orientation.objects.get()
    assert orientation.services == ["Atelier CV", "PMSMP boulangerie"]
    assert (orientation.suggested_intensity, orientation.chosen_intensity) == ("guided", "intensive")
    assert not orientation.follows_suggestion
    change = CaseEvent.objects.get(episode=episode, kind=CaseEvent.Kind.INTENSITY_CHANGED)
    assert change.data["reason"] == "Projet à confirmer par des mises en situation"
    decided = CaseEvent.objects.get(episode=episode, data__what="orientation_decided")
    assert decided.data["follows_suggestion"] is False and decided.actor == counselor


def test_orientation_form_without_reason_keeps_input(client, counselor, episode):
    OrientationRuleFactory(priority=1, suggested_intensity="guided", suggested_approach="sequential")
    client.force_login(counselor)
    response = client.post(
        reverse("diagnosis:orientation", args=[episode.public_id]),
        {
            "version": episode.version,
            "chosen_intensity": "global",
            "chosen_approach": "global",
            "services": "Aide au permis",
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "indiquez-en le motif" in page and "Aide au permis" in page
    assert SupportEpisode.objects.get(pk=episode.pk).intensity == "guided"


def test_orientation_on_a_stale_episode_is_refused(client, counselor, episode):
    client.force_login(counselor)
    stale = episode.version
    from parcours.cases.actions import change_stage

    change_stage(episode, by=counselor, stage="assessment")
    response = client.post(
        reverse("diagnosis:orientation", args=[episode.public_id]),
        {
            "version": stale,
            "chosen_intensity": "global",
            "chosen_approach": "global",
            "reason": "Freins multiples",
        },
    )
    assert response.status_code == 409
    assert not Orientation.objects.exists()
    assert "Freins multiples" in response.content.decode()


def test_reorientation_keeps_the_history_newest_first(
    client, counselor, colleague, episode, django_assert_max_num_queries
):
    OrientationRuleFactory(priority=1, suggested_intensity="guided", suggested_approach="sequential")
    actions.decide_orientation(episode, by=counselor, chosen_intensity="guided", chosen_approach="sequential")
    actions.decide_orientation(
        episode, by=counselor, chosen_intensity="global", chosen_approach="global", reason="Perte de logement"
    )
    assert list(Orientation.objects.filter(episode=episode).values_list("chosen_intensity", flat=True)) == [
        "global",
        "guided",
    ]
    client.force_login(colleague)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("diagnosis:orientation", args=[episode.public_id])).content.decode()
    rows = page.split("<caption>")[1].split("<tr>")[2:]
    assert len(rows) == 2
    assert "Perte de logement" in rows[0] and "écart à la suggestion" in rows[0]
    assert "Perte de logement" not in rows[1] and "écart" not in rows[1]


def test_sensitive_barrier_kinds_are_not_listed_for_a_colleague(
    client, counselor, colleague, episode, questionnaire
):
    diagnosis = DiagnosisFactory(episode=episode, completed=True)
    BarrierFactory(diagnosis=diagnosis, kind="justice")
    BarrierFactory(diagnosis=diagnosis, kind="housing")
    client.force_login(colleague)
    page = client.get(reverse("diagnosis:orientation", args=[episode.public_id])).content.decode()
    assert "Freins : 1 (Logement)</li>" in page  # labels, never codes; the hidden one not counted
    client.force_login(counselor)
    page = client.get(reverse("diagnosis:orientation", args=[episode.public_id])).content.decode()
    assert "Freins : 2 (Logement, Justice)</li>" in page


def test_orientation_api_counts_and_matches_only_what_the_reader_may_see(
    api, counselor, colleague, episode, questionnaire
):
    # Three barriers, two of them sensitive: a colleague must not learn from the count or from the
    # rule's name that hidden barriers exist (issue 14).
    OrientationRuleFactory(priority=1, name="trois freins", min_barriers=3, suggested_intensity="global")
    diagnosis = DiagnosisFactory(episode=episode, completed=True)
    for kind in ("health", "justice", "housing"):
        BarrierFactory(diagnosis=diagnosis, kind=kind)
    url = f"/episodes/{episode.public_id}/orientation"
    seen = api(colleague).get(url).json()["suggestion"]
    assert (seen["barrier_count"], seen["barrier_kinds"], seen["rule"]) == (1, ["housing"], None)
    full = api(counselor).get(url).json()["suggestion"]
    assert (full["barrier_count"], sorted(full["barrier_kinds"]), full["rule"]) == (
        3,
        ["health", "housing", "justice"],
        "trois freins",
    )
