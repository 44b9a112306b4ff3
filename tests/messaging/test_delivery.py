"""The delivery layer: channel choice, quiet hours, retries with backoff, batches that survive a
failure, opt-out, deduplication, and the `parcours messaging send-due` job."""

import datetime
import zoneinfo
from io import StringIO

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command

from parcours.messaging import actions, sms
from parcours.messaging.models import OptOut, OutboundMessage
from parcours.people.models import DigitalAutonomy
from tests.people.factories import PersonFactory

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
DAYTIME = datetime.datetime(2026, 3, 10, 10, 0, tzinfo=PARIS)
NIGHT = datetime.datetime(2026, 3, 10, 22, 30, tzinfo=PARIS)
KIND = OutboundMessage.Kind.OTHER


@pytest.fixture(autouse=True)
def _empty_sms_outbox():
    sms.outbox.clear()


class FailingBackend(sms.BaseSmsBackend):
    retryable = True

    def send(self, *, to, text):
        raise sms.DeliveryError("test:down", retryable=self.retryable)


# --- Channel ----------------------------------------------------------------------------------


def test_channel_follows_preferences(db):
    person = PersonFactory(email="a@example.org", phone="06 11 22 33 44", preferred_channels=["sms"])
    assert actions.choose_channel(person) == ("sms", "0611223344")
    person.preferred_channels = ["email"]
    assert actions.choose_channel(person) == ("email", "a@example.org")


def test_phone_preference_means_sms(db):
    person = PersonFactory(email="a@example.org", phone="0611223344", preferred_channels=["phone"])
    assert actions.choose_channel(person)[0] == "sms"


def test_low_digital_autonomy_prefers_sms_without_stated_preference(db):
    person = PersonFactory(email="a@example.org", phone="0611223344", digital_autonomy=DigitalAutonomy.NONE)
    assert actions.choose_channel(person)[0] == "sms"
    person.digital_autonomy = DigitalAutonomy.AUTONOMOUS
    assert actions.choose_channel(person)[0] == "email"


def test_opted_out_channel_is_skipped(db):
    person = PersonFactory(email="a@example.org", phone="0611223344", preferred_channels=["sms"])
    actions.opt_out(person, channel="sms")
    assert actions.choose_channel(person) == ("email", "a@example.org")
    actions.opt_out(person, channel="email")
    assert actions.choose_channel(person) is None


def test_no_sms_when_sms_is_off(db, settings):
    settings.SMS_BACKEND = ""
    person = PersonFactory(email="", phone="0611223344")
    assert actions.choose_channel(person) is None


# --- Queue and send -----------------------------------------------------------------------------


def test_queued_message_is_sent_after_commit(db, django_capture_on_commit_callbacks):
    person = PersonFactory(email="a@example.org")
    with time_machine.travel(DAYTIME, tick=False), django_capture_on_commit_callbacks(execute=True):
        message = actions.queue_message(person=person, kind=KIND, subject="Objet", body="Texte")
    message.refresh_from_db()
    assert (message.status, message.attempts, message.channel) == ("sent", 1, "email")
    assert mail.outbox[0].subject == "Objet" and mail.outbox[0].body == "Texte"


def test_person_without_any_route_is_recorded_as_suppressed(db):
    person = PersonFactory(email="", phone="")
    message = actions.queue_message(person=person, kind=KIND, body="Texte")
    assert (message.status, message.last_error) == ("suppressed", "no_channel")


def test_quiet_hours_hold_the_message_until_morning(db, django_capture_on_commit_callbacks):
    person = PersonFactory(email="a@example.org")
    with time_machine.travel(NIGHT, tick=False), django_capture_on_commit_callbacks(execute=True):
        message = actions.queue_message(person=person, kind=KIND, body="Texte")
    message.refresh_from_db()
    assert message.status == "queued"
    assert message.next_attempt_at == datetime.datetime(2026, 3, 11, 8, 0, tzinfo=PARIS)
    assert mail.outbox == []
    with time_machine.travel(datetime.datetime(2026, 3, 11, 8, 5, tzinfo=PARIS), tick=False):
        assert actions.deliver_due() == {"sent": 1, "retry": 0, "failed": 0}
    assert len(mail.outbox) == 1


def test_urgent_message_ignores_quiet_hours(db, django_capture_on_commit_callbacks):
    person = PersonFactory(email="a@example.org")
    with time_machine.travel(NIGHT, tick=False), django_capture_on_commit_callbacks(execute=True):
        message = actions.queue_message(person=person, kind=KIND, body="Texte", urgent=True)
    message.refresh_from_db()
    assert message.status == "sent"


def test_temporary_failure_is_retried_with_backoff_then_fails(db, settings):
    settings.SMS_BACKEND = "tests.messaging.test_delivery.FailingBackend"
    person = PersonFactory(email="", phone="0611223344")
    with time_machine.travel(DAYTIME, tick=False) as clock:
        message = actions.queue_message(person=person, kind=KIND, body="Texte")
        delays = []
        for _ in range(actions.MAX_ATTEMPTS):
            message = actions.deliver_message(message.pk)
            if message.status == "queued":
                delays.append(round((message.next_attempt_at - DAYTIME).total_seconds() / 60))
                clock.move_to(message.next_attempt_at)
    assert delays == [1, 1 + 5, 1 + 5 + 30, 1 + 5 + 30 + 120]
    assert (message.status, message.attempts, message.last_error) == ("failed", 5, "test:down")


def test_permanent_failure_is_not_retried(db, settings):
    settings.SMS_BACKEND = "tests.messaging.test_delivery.FailingBackend"
    FailingBackend.retryable = False
    try:
        person = PersonFactory(email="", phone="0611223344")
        with time_machine.travel(DAYTIME, tick=False):
            message = actions.queue_message(person=person, kind=KIND, body="Texte")
            message = actions.deliver_message(message.pk)
    finally:
        FailingBackend.retryable = True
    assert (message.status, message.attempts) == ("failed", 1)


def test_one_failing_message_does_not_stop_the_batch(db, monkeypatch):
    people = [PersonFactory(email=f"p{n}@example.org") for n in range(3)]
    with time_machine.travel(DAYTIME, tick=False):
        messages = [
            actions.queue_message(person=p, kind=KIND, body=f"Texte {n}") for n, p in enumerate(people)
        ]
        real_transport = actions._transport

        def transport(message, text):
            if message.pk == messages[1].pk:
                raise RuntimeError("a bug")
            return real_transport(message, text)

        monkeypatch.setattr(actions, "_transport", transport)
        counts = actions.deliver_due()
    assert counts == {"sent": 2, "retry": 0, "failed": 1}
    assert sorted(m.body for m in mail.outbox) == ["Texte 0", "Texte 2"]


def test_delivery_is_idempotent(db):
    person = PersonFactory(email="a@example.org")
    with time_machine.travel(DAYTIME, tick=False):
        message = actions.queue_message(person=person, kind=KIND, body="Texte")
        actions.deliver_message(message.pk)
        actions.deliver_message(message.pk)
    assert len(mail.outbox) == 1


def test_dedupe_key_sends_once(db):
    person = PersonFactory(email="a@example.org")
    first = actions.queue_message(person=person, kind=KIND, body="Texte", dedupe_key="rappel:1:J-1")
    second = actions.queue_message(person=person, kind=KIND, body="Texte", dedupe_key="rappel:1:J-1")
    assert first.pk == second.pk
    assert OutboundMessage.objects.count() == 1


def test_opt_out_suppresses_what_is_waiting(db):
    person = PersonFactory(email="a@example.org")
    with time_machine.travel(NIGHT, tick=False):
        message = actions.queue_message(person=person, kind=KIND, body="Texte")
    actions.opt_out(person, channel="email")
    message.refresh_from_db()
    assert (message.status, message.last_error) == ("suppressed", "opted_out")
    assert OptOut.objects.filter(person=person).count() == 1


def test_staff_recipient_gets_email(db, counselor):
    with time_machine.travel(NIGHT, tick=False):
        message = actions.queue_message(user=counselor, kind=KIND, body="Récapitulatif")
        message = actions.deliver_message(message.pk)
    assert message.status == "sent" and mail.outbox[0].to == [counselor.email]


def test_send_due_command(db):
    person = PersonFactory(email="a@example.org")
    with time_machine.travel(DAYTIME, tick=False):
        actions.queue_message(person=person, kind=KIND, body="Texte")
        out = StringIO()
        call_command("messaging", "send-due", stdout=out)
    assert out.getvalue().strip() == "sent=1 retry=0 failed=0"


# --- Person's preferences page -------------------------------------------------------------------


def test_person_opts_out_from_the_portal(client, db):
    from django.urls import reverse

    from tests.portal.factories import PersonAccountFactory, log_in_person

    account = PersonAccountFactory()
    log_in_person(client, account)
    response = client.post(reverse("portal:preferences"), {"sms": "on"})
    assert response.status_code == 302
    assert list(OptOut.objects.filter(person=account.person).values_list("channel", flat=True)) == ["email"]
    channels = client.get(reverse("portal:preferences")).context["channels"]
    assert [(c["value"], c["accepted"]) for c in channels] == [("email", False), ("sms", True)]
