"""The retention policy: archive closed files after 2 years without activity, anonymise them 2
years later, delete access logs after 3 years; per-organisation delays; parcours privacy purge."""

import datetime
import io
import json

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from parcours.cases import access
from parcours.cases import actions as case_actions
from parcours.cases.models import AccessLog, CaseEvent, Contact
from parcours.people.models import Person
from parcours.privacy import actions
from parcours.privacy.models import RetentionPolicy
from tests.cases.factories import ContactFactory, EpisodeFactory

DAY = datetime.timedelta(days=1)


def _closed_file(organisation, referent, *, closed_at: datetime.datetime):
    """A person whose only episode was closed at `closed_at` (every write of that day dated then)."""
    with time_machine.travel(closed_at, tick=False):
        episode = EpisodeFactory(
            organisation=organisation, referent=referent, started_on=timezone.localdate() - 200 * DAY
        )
        case_actions.record_contact(episode, by=referent, channel="phone", summary="Bilan : problème de dos")
        episode.refresh_from_db()
        case_actions.close_episode(episode, by=referent, reason="employed_durable")
    return Person.objects.get(pk=episode.person_id)


def _purge(*args, at: datetime.datetime) -> dict:
    out = io.StringIO()
    with time_machine.travel(at, tick=False):
        call_command("privacy", "purge", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


@pytest.fixture
def now():
    return timezone.now()


def test_a_closed_file_is_archived_after_two_years_then_anonymised_two_years_later(
    organisation, counselor, now
):
    old = _closed_file(organisation, counselor, closed_at=now - 731 * DAY)
    recent = _closed_file(organisation, counselor, closed_at=now - 700 * DAY)
    still_open = EpisodeFactory(
        organisation=organisation, referent=counselor, started_on=(now - 2000 * DAY).date()
    )

    dry = _purge("--dry-run", at=now)

    assert dry == {"dry_run": True, "archived": 1, "anonymised": 0, "access_logs_deleted": 0}
    assert Person.objects.filter(archived_at__isnull=False).count() == 0

    done = _purge(at=now)

    assert done == {"dry_run": False, "archived": 1, "anonymised": 0, "access_logs_deleted": 0}
    old.refresh_from_db()
    recent.refresh_from_db()
    assert old.archived_at == now
    assert recent.archived_at is None
    assert Person.objects.get(pk=still_open.person_id).archived_at is None
    assert CaseEvent.objects.filter(person=old, data__what=actions.EVENT_ARCHIVED).count() == 1
    # archived: out of duplicate search and reopening
    assert not access.reachable_people(counselor).filter(pk=old.pk).exists()
    assert access.reachable_people(counselor).filter(pk=recent.pk).exists()
    # the same day again: nothing new (idempotent)
    assert _purge(at=now)["archived"] == 0

    # two years after the archiving: anonymised; the recent file is archived in the meantime
    later = now + 731 * DAY
    assert _purge(at=later) == {"dry_run": False, "archived": 1, "anonymised": 1, "access_logs_deleted": 0}
    old.refresh_from_db()
    assert (old.first_name, old.last_name, old.email, old.phone, old.address) == (
        "Personne",
        "anonymisée",
        "",
        "",
        "",
    )
    assert old.birth_date.month == 7 and old.birth_date.day == 1
    assert old.anonymised_at is not None
    contact = Contact.objects.get(episode__person=old)
    assert contact.summary == ""
    assert contact.channel == "phone"  # what the indicators count stays
    assert Person.objects.get(pk=recent.pk).anonymised_at is None


def test_an_organisation_may_keep_its_files_longer(
    organisation, other_organisation, counselor, outsider, now
):
    RetentionPolicy.objects.create(
        organisation=other_organisation, archive_after_days=3650, anonymise_after_days=3650
    )
    person = _closed_file(organisation, counselor, closed_at=now - 800 * DAY)
    # the same person was also followed by the other organisation: the longer delay wins
    with time_machine.travel(now - 800 * DAY, tick=False):
        EpisodeFactory(person=person, organisation=other_organisation, referent=outsider, closed=True)
    only_ours = _closed_file(organisation, counselor, closed_at=now - 800 * DAY)

    assert _purge(at=now)["archived"] == 1

    assert Person.objects.get(pk=person.pk).archived_at is None
    assert Person.objects.get(pk=only_ours.pk).archived_at is not None


def test_activity_on_the_file_postpones_archiving(organisation, counselor, now):
    person = _closed_file(organisation, counselor, closed_at=now - 900 * DAY)
    with time_machine.travel(now - 100 * DAY, tick=False):
        CaseEvent.objects.create(person=person, actor=counselor, kind=CaseEvent.Kind.PERSON_UPDATED, data={})

    assert _purge(at=now)["archived"] == 0
    assert _purge(at=now + 640 * DAY)["archived"] == 1


def test_access_logs_are_deleted_after_three_years(person, counselor, now):
    with time_machine.travel(now - 1096 * DAY, tick=False):
        access.log_read(person, user=counselor, route="people:detail")
    with time_machine.travel(now - 1094 * DAY, tick=False):
        access.log_read(person, user=counselor, route="people:detail")

    assert _purge("--dry-run", at=now)["access_logs_deleted"] == 1
    assert AccessLog.objects.count() == 2
    assert _purge(at=now)["access_logs_deleted"] == 1
    assert list(AccessLog.objects.values_list("at", flat=True)) == [now - 1094 * DAY]


def test_anonymising_is_refused_while_an_episode_is_open(episode, counselor):
    with pytest.raises(actions.PersonHasOpenEpisode):
        actions.anonymise_person(episode.person, by=counselor)
    assert Person.objects.get(pk=episode.person_id).anonymised_at is None


def test_the_purge_and_export_verbs_answer_help():
    for verb in ("purge", "export"):
        with pytest.raises(SystemExit) as exit_:
            call_command("privacy", verb, "--help", stdout=io.StringIO())
        assert exit_.value.code == 0


@pytest.mark.django_db
def test_contacts_of_an_anonymised_person_keep_their_dates(organisation, counselor, now):
    person = _closed_file(organisation, counselor, closed_at=now - 10 * DAY)
    ContactFactory(episode=person.episodes.get(), summary="Rendez-vous chez le psychiatre")
    before = sorted(
        Contact.objects.filter(episode__person=person).values_list(
            "occurred_at", "channel", "duration_minutes"
        )
    )

    actions.anonymise_person(person, by=counselor)

    assert (
        sorted(
            Contact.objects.filter(episode__person=person).values_list(
                "occurred_at", "channel", "duration_minutes"
            )
        )
        == before
    )
    assert set(Contact.objects.filter(episode__person=person).values_list("summary", flat=True)) == {""}
