"""Post-hire check-ins: the periodic job sends, reminds and expires them on a frozen clock; the
person answers through a one-time link, the employer only with consent and without the file; a
difficulty opens a job-retention action."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse

from parcours.cases.models import CaseEvent, Stage
from parcours.diagnosis.models import Action
from parcours.messaging.models import OutboundMessage
from parcours.outcomes import actions
from parcours.outcomes.models import CheckIn
from parcours.people.models import Consent
from tests.cases.factories import EpisodeFactory
from tests.text import mentions

pytestmark = pytest.mark.django_db

START = datetime.date(2026, 1, 5)


@pytest.fixture
def outcome(counselor, organisation):
    episode = EpisodeFactory(organisation=organisation, referent=counselor, stage=Stage.JOB_SEARCH)
    episode.person.email = "camille@example.org"
    episode.person.save()
    return actions.record_outcome(
        episode,
        by=counselor,
        contract_type="cdi",
        weekly_hours=Decimal("35"),
        start_on=START,
        job_title="Vendeur",
    )


def first(outcome) -> CheckIn:
    return outcome.checkins.get(horizon_months=1)


def statuses(outcome) -> list[str]:
    return list(outcome.checkins.order_by("horizon_months").values_list("status", flat=True))


def test_the_job_sends_reminds_then_marks_unknown_never_unemployed(outcome):
    due = first(outcome).due_on  # 5 February 2026
    with time_machine.travel(datetime.datetime(2026, 2, 4, 10, tzinfo=datetime.UTC), tick=False):
        assert actions.run_due_checkins() == {
            "sent": 0,
            "reminded": 0,
            "unknown": 0,
            "employer": 0,
            "employer_reminded": 0,
        }
    with time_machine.travel(datetime.datetime(2026, 2, 5, 10, tzinfo=datetime.UTC), tick=False):
        assert actions.run_due_checkins() == {
            "sent": 1,
            "reminded": 0,
            "unknown": 0,
            "employer": 0,
            "employer_reminded": 0,
        }
        assert actions.run_due_checkins() == {
            "sent": 0,
            "reminded": 0,
            "unknown": 0,
            "employer": 0,
            "employer_reminded": 0,
        }  # idempotent
    remind_day = due + datetime.timedelta(days=actions.REMIND_AFTER_DAYS)
    with time_machine.travel(
        datetime.datetime.combine(remind_day, datetime.time(10), datetime.UTC), tick=False
    ):
        assert actions.run_due_checkins() == {
            "sent": 0,
            "reminded": 1,
            "unknown": 0,
            "employer": 0,
            "employer_reminded": 0,
        }
    assert statuses(outcome)[0] == CheckIn.Status.REMINDED
    unknown_day = due + datetime.timedelta(days=actions.UNKNOWN_AFTER_DAYS)
    with time_machine.travel(
        datetime.datetime.combine(unknown_day, datetime.time(10), datetime.UTC), tick=False
    ):
        assert actions.run_due_checkins() == {
            "sent": 0,
            "reminded": 0,
            "unknown": 1,
            "employer": 0,
            "employer_reminded": 0,
        }
    checkin = first(outcome)
    assert (checkin.status, checkin.still_employed) == (CheckIn.Status.UNKNOWN, None)
    assert statuses(outcome)[1:] == [CheckIn.Status.SCHEDULED] * 3
    kinds = list(OutboundMessage.objects.order_by("pk").values_list("dedupe_key", flat=True))
    assert kinds == [f"checkin-{checkin.pk}-first", f"checkin-{checkin.pk}-reminder"]


def test_command_runs_as_of_a_date_and_refuses_a_bad_one(outcome, capsys):
    call_command("outcomes", "run-checkins", "--today", "2026-02-05", "--json")
    assert '"sent": 1' in capsys.readouterr().out
    with pytest.raises(CommandError) as error:
        call_command("outcomes", "run-checkins", "--today", "05/02/2026")
    assert error.value.returncode == 2


def test_person_answers_once_through_the_link_and_a_difficulty_opens_a_retention_action(
    client, outcome, counselor
):
    token = actions.create_checkin_link(first(outcome), by=counselor, respondent="person")
    url = reverse("outcomes:answer_by_link", kwargs={"token": token})
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {"still_employed": "yes", "same_employer": "yes", "weekly_hours": "30", "difficulties": ["mobility"]},
    )
    assert response.status_code == 200
    checkin = first(outcome)
    assert (checkin.status, checkin.respondent, checkin.difficulties) == ("answered", "person", ["mobility"])
    action = Action.objects.get(plan__episode=outcome.episode)
    assert action.suggestion_key == f"retention-checkin-{checkin.pk}"
    assert client.get(url).status_code == 404  # one time only
    event = CaseEvent.objects.get(data__what=actions.EVENT_CHECKIN_ANSWERED)
    assert event.data["difficulties"] == 1 and "mobility" not in str(event.data)


def test_a_forged_link_is_refused(client):
    response = client.get(reverse("outcomes:answer_by_link", kwargs={"token": "abc:def"}))
    assert response.status_code == 404


def test_employer_link_needs_the_persons_consent(outcome, counselor):
    with pytest.raises(PermissionDenied):
        actions.create_checkin_link(first(outcome), by=counselor, respondent="employer")
    Consent.objects.create(
        person=outcome.episode.person,
        organisation=outcome.episode.organisation,
        scope=Consent.Scope.EMPLOYER_CONTACT,
    )
    assert actions.create_checkin_link(first(outcome), by=counselor, respondent="employer")


def test_employer_sees_nothing_of_the_file_and_is_not_asked_about_difficulties(client, outcome, counselor):
    person = outcome.episode.person
    consent = Consent.objects.create(
        person=person, organisation=outcome.episode.organisation, scope=Consent.Scope.EMPLOYER_CONTACT
    )
    token = actions.create_checkin_link(first(outcome), by=counselor, respondent="employer")
    url = reverse("outcomes:answer_by_link", kwargs={"token": token})
    body = client.get(url).content.decode()
    assert not mentions(body, person.last_name) and "difficulties" not in body
    consent.withdrawn_at = consent.given_at
    consent.save()
    assert client.get(url).status_code == 404  # withdrawn consent spends the link


def test_counselor_records_a_call_and_health_difficulty_stays_hidden_from_colleagues(
    client, outcome, counselor, colleague
):
    client.force_login(counselor)
    checkin = first(outcome)
    prefix = f"c{checkin.pk}"
    response = client.post(
        reverse("outcomes:answer", kwargs={"checkin_id": checkin.pk}),
        {f"{prefix}-still_employed": "yes", f"{prefix}-difficulties": ["health"]},
    )
    assert response.status_code == 302
    page = reverse("outcomes:episode", kwargs={"public_id": outcome.episode.public_id})
    assert "Santé" in client.get(page).content.decode()
    client.force_login(colleague)
    assert "Santé" not in client.get(page).content.decode()


def test_a_settled_checkin_cannot_be_answered_again(outcome, counselor):
    actions.answer_checkin(first(outcome), by=counselor, respondent="counselor", still_employed=False)
    with pytest.raises(ValidationError, match="already settled"):
        actions.answer_checkin(first(outcome), by=counselor, respondent="counselor", still_employed=True)


def test_the_person_answers_a_due_checkin_in_the_portal_and_a_difficulty_opens_a_retention_action(
    client, outcome, django_assert_max_num_queries
):
    from tests.portal.factories import PersonAccountFactory, log_in_person

    first, later = outcome.checkins.order_by("due_on")[:2]
    with time_machine.travel(datetime.datetime(2026, 2, 6, 10, tzinfo=datetime.UTC), tick=False):
        log_in_person(client, PersonAccountFactory(person=outcome.episode.person))
        with django_assert_max_num_queries(8):
            page = client.get(reverse("portal:checkins"))
        body = page.content.decode()
        assert (
            page.status_code == 200 and body.count('type="submit" class="primary"') == 1
        )  # the due one only
        not_yet = client.post(reverse("portal:answer_checkin", args=[later.pk]), {"still_employed": "yes"})
        assert not_yet.status_code == 400 and "pas encore ouvert" in not_yet.content.decode()
        answer = {
            "still_employed": "yes",
            "same_employer": "yes",
            "weekly_hours": "35",
            "difficulties": ["mobility"],
        }
        response = client.post(reverse("portal:answer_checkin", args=[first.pk]), answer)
        assert response.status_code == 302
        again = client.post(reverse("portal:answer_checkin", args=[first.pk]), answer)
        assert again.status_code == 400
    first.refresh_from_db()
    assert (first.status, first.respondent, first.difficulties) == ("answered", "person", ["mobility"])
    assert Action.objects.filter(suggestion_key=f"retention-checkin-{first.pk}").count() == 1


def test_a_difficulty_suggests_the_catalogues_retention_services(client, outcome, counselor):
    from tests.catalogue.factories import ServiceFactory

    ServiceFactory(name="Garage solidaire", barriers=["mobility"])
    ServiceFactory(name="Atelier CV", barriers=["digital"])
    checkin = outcome.checkins.order_by("due_on").first()
    actions.answer_checkin(
        checkin, by=counselor, respondent="counselor", still_employed=True, difficulties=["mobility"]
    )
    client.force_login(counselor)
    page = client.get(reverse("outcomes:episode", kwargs={"public_id": outcome.episode.public_id}))
    body = page.content.decode()
    assert page.status_code == 200 and "Garage solidaire" in body and "Atelier CV" not in body
