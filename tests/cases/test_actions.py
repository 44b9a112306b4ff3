import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from parcours.accounts.models import Role
from parcours.cases import actions
from parcours.cases.models import Appointment, CaseEvent, Contact, ReferentAssignment, SupportEpisode
from tests.accounts.factories import member
from tests.people.factories import PersonFactory


def test_open_episode_sets_contact_target_from_intensity_and_logs(counselor, organisation):
    person = PersonFactory()
    episode = actions.open_episode(person, by=counselor, organisation=organisation, intensity="intensive")
    assert episode.contact_target_days == 14
    assert episode.next_contact_due == episode.started_on + datetime.timedelta(days=14)
    assert ReferentAssignment.objects.filter(episode=episode, referent=counselor).count() == 1
    assert CaseEvent.objects.filter(episode=episode, kind=CaseEvent.Kind.EPISODE_OPENED).exists()


def test_cannot_open_two_episodes_with_same_organisation(episode, counselor, organisation):
    with pytest.raises(ValidationError):
        actions.open_episode(episode.person, by=counselor, organisation=organisation)


def test_referent_must_belong_to_the_organisation(counselor, outsider, organisation):
    with pytest.raises(ValidationError):
        actions.open_episode(PersonFactory(), by=counselor, organisation=organisation, referent=outsider)


def test_record_contact_moves_next_due_date(episode, counselor):
    occurred = timezone.now() - datetime.timedelta(days=2)
    actions.record_contact(episode, by=counselor, channel="phone", occurred_at=occurred, summary="Appel")
    episode.refresh_from_db()
    assert episode.last_contact_at == occurred
    assert episode.next_contact_due == timezone.localdate(occurred) + datetime.timedelta(days=30)
    # An older contact recorded later does not move the last contact back.
    actions.record_contact(
        episode, by=counselor, channel="email", occurred_at=occurred - datetime.timedelta(days=9)
    )
    episode.refresh_from_db()
    assert episode.last_contact_at == occurred
    assert CaseEvent.objects.filter(episode=episode, kind=CaseEvent.Kind.CONTACT_RECORDED).count() == 2


def test_record_contact_keeps_first_contact_and_count(episode, counselor):
    assert (episode.first_contact_at, episode.contact_count) == (None, 0)
    occurred = timezone.now() - datetime.timedelta(days=2)
    actions.record_contact(episode, by=counselor, channel="phone", occurred_at=occurred)
    episode.refresh_from_db()
    assert (episode.first_contact_at, episode.contact_count) == (occurred, 1)
    earlier = occurred - datetime.timedelta(days=5)
    actions.record_contact(episode, by=counselor, channel="email", occurred_at=earlier)
    actions.record_contact(episode, by=counselor, channel="email")
    episode.refresh_from_db()
    assert (episode.first_contact_at, episode.contact_count) == (earlier, 3)
    assert episode.contact_count == episode.contacts.count()


def test_refresh_contact_summary_rebuilds_from_the_contact_log(episode, counselor, organisation):
    from parcours.cases.summary import refresh_contact_summary

    occurred = timezone.now() - datetime.timedelta(days=3)
    actions.record_contact(episode, by=counselor, channel="phone", occurred_at=occurred)
    actions.record_contact(episode, by=counselor, channel="phone")
    silent = actions.open_episode(PersonFactory(), by=counselor, organisation=organisation)
    SupportEpisode.objects.update(first_contact_at=timezone.now(), contact_count=42)  # broken on purpose
    assert refresh_contact_summary() == 2
    episode.refresh_from_db()
    silent.refresh_from_db()
    assert (episode.first_contact_at, episode.contact_count) == (occurred, 2)
    assert (silent.first_contact_at, silent.contact_count) == (None, 0)
    SupportEpisode.objects.filter(pk=episode.pk).update(contact_count=0)
    assert refresh_contact_summary([episode.pk]) == 1
    episode.refresh_from_db()
    assert episode.contact_count == 2


def test_contact_in_the_future_is_refused(episode, counselor):
    with pytest.raises(ValidationError):
        actions.record_contact(
            episode, by=counselor, channel="phone", occurred_at=timezone.now() + datetime.timedelta(days=1)
        )


def test_only_referent_writes_sensitive_sections(episode, counselor, colleague):
    with pytest.raises(PermissionDenied):
        actions.record_contact(episode, by=colleague, channel="phone", section="health")
    actions.record_contact(episode, by=counselor, channel="phone", section="health", summary="Suivi médical")
    assert Contact.objects.filter(section="health").count() == 1


def test_overdue_queryset_matches_model_rule(episode, counselor):
    today = timezone.localdate()
    episode.next_contact_due = today - datetime.timedelta(days=1)
    episode.save()
    assert episode.is_contact_overdue(today)
    assert list(SupportEpisode.objects.overdue(today)) == [episode]
    actions.record_contact(episode, by=counselor, channel="sms")
    episode.refresh_from_db()
    assert not episode.is_contact_overdue(today)
    assert not SupportEpisode.objects.overdue(today).exists()


def test_change_intensity_requires_a_reason_and_keeps_history(episode, counselor):
    with pytest.raises(ValidationError):
        actions.change_intensity(episode, by=counselor, intensity="global", reason="  ")
    actions.change_intensity(
        episode, by=counselor, intensity="global", reason="Freins sociaux", approach="global"
    )
    episode.refresh_from_db()
    assert (episode.intensity, episode.approach, episode.contact_target_days) == ("global", "global", 14)
    event = CaseEvent.objects.get(episode=episode, kind=CaseEvent.Kind.INTENSITY_CHANGED)
    assert event.data["from"]["intensity"] == "guided" and event.data["reason"] == "Freins sociaux"


def test_hand_over_keeps_every_referent_in_history(episode, counselor, colleague, organisation):
    third = member(organisation, Role.MANAGER)
    actions.hand_over_episode(episode, by=counselor, to_referent=colleague, reason="Congé")
    actions.hand_over_episode(episode, by=colleague, to_referent=third, reason="Retour")
    history = list(ReferentAssignment.objects.filter(episode=episode).values_list("referent_id", "ended_at"))
    assert [h[0] for h in history] == [counselor.pk, colleague.pk, third.pk]
    assert history[0][1] is not None and history[1][1] is not None and history[2][1] is None
    episode.refresh_from_db()
    assert episode.referent == third


def test_hand_over_to_another_organisation_is_refused(episode, counselor, outsider):
    with pytest.raises(ValidationError):
        actions.hand_over_episode(episode, by=counselor, to_referent=outsider, reason="x")


def test_appointment_lifecycle(episode, counselor):
    past = timezone.now() - datetime.timedelta(hours=1)
    held = actions.plan_appointment(episode, by=counselor, scheduled_at=past, channel="video")
    actions.mark_appointment_held(held, by=counselor, summary="Entretien")
    held.refresh_from_db()
    assert held.status == Appointment.Status.HELD and held.contact.channel == "video"
    missed = actions.plan_appointment(episode, by=counselor, scheduled_at=past, channel="in_person")
    actions.mark_appointment_missed(missed, by=counselor)
    cancelled = actions.plan_appointment(
        episode, by=counselor, scheduled_at=timezone.now() + datetime.timedelta(days=1), channel="phone"
    )
    actions.cancel_appointment(cancelled, by=counselor, cancelled_by="person")
    cancelled.refresh_from_db()
    assert cancelled.cancelled_by == "person"
    with pytest.raises(ValidationError):
        actions.mark_appointment_held(cancelled, by=counselor)
    kinds = set(CaseEvent.objects.filter(episode=episode).values_list("kind", flat=True))
    assert {"appointment_planned", "appointment_held", "appointment_missed", "appointment_cancelled"} <= kinds


def test_appointment_cannot_be_held_before_it_starts(episode, counselor):
    future = actions.plan_appointment(
        episode, by=counselor, scheduled_at=timezone.now() + datetime.timedelta(days=3), channel="phone"
    )
    with pytest.raises(ValidationError):
        actions.mark_appointment_held(future, by=counselor)
