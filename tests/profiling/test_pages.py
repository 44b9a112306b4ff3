from django.urls import reverse

from parcours.cases.models import AccessLog, CaseEvent
from parcours.profiling.models import ProfilingScore
from parcours.profiling.scores import score_band_for_episode
from tests.accounts.factories import member
from tests.cases.factories import EpisodeFactory
from tests.profiling.factories import ModelFactory, ScoreFactory

DECISION_NOTICE = "Ce score est une aide à la décision : la décision vous appartient."


def _url(episode):
    return reverse("profiling:episode_score", kwargs={"public_id": episode.public_id})


def test_counselor_sees_band_probability_factors_and_that_the_decision_is_theirs(client, counselor, episode):
    score = ScoreFactory(
        episode=episode,
        score=0.73,
        band="high",
        top_factors=[
            {
                "feature": "age",
                "text": "Âge au-dessus de la moyenne (52) (+0.40)",
                "effect": "augmente le risque",
                "contribution": 0.4,
            }
        ],
    )
    client.force_login(counselor)
    response = client.get(_url(episode))
    assert response.status_code == 200
    body = response.content.decode()
    assert DECISION_NOTICE in body
    assert "73 %" in body and "Élevé" in body
    assert "Âge au-dessus de la moyenne (52)" in body
    assert reverse("profiling:model_card_public", kwargs={"version": score.model.version}) in body
    assert AccessLog.objects.filter(
        person=episode.person, user=counselor, route="profiling:episode_score"
    ).exists()


def test_score_page_query_count_is_bounded(client, counselor, episode, django_assert_max_num_queries):
    for _ in range(5):
        ScoreFactory(episode=episode)
    client.force_login(counselor)
    with django_assert_max_num_queries(14):
        assert client.get(_url(episode)).status_code == 200


def test_override_without_reason_is_refused_and_keeps_the_input(client, counselor, episode):
    score = ScoreFactory(episode=episode, band="high")
    client.force_login(counselor)
    response = client.post(_url(episode), {"band": "low", "reason": "  ", "version": score.version})
    assert response.status_code == 400
    assert '<option value="low" selected>' in response.content.decode()
    score.refresh_from_db()
    assert not score.is_overridden


def test_override_with_reason_is_recorded(client, counselor, episode):
    score = ScoreFactory(episode=episode, band="high")
    client.force_login(counselor)
    response = client.post(
        _url(episode), {"band": "medium", "reason": "Reprise d'un CDD", "version": score.version}
    )
    assert response.status_code == 302
    score.refresh_from_db()
    assert (score.override_band, score.override_reason, score.overridden_by) == (
        "medium",
        "Reprise d'un CDD",
        counselor,
    )
    assert CaseEvent.objects.filter(episode=episode, data__what="profiling_override").count() == 1
    assert score_band_for_episode(episode) == "medium"


def test_stale_override_form_is_refused_without_overwriting(client, counselor, colleague, episode):
    score = ScoreFactory(episode=episode, band="high")
    client.force_login(counselor)
    client.post(_url(episode), {"band": "medium", "reason": "Premier avis", "version": score.version})
    client.force_login(colleague)
    response = client.post(_url(episode), {"band": "low", "reason": "Second avis", "version": score.version})
    assert response.status_code == 409
    assert "Second avis" in response.content.decode()
    score.refresh_from_db()
    assert score.override_band == "medium"


def test_outsider_gets_404_on_the_score_page(client, outsider, episode):
    ScoreFactory(episode=episode)
    client.force_login(outsider)
    assert client.get(_url(episode)).status_code == 404
    assert client.post(_url(episode), {"band": "low", "reason": "x", "version": 1}).status_code == 404


def test_follow_up_member_reads_but_cannot_override(client, follower, episode):
    ScoreFactory(episode=episode, band="high")
    client.force_login(follower)
    assert client.get(_url(episode)).status_code == 200
    assert client.post(_url(episode), {"band": "low", "reason": "x", "version": 1}).status_code == 403
    assert not ProfilingScore.objects.filter(overridden_at__isnull=False).exists()


def test_model_card_is_public(client, db):
    model = ModelFactory(version="2026.01.01-1")
    response = client.get(reverse("profiling:model_card_public", kwargs={"version": model.version}))
    assert response.status_code == 200
    assert "Aide à la décision" in response.content.decode()
    full = client.get(reverse("profiling:model_card_full", kwargs={"version": model.version}))
    assert full.status_code == 200 and b"fiche" in full.content
    assert client.get(reverse("profiling:model_card_public", kwargs={"version": "nope"})).status_code == 404


def test_analyst_and_manager_see_monitoring_with_bounded_queries(
    client, analyst, manager, organisation, counselor, django_assert_max_num_queries
):
    model = ModelFactory(is_active=True)
    for band in ["low", "medium", "high", "high"]:
        ScoreFactory(
            model=model, band=band, episode=EpisodeFactory(organisation=organisation, referent=counselor)
        )
    overridden = ScoreFactory(
        model=model, episode=EpisodeFactory(organisation=organisation, referent=counselor)
    )
    overridden.overridden_at, overridden.override_band = overridden.computed_at, "low"
    overridden.save()
    client.force_login(analyst)
    with django_assert_max_num_queries(11):
        response = client.get(reverse("profiling:monitoring"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "<svg" in body and "<title" in body
    assert "20 %" in body  # 1 override out of 5 scores
    client.force_login(manager)
    assert client.get(reverse("profiling:monitoring")).status_code == 200


def test_monitoring_query_count_does_not_grow_with_scores(
    client, analyst, organisation, counselor, django_assert_max_num_queries
):
    model = ModelFactory(is_active=True)
    for _ in range(20):
        ScoreFactory(model=model, episode=EpisodeFactory(organisation=organisation, referent=counselor))
    client.force_login(analyst)
    with django_assert_max_num_queries(11):
        assert client.get(reverse("profiling:monitoring")).status_code == 200


def test_counselor_cannot_see_monitoring(client, outsider, counselor):
    for user in (outsider, counselor):
        client.force_login(user)
        assert client.get(reverse("profiling:monitoring")).status_code == 403


def test_only_analysts_and_administrators_activate_a_model(client, analyst, counselor, db):
    model = ModelFactory()
    client.force_login(counselor)
    assert client.post(reverse("profiling:activate", kwargs={"version": model.version})).status_code == 403
    client.force_login(analyst)
    assert client.post(reverse("profiling:activate", kwargs={"version": model.version})).status_code == 302
    model.refresh_from_db()
    assert model.is_active


def test_calibration_uses_episodes_whose_outcome_is_known(client, analyst, organisation, counselor):
    import datetime

    from django.utils import timezone

    model = ModelFactory(is_active=True)
    old = timezone.localdate() - datetime.timedelta(days=500)
    found_job = EpisodeFactory(
        organisation=organisation,
        referent=counselor,
        started_on=old,
        closed=True,
        ended_on=old + datetime.timedelta(days=100),
        end_reason="employed_durable",
    )
    no_job = EpisodeFactory(organisation=organisation, referent=counselor, started_on=old, closed=True)
    recent = EpisodeFactory(organisation=organisation, referent=counselor)
    for ep in (found_job, no_job, recent):
        ScoreFactory(model=model, episode=ep, score=0.55)
    client.force_login(analyst)
    response = client.get(reverse("profiling:monitoring"))
    bins = response.context["bins"]
    assert [(b["bin"], b["n"], b["observed"]) for b in bins] == [(5, 2, 0.5)]


def test_another_organisations_manager_does_not_see_our_scores(
    client, other_organisation, organisation, counselor
):
    from parcours.accounts.models import Role

    model = ModelFactory(is_active=True)
    ScoreFactory(model=model, episode=EpisodeFactory(organisation=organisation, referent=counselor))
    client.force_login(member(other_organisation, Role.MANAGER))
    response = client.get(reverse("profiling:monitoring"))
    assert response.status_code == 200
    assert response.context["teams"] == []


def test_override_without_any_score_is_a_clear_error(client, counselor, episode):
    client.force_login(counselor)
    response = client.post(_url(episode), {"band": "low", "reason": "x", "version": 1})
    assert response.status_code == 400
    assert "Aucun score à modifier" in response.content.decode()
