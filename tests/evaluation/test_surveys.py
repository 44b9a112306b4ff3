import datetime
import hashlib
import re

import pytest
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from django.utils import timezone

from parcours.evaluation import surveys
from parcours.evaluation.models import (
    SMALL_CELL_THRESHOLD,
    Moment,
    Outbox,
    SurveyInvitation,
    SurveyResponse,
)
from tests.cases.factories import ContactFactory, EpisodeFactory
from tests.people.factories import PersonFactory

TODAY = datetime.date(2025, 6, 15)


def contacted(organisation, counselor, **person):
    episode = EpisodeFactory(organisation=organisation, referent=counselor, person=PersonFactory(**person))
    ContactFactory(episode=episode, occurred_at=timezone.make_aware(datetime.datetime(2025, 6, 10, 10)))
    return episode


def link_of(message_body: str) -> str:
    return (
        re.search(r"https?://\S+", message_body)
        .group(0)
        .split("testserver", 1)[-1]
        .replace("http://127.0.0.1:8000", "")
    )


def test_sending_is_idempotent_one_invitation_per_episode_and_moment(organisation, counselor):
    episode = contacted(organisation, counselor)
    closed = EpisodeFactory(
        organisation=organisation,
        referent=counselor,
        ended_on=TODAY - datetime.timedelta(days=3),
        end_reason="training",
        stage="closed",
    )
    hired = EpisodeFactory(
        organisation=organisation,
        referent=counselor,
        ended_on=TODAY - datetime.timedelta(days=190),
        end_reason="employed_durable",
        stage="closed",
    )
    first = surveys.send_due_surveys(TODAY)
    assert first[Moment.FIRST_INTERVIEW] == 1
    assert first[Moment.EPISODE_END] == 1
    assert first[Moment.SIX_MONTHS_AFTER_HIRE] == 1
    assert len(mail.outbox) == 3 == Outbox.objects.count()
    again = surveys.send_due_surveys(TODAY)
    assert sum(again.values()) == 0
    assert len(mail.outbox) == 3
    assert SurveyInvitation.objects.filter(episode=episode, moment=Moment.FIRST_INTERVIEW).count() == 1
    assert {i.episode_id for i in SurveyInvitation.objects.all()} == {episode.pk, closed.pk, hired.pk}


def test_person_without_reachable_channel_is_recorded_not_mailed(organisation, counselor):
    contacted(organisation, counselor, email="")
    surveys.send_due_surveys(TODAY)
    invitation = SurveyInvitation.objects.get()
    assert invitation.status == SurveyInvitation.Status.NO_CHANNEL
    assert mail.outbox == []


def test_sms_on_but_unconfigured_fails_loudly(organisation, counselor, settings):
    settings.USE_SMS = True
    settings.SMS_BACKEND = ""
    contacted(organisation, counselor, phone="0601020304", preferred_channels=["sms"])
    with pytest.raises(ImproperlyConfigured):
        surveys.send_due_surveys(TODAY)


def test_sms_with_console_backend_goes_to_the_outbox(organisation, counselor, settings):
    settings.USE_SMS = True
    settings.SMS_BACKEND = "console"
    contacted(organisation, counselor, phone="0601020304", preferred_channels=["sms", "email"])
    surveys.send_due_surveys(TODAY)
    assert Outbox.objects.get().channel == "sms"
    assert mail.outbox == []


def test_one_time_link_works_once_and_answer_is_pseudonymised(client, organisation, counselor):
    episode = contacted(organisation, counselor)
    surveys.send_due_surveys(TODAY)
    url = link_of(mail.outbox[0].body)
    assert client.get(url).status_code == 200
    bad = client.post(url, {"overall": "9"})
    assert bad.status_code == 400 and "Choisissez une note" in bad.content.decode()
    response = client.post(url, {"overall": "4", "listened": "5", "next_steps_clear": "yes"})
    assert response.status_code == 200
    answer = SurveyResponse.objects.get()
    assert answer.overall_score == 4 and answer.counselor == counselor and answer.organisation == organisation
    # No field of the answer points to a person, an episode or an invitation.
    related = {f.related_model._meta.label for f in SurveyResponse._meta.get_fields() if f.is_relation}
    assert related == {
        "evaluation.SurveyVersion",
        "accounts.User",
        "organisations.Organisation",
        "organisations.Site",
    }
    assert answer.person_key == surveys.keyed_hash("person", episode.person_id)  # stable
    assert answer.person_key != surveys.keyed_hash("person", episode.person_id + 1)
    # Keyed: not the plain hash anyone could recompute from an id.
    assert answer.person_key != hashlib.sha256(f"person:{episode.person_id}".encode()).hexdigest()
    # Used: the link is gone.
    assert client.get(url).status_code == 404
    assert client.post(url, {"overall": "1", "listened": "1", "next_steps_clear": "no"}).status_code == 404
    assert SurveyResponse.objects.count() == 1


def test_tampered_or_expired_link_is_404(client, organisation, counselor):
    contacted(organisation, counselor)
    surveys.send_due_surveys(TODAY)
    url = link_of(mail.outbox[0].body)
    assert client.get(url[:-3] + "xyz/").status_code == 404
    assert client.get(reverse("evaluation:answer_survey", args=["not-a-token"])).status_code == 404
    SurveyInvitation.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert client.get(url).status_code == 404


def make_answers(counselor, organisation, n, score=4, site=None):
    version = surveys.ensure_surveys()[Moment.EPISODE_END]
    SurveyResponse.objects.bulk_create(
        SurveyResponse(
            survey_version=version,
            moment=Moment.EPISODE_END,
            counselor=counselor,
            organisation=organisation,
            site=site,
            person_key=f"p{counselor.pk}-{i}",
            episode_key=f"e{counselor.pk}-{i}",
            answers={"overall": score},
            overall_score=score,
            answered_on=timezone.localdate(),
        )
        for i in range(n)
    )


def test_results_hide_ten_answers_and_show_eleven(organisation, counselor, colleague):
    assert SMALL_CELL_THRESHOLD == 11
    make_answers(counselor, organisation, 10, score=5)
    make_answers(colleague, organisation, 11, score=3)
    start, end = TODAY - datetime.timedelta(days=3650), timezone.localdate() + datetime.timedelta(days=1)
    rows = {
        r["counselor"]: r
        for r in surveys.results_by("counselor", organisation_filter(organisation), start, end)
    }
    assert rows[counselor.pk]["suppressed"] and rows[counselor.pk]["q_overall"] is None
    assert not rows[colleague.pk]["suppressed"] and rows[colleague.pk]["q_overall"] == 3


def organisation_filter(organisation):
    from django.db.models import Q

    return Q(organisation=organisation)


def test_my_feedback_page_and_right_of_reply_seen_by_manager(
    client, organisation, counselor, colleague, manager, django_assert_max_num_queries
):
    make_answers(counselor, organisation, 10, score=5)
    make_answers(colleague, organisation, 11, score=2)
    client.force_login(counselor)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("evaluation:my_feedback"))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Moins de 11 réponses" in html  # her own 10 answers
    assert "3,43" in html or "3.43" in html  # organisation: (10 * 5 + 11 * 2) / 21
    response = client.post(
        reverse("evaluation:my_feedback"), {"text": "Période de sous-effectif.", "version": ""}
    )
    assert response.status_code == 302
    # A stale version is refused and the text kept.
    stale = client.post(reverse("evaluation:my_feedback"), {"text": "Autre texte", "version": "0"})
    assert stale.status_code == 400 and "Autre texte" in stale.content.decode()
    client.force_login(manager)
    with django_assert_max_num_queries(15):
        team = client.get(reverse("evaluation:team_feedback"))
    text = team.content.decode()
    assert "Période de sous-effectif." in text
    assert "2,0" in text or "2.0" in text  # the colleague's 11 answers are shown


def test_counselor_cannot_open_team_feedback(client, counselor, analyst):
    client.force_login(counselor)
    assert client.get(reverse("evaluation:team_feedback")).status_code == 403
    client.force_login(analyst)
    assert client.get(reverse("evaluation:my_feedback")).status_code == 403
