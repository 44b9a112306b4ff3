"""Cross-operator intensity ledger (parcours.cases.intensity, access.ledger_contacts): contacts of
another organisation count toward an episode's target, and show on the person page, only while the
person consents to share their file with the episode's organisation; the "autonomous online"
intensity is met only by remote contacts."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from parcours.accounts.models import Role
from parcours.cases import actions as case_actions
from parcours.cases import intensity as contact_rule
from parcours.cases.models import AccessLog, Intensity, Section, SupportEpisode
from parcours.conversations import actions as conversations
from parcours.people.models import Consent
from tests.accounts.factories import member


def _ago(days: int, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(
        datetime.datetime.combine(timezone.localdate() - datetime.timedelta(days=days), datetime.time(hour))
    )


@pytest.fixture
def ours(counselor, organisation, person):
    """Alice's episode, started 40 days ago, target 30 days, no contact: overdue."""
    return case_actions.open_episode(
        person,
        by=counselor,
        organisation=organisation,
        started_on=timezone.localdate() - datetime.timedelta(days=40),
        intensity=Intensity.GUIDED,
    )


@pytest.fixture(autouse=True)
def _no_factory_episode(episode):
    # The conftest's `person` comes with a factory episode of the same organisation: close it so
    # that `ours` is the organisation's one open episode of the person.
    SupportEpisode.objects.filter(pk=episode.pk).update(ended_on=timezone.localdate(), stage="closed")


@pytest.fixture
def theirs(other_organisation, person):
    """The same person's episode with the Mission locale, and one contact there 3 days ago."""
    worker = member(other_organisation, Role.COUNSELOR, username="marc")
    episode = case_actions.open_episode(
        person,
        by=worker,
        organisation=other_organisation,
        started_on=timezone.localdate() - datetime.timedelta(days=60),
    )
    case_actions.record_contact(
        episode, by=worker, channel="phone", occurred_at=_ago(3), summary="Point atelier CV"
    )
    case_actions.record_contact(
        episode,
        by=worker,
        channel="in_person",
        occurred_at=_ago(5),
        summary="Suivi médical évoqué",
        section=Section.HEALTH,
    )
    return episode


def _share(person, organisation, by):
    return case_actions.give_consent(person, by=by, organisation=organisation, scope=Consent.Scope.CASE_FILE)


def _ledger(client, person):
    response = client.get(reverse("people:detail", kwargs={"public_id": person.public_id}))
    assert response.status_code == 200
    return response, list(response.context["ledger_page"].object_list)


# --- The ledger on the person page ---------------------------------------------------------------


def test_the_other_organisations_contacts_show_only_with_the_persons_consent(
    client, counselor, person, ours, theirs
):
    client.force_login(counselor)
    response, rows = _ledger(client, person)
    assert rows == []
    assert "Point atelier CV" not in response.content.decode()

    _share(person, ours.organisation, counselor)
    response, rows = _ledger(client, person)
    assert [(c.episode_id, c.channel) for c in rows] == [(theirs.pk, "phone"), (theirs.pk, "in_person")]
    assert [c.readable for c in rows] == [True, False]
    html = response.content.decode()
    assert "Tous les contacts (toutes structures)" in html
    assert "Point atelier CV" in html
    assert "Suivi médical évoqué" not in html  # a sensitive section of another organisation
    assert "Mission locale de Roubaix" in html
    assert AccessLog.objects.filter(person=person, user=counselor, route="people:detail").count() == 2


def test_consent_for_another_organisation_does_not_open_the_ledger(
    client, counselor, person, ours, theirs, other_organisation
):
    _share(person, other_organisation, counselor)
    client.force_login(counselor)
    assert _ledger(client, person)[1] == []


def test_withdrawn_consent_closes_the_ledger_again(client, counselor, person, ours, theirs):
    consent = _share(person, ours.organisation, counselor)
    case_actions.withdraw_consent(consent, by=counselor)
    client.force_login(counselor)
    assert _ledger(client, person)[1] == []


# --- The intensity check ------------------------------------------------------------------------------


def test_a_consented_contact_elsewhere_keeps_the_episode_within_its_target(counselor, person, ours, theirs):
    today = timezone.localdate()
    ours.refresh_from_db()
    assert ours.next_contact_due == today - datetime.timedelta(days=10)
    assert SupportEpisode.objects.overdue().filter(pk=ours.pk).exists()

    consent = _share(person, ours.organisation, counselor)
    ours.refresh_from_db()
    assert ours.next_contact_due == today - datetime.timedelta(days=3) + datetime.timedelta(days=30)
    assert not SupportEpisode.objects.overdue().filter(pk=ours.pk).exists()
    assert ours.last_contact_at is None  # our own contact log is unchanged

    case_actions.withdraw_consent(consent, by=counselor)
    ours.refresh_from_db()
    assert ours.next_contact_due == today - datetime.timedelta(days=10)


def test_a_contact_recorded_elsewhere_after_the_consent_moves_the_due_date(counselor, person, ours, theirs):
    _share(person, ours.organisation, counselor)
    case_actions.record_contact(theirs, by=theirs.referent, channel="phone", occurred_at=_ago(1))
    ours.refresh_from_db()
    assert ours.next_contact_due == timezone.localdate() + datetime.timedelta(days=29)


def test_the_other_organisation_counts_ours_only_with_its_own_consent(counselor, person, ours, theirs):
    case_actions.record_contact(ours, by=counselor, channel="phone", occurred_at=_ago(1))
    theirs.refresh_from_db()
    # Consent is for our organisation only: theirs counts its own last contact, 3 days ago.
    _share(person, ours.organisation, counselor)
    theirs.refresh_from_db()
    assert theirs.next_contact_due == timezone.localdate() + datetime.timedelta(days=27)


def test_the_portfolio_flags_follow_the_shared_rule(client, counselor, person, ours, theirs):
    client.force_login(counselor)
    url = reverse("cases:portfolio") + "?overdue=on"
    assert [e.pk for e in client.get(url).context["page"].object_list] == [ours.pk]
    _share(person, ours.organisation, counselor)
    assert list(client.get(url).context["page"].object_list) == []


# --- Autonomous online ----------------------------------------------------------------------------------


@pytest.fixture
def online(counselor, organisation, person):
    return case_actions.open_episode(
        person,
        by=counselor,
        organisation=organisation,
        started_on=timezone.localdate() - datetime.timedelta(days=40),
        intensity=Intensity.ONLINE,
    )


def test_online_target_comes_from_the_settings(online, settings):
    assert online.contact_target_days == settings.PARCOURS_CONTACT_TARGET_DAYS["online"] == 30


def test_online_target_is_not_met_by_a_phone_call_but_by_a_message(counselor, online):
    today = timezone.localdate()
    case_actions.record_contact(online, by=counselor, channel="phone", occurred_at=_ago(2))
    online.refresh_from_db()
    assert online.last_contact_at == _ago(2)  # the call is in the log…
    assert online.next_contact_due == today - datetime.timedelta(days=10)  # …but does not count
    assert online.is_contact_overdue()

    conversations.start_thread(online, by=None, subject="Question", body="Bonjour, où en est mon dossier ?")
    online.refresh_from_db()
    assert online.next_contact_due == today + datetime.timedelta(days=30)
    assert not online.is_contact_overdue()


def test_online_target_is_met_by_video_and_by_a_self_booked_appointment(counselor, online):
    case_actions.record_contact(online, by=counselor, channel="video", occurred_at=_ago(20))
    online.refresh_from_db()
    assert online.next_contact_due == timezone.localdate() + datetime.timedelta(days=10)

    staff_booked = case_actions.plan_appointment(
        online, by=counselor, scheduled_at=_ago(8), channel="in_person"
    )
    case_actions.mark_appointment_held(staff_booked, by=counselor)
    online.refresh_from_db()
    assert online.next_contact_due == timezone.localdate() + datetime.timedelta(days=10)

    self_booked = case_actions.plan_appointment(online, by=None, scheduled_at=_ago(4), channel="in_person")
    case_actions.mark_appointment_held(self_booked, by=counselor)
    online.refresh_from_db()
    assert online.next_contact_due == timezone.localdate() + datetime.timedelta(days=26)


def test_changing_to_online_recomputes_the_due_date(counselor, ours):
    case_actions.record_contact(ours, by=counselor, channel="phone", occurred_at=_ago(2))
    ours.refresh_from_db()
    assert ours.next_contact_due == timezone.localdate() + datetime.timedelta(days=28)
    changed = case_actions.change_intensity(ours, by=counselor, intensity=Intensity.ONLINE, reason="Autonome")
    assert changed.next_contact_due == timezone.localdate() - datetime.timedelta(days=10)


def test_last_counted_contact_as_of_a_past_moment_reads_the_consents_of_that_moment(
    counselor, person, ours, theirs
):
    consent = _share(person, ours.organisation, counselor)
    Consent.objects.filter(pk=consent.pk).update(given_at=_ago(2))
    counted = (
        SupportEpisode.objects.filter(pk=ours.pk)
        .annotate(at=contact_rule.last_counted_contact(before=_ago(2, hour=9)))
        .get()
        .at
    )
    assert counted is None  # the consent came after
    counted = (
        SupportEpisode.objects.filter(pk=ours.pk).annotate(at=contact_rule.last_counted_contact()).get().at
    )
    assert counted == _ago(3)


# --- The new level through the form, the API and its schema ----------------------------------------


def test_the_episode_form_sets_the_online_level(client, counselor, episode):
    SupportEpisode.objects.filter(pk=episode.pk).update(ended_on=None, stage="welcome")
    client.force_login(counselor)
    response = client.post(
        reverse("cases:change_intensity", kwargs={"public_id": episode.public_id}),
        {"intensity": "online", "reason": "Autonome à distance", "version": 1},
    )
    assert response.status_code == 302
    episode.refresh_from_db()
    assert (episode.intensity, episode.contact_target_days) == ("online", 30)


def test_the_api_accepts_the_online_level_and_lists_it_in_its_schema(client, counselor, episode):
    from config.api import api
    from tests.people.test_api import Api

    SupportEpisode.objects.filter(pk=episode.pk).update(ended_on=None, stage="welcome")
    response = Api(client, counselor, None).post(
        f"/episodes/{episode.public_id}/intensity",
        {"intensity": "online", "reason": "Autonome", "version": 1},
    )
    assert response.status_code == 200, response.content
    assert (response.json()["intensity"], response.json()["contact_target_days"]) == ("online", 30)
    assert "online" in api.get_openapi_schema()["components"]["schemas"]["Intensity"]["enum"]


def test_the_lapse_outreach_skips_an_episode_kept_in_touch_elsewhere(counselor, person, ours, theirs):
    from parcours.conversations import outreach
    from parcours.messaging.models import OutboundMessage

    # Without consent our episode is late (due 10 days ago): the person is nudged about it.
    assert outreach.reach_out_on_lapses()["nudges"] == 1
    nudge = OutboundMessage.objects.get(kind=OutboundMessage.Kind.LAPSE_NUDGE)
    assert ours.organisation.name in nudge.body
    # With the consent the contact 3 days ago with the Mission locale counts: nothing is late.
    _share(person, ours.organisation, counselor)
    assert outreach.reach_out_on_lapses() == {"nudges": 0, "digests": 0, "escalations": 0}
