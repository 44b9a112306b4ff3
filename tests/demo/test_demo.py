import datetime

import numpy as np
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import Count, Max, Min
from django.utils import timezone

from parcours.accounts.models import User
from parcours.agenda.actions import bookable_slots
from parcours.agenda.models import AvailabilityRule
from parcours.cases import access, partitions
from parcours.cases import intensity as contact_rule
from parcours.cases.models import (
    TRANSITIONS,
    Appointment,
    CaseEvent,
    Contact,
    Intensity,
    ReferentAssignment,
    Stage,
    StageTransition,
    SupportEpisode,
)
from parcours.catalogue.models import Referral
from parcours.conversations.models import Thread
from parcours.demo import generator, loader
from parcours.demo import reference as ref
from parcours.demo.loader import delete_case_data, load_demo
from parcours.demo.portal import DEMO_PERSON_LOGIN
from parcours.evaluation.models import Dimension, Granularity, IndicatorValue
from parcours.organisations.models import Organisation, Territory
from parcours.people.models import Consent, Person, StatusPeriod
from parcours.portal.actions import login_with_password

PEOPLE = 60


def load(**options):
    call_command("demo", people=options.pop("people", PEOPLE), verbosity=0, **options)


@pytest.fixture
def demo(db):
    load(seed=1)


def fingerprint():
    return {
        "people": sorted(
            Person.objects.values_list("first_name", "last_name", "birth_date", "status", "commune__name")
        ),
        "episodes": sorted(
            SupportEpisode.objects.values_list(
                "person__last_name", "started_on", "ended_on", "stage", "intensity", "referent__username"
            ),
            key=repr,
        ),
        "contacts": sorted(
            Contact.objects.values_list("episode__person__last_name", "occurred_at", "channel")
        ),
        "counts": [
            model.objects.count()
            for model in (StatusPeriod, Consent, StageTransition, ReferentAssignment, Appointment, CaseEvent)
        ],
    }


def test_demo_builds_a_territory_of_real_communes_and_several_kinds_of_organisation(demo):
    lille = Territory.objects.get(level="commune", insee_code="59350")
    assert lille.name == "Lille"
    assert lille.postcode_codes == ["59000", "59160", "59260", "59777", "59800"]
    assert lille.parent.insee_code == "59"
    assert lille.parent.parent.insee_code == "32"
    assert Territory.objects.get(level="commune", insee_code="62498").parent.name == "Pas-de-Calais"
    kinds = set(Organisation.objects.values_list("kind", flat=True))
    assert {"pes", "youth_mission", "disability_operator", "association", "private_provider"} <= kinds
    assert {"training_body", "local_authority"} <= kinds
    assert all(o.sites.exists() for o in Organisation.objects.all())


def test_demo_counts_are_in_plausible_ranges(demo):
    assert Person.objects.count() == PEOPLE
    episodes = SupportEpisode.objects.count()
    assert PEOPLE <= episodes <= 2 * PEOPLE
    assert not Person.objects.filter(episodes__isnull=True).exists()
    assert 5 * episodes <= Contact.objects.count() <= 60 * episodes
    assert 0.3 * episodes <= SupportEpisode.objects.open().count() <= 0.9 * episodes
    assert StatusPeriod.objects.filter(ended_on__isnull=True).count() == PEOPLE
    assert Consent.objects.count() > 0


def test_denormalised_contact_summary_matches_the_contact_log(demo):
    episodes = SupportEpisode.objects.annotate(
        latest=Max("contacts__occurred_at"), earliest=Min("contacts__occurred_at"), n=Count("contacts")
    ).select_related("person")
    assert episodes.exists()
    for episode in episodes:
        assert episode.latest is not None
        assert episode.last_contact_at == episode.latest
        assert episode.first_contact_at == episode.earliest
        assert episode.contact_count == episode.n
        assert episode.commune_id == episode.person.commune_id
        if not episode.is_open:
            assert episode.next_contact_due == timezone.localdate(episode.latest) + datetime.timedelta(
                days=episode.contact_target_days
            )
    # Open episodes: the due date follows the intensity check (contacts elsewhere under the
    # person's consent, remote contacts only for "autonomous online").
    for episode in SupportEpisode.objects.open().annotate(counted=contact_rule.last_counted_contact()):
        assert episode.next_contact_due == contact_rule.due_date(episode, episode.counted)
    assert not Contact.objects.filter(occurred_at__gt=timezone.now()).exists()


def test_the_demo_has_an_online_person_and_computes_the_lapse_rate(demo):
    online = SupportEpisode.objects.open().filter(intensity=Intensity.ONLINE)
    assert online.filter(person__portal_account__isnull=False).exists()  # the demo person, "personne"
    # This month's snapshot of the lapse rate (computed by the demo, as of today) is the share of
    # open episodes the portfolio flags as overdue: the same rule.
    value = IndicatorValue.objects.get(
        version__indicator__code="contact_lapse_rate",
        dimension=Dimension.ALL,
        granularity=Granularity.MONTH,
        period_start=timezone.localdate().replace(day=1),
    )
    open_episodes = SupportEpisode.objects.open()
    assert (value.numerator, value.denominator) == (open_episodes.overdue().count(), open_episodes.count())
    assert 0 < value.numerator < value.denominator


def test_stage_transitions_follow_the_state_machine_and_end_at_the_episode_stage(demo):
    pairs = set(StageTransition.objects.values_list("from_stage", "to_stage"))
    assert pairs
    for from_stage, to_stage in pairs:
        assert to_stage in TRANSITIONS[from_stage], (from_stage, to_stage)
    for episode in SupportEpisode.objects.prefetch_related("transitions"):
        stage = Stage.WELCOME
        for transition in episode.transitions.all():
            assert transition.from_stage == stage
            assert transition.at.date() >= episode.started_on - datetime.timedelta(days=1)
            stage = transition.to_stage
        assert stage == episode.stage
        assert (episode.stage == Stage.CLOSED) == (episode.ended_on is not None) == bool(episode.end_reason)


def test_history_contains_missed_cancelled_and_upcoming_appointments_and_referent_changes(demo):
    statuses = set(Appointment.objects.values_list("status", flat=True))
    assert {"held", "missed", "cancelled", "planned"} <= statuses
    assert not Appointment.objects.filter(status="held", contact__isnull=True).exists()
    assert not Appointment.objects.filter(status="planned", scheduled_at__lt=timezone.now()).exists()
    handovers = ReferentAssignment.objects.exclude(reason="ouverture")
    assert handovers.exists()
    for assignment in handovers.select_related("episode"):
        assert assignment.episode.referent_id == assignment.referent_id
    assert SupportEpisode.objects.overdue().exists()


def test_every_change_has_its_case_event(demo):
    def events(kind):
        return CaseEvent.objects.filter(kind=kind).count()

    assert events("person_created") == Person.objects.count()
    assert events("episode_opened") == SupportEpisode.objects.count()
    assert events("contact_recorded") == Contact.objects.count()
    assert events("stage_changed") + events("episode_closed") == StageTransition.objects.count()
    assert events("referent_changed") == ReferentAssignment.objects.exclude(reason="ouverture").count()
    assert events("appointment_planned") == Appointment.objects.count()
    assert events("appointment_missed") == Appointment.objects.filter(status="missed").count()
    assert events("consent_given") == Consent.objects.count()
    assert not CaseEvent.objects.filter(at__gt=timezone.now()).exists()


def test_demo_logins_exist_and_can_log_in(demo, client):
    for login in ref.DEMO_LOGINS:
        assert client.login(username=login.username, password=ref.DEMO_PASSWORD), login.username
        client.logout()
    admin = User.objects.get(username="admin")
    assert admin.is_staff and admin.is_superuser
    counselor = User.objects.get(username="conseillere")
    portfolio = SupportEpisode.objects.open().filter(referent=counselor)
    assert portfolio.exists()
    assert access.episodes(counselor).filter(pk__in=portfolio).count() == portfolio.count()


def test_same_seed_gives_the_same_territory_and_another_seed_a_different_one(demo):
    first = fingerprint()
    load(seed=1, reset=True, interactive=False)
    assert fingerprint() == first
    load(seed=2, reset=True, interactive=False)
    assert fingerprint()["people"] != first["people"]


def test_if_empty_does_nothing_on_a_populated_database(demo):
    before = fingerprint()
    load(people=10, seed=3, if_empty=True)
    assert fingerprint() == before


def test_loading_on_top_of_existing_people_requires_reset(demo):
    with pytest.raises(CommandError, match="--reset"):
        load(seed=1)


def test_generated_population_follows_the_documented_rates():
    sk = generator.skeleton(np.random.default_rng([7, 0]), 20_000, 20_000)
    assert np.mean(sk.status == generator.STATUSES.index("job_seeker")) == pytest.approx(0.75, abs=0.02)
    assert np.mean(sk.status == generator.STATUSES.index("employed")) == pytest.approx(0.10, abs=0.02)
    assert np.mean(sk.autonomy == generator.AUTONOMY.index("none")) == pytest.approx(0.15, abs=0.03)
    assert not (sk.minimum_income & (sk.age < generator.MINIMUM_INCOME_MIN_AGE)).any()
    first = sk.seq == 0
    youth = first & (sk.age[sk.person] <= 25)
    assert np.mean(sk.org[youth] == ref.MISSION_LOCALE) == pytest.approx(0.65, abs=0.05)
    assert not (sk.org[first & ~youth] == ref.MISSION_LOCALE).any()
    assert (sk.start < 20_000).all() and (sk.start >= 20_000 - 2 * generator.HISTORY_DAYS).all()


def test_every_event_the_other_apps_record_has_a_title(demo):
    from parcours.cases.events import registered_whats

    whats = set(CaseEvent.objects.filter(kind=CaseEvent.Kind.OTHER).values_list("data__what", flat=True))
    assert len(whats) >= 3  # diagnosis, referrals, experiments... in the demo extras
    assert whats <= registered_whats()


def test_the_demo_person_logs_in_to_their_space_and_is_in_the_counselors_portfolio(demo):
    account = login_with_password(DEMO_PERSON_LOGIN, ref.DEMO_PASSWORD, ip="127.0.0.1")
    assert account is not None
    episode = SupportEpisode.objects.open().get(person=account.person)
    assert episode.referent.username == "conseillere"
    assert Referral.objects.filter(episode=episode).exists()
    assert login_with_password(DEMO_PERSON_LOGIN, "wrong", ip="127.0.0.1") is None
    # conseillere publishes four weekly ranges: the person has slots to book within 28 days
    assert AvailabilityRule.objects.filter(counselor=episode.referent).count() == 4
    slots = bookable_slots(episode)
    assert len(slots) > 20 and slots[0].starts_at >= timezone.now() + datetime.timedelta(hours=24)
    thread = Thread.objects.for_person(account.person).get()
    assert [m.author_id is None for m in thread.messages.order_by("pk")] == [False, True]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the pipelined load is PostgreSQL's (COPY)")
@pytest.mark.django_db(transaction=True)
def test_the_pipelined_load_writes_what_the_sequential_one_writes():
    # Large loads stream chunk n on a writer thread while chunk n+1 is generated; forced here on a
    # small load, with a second chunk so that the overlap happens.
    today = datetime.date(2026, 11, 30)
    sequential = load_demo(people=generator_people(), seed=4, today=today, pipeline=False)
    first = fingerprint()
    delete_case_data()
    pipelined = load_demo(people=generator_people(), seed=4, today=today, pipeline=True)
    assert pipelined.rows == sequential.rows
    assert fingerprint() == first
    assert Person.objects.count() == generator_people()
    with connection.cursor() as cursor:  # the months of the history have their partitions
        cursor.execute("SELECT count(*) FROM cases_caseevent_default")
        assert cursor.fetchone()[0] == 0


def generator_people() -> int:
    return loader.CHUNK_SIZE + 30


def _bulk_indexes() -> set[tuple[str, bool]]:
    tables = [loader.apps.get_model(label)._meta.db_table for label in loader.TABLES]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "JOIN pg_class t ON t.oid = i.indrelid WHERE t.relname = ANY(%s)",
            [tables],
        )
        return set(cursor.fetchall())


@pytest.mark.skipif(connection.vendor != "postgresql", reason="large loads drop indexes on PostgreSQL only")
@pytest.mark.django_db(transaction=True)
def test_indexes_dropped_for_a_large_load_come_back_valid_on_the_partitioned_tables():
    before = _bulk_indexes()
    assert ("cases_casee_person__f200ca_idx", True) in before  # the timeline's, on a partitioned table
    with loader._without_secondary_indexes(True):
        assert ("cases_casee_person__f200ca_idx", True) not in _bulk_indexes()
    assert _bulk_indexes() == before
    with connection.cursor() as cursor:  # and every month's partition has its own again
        cursor.execute(
            "SELECT count(*) FROM pg_indexes WHERE tablename LIKE 'cases_caseevent_y%%' AND indexdef LIKE '%%(person_id, at)'"
        )
        months = len([p for p in partitions.partitions("cases_caseevent") if not p.is_default])
        assert cursor.fetchone()[0] == months
