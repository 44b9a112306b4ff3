"""The employer's one-time link on a schedule (issue 13): when a check-in comes due, the periodic
job sends the employer's link to the outcome's employer contact, through the messaging layer and
once only, if and only if the person's consent "contact de l'employeur" to the organisation is
active on that day. Frozen clock."""

import datetime
import re
from decimal import Decimal

import pytest
import time_machine
from django.core import mail

from parcours.cases import actions as case_actions
from parcours.cases.models import Stage
from parcours.messaging.models import OutboundMessage
from parcours.outcomes import actions
from parcours.outcomes.models import CheckIn, CheckInLink
from parcours.people.models import Consent
from parcours.portal.export import person_data
from tests.cases.factories import EpisodeFactory

pytestmark = pytest.mark.django_db

START = datetime.date(2026, 1, 5)  # the 1-month check-in is due on 5 February 2026
EMPLOYER = "rh@boulangerie.example"


def at(day: datetime.date):
    return time_machine.travel(datetime.datetime.combine(day, datetime.time(9), datetime.UTC), tick=False)


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
        employer_name="Boulangerie Martin",
        employer_email=EMPLOYER,
    )


def consent(outcome, counselor) -> Consent:
    episode = outcome.episode
    return case_actions.give_consent(
        episode.person, by=counselor, organisation=episode.organisation, scope=Consent.Scope.EMPLOYER_CONTACT
    )


def employer_messages():
    return OutboundMessage.objects.filter(dedupe_key__endswith="-employer")


def test_with_consent_the_employer_link_is_sent_once_when_the_checkin_comes_due(
    client, outcome, counselor, django_capture_on_commit_callbacks
):
    consent(outcome, counselor)
    first = outcome.checkins.get(horizon_months=1)
    with at(datetime.date(2026, 2, 4)):
        assert actions.run_due_checkins() == {
            "sent": 0,
            "reminded": 0,
            "unknown": 0,
            "employer": 0,
            "employer_reminded": 0,
        }
    with at(datetime.date(2026, 2, 5)), django_capture_on_commit_callbacks(execute=True):
        assert actions.run_due_checkins() == {
            "sent": 1,
            "reminded": 0,
            "unknown": 0,
            "employer": 1,
            "employer_reminded": 0,
        }
        assert actions.run_due_checkins() == {
            "sent": 0,
            "reminded": 0,
            "unknown": 0,
            "employer": 0,
            "employer_reminded": 0,
        }
    message = employer_messages().get()
    assert (message.kind, message.dedupe_key, message.channel, message.to, message.status) == (
        "employer_checkin",
        f"checkin-{first.pk}-employer",
        "email",
        EMPLOYER,
        OutboundMessage.Status.SENT,
    )
    assert message.person == outcome.episode.person  # about the person, kept with their file
    # the person's own copy of their data says what it was
    sent = person_data(outcome.episode.person)["messages_sent_to_me"]
    assert sorted(m["kind"] for m in sent) == ["Autre", "Point de suivi envoyé à l'employeur (avec accord)"]
    assert [m.to for m in mail.outbox] == [["camille@example.org"], [EMPLOYER]]
    assert list(
        CheckInLink.objects.filter(checkin=first).values_list("respondent", flat=True).order_by("pk")
    ) == [
        "person",
        "employer",
    ]
    # the link in the e-mail opens the employer's question, and nothing of the file
    path = re.search(r"https?://[^/]+(/\S+)", message.body).group(1)
    with at(datetime.date(2026, 2, 6)):
        page = client.get(path)
    assert page.status_code == 200
    assert "travaille-t-elle toujours dans votre établissement" in page.content.decode()
    assert "Difficultés rencontrées" not in page.content.decode()
    # still unanswered at the reminder: the person and the employer are reminded, once, with a
    # fresh link (the first one stays valid until it expires or the check-in is settled)
    with at(datetime.date(2026, 2, 19)):
        assert actions.run_due_checkins() == {
            "sent": 0, "reminded": 1, "unknown": 0, "employer": 0, "employer_reminded": 1,
        }  # fmt: skip
        assert actions.run_due_checkins() == {
            "sent": 0, "reminded": 0, "unknown": 0, "employer": 0, "employer_reminded": 0,
        }  # fmt: skip
    reminder = OutboundMessage.objects.get(dedupe_key=f"checkin-{first.pk}-employer-reminder")
    assert reminder.to == EMPLOYER and reminder.body.startswith("Petit rappel")
    assert CheckInLink.objects.filter(checkin=first, respondent="employer").count() == 2
    assert employer_messages().count() == 1  # the first message, unchanged
    # once the check-in is answered, nothing more goes to the employer
    actions.answer_checkin(
        first, by=counselor, respondent="counselor", still_employed=True, same_employer=True
    )
    with at(datetime.date(2026, 3, 20)):
        assert actions.run_due_checkins()["employer_reminded"] == 0


def test_the_employer_is_reminded_only_two_weeks_after_their_own_first_message(outcome, counselor):
    # consent given late: the first message goes out on 12 February, its reminder two weeks later,
    # not at the person's reminder date (19 February)
    with at(datetime.date(2026, 2, 5)):
        actions.run_due_checkins()
    consent(outcome, counselor)
    with at(datetime.date(2026, 2, 12)):
        assert actions.run_due_checkins()["employer"] == 1
    with at(datetime.date(2026, 2, 19)):
        assert actions.run_due_checkins()["employer_reminded"] == 0
    with at(datetime.date(2026, 2, 26)):
        assert actions.run_due_checkins()["employer_reminded"] == 1


def test_without_consent_nothing_is_sent_to_the_employer(outcome):
    with at(datetime.date(2026, 2, 5)):
        assert actions.run_due_checkins() == {
            "sent": 1,
            "reminded": 0,
            "unknown": 0,
            "employer": 0,
            "employer_reminded": 0,
        }
    assert employer_messages().count() == 0
    assert not CheckInLink.objects.filter(respondent=CheckIn.Respondent.EMPLOYER).exists()


def test_consent_withdrawn_before_the_due_date_stops_it(outcome, counselor):
    given = consent(outcome, counselor)
    with at(datetime.date(2026, 2, 1)):
        case_actions.withdraw_consent(given, by=counselor)
    with at(datetime.date(2026, 2, 5)):
        assert actions.run_due_checkins()["employer"] == 0
    assert employer_messages().count() == 0


def test_consent_given_after_the_due_date_sends_at_the_next_run_while_the_checkin_is_pending(
    outcome, counselor
):
    with at(datetime.date(2026, 2, 5)):
        assert actions.run_due_checkins()["employer"] == 0
    consent(outcome, counselor)
    with at(datetime.date(2026, 2, 6)):
        assert actions.run_due_checkins()["employer"] == 1
    # the next horizon has its own message
    with at(datetime.date(2026, 4, 5)):
        assert actions.run_due_checkins()["employer"] == 1
    keys = sorted(employer_messages().values_list("dedupe_key", flat=True))
    checkins = outcome.checkins.order_by("horizon_months")
    assert keys == sorted(f"checkin-{c.pk}-employer" for c in checkins[:2])


def test_without_an_employer_contact_nothing_is_sent(outcome, counselor):
    consent(outcome, counselor)
    outcome.employer_email = ""
    outcome.save()
    with at(datetime.date(2026, 2, 5)):
        assert actions.run_due_checkins()["employer"] == 0
    assert employer_messages().count() == 0
